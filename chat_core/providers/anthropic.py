"""Anthropic messages streaming: ``client.messages.create(..., stream=True)``, its SSE events
read from the response (chat_core/sse_decode.py) rather than as SDK objects."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import anthropic
from anthropic import Stream

from chat_core import errors as e
from chat_core.providers._http import (
    body_error,
    interrupt_response,
    midstream_error,
    status_error,
    transport_error,
)
from chat_core.sse_decode import decode_events
from chat_core.types import ChatRequest, FinishReport, TextDelta, UpstreamEvent, UsageReport

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
        self._client = anthropic.Anthropic(api_key=api_key, base_url=base_url or None, max_retries=0)

    def warm(self) -> None:
        """Create the client's messages resource, which imports its modules on first use."""
        _ = self._client.messages

    def open(self, request: ChatRequest) -> AnthropicUpstream:
        # The history goes in as ready JSON (extra_body replaces the empty list): the SDK's
        # type-driven transform of ``messages`` walks every message, ~0.1 ms each.
        body: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in request.messages]
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
            raise _status_error(exc, request.model) from exc
        except Exception as exc:  # connection refused, timeouts: the SDK or raw httpx2
            raise transport_error(exc, provider=self.label, base_url=self._base_url, started=False) from exc
        return AnthropicUpstream(stream, request.model, self._base_url)


def _status_error(exc: anthropic.APIStatusError, model: str) -> e.ChatError:
    message, code = body_error(exc.body)
    return status_error(
        exc.status_code,
        provider=AnthropicProvider.label,
        model=model,
        detail=message,
        code=code,
        headers=exc.response.headers,
    )


class AnthropicUpstream:
    def __init__(self, stream: Stream[Any], model: str, base_url: str | None) -> None:
        self._stream = stream
        self._model = model
        self._base_url = base_url
        self._closed = threading.Event()
        self._read_all = False

    def __iter__(self) -> Iterator[UpstreamEvent]:
        """The events the chat needs, read from the response's SSE lines (the SDK's stream
        helpers build a model per event and a message snapshot on top; ~6x the CPU)."""
        label = AnthropicProvider.label
        started = False
        try:
            events = decode_events(self._stream.response.iter_lines())
            for sse in events:
                kind = sse.event
                if kind == "ping" or kind == "content_block_stop" or kind == "content_block_start":
                    continue
                data = json.loads(sse.data)
                if not isinstance(data, dict):
                    continue
                kind = kind or data.get("type")
                if kind == "content_block_delta":
                    delta = data.get("delta") or {}
                    if delta.get("type") == "text_delta" and delta.get("text"):
                        started = True
                        yield TextDelta(delta["text"])
                elif kind == "message_start":
                    usage = (data.get("message") or {}).get("usage") or {}
                    yield UsageReport(input_tokens=usage.get("input_tokens"))
                elif kind == "message_delta":
                    yield UsageReport(output_tokens=(data.get("usage") or {}).get("output_tokens"))
                    stop_reason = (data.get("delta") or {}).get("stop_reason")
                    if stop_reason is not None:
                        yield FinishReport(cut_off=stop_reason == "max_tokens")
                elif kind == "message_stop":
                    break
                elif kind == "error":  # e.g. overloaded_error inside the 200 stream
                    raise midstream_error(label, self._model, data)
            for _ in events:  # the rest of the body (normally nothing): read to the end, the
                pass  # connection goes back to the pool instead of being shut down in close()
            self._read_all = True
        except e.ChatError:
            raise
        except Exception as exc:  # drops, timeouts, garbled JSON (raw httpx2 or json errors)
            if self._closed.is_set():
                return
            raise transport_error(exc, provider=label, base_url=self._base_url, started=started) from exc

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            if not self._read_all:  # stopped early: wake a blocked read, drop the connection
                interrupt_response(self._stream.response)
            self._stream.close()
