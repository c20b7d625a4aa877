"""Anthropic messages streaming: ``client.messages.create(..., stream=True)``, its SSE events
read from the response (chat_core/sse_decode.py) rather than as SDK objects."""

from __future__ import annotations

import json
from typing import Any

import anthropic
from anthropic import Stream

from chat_core import errors as e
from chat_core.provider_content import anthropic_message
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
    StreamStatus,
    TextDelta,
    UpstreamEvent,
    UsageReport,
)

DEFAULT_MAX_TOKENS = 4096
"""Anthropic requires an explicit bound; this one is used when the request sets none."""


class AnthropicProvider:
    name = "anthropic"
    label = "Anthropic"
    default_model = "claude-sonnet-4-5"

    def __init__(self, api_key: str | None, base_url: str | None = None) -> None:
        if not api_key:
            raise e.ConfigurationError(
                "No Anthropic API key is configured. Add one in the sidebar, in "
                ".streamlit/secrets.toml (ANTHROPIC_API_KEY) or in the environment.",
                provider=self.label,
            )
        self._base_url = base_url
        self._client = anthropic.Anthropic(
            api_key=api_key, base_url=base_url or None, max_retries=0
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


class AnthropicUpstream(SSEUpstream):
    """Messages stream events (``event:`` names; STREAMLIT_NOTES 15)."""

    def convert(self, sse: SSEEvent) -> list[UpstreamEvent] | None:
        kind = sse.event
        if kind in _SKIPPED:
            return []
        data = json.loads(sse.data)
        if not isinstance(data, dict):
            return []
        kind = kind or data.get("type")
        if kind == "content_block_delta":
            delta = data.get("delta") or {}
            if delta.get("type") == "text_delta" and delta.get("text"):
                return [TextDelta(delta["text"])]
        elif kind == "message_start":
            usage = (data.get("message") or {}).get("usage") or {}
            return [UsageReport(input_tokens=usage.get("input_tokens"))]
        elif kind == "message_delta":
            out: list[UpstreamEvent] = [
                UsageReport(output_tokens=(data.get("usage") or {}).get("output_tokens"))
            ]
            stop_reason = (data.get("delta") or {}).get("stop_reason")
            if stop_reason is not None:
                out.append(
                    FinishReport(
                        stop_reason,
                        StreamStatus.LENGTH
                        if stop_reason == "max_tokens"
                        else StreamStatus.COMPLETE,
                    )
                )
            return out
        elif kind == "message_stop":
            return END
        elif kind == "error":  # e.g. overloaded_error inside the 200 stream
            raise midstream_error(self.label, self.model, data)
        return []


_SKIPPED = frozenset({"ping", "content_block_start", "content_block_stop"})
