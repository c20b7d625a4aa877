"""chat_core against a server it did not write: LLMock (PyPI ``llmock``), a maintained mock of
the OpenAI and Anthropic APIs with scripted replies and faults, started by this module on
127.0.0.1 (no network). Its own encoders, not ours, produce every byte.

scripts/test.sh installs it in its own virtual environment (its FastAPI pins are not ours) and
passes the executable as ``STREAMCHAT_LLMOCK``; without it the tests are skipped, except in CI
(``CI=true``), where a missing server is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chat_core import errors
from chat_core.config import ProviderSettings
from chat_core.providers import make_provider
from chat_core.providers.base import Provider
from chat_core.stream import NO_RETRY, ChatStream, RetryPolicy
from chat_core.types import ChatRequest, Message, StreamStatus
from tests.servers import free_port

DEFAULT_LLMOCK = Path.home() / ".cache" / "streamchat" / "llmock-venv" / "bin" / "llmock"


class LLMock:
    def __init__(self, executable: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "LLMOCK_RESPONSE_STYLE": "echo"}
        self.process = subprocess.Popen(
            [executable, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
            + ["--log-level", "warning", "--stream-chunk-delay-ms", "5"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.base + "/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("LLMock did not start") from None
                time.sleep(0.1)

    def script(self, *behaviors: dict[str, Any]) -> None:
        """Queue scripted behaviours (LLMock's ``/_llmock/scenario`` admin API)."""
        self._post("/_llmock/scenario", {"behaviors": list(behaviors)})

    def reset(self) -> None:
        self._post("/_llmock/reset", {})

    def _post(self, path: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            self.base + path,
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5):
            pass

    def provider(self, name: str) -> Provider:
        if name == "anthropic":
            return make_provider(ProviderSettings("anthropic", "k", self.base + "/anthropic"))
        return make_provider(ProviderSettings("openai-compatible", None, self.base + "/v1"))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture(scope="module")
def llmock_server() -> Iterator[LLMock]:
    executable = os.environ.get("STREAMCHAT_LLMOCK") or str(DEFAULT_LLMOCK)
    if not Path(executable).exists():
        if os.environ.get("CI"):
            pytest.fail(f"LLMock is not installed at {executable} (scripts/test.sh installs it)")
        pytest.skip("LLMock is not installed (bash scripts/test.sh installs it)")
    server = LLMock(executable)
    yield server
    server.stop()


@pytest.fixture
def llmock(llmock_server: LLMock) -> LLMock:
    llmock_server.reset()
    return llmock_server


def ask(provider: Provider, *turns: str, retry: RetryPolicy = NO_RETRY) -> ChatStream:
    roles = ("user", "assistant")
    messages = tuple(Message(roles[i % 2], text) for i, text in enumerate(turns))  # type: ignore[arg-type]
    request = ChatRequest(messages=messages, model="gpt-4o-mini", timeout_s=10)
    return ChatStream(provider, request, retry=retry)


PROVIDERS = ["openai-compatible", "anthropic"]


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_streamed_answer_is_complete_with_usage(name: str, llmock: LLMock) -> None:
    result = ask(llmock.provider(name), "hello there").wait(20)
    assert result.status is StreamStatus.COMPLETE, result.error
    assert result.text == "Hello! You said: hello there"
    assert result.finish_reason in ("stop", "end_turn")
    assert result.metrics.input_tokens and result.metrics.output_tokens


@pytest.mark.parametrize("name", PROVIDERS)
def test_multi_turn_answers_the_last_question(name: str, llmock: LLMock) -> None:
    provider = llmock.provider(name)
    first = ask(provider, "first question").wait(20)
    second = ask(provider, "first question", first.text, "second question").wait(20)
    assert second.status is StreamStatus.COMPLETE
    assert second.text.endswith("second question")


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_server_error_is_reported_then_retried(name: str, llmock: LLMock) -> None:
    llmock.script({"type": "fail", "status": 500})
    failed = ask(llmock.provider(name), "hi").wait(20)
    assert isinstance(failed.error, errors.ProviderUnavailable)
    llmock.script({"type": "fail", "status": 503, "retry_after": 0})
    retried = ask(llmock.provider(name), "hi", retry=RetryPolicy(backoff_s=0.01)).wait(20)
    assert retried.status is StreamStatus.COMPLETE


@pytest.mark.parametrize("name", PROVIDERS)
def test_stop_keeps_the_partial_answer(name: str, llmock: LLMock) -> None:
    llmock.script({"type": "reply", "text": " ".join(f"word{i}" for i in range(400))})
    stream = ask(llmock.provider(name), "hi")
    first = next(iter(stream.frames(0.01)))
    stream.cancel()
    result = stream.wait(20)
    assert result.status is StreamStatus.STOPPED
    assert result.text.startswith(first) and len(result.text.split()) < 400


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_truncated_stream_is_interrupted_not_complete(name: str, llmock: LLMock) -> None:
    llmock.script({"type": "stream_fault", "kind": "truncate", "after_chunks": 6})
    result = ask(llmock.provider(name), "one two three four five").wait(20)
    assert result.status is StreamStatus.INTERRUPTED
    assert result.text and result.error is None


def test_a_content_filter_finish_is_filtered(llmock: LLMock) -> None:
    llmock.script({"type": "reply", "text": "Here is how to", "finish_reason": "content_filter"})
    result = ask(llmock.provider("openai-compatible"), "hi").wait(20)
    assert (result.status, result.text) == (StreamStatus.FILTERED, "Here is how to")
