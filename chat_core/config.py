"""Where keys and base URLs come from — the one place.

Order: explicit arguments (e.g. a key typed in the sidebar), then Streamlit secrets (passed
in as a mapping by the UI layer; chat_core never imports Streamlit), then the SDKs' own
environment variables. With no key anywhere, the demo provider is the default.

A configured key goes only to the configured base URL: a base URL given as an argument that
differs from the configured one (typed by a visitor) is used with the key given alongside it
or with none, never with the server's key (``resolve``).

Keys live only in ``ProviderSettings`` whose ``repr`` hides them; nothing here logs or
writes them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chat_core.errors import ConfigurationError
from chat_core.url_policy import check_base_url, check_public_url

PROVIDERS: tuple[str, ...] = ("demo", "openai", "anthropic", "openai-compatible")
PROVIDER_LABELS: dict[str, str] = {
    "demo": "Demo (offline)",
    "openai": "OpenAI",
    "anthropic": "Anthropic",
    "openai-compatible": "OpenAI-compatible",
}
KEY_VARS: dict[str, str] = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "openai-compatible": "OPENAI_COMPATIBLE_API_KEY",
}
BASE_URL_VARS: dict[str, str] = {
    "openai": "OPENAI_BASE_URL",
    "anthropic": "ANTHROPIC_BASE_URL",
    "openai-compatible": "OPENAI_COMPATIBLE_BASE_URL",
}
DEFAULT_COMPATIBLE_BASE_URL = "http://localhost:11434/v1"
MODELS: dict[str, tuple[str, ...]] = {
    "demo": ("demo-1", "demo-reasoning"),
    # The first is the default: a current model that streams with the app's defaults (no
    # temperature sent). gpt-4o-mini, the original default, stays while OpenAI serves it
    # (shutdown 2027-01-14, replacement gpt-6-luna: chat_core/models.py).
    "openai": ("gpt-6-luna", "gpt-6.1-terra", "gpt-6.1-sol", "gpt-5.5", "gpt-4o-mini"),
    # claude-sonnet-4-5, the original default, reaches end-of-life on 2026-11-30 (the
    # anthropic SDK's table); the built-in list drops it that day (models.current_models).
    "anthropic": (
        "claude-sonnet-5-5",
        "claude-haiku-5-5",
        "claude-opus-5-5",
        "claude-sonnet-4-6",
        "claude-haiku-4-5",
        "claude-sonnet-4-5",
    ),
    "openai-compatible": ("llama3.2", "qwen2.5", "mistral"),
}
"""Built-in suggestions per provider: the offline fallback when the provider does not list
its models (chat_core/model_list.py). Any other name may be typed."""
TEMPERATURE_RANGE: dict[str, tuple[float, float]] = {
    "openai": (0.0, 2.0),
    "openai-compatible": (0.0, 2.0),
    "anthropic": (0.0, 1.0),
    "demo": (0.0, 2.0),
}


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    provider: str
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    key_source: str | None = None
    """Where the key came from: "argument", "secrets", "environment" (never the key)."""
    custom_base_url: bool = False
    """The base URL came from the caller, not from the configuration (a visitor typed it):
    error messages from it must not reveal internal details."""
    public_only: bool = False
    """Connections for this custom base URL must reach public addresses."""


def _lookup(
    name: str, secrets: Mapping[str, Any] | None, environ: Mapping[str, str]
) -> tuple[str | None, str | None]:
    if secrets is not None:
        value = secrets.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip(), "secrets"
    value = environ.get(name)
    if value and value.strip():
        return value.strip(), "environment"
    return None, None


def resolve(
    provider: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    secrets: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
    trust_base_url: bool = False,
    private_urls: bool = True,
) -> ProviderSettings:
    """The settings for ``provider``.

    ``base_url`` (when it differs from the configured one) is a caller's own server: it gets
    only ``api_key``, not the configured key, unless ``trust_base_url`` (the caller owns the
    configuration, e.g. the terminal chat's ``--base-url``). With ``private_urls=False`` such
    a URL must point at public addresses (``url_policy.check_public_url``).

    Raises ``ConfigurationError`` for an unknown provider, a malformed base URL or a refused
    private address.
    """
    env = os.environ if environ is None else environ
    if provider not in PROVIDERS:
        raise ConfigurationError(
            f"Unknown provider '{provider}'. Choose one of: {', '.join(PROVIDERS)}."
        )
    if provider == "demo":
        return ProviderSettings("demo")
    typed_key = api_key.strip() if api_key and api_key.strip() else None
    configured_url, _ = _lookup(BASE_URL_VARS[provider], secrets, env)
    if configured_url is None and provider == "openai-compatible":
        configured_url = DEFAULT_COMPATIBLE_BASE_URL
    url = base_url.strip() if base_url and base_url.strip() else None
    custom = url is not None and not _same_url(url, configured_url)
    if custom and not trust_base_url:
        assert url is not None
        check_base_url(url)
        if not private_urls:
            check_public_url(url)
        return ProviderSettings(
            provider,
            typed_key,
            url,
            "argument" if typed_key else None,
            custom_base_url=True,
            public_only=not private_urls,
        )
    key: str | None = typed_key
    source: str | None = "argument" if typed_key else None
    if key is None:
        key, source = _lookup(KEY_VARS[provider], secrets, env)
    if custom:
        assert url is not None
        check_base_url(url)
        return ProviderSettings(provider, key, url, source)
    if configured_url is not None:
        try:
            check_base_url(configured_url)
        except ConfigurationError:
            # The operator's setting: name it, but do not show its value to API clients.
            raise ConfigurationError(
                f"The server's {BASE_URL_VARS[provider]} setting is not a valid URL; "
                "the operator must fix it."
            ) from None
    return ProviderSettings(provider, key, configured_url, source)


def _same_url(a: str, b: str | None) -> bool:
    return b is not None and a.rstrip("/") == b.strip().rstrip("/")


def has_key(
    provider: str,
    *,
    secrets: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> bool:
    if provider == "demo":
        return True
    if provider == "openai-compatible":
        env = os.environ if environ is None else environ
        return _lookup(BASE_URL_VARS[provider], secrets, env)[0] is not None
    return resolve(provider, secrets=secrets, environ=environ).api_key is not None


def default_provider(
    *, secrets: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> str:
    """The first provider with a configured key (OpenAI, Anthropic, compatible), else demo."""
    for name in ("openai", "anthropic", "openai-compatible"):
        if has_key(name, secrets=secrets, environ=environ):
            return name
    return "demo"


def check_temperature(provider: str, temperature: float | None, model: str | None = None) -> None:
    """Raise ``ConfigurationError`` for a temperature outside the model's range (the
    provider's when the model is unknown); see ``chat_core.models.check_temperature``."""
    from chat_core.models import check_temperature as check

    check(provider, temperature, model)


MAX_BACKGROUND_VAR = "STREAMCHAT_MAX_BACKGROUND_ANSWERS"
DEFAULT_MAX_BACKGROUND = 20


def max_background_answers(environ: Mapping[str, str] | None = None) -> int:
    """How many answers may keep running in one process after their page went away
    (``STREAMCHAT_MAX_BACKGROUND_ANSWERS``, default 20; 0 stops every answer whose page
    leaves). A value that is not a whole number ≥ 0 gives the default."""
    raw = (os.environ if environ is None else environ).get(MAX_BACKGROUND_VAR, "").strip()
    if raw.isdigit():
        return int(raw)
    return DEFAULT_MAX_BACKGROUND
