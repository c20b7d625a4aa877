"""Errors from a server whose base URL a visitor typed, told without the server's details.

A visitor's base URL makes *this* server connect somewhere. Its error messages must not turn
the app into a probe (which internal port answers, with what status, what its body says), so
every error from such a provider becomes one of a few fixed messages that name only the kind
of problem and the host the visitor typed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from chat_core import errors as e
from chat_core.providers._abort import PrivatePeerRefused, public_peers_only
from chat_core.providers.base import Provider, Upstream
from chat_core.types import ChatRequest, UpstreamEvent
from chat_core.url_policy import PRIVATE_REFUSED

_MESSAGES: dict[str, str] = {
    "authentication": "{label} rejected the API key you entered.",
    "permission": "{label} refused the request for this key or model.",
    "model_not_found": "{label} does not offer the model '{model}'.",
    "context_too_long": "The conversation is too long for '{model}' at {label}.",
    "rate_limited": "{label} is limiting requests — try again in a moment.",
    "timeout": "{label} did not answer in time.",
    "interrupted": "The connection to {label} dropped — the text received so far is kept.",
}
_OTHER = "Could not get an answer from {label}. Check the base URL, the model and the key."


def guarded_error(error: e.ChatError, *, label: str, model: str) -> e.ChatError:
    """``error`` with its message replaced by a fixed one for its kind (no status, no body
    text, no address); kind and ``retryable`` are kept."""
    template = _MESSAGES.get(error.kind, _OTHER)
    cls = type(error) if error.kind in _MESSAGES else e.ConnectionFailed
    return cls(
        template.format(label=label, model=model[:100]),
        provider=label,
        retryable=error.retryable,
        retry_after_s=error.retry_after_s,
    )


class GuardedProvider:
    """Wraps a provider; every ``ChatError`` it or its upstream raises goes through
    ``guarded_error``."""

    def __init__(self, inner: Provider, *, public_only: bool = False) -> None:
        self._inner = inner
        self._public_only = public_only
        self.name = inner.name
        self.label = inner.label
        self.default_model = inner.default_model

    def open(self, request: ChatRequest) -> Upstream:
        """Open the inner provider's request; with ``public_only`` its connections must reach
        public addresses (checked on the socket, so a DNS answer that changed since the base
        URL was checked does not matter)."""
        guard = public_peers_only() if self._public_only else contextlib.nullcontext()
        try:
            with guard:
                upstream = self._inner.open(request)
        except e.ChatError as exc:
            raise guarded_error(exc, label=self.label, model=request.model) from None
        except PrivatePeerRefused:
            raise e.ConfigurationError(PRIVATE_REFUSED, provider=self.label) from None
        return _GuardedUpstream(upstream, self.label, request.model)


class _GuardedUpstream:
    def __init__(self, inner: Upstream, label: str, model: str) -> None:
        self._inner = inner
        self._label = label
        self._model = model

    def __iter__(self) -> Iterator[UpstreamEvent]:
        try:
            yield from self._inner
        except e.ChatError as exc:
            raise guarded_error(exc, label=self._label, model=self._model) from None

    def close(self) -> None:
        self._inner.close()
