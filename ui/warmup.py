"""Pay Streamlit's and the SDKs' lazy imports once per server process, off the request path.

The first ``st.chat_message``/``st.write_stream`` in a fresh process imports pandas, pyarrow
and numpy (~0.3 s here), and the first OpenAI/Anthropic answer imports its SDK (docs/design.md
§21). Importing them in a background thread when the app is first loaded means the first
answer's time to first token measures the model, not Python's import system.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import logging
import threading
import time
from collections.abc import Iterator

from chat_core.config import ProviderSettings
from chat_core.providers import prepare

log = logging.getLogger(__name__)

STREAM_MODULES = ("pandas", "pyarrow", "streamlit.elements.write")
"""What Streamlit's data elements (and ``st.write_stream``) import on first use."""
PROVIDER_MODULES = {
    "openai": "chat_core.providers.openai",
    "openai-compatible": "chat_core.providers.openai",
    "anthropic": "chat_core.providers.anthropic",
}
TRANSPORT_MODULES = ("httpcore2", "trio")
"""What the SDKs' HTTP client imports on its first request (~0.1 s)."""
PRICES_MODULE = "chat_core.cost"
"""genai-prices loads its price data on the first lookup (~1.1 s): warmed with ``warm()``
before the first answer is priced (issue 13)."""
LATER_MODULES = ("altair",)
"""Only the metrics page needs these."""

_started = threading.Event()
done = threading.Event()


def modules_for(provider: str) -> list[str]:
    """Import order: the current provider's SDK and its transport (the first answer needs
    them), then Streamlit's data modules, the other SDKs, then what other pages use."""
    first = PROVIDER_MODULES.get(provider)
    sdks = [first] if first else []
    others = [m for m in dict.fromkeys(PROVIDER_MODULES.values()) if m != first]
    return [*sdks, *TRANSPORT_MODULES, *STREAM_MODULES, *others, PRICES_MODULE, *LATER_MODULES]


_answering = 0
_answering_lock = threading.Lock()


@contextlib.contextmanager
def answering() -> Iterator[None]:
    """Around an answer that streams: the warm-up holds back its imports meanwhile (they would
    compete with the answer for the GIL, so the first answer after start was slower)."""
    global _answering
    with _answering_lock:
        _answering += 1
    try:
        yield
    finally:
        with _answering_lock:
            _answering -= 1


def _wait_for_answers() -> None:
    while _answering > 0:
        time.sleep(0.05)


def _warm(names: list[str], settings: ProviderSettings) -> None:
    sdk = PROVIDER_MODULES.get(settings.provider)
    for name in names:
        _wait_for_answers()
        try:
            importlib.import_module(name)
        except ImportError:
            log.info("warm-up: %s is not installed", name)
        if name == PRICES_MODULE:
            try:
                importlib.import_module(name).warm()
            except Exception as exc:  # noqa: BLE001 - a warm-up must never break the app
                log.warning("warm-up: loading prices failed: %s", type(exc).__name__)
        if name == sdk:
            try:
                prepare(settings)  # the client the first answer will use, built now
            except Exception as exc:  # noqa: BLE001 - a warm-up must never break the app
                log.warning(
                    "warm-up: preparing %s failed: %s", settings.provider, type(exc).__name__
                )
    _wait_for_answers()
    # The imports above leave a few million young objects. Without this, Python's first full
    # collections (each a GIL pause of 0.2-0.3 s here) came during the first long answer;
    # frozen, they are never scanned again (they live as long as the process anyway).
    gc.collect()
    gc.freeze()
    done.set()


def start(settings: ProviderSettings | None = None) -> None:
    """Start the warm-up once per process (idempotent, returns at once), for the provider
    the first session starts on (its client is built and cached, the key stays in memory)."""
    if _started.is_set():
        return
    _started.set()
    settings = settings or ProviderSettings("demo")
    threading.Thread(
        target=_warm,
        args=(modules_for(settings.provider), settings),
        name="streamchat-warmup",
        daemon=True,
    ).start()
