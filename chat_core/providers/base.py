"""The provider seam: every provider turns a ``ChatRequest`` into an ``Upstream``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from chat_core.types import ChatRequest, UpstreamEvent


class Upstream(Protocol):
    """One open answer from a provider.

    Iterating yields events as they arrive and raises only ``ChatError``. The last event is a
    ``FinishReport`` saying how the answer ended (its status: complete, length, filtered,
    interrupted when the body ended without the provider's end marker, other); an upstream
    that ends without one (the demo, test doubles) is taken as complete. ``close()`` may be
    called from any thread, more than once; it releases the HTTP response so the provider
    stops generating, and makes a blocked iteration end (with a ``ChatError`` or quietly).
    """

    def __iter__(self) -> Iterator[UpstreamEvent]: ...

    def close(self) -> None: ...


class Provider(Protocol):
    name: str
    """Registry name: "demo", "openai", "anthropic", "openai-compatible"."""
    label: str
    """For people: "OpenAI", "Anthropic", "Demo", "Ollama at localhost:11434"."""
    default_model: str

    def open(self, request: ChatRequest) -> Upstream:
        """Send the request; raise ``ChatError`` if it is refused before any text."""
        ...
