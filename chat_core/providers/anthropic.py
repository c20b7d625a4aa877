"""Anthropic messages streaming via ``client.messages.stream(...)``."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import anthropic
from anthropic.lib.streaming import MessageStream, MessageStreamManager

from chat_core import errors as e
from chat_core.providers._http import (
    body_error,
    interrupt_response,
    midstream_error,
    status_error,
    transport_error,
)
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
        kwargs: dict[str, Any] = {
            "model": request.model,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "timeout": request.timeout_s,
        }
        if request.system:
            kwargs["system"] = request.system
        if request.temperature is not None:
            # anthropic>=1 dropped sampling parameters from the method signatures (newer models
            # ignore or refuse them); the API still reads them from the body.
            kwargs["extra_body"] = {"temperature": request.temperature}
        manager = self._client.messages.stream(**kwargs)
        try:
            stream = manager.__enter__()
        except anthropic.APIStatusError as exc:
            raise _status_error(exc, request.model) from exc
        except Exception as exc:  # connection refused, timeouts: the SDK or raw httpx2
            raise transport_error(exc, provider=self.label, base_url=self._base_url, started=False) from exc
        return AnthropicUpstream(manager, stream, request.model, self._base_url)


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
    def __init__(
        self,
        manager: MessageStreamManager[Any],
        stream: MessageStream[Any],
        model: str,
        base_url: str | None,
    ) -> None:
        self._manager = manager
        self._stream = stream
        self._model = model
        self._base_url = base_url
        self._closed = threading.Event()

    def __iter__(self) -> Iterator[UpstreamEvent]:
        label = AnthropicProvider.label
        started = False
        try:
            for event in self._stream:
                if event.type == "content_block_delta":
                    if event.delta.type == "text_delta" and event.delta.text:
                        started = True
                        yield TextDelta(event.delta.text)
                elif event.type == "message_start":
                    yield UsageReport(input_tokens=event.message.usage.input_tokens)
                elif event.type == "message_delta":
                    yield UsageReport(output_tokens=event.usage.output_tokens)
                    if event.delta.stop_reason is not None:
                        yield FinishReport(cut_off=event.delta.stop_reason == "max_tokens")
        except anthropic.APIStatusError as exc:
            if self._closed.is_set():
                return
            # ``event: error`` inside a 200 stream arrives as a status error carrying status 200.
            if exc.status_code == 200:
                raise midstream_error(label, self._model, exc.body) from exc
            raise _status_error(exc, self._model) from exc
        except Exception as exc:  # anthropic 2.x raises raw httpx2 errors on a dropped stream
            if self._closed.is_set():
                return
            raise transport_error(exc, provider=label, base_url=self._base_url, started=started) from exc

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            interrupt_response(self._stream.response)
            self._stream.close()
