"""The SDK as the oracle: every recorded stream in tests/fixtures/streams/ is served byte for
byte by the wire server and read twice, once through the official SDK's own stream iteration
(openai ``chat.completions.create(stream=True)``, anthropic ``messages.stream()``) and once
through chat_core. Text, reasoning, finish reason and usage must agree, and chat_core must give
the status a person should see. Where the SDK raises (an error inside the stream), chat_core
must report an error and keep the same partial text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anthropic
import openai
import pytest

from chat_core.config import ProviderSettings
from chat_core.providers import make_provider
from chat_core.stream import NO_RETRY, ChatStream, StreamResult
from chat_core.types import ChatRequest, Message, StreamStatus
from tests.wire_server import Scenario, WireServer

STREAMS = Path(__file__).parent.parent / "fixtures" / "streams"

S = StreamStatus
EXPECTED: dict[str, StreamStatus] = {
    "openai_basic": S.COMPLETE,
    "openai_length": S.LENGTH,
    "openai_refusal": S.FILTERED,
    "openai_u2028": S.COMPLETE,
    "openai_crlf": S.COMPLETE,
    "openai_done_keepalive": S.COMPLETE,
    "openai_no_end": S.INTERRUPTED,
    "azure_empty_choices": S.COMPLETE,
    "azure_content_filter": S.FILTERED,
    "ollama_basic": S.COMPLETE,
    "ollama_reasoning_length": S.LENGTH,
    "vllm_reasoning": S.COMPLETE,
    "lmstudio_basic": S.COMPLETE,
    "llamacpp_basic": S.COMPLETE,
    "openrouter_comments": S.COMPLETE,
    "openrouter_reasoning": S.COMPLETE,
    "openrouter_error_chunk": S.ERROR,
    "openrouter_finish_error": S.ERROR,
    "deepseek_reasoning": S.COMPLETE,
    "mistral_list_content": S.COMPLETE,
    "litellm_basic": S.COMPLETE,
    "anthropic_basic": S.COMPLETE,
    "anthropic_refusal": S.FILTERED,
    "anthropic_thinking": S.COMPLETE,
    "anthropic_overloaded": S.ERROR,
    "anthropic_context_window": S.LENGTH,
    "anthropic_no_stop": S.INTERRUPTED,
}


@dataclass
class Reading:
    text: str
    reasoning: str
    finish_reason: str | None
    usage: tuple[int | None, int | None]
    error: Exception | None = None


def transcript(name: str) -> bytes:
    return (STREAMS / f"{name}.sse").read_bytes()


def serve(wire: WireServer, name: str, **kw: Any) -> None:
    wire.enqueue(Scenario(raw=transcript(name), name=name, **kw))


def _parts(content: Any, kind: str) -> str:
    """The SDK leaves a list ``content`` as it came (its chunk models are not validated)."""
    out = []
    for part in content if isinstance(content, list) else []:
        if isinstance(part, dict) and part.get("type") == kind == "text":
            out.append(part.get("text") or "")
        elif isinstance(part, dict) and part.get("type") == kind == "thinking":
            out.append(_parts(part.get("thinking"), "text"))
    return "".join(out)


def read_with_openai_sdk(wire: WireServer) -> Reading:
    client = openai.OpenAI(base_url=wire.openai_base_url, api_key="sk-test", max_retries=0)
    text, reasoning = [], []
    finish: str | None = None
    usage: tuple[int | None, int | None] = (None, None)
    error: Exception | None = None
    try:
        for chunk in client.chat.completions.create(
            model="m",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        ):
            if chunk.usage is not None:
                usage = (chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
            for choice in chunk.choices[:1]:
                delta = choice.delta
                extra = delta.model_extra or {}
                thought = extra.get("reasoning_content") or extra.get("reasoning")
                if isinstance(thought, str):
                    reasoning.append(thought)
                content: Any = delta.content
                if isinstance(content, str):
                    text.append(content)
                else:
                    reasoning.append(_parts(content, "thinking"))
                    text.append(_parts(content, "text"))
                if isinstance(delta.refusal, str):  # what the model said, in its own field
                    text.append(delta.refusal)
                if choice.finish_reason is not None:
                    finish = choice.finish_reason
    except openai.APIError as exc:
        error = exc
    return Reading("".join(text), "".join(reasoning), finish, usage, error)


def read_with_anthropic_sdk(wire: WireServer) -> Reading:
    client = anthropic.Anthropic(base_url=wire.anthropic_base_url, api_key="k", max_retries=0)
    with client.messages.stream(
        model="claude-test", max_tokens=100, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        try:
            for _ in stream:
                pass
        except anthropic.APIError as exc:
            snapshot = stream.current_message_snapshot
            text = "".join(b.text for b in snapshot.content if b.type == "text")
            return Reading(text, "", None, (None, None), exc)
        message = stream.current_message_snapshot
    return Reading(
        "".join(b.text for b in message.content if b.type == "text"),
        "".join(b.thinking for b in message.content if b.type == "thinking"),
        message.stop_reason,
        (message.usage.input_tokens, message.usage.output_tokens),
    )


def read_with_chat_core(wire: WireServer, provider_name: str) -> StreamResult:
    if provider_name == "anthropic":
        settings = ProviderSettings("anthropic", "k", wire.anthropic_base_url)
    else:
        settings = ProviderSettings("openai-compatible", None, wire.openai_base_url)
    request = ChatRequest(messages=(Message("user", "hi"),), model="m", timeout_s=10)
    return ChatStream(make_provider(settings), request, retry=NO_RETRY).wait(20)


def test_every_transcript_has_an_expectation() -> None:
    assert sorted(p.stem for p in STREAMS.glob("*.sse")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_chat_core_reads_each_transcript_as_the_sdk_does(name: str, wire: WireServer) -> None:
    provider_name = "anthropic" if name.startswith("anthropic") else "openai"
    serve(wire, name)
    oracle = (
        read_with_anthropic_sdk(wire)
        if provider_name == "anthropic"
        else read_with_openai_sdk(wire)
    )
    serve(wire, name)
    ours = read_with_chat_core(wire, provider_name)

    assert ours.status is EXPECTED[name], ours.error
    assert ours.text == oracle.text
    if EXPECTED[name] is StreamStatus.ERROR:
        assert oracle.error is not None or oracle.finish_reason == "error"
        assert ours.error is not None and ours.error.user_message
        return
    assert oracle.error is None
    assert ours.reasoning == oracle.reasoning
    assert ours.finish_reason == oracle.finish_reason
    assert (ours.metrics.input_tokens, ours.metrics.output_tokens) == oracle.usage
