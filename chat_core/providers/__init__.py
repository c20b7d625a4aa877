"""Provider registry: ``make_provider`` turns settings into a ``Provider``."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Hashable, MutableMapping

from chat_core.config import ProviderSettings
from chat_core.errors import ConfigurationError
from chat_core.providers.base import Provider, Upstream
from chat_core.providers.demo import DemoProvider
from chat_core.providers.guarded import GuardedProvider


def make_provider(
    settings: ProviderSettings, *, session_cache: MutableMapping[Hashable, Provider] | None = None
) -> Provider:
    """The provider for these settings; raises ``ConfigurationError`` (e.g. no key) in plain
    words.

    Providers for the configured keys are reused for equal settings, so answers share the SDK's
    connection pool (no new TLS handshake per answer) and its client is built once. A key given
    as an argument (typed in the sidebar) is never cached here: the process-wide cache would
    keep it after the browser session ended; pass that session's own ``session_cache`` (a
    dict in its session state, gone with the session) to reuse its client across answers. A
    base URL typed by a visitor gets a provider whose errors reveal nothing about the server it
    reached (``GuardedProvider``).
    """
    if settings.provider == "demo":
        return DemoProvider.from_env()
    if settings.key_source == "argument" or settings.custom_base_url:
        slot = (
            settings.provider,
            _digest(settings.api_key),
            settings.base_url,
            settings.public_only,
        )
        cached = session_cache.get(slot) if session_cache is not None else None
        if cached is not None:
            return cached
        provider: Provider = _build(settings.provider, settings.api_key, settings.base_url)
        if settings.custom_base_url:
            provider = GuardedProvider(provider, public_only=settings.public_only)
        if session_cache is not None:
            session_cache[slot] = provider
        return provider
    return _sdk_provider(settings.provider, settings.api_key, settings.base_url)


def _digest(key: str | None) -> str | None:
    return None if key is None else hashlib.sha256(key.encode()).hexdigest()


@functools.lru_cache(maxsize=16)
def _sdk_provider(name: str, api_key: str | None, base_url: str | None) -> Provider:
    return _build(name, api_key, base_url)


def _build(name: str, api_key: str | None, base_url: str | None) -> Provider:
    settings = ProviderSettings(name, api_key, base_url)
    if settings.provider == "openai":
        from chat_core.providers.openai import OpenAIProvider

        return OpenAIProvider(settings.api_key, settings.base_url)
    if settings.provider == "openai-compatible":
        from chat_core.providers.openai import OpenAIProvider, compatible_label

        return OpenAIProvider(
            settings.api_key,
            settings.base_url,
            name="openai-compatible",
            label=compatible_label(settings.base_url),
            compatible=True,
        )
    if settings.provider == "anthropic":
        from chat_core.providers.anthropic import AnthropicProvider

        return AnthropicProvider(settings.api_key, settings.base_url)
    raise ConfigurationError(f"Unknown provider '{settings.provider}'.")


def prepare(settings: ProviderSettings) -> None:
    """Build (and cache) the provider for ``settings`` and load what its SDK otherwise loads
    on the first request (the client's TLS setup, the chat resource's modules and models:
    ~80 ms here), so the first answer does not pay for it. A setting the provider refuses
    (no key) is ignored here; it is reported when the person sends."""
    try:
        provider = make_provider(settings)
    except ConfigurationError:
        return
    warm = getattr(provider, "warm", None)
    if callable(warm):
        warm()


__all__ = ["DemoProvider", "Provider", "Upstream", "make_provider", "prepare"]
