"""Finding 6 of "Safe to deploy": every input path refuses bad input with a clear message and
no traceback — API bodies and query strings, imported chats, CLI flags and stdin — plus a
``hypothesis`` fuzz of the API parser, the import reader and the CLI argument parser.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat_core.cli import build_parser
from chat_core.conversation import Conversation
from chat_core.errors import ConversationFormatError
from tests.servers import REPO_ROOT, server_env

DEEP = b"[" * 200_000


# -- the API parser -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (DEEP, "nested"),
        (b'{"prompt": "hi \\ud800"}', "lone surrogate"),
        (b'{"prompt": "hi", "temperature": NaN}', "NaN"),
        (b'{"prompt": "hi", "temperature": Infinity}', "Infinity"),
        (b'{"prompt": "hi", "temperature": 1e999}', "temperature"),
        (b'{"messages": [{"role": "user", "content": "x", "\\udfff": 1}]}', "lone surrogate"),
    ],
    ids=["deep", "surrogate", "nan", "infinity", "overflow", "surrogate-key"],
)
def test_hostile_api_bodies_are_refused_in_words(body: bytes, words: str) -> None:
    from starlette.applications import Starlette
    from starlette.testclient import TestClient

    from chat_core.http_api import ChatApi

    client = TestClient(
        Starlette(routes=ChatApi(token="t").routes()),
        headers={"Authorization": "Bearer t", "Content-Type": "application/json"},
        raise_server_exceptions=True,
    )
    response = client.post("/api/chat", content=body)
    assert response.status_code == 400
    assert words in response.json()["error"]["message"]


def test_a_lone_surrogate_in_a_query_is_refused() -> None:
    from chat_core.http_access import RequestRejected
    from chat_core.http_params import params_from_query

    with pytest.raises(RequestRejected) as refused:
        params_from_query({"prompt": "hi \ud800"})
    assert refused.value.status == 400


# -- the import reader ------------------------------------------------------------------------


def _export(**turn: Any) -> str:
    message = {"role": "assistant", "content": "hi", **turn}
    return json.dumps({"format": "streamchat", "version": 1, "messages": [message]})


METRICS = {
    "provider": "demo",
    "model": "demo-1",
    "status": "complete",
    "started_at": 1_700_000_000.0,
    "total_time": 1.0,
    "time_to_first_token": 0.1,
    "streaming_time": 0.9,
    "chunk_count": 3,
    "char_count": 2,
}


@pytest.mark.parametrize(
    "text",
    [
        DEEP.decode(),
        _export(metrics={**METRICS, "chunk_count": "Infinity"}).replace('"Infinity"', "Infinity"),
        _export(metrics={**METRICS, "total_time": 1e999}),
        _export(metrics={**METRICS, "total_time": -1}),
        _export(metrics={**METRICS, "started_at": 1e300}),
        _export(metrics={**METRICS, "timeline": [[0.1]]}),
        _export(metrics="fast"),
        _export(created_at=float("nan")).replace("NaN", "NaN"),
        _export(created_at=1e308),
        '{"messages": [{"role": "user", "content": "\\ud800"}]}',
    ],
    ids=[
        "deep",
        "chunks-infinity",
        "total-overflow",
        "negative-time",
        "start-1e300",
        "short-timeline",
        "metrics-not-object",
        "created-nan",
        "created-1e308",
        "surrogate",
    ],  # fmt: skip
)
def test_hostile_imports_are_refused_and_change_nothing(text: str) -> None:
    conversation = Conversation(system="keep me")
    conversation.add_user("keep this turn")
    before = conversation.to_json()
    with pytest.raises(ConversationFormatError) as refused:
        conversation.load_json(text)
    assert "nothing was imported" in refused.value.user_message
    assert conversation.to_json() == before


# -- the fuzz ---------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(["prompt", "messages", "role", "content", "system", "model",
                         "temperature", "max_tokens", "provider", "metrics", "status",
                         "format", "version", "created_at", "timeline"]) | st.text(),
        children,
        max_size=5,
    ),
    max_leaves=20,
)  # fmt: skip
HOSTILE_TEXT = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    JSON_VALUES.map(lambda v: json.dumps(v, allow_nan=True).encode()),
    st.integers(1, 400).map(lambda n: b"[" * n + b"]" * n),
    st.text(alphabet="[]{}\":,\\ud800", max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
)  # fmt: skip
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@FUZZ
@given(HOSTILE_TEXT)
def test_fuzz_the_api_body_parser(raw: bytes) -> None:
    from chat_core.http_access import RequestRejected
    from chat_core.http_params import params_from_body

    try:
        params = params_from_body(raw)
    except RequestRejected as rejected:
        assert 400 <= rejected.status < 500 and rejected.message
        return
    for message in params.messages:  # accepted: everything in it can be sent on
        message.content.encode("utf-8")


@FUZZ
@given(st.dictionaries(st.sampled_from(["prompt", "provider", "model", "system", "temperature",
                                         "max_tokens", "token"]), st.text(max_size=50)))  # fmt: skip
def test_fuzz_the_api_query_parser(query: dict[str, str]) -> None:
    from chat_core.http_access import RequestRejected
    from chat_core.http_params import params_from_query

    with contextlib.suppress(RequestRejected):
        params_from_query(query)


@FUZZ
@given(HOSTILE_TEXT)
def test_fuzz_the_import_reader(raw: bytes) -> None:
    conversation = Conversation()
    try:
        conversation.load_json(raw)
    except ConversationFormatError as refused:
        assert "nothing was imported" in refused.user_message
        return
    conversation.to_json().encode("utf-8")  # what was imported can be exported again
    conversation.to_markdown()


@FUZZ
@given(
    st.lists(
        st.sampled_from(["--timeout", "--temperature", "--max-tokens", "--base-url", "--model",
                         "--provider", "--system", "--metrics", "-1", "nan", "inf", "1e999",
                         "http://[::1", "0", "openai"]) | st.text(max_size=20),
        max_size=6,
    )
)  # fmt: skip
def test_fuzz_the_cli_argument_parser(argv: list[str]) -> None:
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exit_:
            assert exit_.code in (0, 2)  # --help, or a usage error in words
            assert "Traceback" not in stderr.getvalue()
            return
    assert 0 < args.timeout <= 3600
    assert args.temperature is None or abs(args.temperature) < float("inf")


# -- the terminal chat, end to end ---------------------------------------------------------------


def run_cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "chat_core", *args],
        cwd=REPO_ROOT,
        env=server_env(STREAMCHAT_DEMO_TTFT_S="0", STREAMCHAT_DEMO_CHUNKS_PER_S="0"),
        input=stdin,
        capture_output=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--timeout", "-1"), b"--timeout"),
        (("--timeout", "nan"), b"--timeout"),
        (("--timeout", "inf"), b"--timeout"),
        (("--temperature", "nan"), b"--temperature"),
        (("--provider", "openai-compatible", "--base-url", "http://[::1"), b"not a valid base URL"),
    ],
)
def test_bad_cli_flags_get_a_message_not_a_traceback(args: tuple[str, ...], words: bytes) -> None:
    result = run_cli(*args, stdin=b"hi\n")
    assert result.returncode == 2
    assert words in result.stderr
    assert b"Traceback" not in result.stderr + result.stdout


def test_invalid_utf8_on_stdin_is_refused_and_the_chat_goes_on() -> None:
    result = run_cli("--provider", "demo", stdin=b"caf\xe9 \xff\xfe\nhello after\n")
    assert result.returncode == 0
    assert b"Traceback" not in result.stderr
    assert b"not valid UTF-8" in result.stderr
    assert b"hello after" in result.stdout
