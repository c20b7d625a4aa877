"""The small inputs of issue #10 that went wrong, each as a transcript or a wire scenario,
read by chat_core through the real SDKs (input 9, the tilde, belongs to markdown.py)."""

from __future__ import annotations

import threading

import pytest

from chat_core.stream import NO_RETRY, ChatStream, StreamResult
from chat_core.types import ChatRequest, Message, StreamStatus
from tests.providers.test_providers import PROVIDERS, provider_for
from tests.providers.test_transcripts import read_with_chat_core, serve
from tests.wire_server import Scenario, WireServer


def stream_for(name: str, wire: WireServer, prompt: str = "hi") -> ChatStream:
    request = ChatRequest(messages=(Message("user", prompt),), model="m", timeout_s=10)
    return ChatStream(provider_for(name, wire), request, retry=NO_RETRY)


def openai_reads(wire: WireServer, transcript: str) -> StreamResult:
    serve(wire, transcript)
    return read_with_chat_core(wire, "openai")


def test_1_a_raw_line_separator_inside_json_is_text(wire: WireServer) -> None:
    result = openai_reads(wire, "openai_u2028")
    assert result.status is StreamStatus.COMPLETE
    assert result.text == "Line one\u2028line two and\u2029 a paragraph, \u0085next."


@pytest.mark.parametrize("name", PROVIDERS)
def test_2_done_then_a_body_held_open_with_keep_alives_ends_the_answer(
    name: str, wire: WireServer
) -> None:
    wire.enqueue(Scenario.text("Finished answer.", hold_open_s=25))
    result = stream_for(name, wire).wait(10)  # the server keeps the body open for 25 s
    assert result.status is StreamStatus.COMPLETE
    assert result.text == "Finished answer."
    # The connection was not at its end: it is dropped, not handed back to the pool.
    assert wire.wait_for_disconnect(5) is not None


def test_2_a_transcript_with_keep_alives_after_done_is_complete(wire: WireServer) -> None:
    serve(wire, "openai_done_keepalive", hold_open_s=25)
    result = read_with_chat_core(wire, "openai")
    assert (result.status, result.text) == (StreamStatus.COMPLETE, "Done soon.")


def test_3_content_as_a_list_of_parts_is_joined(wire: WireServer) -> None:
    result = openai_reads(wire, "mistral_list_content")
    assert result.status is StreamStatus.COMPLETE
    assert result.text == "The answer is 4."
    assert result.reasoning == "2+2=4."


def test_4_a_content_filter_ending_is_filtered_not_complete(wire: WireServer) -> None:
    result = openai_reads(wire, "azure_content_filter")
    assert result.status is StreamStatus.FILTERED
    assert result.text == "Here is how to"
    assert result.finish_reason == "content_filter"


def test_5_an_anthropic_refusal_without_text_is_filtered(wire: WireServer) -> None:
    serve(wire, "anthropic_refusal")
    result = read_with_chat_core(wire, "anthropic")
    assert (result.status, result.text, result.finish_reason) == (
        StreamStatus.FILTERED,
        "",
        "refusal",
    )


@pytest.mark.parametrize("name", PROVIDERS)
def test_6_reasoning_is_visible_before_the_answer_and_kept_apart(
    name: str, wire: WireServer
) -> None:
    stream = stream_for(name, wire, "#wire:reasoning:1.5")
    seen_thinking_before_text = threading.Event()

    def watch() -> None:
        while not stream.done:
            if stream.reasoning and not stream.text:
                seen_thinking_before_text.set()
                return
            threading.Event().wait(0.01)

    stream.start()
    watcher = threading.Thread(target=watch)
    watcher.start()
    result = stream.wait(15)
    watcher.join(5)
    assert seen_thinking_before_text.is_set()
    assert result.status is StreamStatus.COMPLETE
    assert result.reasoning.startswith("The person wants a short answer.")
    assert result.text.startswith("You said: #wire:reasoning")
    assert "The person wants" not in result.text
    metrics = result.metrics
    assert metrics.ttft_s is not None and metrics.time_to_first_answer_token is not None
    assert metrics.time_to_first_answer_token > metrics.ttft_s


def test_6_a_deepseek_transcript_keeps_reasoning_and_its_token_count(wire: WireServer) -> None:
    result = openai_reads(wire, "deepseek_reasoning")
    assert result.reasoning == "9.11 vs 9.8: compare tenths, 1 < 8."
    assert result.text == "9.8 is greater."
    assert result.metrics.reasoning_tokens == 22


@pytest.mark.parametrize("name", PROVIDERS)
def test_7_reasoning_only_then_length_is_cut_off_with_the_reasoning_kept(
    name: str, wire: WireServer
) -> None:
    result = stream_for(name, wire, "#wire:reasoningcut").wait(10)
    assert (result.status, result.text) == (StreamStatus.LENGTH, "")
    assert result.reasoning.startswith("The person wants")
    transcript = openai_reads(wire, "ollama_reasoning_length")
    assert (transcript.status, transcript.text) == (StreamStatus.LENGTH, "")
    assert transcript.reasoning == "Okay, the user asks for a proof. Let me think step"


@pytest.mark.parametrize("name", PROVIDERS)
def test_8_a_body_that_ends_without_finish_or_done_is_interrupted(
    name: str, wire: WireServer
) -> None:
    result = stream_for(name, wire, "#wire:truncated").wait(10)
    assert result.status is StreamStatus.INTERRUPTED
    assert result.text == "One, two, three"
    assert result.error is None
