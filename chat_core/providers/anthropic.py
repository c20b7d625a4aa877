"""Anthropic messages streaming: ``client.messages.create(..., stream=True)``, its SSE events
read from the response (chat_core/sse_decode.py) rather than as SDK objects."""

from __future__ import annotations

import json
from typing import Any

import anthropic
from anthropic import Stream

from chat_core import errors as e
from chat_core.config import MODELS
from chat_core.provider_content import anthropic_message
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

DEFAULT_MAX_TOKENS = 4096
"""Anthropic requires an explicit bound; this one is used when the request sets none."""


def sdk_base_url(base_url: str | None) -> str | None:
    """The SDK's base URL: the server root. People often copy the API's ``.../v1`` (the form
    OpenAI-compatible servers want); the SDK adds ``/v1/messages`` itself, so a trailing
    ``/v1`` is dropped rather than reaching ``/v1/v1/messages``."""
    if not base_url:
        return None
    trimmed = base_url.rstrip("/")
    return trimmed[: -len("/v1")] if trimmed.endswith("/v1") else trimmed


class AnthropicProvider:
    name = "anthropic"
    label = "Anthropic"
    default_model = MODELS["anthropic"][0]

    def __init__(self, api_key: str | None, base_url: str | None = None) -> None:
        if not api_key:
            raise e.ConfigurationError(
                "No Anthropic API key is configured. Enter one, or set ANTHROPIC_API_KEY in "
                ".streamlit/secrets.toml or in the environment.",
                provider=self.label,
            )
        self._base_url = base_url
        self._client = anthropic.Anthropic(
            api_key=api_key,
            base_url=sdk_base_url(base_url),
            max_retries=0,
            http_client=abortable_client(anthropic.DefaultHttpxClient),
        )

    def warm(self) -> None:
        """Create the client's messages resource, which imports its modules on first use."""
        _ = self._client.messages

    def open(self, request: ChatRequest) -> AnthropicUpstream:
        # The history goes in as ready JSON (extra_body replaces the empty list): the SDK's
        # type-driven transform of ``messages`` walks every message, ~0.1 ms each.
        body: dict[str, Any] = {
            "messages": [anthropic_message(m, model=request.model) for m in request.messages]
        }
        kwargs: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": [],
            "timeout": request.timeout_s,
            "extra_body": body,
        }
        if request.system:
            kwargs["system"] = request.system
        if request.temperature is not None:
            # anthropic>=1 dropped sampling parameters from the method signatures (newer models
            # ignore or refuse them); the API still reads them from the body.
            body["temperature"] = request.temperature
        if request.thinking_budget_tokens:
            # Extended thinking: max_tokens already exceeds the budget (models.fit_request).
            kwargs["thinking"] = {
                "type": "enabled",
                "budget_tokens": request.thinking_budget_tokens,
            }
        try:
            stream: Stream[Any] = self._client.messages.create(**kwargs, stream=True)
        except anthropic.APIStatusError as exc:
            raise sdk_status_error(exc, provider=self.label, model=request.model) from exc
        except Exception as exc:  # connection refused, timeouts: the SDK or raw httpx2
            raise transport_error(
                exc, provider=self.label, base_url=self._base_url, started=False
            ) from exc
        return AnthropicUpstream(
            stream, label=self.label, model=request.model, base_url=self._base_url
        )


STOP_REASONS: dict[str, StreamStatus] = {
    # https://docs.anthropic.com/en/api/handling-stop-reasons
    "end_turn": StreamStatus.COMPLETE,
    "stop_sequence": StreamStatus.COMPLETE,
    "max_tokens": StreamStatus.LENGTH,
    "model_context_window_exceeded": StreamStatus.LENGTH,
    "refusal": StreamStatus.FILTERED,
    # A paused server-tool turn or a tool call is not an answer Streamchat can finish.
    "pause_turn": StreamStatus.OTHER,
    "tool_use": StreamStatus.OTHER,
}
"""Each raw ``stop_reason`` and what it means; any other is ``OTHER``, kept by name."""


class AnthropicUpstream(SSEUpstream):
    """Messages stream events (``event:`` names): ``text_delta`` is answer text,
    ``thinking_delta`` reasoning (extended thinking); ``signature_delta``, ``ping`` and block
    boundaries carry nothing to show. ``message_stop`` ends the answer."""

    def convert(self, sse: SSEEvent) -> list[UpstreamEvent] | None:
        kind = sse.event
        if kind in _SKIPPED:
            return []
        data = json.loads(sse.data)
        if type(data) is not dict:
            return []
        kind = kind or data.get("type")
        if kind == "content_block_delta":
            delta = data.get("delta")
            if type(delta) is dict:
                delta_type = delta.get("type")
                if delta_type == "text_delta":
                    text = delta.get("text")
                    if text and type(text) is str:
                        return [TextDelta(text)]
                elif delta_type == "thinking_delta":
                    thinking = delta.get("thinking")
                    if thinking and type(thinking) is str:
                        return [ReasoningDelta(thinking)]
        elif kind == "message_start":
            message = data.get("message")
            usage = message.get("usage") if type(message) is dict else None
            if type(usage) is dict:  # output_tokens: a first count, replaced by message_delta's
                return [
                    UsageReport(
                        _count(usage.get("input_tokens")), _count(usage.get("output_tokens"))
                    )
                ]
        elif kind == "message_delta":
            out: list[UpstreamEvent] = []
            usage = data.get("usage")
            if type(usage) is dict:
                out.append(UsageReport(output_tokens=_count(usage.get("output_tokens"))))
            delta = data.get("delta")
            stop_reason = delta.get("stop_reason") if type(delta) is dict else None
            if stop_reason is not None:
                self._stopped(stop_reason)
            return out
        elif kind == "message_stop":
            return END
        elif kind == "error":  # e.g. overloaded_error inside the 200 stream
            raise midstream_error(self.label, self.model, data)
        return []

    def convert_whole(self, body: Any) -> list[UpstreamEvent]:
        """A whole ``message`` object: its text and thinking blocks, stop reason and usage."""
        out: list[UpstreamEvent] = []
        if type(body) is not dict:
            return out
        content = body.get("content")
        for block in content if type(content) is list else []:
            if type(block) is not dict:
                continue
            if block.get("type") == "text" and type(block.get("text")) is str:
                out.append(TextDelta(block["text"]))
            elif block.get("type") == "thinking" and type(block.get("thinking")) is str:
                out.append(ReasoningDelta(block["thinking"]))
        usage = body.get("usage")
        if type(usage) is dict:
            out.append(
                UsageReport(_count(usage.get("input_tokens")), _count(usage.get("output_tokens")))
            )
        if body.get("stop_reason") is not None:
            self._stopped(body["stop_reason"])
        return out

    def _stopped(self, stop_reason: object) -> None:
        reason = str(stop_reason)
        self.finish = FinishReport(reason, STOP_REASONS.get(reason, StreamStatus.OTHER))


def _count(value: object) -> int | None:
    return value if type(value) is int and value >= 0 else None


_SKIPPED = frozenset({"ping", "content_block_start", "content_block_stop"})
