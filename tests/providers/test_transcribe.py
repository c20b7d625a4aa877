"""Voice prompts through the real openai SDK against a local transcription endpoint."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chat_core.errors import AuthenticationFailed, ChatError, ConfigurationError
from chat_core.transcribe import available, transcribe

WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 28


class _Transcriptions(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 (http.server naming)
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        type(self).received.append(
            {"path": self.path, "auth": self.headers.get("authorization"), "body": body}
        )
        if type(self).status == 200:
            payload = {"text": "  What is the weather like?  "}
        else:
            payload = {
                "error": {
                    "message": "Incorrect API key",
                    "type": "invalid_request_error",
                    "code": "invalid_api_key",
                }
            }
        data = json.dumps(payload).encode()
        self.send_response(type(self).status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Transcriptions]]:
    _Transcriptions.received = []
    _Transcriptions.status = 200
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Transcriptions)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-voice")
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{httpd.server_address[1]}/v1")
    try:
        yield _Transcriptions
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_recording_becomes_the_prompt_text(server: type[_Transcriptions]) -> None:
    assert transcribe(WAV) == "What is the weather like?"
    (request,) = server.received
    assert request["path"] == "/v1/audio/transcriptions"
    assert request["auth"] == "Bearer sk-test-voice"
    assert b'name="model"\r\n\r\ngpt-4o-mini-transcribe' in request["body"]
    assert b'filename="prompt.wav"' in request["body"] and WAV in request["body"]


def test_a_refused_key_is_said_in_plain_words(server: type[_Transcriptions]) -> None:
    server.status = 401
    with pytest.raises(AuthenticationFailed) as caught:
        transcribe(WAV)
    assert "OpenAI" in caught.value.user_message
    assert "Traceback" not in caught.value.user_message


def test_without_an_openai_key_there_is_no_microphone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert not available({})
    assert available({"OPENAI_API_KEY": "sk-x"})
    with pytest.raises(ConfigurationError):
        transcribe(WAV, secrets={})


def test_an_empty_recording_is_not_sent(server: type[_Transcriptions]) -> None:
    with pytest.raises(ChatError, match="empty"):
        transcribe(b"")
    assert server.received == []


class _Recording:
    """What ``st.chat_input(accept_audio=True)`` hands over: an UploadedFile-like WAV."""

    type = "audio/wav"

    def getvalue(self) -> bytes:
        return WAV


def test_the_chat_box_turns_a_recording_into_the_prompt(server: type[_Transcriptions]) -> None:
    from types import SimpleNamespace

    from ui.attachments_view import read_submission

    value = SimpleNamespace(text="", files=[], audio=_Recording())
    submission = read_submission(value, provider="openai", model="gpt-4o-mini")
    assert submission is not None and submission.sendable
    assert submission.text == "What is the weather like?"
    typed = SimpleNamespace(text="Answer briefly.", files=[], audio=_Recording())
    both = read_submission(typed, provider="openai", model="gpt-4o-mini")
    assert both is not None and both.text == "Answer briefly.\n\nWhat is the weather like?"
    server.status = 401
    refused = read_submission(value, provider="openai", model="gpt-4o-mini")
    assert refused is not None and not refused.sendable
    assert refused.refusals[0].startswith("The recording could not be transcribed:")
