"""OpenAI chat completions, and any OpenAI-compatible server (Ollama, vLLM, LM Studio)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlparse

import openai
import openai.resources.chat.completions  # noqa: F401  (the SDK imports it lazily on first use: warm it with us)
from openai import Stream
from openai.types.chat import ChatCompletionChunk

from chat_core import errors as e
from chat_core.config import MODELS
from chat_core.provider_content import openai_message
from chat_core.providers._abort import abortable_client
from chat_core.providers._http import (
    midstream_error,
    sdk_status_error,
    transport_error,
)
from chat_core.providers._upstream import END, SSEUpstream
from chat_core.sse_decode import SSEEvent
from chat_core.types import (
    ChatRequest,
    FinishReport,
    ReasoningDelta,
    StreamStatus,
    TextDelta,
    UpstreamEvent,
    UsageReport,
)


class OpenAIProvider:
    """Streams ``/chat/completions`` with ``stream_options={"include_usage": True}``."""

    default_model = MODELS["openai"][0]

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None = None,
        *,
        name: str = "openai",
        label: str = "OpenAI",
        compatible: bool = False,
    ) -> None:
        self.name = name
        self.label = label
        self._compatible = compatible
        self._base_url = base_url
        if not api_key and not compatible:
            raise e.ConfigurationError(
                "No OpenAI API key is configured. Enter one, or set OPENAI_API_KEY in "
                ".streamlit/secrets.toml or in the environment.",
                provider=label,
            )
        # The SDK's own retries are off: the engine retries before the first token only and
        # tells the person while it waits.
        self._client = openai.OpenAI(
            api_key=api_key or "not-needed",
            base_url=base_url or None,
            max_retries=0,
            http_client=abortable_client(openai.DefaultHttpxClient),
        )

    def warm(self) -> None:
        """Create the client's chat resource, which imports its modules on first use."""
        _ = self._client.chat.completions

    def open(self, request: ChatRequest) -> OpenAIUpstream:
        messages: list[dict[str, Any]] = []
        if request.system:
            messages.append({"role": "system", "content": request.system})
        messages.extend(
            openai_message(m, provider=self.name, model=request.model) for m in request.messages
        )
        kwargs: dict[str, Any] = {
            "model": request.model,
            # The history goes in as ready JSON (extra_body replaces the empty list): the SDK's
            # type-driven transform of ``messages`` walks every message, ~0.1 ms each, so a
            # 200-message chat paid ~20 ms of CPU before its request left.
            "messages": [],
            "extra_body": {"messages": messages},
            "stream": True,
            "stream_options": {"include_usage": True},
            "timeout": request.timeout_s,
        }
        if request.temperature is not None:
            kwargs["temperature"] = request.temperature
        if request.max_tokens is not None:
            # Compatible servers know the classic name; OpenAI itself prefers the new one.
            key = "max_tokens" if self._compatible else "max_completion_tokens"
            kwargs[key] = request.max_tokens
        if request.reasoning_effort:
            kwargs["reasoning_effort"] = request.reasoning_effort
        try:
            stream: Stream[ChatCompletionChunk] = self._client.chat.completions.create(**kwargs)
        except openai.APIStatusError as exc:
            raise sdk_status_error(exc, provider=self.label, model=request.model) from exc
        except (openai.APIConnectionError, openai.APIError) as exc:
            raise transport_error(
                exc, provider=self.label, base_url=self._base_url, started=False
            ) from exc
        return OpenAIUpstream(
            stream, label=self.label, model=request.model, base_url=self._base_url
        )


FINISH_REASONS: dict[str, StreamStatus] = {
    # OpenAI (https://platform.openai.com/docs/api-reference/chat/object, finish_reason)
    "stop": StreamStatus.COMPLETE,
    "length": StreamStatus.LENGTH,
    "content_filter": StreamStatus.FILTERED,
    # Streamchat sends no tools: a tool call is not an answer it can show as complete.
    "tool_calls": StreamStatus.OTHER,
    "function_call": StreamStatus.OTHER,
    # OpenAI-compatible servers: TGI (eos_token, stop_sequence), vLLM (abort: the server
    # dropped the request), gateways that pass Anthropic's reasons through (LiteLLM).
    "eos": StreamStatus.COMPLETE,
    "eos_token": StreamStatus.COMPLETE,
    "stop_sequence": StreamStatus.COMPLETE,
    "end_turn": StreamStatus.COMPLETE,
    "max_tokens": StreamStatus.LENGTH,
    "abort": StreamStatus.INTERRUPTED,
}
"""Each raw ``finish_reason`` and what it means; any other is ``OTHER``, kept by name.
``"error"`` (OpenRouter and others: the model failed mid-answer) is an error, never a status."""


class OpenAIUpstream(SSEUpstream):
    """Chat completion chunks: ``data: {chunk}`` lines, then ``data: [DONE]``.

    Reads ``delta.content`` (a string, or a list of parts as Mistral sends it),
    ``delta.reasoning_content`` (DeepSeek, vLLM) or else ``delta.reasoning`` (OpenRouter,
    Ollama, newer vLLM), ``finish_reason`` and ``usage`` (with
    ``completion_tokens_details.reasoning_tokens``). Only the first choice is read."""

    def convert(self, sse: SSEEvent) -> list[UpstreamEvent] | None:
        if sse.data.startswith("[DONE]"):
            return END
        chunk = json.loads(sse.data)
        if type(chunk) is not dict:
            return []
        if chunk.get("error") or sse.event == "error":
            raise midstream_error(self.label, self.model, chunk)  # an error inside the 200 stream
        out: list[UpstreamEvent] = []
        choices = chunk.get("choices")
        if choices and type(choices) is list:
            choice = choices[0]
            if type(choice) is dict:
                delta = choice.get("delta")
                if type(delta) is dict and _read_message(delta, out):
                    self._refused = True
                finish_reason = choice.get("finish_reason")
                if finish_reason is not None:
                    self._finished(finish_reason, chunk)
        usage = chunk.get("usage")
        if usage and type(usage) is dict:
            out.append(_usage(usage))
        return out

    def convert_whole(self, body: Any) -> list[UpstreamEvent]:
        """A ``chat.completion`` object: ``choices[0].message`` instead of deltas."""
        out: list[UpstreamEvent] = []
        if type(body) is not dict:
            return out
        choices = body.get("choices")
        if choices and type(choices) is list and type(choices[0]) is dict:
            message = choices[0].get("message")
            if type(message) is dict and _read_message(message, out):
                self._refused = True
            finish_reason = choices[0].get("finish_reason")
            if finish_reason is not None:
                self._finished(finish_reason, body)
        usage = body.get("usage")
        if usage and type(usage) is dict:
            out.append(_usage(usage))
        return out

    _refused = False
    """The model answered in ``refusal`` instead of ``content`` (OpenAI's refusals)."""

    def _finished(self, finish_reason: object, chunk: dict[str, Any]) -> None:
        reason = str(finish_reason)
        if reason == "error":
            raise midstream_error(self.label, self.model, chunk)
        status = FINISH_REASONS.get(reason, StreamStatus.OTHER)
        if self._refused and status is StreamStatus.COMPLETE:
            status = StreamStatus.FILTERED  # a refusal ends with "stop"
        self.finish = FinishReport(reason, status)


def _read_message(delta: dict[str, Any], out: list[UpstreamEvent]) -> bool:
    """Reasoning, then text, of one delta (or a whole message) into ``out``; True if it held
    refusal text (``delta.refusal``, shown as the answer: it is what the model said)."""
    reasoning = delta.get("reasoning_content")
    if not reasoning or type(reasoning) is not str:
        # Servers that send both carry the same text in both: read one.
        reasoning = delta.get("reasoning")
    if reasoning and type(reasoning) is str:
        out.append(ReasoningDelta(reasoning))
    content = delta.get("content")
    if content:
        if type(content) is str:
            out.append(TextDelta(content))
        else:
            _read_parts(content, out)
    refusal = delta.get("refusal")
    if refusal and type(refusal) is str:
        out.append(TextDelta(refusal))
        return True
    return False


def _read_parts(content: object, out: list[UpstreamEvent]) -> None:
    """``content`` as a list of parts (Mistral: ``[{"type": "text", "text": "…"}]``, with
    ``{"type": "thinking", "thinking": [parts]}`` for its reasoning models); other parts and
    types are skipped."""
    parts = content if type(content) is list else [content]
    for part in parts:
        if type(part) is not dict:
            continue
        kind = part.get("type")
        text = part.get("text")
        if kind == "text" and text and type(text) is str:
            out.append(TextDelta(text))
        elif kind == "thinking":
            inner: list[UpstreamEvent] = []
            _read_parts(part.get("thinking"), inner)
            out.extend(ReasoningDelta(ev.text) for ev in inner if isinstance(ev, TextDelta))


def _usage(usage: dict[str, Any]) -> UsageReport:
    details = usage.get("completion_tokens_details")
    reasoning = details.get("reasoning_tokens") if type(details) is dict else None
    return UsageReport(
        _count(usage.get("prompt_tokens")),
        _count(usage.get("completion_tokens")),
        _count(reasoning),
    )


def _count(value: object) -> int | None:
    return value if type(value) is int and value >= 0 else None


def compatible_label(base_url: str | None) -> str:
    """ "Ollama at localhost:11434"-style label for an OpenAI-compatible base URL."""
    if not base_url:
        return "the OpenAI-compatible server"
    host = urlparse(base_url).netloc or base_url
    if host.endswith(":11434"):
        return f"Ollama at {host}"
    return f"the server at {host}"
