"""What the provider boundary makes of servers that answer unexpectedly: wrong base URLs,
web pages, non-streaming replies, request ids, the server's retry advice."""

from __future__ import annotations

import pytest

from chat_core import errors
from chat_core.config import ProviderSettings
from chat_core.providers import make_provider
from chat_core.providers._http import retry_after_s, status_error
from chat_core.stream import NO_RETRY, ChatStream, RetryPolicy
from chat_core.types import ChatRequest, Message, StreamStatus
from tests.providers.test_providers import PROVIDERS, provider_for, run
from tests.wire_server import Scenario, WireServer

QUICK = RetryPolicy(max_retries=2, backoff_s=0.01, max_wait_s=5)


def test_an_openai_base_url_without_v1_says_the_base_url_looks_wrong(wire: WireServer) -> None:
    provider = provider_for("openai-compatible", wire, base_url=wire.base_url)
    result = run(provider, retry=NO_RETRY).wait(10)
    assert result.status is StreamStatus.ERROR
    assert isinstance(result.error, errors.WrongBaseURL)
    assert "usually end in /v1" in result.error.user_message
    assert "does not exist" not in result.error.user_message


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_missing_model_is_still_named_as_such(name: str, wire: WireServer) -> None:
    result = run(provider_for(name, wire), "#wire:model", retry=NO_RETRY).wait(10)
    assert isinstance(result.error, errors.ModelNotFound)


def test_an_anthropic_base_url_ending_in_v1_works(wire: WireServer) -> None:
    provider = make_provider(ProviderSettings("anthropic", "k", wire.base_url + "/v1/"))
    result = run(provider, "hello").wait(10)
    assert result.status is StreamStatus.COMPLETE
    assert wire.last_request is not None and wire.last_request.path == "/v1/messages"


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_web_page_instead_of_a_stream_says_the_base_url_looks_wrong(
    name: str, wire: WireServer
) -> None:
    wire.enqueue(
        Scenario(raw=b"<!doctype html><title>Welcome</title>", raw_content_type="text/html")
    )
    result = run(provider_for(name, wire), retry=NO_RETRY).wait(10)
    assert result.status is StreamStatus.ERROR and result.error is not None
    assert isinstance(result.error, errors.WrongBaseURL)
    assert "base URL" in result.error.user_message


@pytest.mark.parametrize("name", PROVIDERS)
def test_a_json_reply_to_a_streaming_request_is_read_as_one_chunk(
    name: str, wire: WireServer
) -> None:
    result = run(provider_for(name, wire), "#wire:json").wait(10)
    assert result.status is StreamStatus.COMPLETE
    assert result.text.startswith("You said: #wire:json")
    assert result.metrics.output_tokens is not None


@pytest.mark.parametrize("name", PROVIDERS)
def test_errors_keep_the_providers_request_id(name: str, wire: WireServer) -> None:
    before = run(provider_for(name, wire), "#wire:400", retry=NO_RETRY).wait(10)
    assert before.error is not None and (before.error.request_id or "").startswith("req_wire")
    midway = run(provider_for(name, wire), "#wire:error:3", retry=NO_RETRY).wait(10)
    assert midway.error is not None and (midway.error.request_id or "").startswith("req_wire")


@pytest.mark.parametrize("name", PROVIDERS)
def test_x_should_retry_false_is_not_retried(name: str, wire: WireServer) -> None:
    wire.enqueue(Scenario.http_error(500, headers={"x-should-retry": "false"}))
    wire.enqueue(Scenario.text("second try"))
    result = run(provider_for(name, wire), retry=QUICK).wait(10)
    assert result.status is StreamStatus.ERROR
    assert len(wire.requests) == 1


@pytest.mark.parametrize("status", [408, 409])
def test_408_and_409_are_retried_like_the_sdks_do(status: int, wire: WireServer) -> None:
    wire.enqueue(Scenario.http_error(status), Scenario.text("after the retry"))
    result = run(provider_for("openai", wire), retry=QUICK).wait(10)
    assert (result.status, result.text) == (StreamStatus.COMPLETE, "after the retry")


def test_x_should_retry_true_retries_even_a_400(wire: WireServer) -> None:
    wire.enqueue(
        Scenario.http_error(400, code="x", message="busy", headers={"x-should-retry": "true"}),
        Scenario.text("ok now"),
    )
    result = run(provider_for("openai", wire), retry=QUICK).wait(10)
    assert (result.status, result.text) == (StreamStatus.COMPLETE, "ok now")


def test_a_litellm_gateway_retry_after_header_is_read() -> None:
    assert retry_after_s({"llm_provider-retry-after": "7"}) == 7.0
    assert retry_after_s({"retry-after": "2", "llm_provider-retry-after": "7"}) == 2.0


def test_backoff_without_retry_after_has_jitter() -> None:
    policy = RetryPolicy(max_retries=5, backoff_s=1.0)
    error = errors.ProviderUnavailable("busy", status=500, retryable=True)
    delays = {policy.delay_for(error, 0) for _ in range(20)}
    assert len(delays) > 1
    assert all(d is not None and 0.75 <= d <= 1.0 for d in delays)


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 408, 409, 413, 429, 500, 529])
def test_no_error_message_points_at_one_interfaces_sidebar(status: int) -> None:
    error = status_error(status, provider="OpenAI", model="m", detail=None, code=None)
    assert "sidebar" not in error.user_message.lower()


@pytest.mark.parametrize("name", ["openai", "anthropic"])
def test_a_missing_key_message_does_not_mention_the_sidebar(name: str) -> None:
    with pytest.raises(errors.ConfigurationError) as info:
        make_provider(ProviderSettings(name, None, None))
    assert "sidebar" not in info.value.user_message.lower()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_the_stream_reports_a_result_even_when_a_callback_raises_a_base_exception(
    wire: WireServer,
) -> None:
    class Halt(BaseException):
        pass

    def on_token(_: str) -> None:
        raise Halt

    request = ChatRequest(messages=(Message("user", "hello"),), model="m", timeout_s=10)
    stream = ChatStream(provider_for("openai", wire), request, on_token=on_token)
    result = stream.wait(10)
    assert result.status is StreamStatus.ERROR
    assert result.error is not None and "Something went wrong" in result.error.user_message


ODD_OPENAI = (
    b'data: {"choices": "not a list"}\n\n'
    b"data: [1, 2]\n\n"
    b'data: "a string"\n\n'
    b'data: {"choices": [{"delta": {"content": 5, "reasoning": ["x"]}}]}\n\n'
    b'data: {"choices": [{"delta": null, "finish_reason": null}], "usage": "n/a"}\n\n'
    b'data: {"choices": [{"delta": {"content": {"type": "text", "text": "kept"}}}]}\n\n'
    b'data: {"choices": [{"delta": {"content": [1, {"type": "image_url"}]}}]}\n\n'
    b'data: {"choices": [{"delta": {}, "finish_reason": "stop"}], '
    b'"usage": {"prompt_tokens": "3", "completion_tokens": 2.5}}\n\n'
    b"data: [DONE]\n\n"
)
ODD_ANTHROPIC = (
    b'event: message_start\ndata: {"type": "message_start", "message": null}\n\n'
    b'event: brand_new_event\ndata: {"type": "brand_new_event"}\n\n'
    b'event: content_block_delta\ndata: {"type": "content_block_delta", "delta": "x"}\n\n'
    b'event: content_block_delta\ndata: {"type": "content_block_delta", '
    b'"delta": {"type": "citations_delta", "citation": {}}}\n\n'
    b'event: content_block_delta\ndata: {"type": "content_block_delta", '
    b'"delta": {"type": "text_delta", "text": "kept"}}\n\n'
    b'event: message_delta\ndata: {"type": "message_delta", "delta": null, "usage": []}\n\n'
    b'event: message_delta\ndata: {"type": "message_delta", "delta": {"stop_reason": "end_turn"}}\n\n'
    b'event: message_stop\ndata: {"type": "message_stop"}\n\n'
)


@pytest.mark.parametrize("name", PROVIDERS)
def test_odd_types_and_unknown_events_never_crash_the_answer(name: str, wire: WireServer) -> None:
    wire.enqueue(Scenario(raw=ODD_ANTHROPIC if name == "anthropic" else ODD_OPENAI))
    result = run(provider_for(name, wire), retry=NO_RETRY).wait(10)
    assert (result.status, result.text) == (StreamStatus.COMPLETE, "kept")
