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
from chat_core.provider_content import openai_message
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


class OpenAIProvider:
    """Streams ``/chat/completions`` with ``stream_options={"include_usage": True}``."""

    default_model = "gpt-4o-mini"

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
                "No OpenAI API key is configured. Add one in the sidebar, in "
                ".streamlit/secrets.toml (OPENAI_API_KEY) or in the environment.",
                provider=label,
            )
        # The SDK's own retries are off: the engine retries before the first token only and
        # tells the person while it waits.
        self._client = openai.OpenAI(
            api_key=api_key or "not-needed",
            base_url=base_url or None,
            max_retries=0,
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


class OpenAIUpstream(SSEUpstream):
    """Chat completion chunks: ``data: {chunk}`` lines, then ``data: [DONE]``."""

    def convert(self, sse: SSEEvent) -> list[UpstreamEvent] | None:
        if sse.data.startswith("[DONE]"):
            return END
        chunk = json.loads(sse.data)
        if not isinstance(chunk, dict):
            return []
        if chunk.get("error") or sse.event == "error":
            raise midstream_error(self.label, self.model, chunk)  # an error inside the 200 stream
        out: list[UpstreamEvent] = []
        usage = chunk.get("usage")
        if usage:
            out.append(UsageReport(usage.get("prompt_tokens"), usage.get("completion_tokens")))
        choices = chunk.get("choices")
        if choices:
            choice = choices[0]
            text = (choice.get("delta") or {}).get("content")
            if text:
                out.append(TextDelta(text))
            finish_reason = choice.get("finish_reason")
            if finish_reason is not None:
                out.append(
                    FinishReport(
                        finish_reason,
                        StreamStatus.LENGTH if finish_reason == "length" else StreamStatus.COMPLETE,
                    )
                )
        return out


def compatible_label(base_url: str | None) -> str:
    """ "Ollama at localhost:11434"-style label for an OpenAI-compatible base URL."""
    if not base_url:
        return "the OpenAI-compatible server"
    host = urlparse(base_url).netloc or base_url
    if host.endswith(":11434"):
        return f"Ollama at {host}"
    return f"the server at {host}"
