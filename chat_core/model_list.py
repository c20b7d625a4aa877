"""The models a provider offers, from its ``GET /v1/models``, cached off the page's hot path.

OpenAI, Anthropic and OpenAI-compatible servers (Ollama, vLLM, LM Studio, LiteLLM all serve
``/v1/models``) are asked through their SDK's ``models.list()``. Listings are cached per
(provider, base URL, key digest) for ``TTL_S``; a failed listing for ``ERROR_TTL_S``. The key
digest is an HMAC with a per-process random salt, so the cache never holds a key, nor a
value that identifies one outside this process; the key itself lives only in the fetching
thread for the duration of one request (its SDK client is dropped afterwards; the HTTP
connection pool they share holds no key: the SDKs send it per request).

A page never waits for a slow server: ``ModelCatalog.lookup`` starts the fetch in a thread,
waits at most ``wait_s`` for it (0.3 s from the sidebar) and otherwise returns at once with
``pending=True``; a later run finds the result in the cache. Built-in suggestions
(``chat_core.config.MODELS``) are the fallback, and any name may still be typed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import httpx2

from chat_core.config import MODELS, PROVIDER_LABELS, ProviderSettings
from chat_core.models import current_models, learn

TTL_S = 300.0
ERROR_TTL_S = 30.0
FETCH_TIMEOUT_S = 5.0
_SALT = os.urandom(16)

_NOT_CHAT = (
    "embedding",
    "whisper",
    "tts",
    "dall-e",
    "davinci",
    "babbage",
    "moderation",
    "transcribe",
    "realtime",
    "audio",
    "image",
    "sora",
    "search",
    "computer-use",
)
"""Parts of OpenAI model ids that are not chat-completion models (OpenAI's own list only;
a compatible server's list is shown as it is)."""


@dataclass(frozen=True, slots=True)
class ListedModel:
    """One model as the provider listed it. ``end_of_life``: OpenAI ``shutdown_date`` /
    Anthropic ``retires_at``; ``retired``: Anthropic ``lifecycle == "retired"``;
    ``max_output_tokens`` / ``thinking``: Anthropic ``max_tokens`` and
    ``capabilities.thinking.types.enabled`` (None when not reported)."""

    id: str
    end_of_life: dt.date | None = None
    retired: bool = False
    max_output_tokens: int | None = None
    thinking: bool | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """The catalog's answer: ``models`` is None until a listing succeeded; ``error`` says in
    plain words why the last one failed; ``pending`` means a fetch is still running."""

    models: tuple[ListedModel, ...] | None = None
    error: str | None = None
    pending: bool = False


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _supported(obj: Any, *path: str) -> bool | None:
    for name in path:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    value = getattr(obj, "supported", None)
    return value if isinstance(value, bool) else None


_http_lock = threading.Lock()
_http: httpx2.Client | None = None


def _shared_http() -> httpx2.Client:
    """One connection pool for every listing: a new SDK client builds its own TLS context,
    ~60-150 ms here, vs ~3-6 ms for a listing that reuses this one (local server)."""
    global _http
    with _http_lock:
        if _http is None:
            _http = httpx2.Client(timeout=FETCH_TIMEOUT_S)
        return _http


def fetch_models(
    settings: ProviderSettings, timeout_s: float = FETCH_TIMEOUT_S
) -> tuple[ListedModel, ...]:
    """The provider's models, newest first, via its SDK (no retries). Raises whatever the SDK
    raises; ``ModelCatalog`` turns that into a short message."""
    if settings.provider == "anthropic":
        import anthropic

        client = anthropic.Anthropic(
            api_key=settings.api_key,
            base_url=settings.base_url or None,
            max_retries=0,
            timeout=timeout_s,
            http_client=_shared_http(),
        )
        page = client.models.list(limit=1000)
        return tuple(
            ListedModel(
                m.id,
                end_of_life=_date(getattr(m, "retires_at", None)),
                retired=getattr(m, "lifecycle", None) == "retired",
                max_output_tokens=getattr(m, "max_tokens", None),
                thinking=_supported(m, "capabilities", "thinking", "types", "enabled"),
            )
            for m in page.data
        )
    import openai

    oa_client = openai.OpenAI(
        api_key=settings.api_key or "not-needed",
        base_url=settings.base_url or None,
        max_retries=0,
        timeout=timeout_s,
        http_client=_shared_http(),
    )
    data = list(oa_client.models.list().data)
    data.sort(key=lambda m: -int(getattr(m, "created", 0) or 0))
    listed = (ListedModel(m.id, end_of_life=_date(getattr(m, "shutdown_date", None))) for m in data)
    if settings.provider == "openai":
        return tuple(m for m in listed if not any(part in m.id for part in _NOT_CHAT))
    return tuple(listed)


def describe_failure(exc: Exception, label: str) -> str:
    """Why a listing failed, without the provider's message (it may quote the key)."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        if status in (401, 403):
            text = f"{label} refused the key when listing models ({status})."
        elif status == 404:
            text = f"{label} does not list models at this base URL (404)."
        else:
            text = f"{label} could not list its models ({status})."
    elif "timeout" in type(exc).__name__.lower():
        text = f"{label} did not list its models in time."
    else:
        text = f"Could not reach {label} to list its models."
    return text[0].upper() + text[1:]


def cache_key(settings: ProviderSettings) -> tuple[str, str, str]:
    """(provider, base URL, HMAC-SHA256 of the key with a per-process salt)."""
    key = (settings.api_key or "").encode()
    digest = hmac.new(_SALT, key, hashlib.sha256).hexdigest()[:32]
    return settings.provider, settings.base_url or "", digest


@dataclass(slots=True)
class _Entry:
    listing: Listing
    expires_at: float
    done: threading.Event


class ModelCatalog:
    """A cache of provider model listings, safe to use from many sessions' threads.

    Mutable: holds the entries and their fetch threads."""

    def __init__(
        self,
        fetch: Callable[[ProviderSettings], Sequence[ListedModel]] = fetch_models,
        *,
        ttl_s: float = TTL_S,
        error_ttl_s: float = ERROR_TTL_S,
    ) -> None:
        self._fetch = fetch
        self._ttl_s = ttl_s
        self._error_ttl_s = error_ttl_s
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str, str], _Entry] = {}

    def lookup(self, settings: ProviderSettings, *, wait_s: float = 0.0) -> Listing:
        """The cached listing for ``settings``; starts a fetch when there is none or it has
        expired, and waits at most ``wait_s`` for it. Never raises; the demo has no list."""
        if settings.provider == "demo":
            return Listing(models=tuple(ListedModel(m) for m in MODELS["demo"]))
        key = cache_key(settings)
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            stale = entry is not None and entry.done.is_set() and now >= entry.expires_at
            if entry is None or stale:
                previous = entry.listing if entry is not None else Listing()
                entry = _Entry(
                    Listing(previous.models, previous.error, True), float("inf"), threading.Event()
                )
                self._entries[key] = entry
                thread = threading.Thread(
                    target=self._run, args=(key, entry, settings), name="model-list", daemon=True
                )
                thread.start()
        if wait_s > 0:
            entry.done.wait(wait_s)
        return entry.listing

    def _run(self, key: tuple[str, str, str], entry: _Entry, settings: ProviderSettings) -> None:
        label = PROVIDER_LABELS.get(settings.provider, settings.provider)
        if settings.provider == "openai-compatible":
            label = f"the server at {urlparse(settings.base_url or '').netloc or settings.base_url}"
        try:
            listing = Listing(models=tuple(self._fetch(settings)))
            ttl = self._ttl_s
            if settings.provider in ("openai", "anthropic"):  # a proxy's names prove nothing
                for m in listing.models or ():
                    learn(
                        m.id,
                        end_of_life=m.end_of_life,
                        max_output_tokens=m.max_output_tokens,
                        thinking=m.thinking,
                    )
        except Exception as exc:  # noqa: BLE001 (any failure only means "use the built-in list")
            listing = Listing(entry.listing.models, describe_failure(exc, label))
            ttl = self._error_ttl_s
        with self._lock:
            entry.listing = listing
            entry.expires_at = time.monotonic() + ttl
        entry.done.set()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


CATALOG = ModelCatalog()
"""The process-wide catalog the app and the terminal chat share."""


def model_options(
    provider: str,
    listing: Listing,
    current: str = "",
    today: dt.date | None = None,
) -> list[str]:
    """Names for the model picker: the built-in suggestions the provider lists, then the
    rest of its list (what it lists, it serves: a past ``retires_at`` on a listed model means
    retirement is overdue, not done; only ``lifecycle == "retired"`` is left out). While it
    has not listed: the built-in suggestions not past their end-of-life date. ``current`` is
    kept at the end so a typed name is not lost."""
    day = today or dt.date.today()
    builtin = list(current_models(MODELS.get(provider, ()), day))
    if listing.models is None:
        options = builtin
    else:
        live = [m.id for m in listing.models if not m.retired]
        options = [m for m in builtin if m in live] + [m for m in live if m not in builtin]
        options = options or builtin
    if current and current not in options:
        options.append(current)
    return options


def listed(listing: Listing, model: str) -> ListedModel | None:
    """What the provider's listing says about ``model``, if it listed it."""
    for m in listing.models or ():
        if m.id == model:
            return m
    return None
