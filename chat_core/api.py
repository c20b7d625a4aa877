"""The convenience functions the README documents, on top of the engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chat_core.config import resolve
from chat_core.models import fit_request
from chat_core.providers import make_provider
from chat_core.providers.base import Provider
from chat_core.stream import (
    DEFAULT_RETRY,
    ChatStream,
    ErrorCallback,
    ResultCallback,
    RetryPolicy,
    StreamResult,
    TokenCallback,
)
from chat_core.types import ChatRequest, Message

DEFAULT_SYSTEM_PROMPT = "You are a helpful assistant."


def start_chat(
    messages: str | Sequence[Message],
    *,
    provider: Provider | str = "demo",
    model: str | None = None,
    system: str | None = DEFAULT_SYSTEM_PROMPT,
    temperature: float | None = None,
    max_tokens: int | None = None,
    reasoning_effort: str | None = None,
    thinking_budget_tokens: int | None = None,
    timeout_s: float = 60.0,
    api_key: str | None = None,
    base_url: str | None = None,
    secrets: Mapping[str, Any] | None = None,
    retry: RetryPolicy = DEFAULT_RETRY,
    on_token: TokenCallback | None = None,
    on_complete: ResultCallback | None = None,
    on_error: ErrorCallback | None = None,
) -> ChatStream:
    """A (not yet started) ``ChatStream`` for a prompt or a message list.

    ``provider`` is a registry name (keys resolved by ``chat_core.config``) or a provider
    object. Only what the model accepts is sent (``chat_core.models.fit_request``: e.g. no
    temperature for a reasoning model). Raises ``ChatError`` for configuration problems (no
    key, bad base URL, temperature out of the model's range).
    """
    chosen = (
        make_provider(resolve(provider, api_key=api_key, base_url=base_url, secrets=secrets))
        if isinstance(provider, str)
        else provider
    )
    history = (Message("user", messages),) if isinstance(messages, str) else tuple(messages)
    name = model or chosen.default_model
    params = fit_request(
        chosen.name,
        name,
        temperature=temperature,
        max_tokens=max_tokens,
        reasoning_effort=reasoning_effort,
        thinking_budget_tokens=thinking_budget_tokens,
    )
    request = ChatRequest(
        messages=history,
        model=name,
        system=system,
        temperature=params.temperature,
        max_tokens=params.max_tokens,
        timeout_s=timeout_s,
        reasoning_effort=params.reasoning_effort,
        thinking_budget_tokens=params.thinking_budget_tokens,
    )
    return ChatStream(
        chosen,
        request,
        retry=retry,
        on_token=on_token,
        on_complete=on_complete,
        on_error=on_error,
    )


def stream_with_callbacks(
    prompt: str,
    on_token: TokenCallback,
    on_complete: ResultCallback,
    on_error: ErrorCallback,
    **options: Any,
) -> StreamResult:
    """The callback API: blocks until the answer ends; exactly one of
    ``on_complete`` / ``on_error`` is called. ``options`` as for ``start_chat``."""
    with start_chat(
        prompt, on_token=on_token, on_complete=on_complete, on_error=on_error, **options
    ) as stream:
        return stream.wait()


def measure_streaming(prompt: str, **options: Any) -> dict[str, Any]:
    """``measure_streaming``: stream one answer and return its metrics dict
    (``total_time``, ``time_to_first_token``, ``streaming_time``, ``chunk_count``,
    ``char_count``, ``chars_per_second``, then tokens, provider, model, status)."""
    with start_chat(prompt, **options) as stream:
        for _ in stream:
            pass
        return stream.wait().metrics.to_dict()
