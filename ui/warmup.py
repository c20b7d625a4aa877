"""Pay the app's lazy imports once per server process, before the first answer, never during it.

In a fresh process the first answer would import its provider's SDK and HTTP transport, load
the price data and build its client (~1 s of CPU here), and the garbage collector would
rescan the millions of objects the imports left (GIL pauses of 0.2-0.3 s) while it streams
(docs/design.md §21, §31). Two steps, in one background thread per process:

1. The answer path: ``start`` (``ui.session.begin_run``, first thing in the first run) begins
   the imports, the price data, the provider's client, then ``gc.freeze()``, alongside the
   first page's run; ``wait_for_answer_path`` (``ui.session.end_run``, last thing in app.py,
   with the page drawn) holds that first run until they are done. A prompt sent meanwhile
   waits: Streamlit starts the chat fragment's rerun only when the full run has ended, so an
   answer never streams while its own modules load.
2. The rest (the other SDK; pandas and altair for the metrics page), one module at a time and
   only after ``QUIET_S`` without an answer streaming: an import cannot be paused once
   started, and it would take the GIL from the answer's frames and from the browser drawing
   them (the first answer after start was slower, issue 14).
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

PROVIDER_MODULES = {
    "openai": "chat_core.providers.openai",
    "openai-compatible": "chat_core.providers.openai",
    "anthropic": "chat_core.providers.anthropic",
}
TRANSPORT_MODULES = ("httpcore2", "trio")
"""What the SDKs' HTTP client imports on its first request (~0.1 s)."""
PRICES_MODULE = "chat_core.cost"
"""genai-prices loads its price data on the first lookup: every finished answer is priced
(``ui.state.settle``), so this is on the answer's path."""
LATER_MODULES = ("pandas", "pyarrow", "altair")
"""Only the metrics page needs these (its table and charts)."""
QUIET_S = 5.0
"""The background step imports only after this long without an answer streaming (covers the
answer's last frame, footer and caption, drawn after its stream ended)."""

WAIT_S = 30.0
"""The longest the first run waits for step 1 (it takes ~1 s of CPU)."""

_started = threading.Event()
_prepared = threading.Event()
done = threading.Event()
"""Set when both steps are finished (tests, benches)."""


def answer_modules(provider: str) -> list[str]:
    """What an answer with ``provider`` imports on its way: its SDK module and transport, and
    the price data (also for the demo: it is priced, to no cost)."""
    sdk = PROVIDER_MODULES.get(provider)
    return [*([sdk] if sdk else []), *TRANSPORT_MODULES, PRICES_MODULE]


def later_modules(provider: str) -> list[str]:
    """The rest, for the background step: the other providers' SDKs, then the metrics page's."""
    first = PROVIDER_MODULES.get(provider)
    others = [m for m in dict.fromkeys(PROVIDER_MODULES.values()) if m != first]
    return [*others, *LATER_MODULES]


_answering = 0
_last_answer_end = 0.0
_answering_lock = threading.Lock()


@contextlib.contextmanager
def answering() -> Iterator[None]:
    """Around an answer that streams: the background step holds back its imports meanwhile
    and for ``QUIET_S`` after (they would compete with the answer for the GIL)."""
    global _answering, _last_answer_end
    with _answering_lock:
        _answering += 1
    try:
        yield
    finally:
        with _answering_lock:
            _answering -= 1
            _last_answer_end = time.monotonic()


def _quiet() -> bool:
    with _answering_lock:
        return _answering == 0 and time.monotonic() - _last_answer_end >= QUIET_S


def _wait_for_quiet() -> None:
    while not _quiet():
        time.sleep(0.1)


def _import(name: str) -> None:
    try:
        importlib.import_module(name)
    except ImportError:
        log.info("warm-up: %s is not installed", name)
    except Exception as exc:  # noqa: BLE001 - a warm-up must never break the app
        log.warning("warm-up: importing %s failed: %s", name, type(exc).__name__)


def _freeze() -> None:
    # The imports leave a few million young objects. Without this, Python's first full
    # collections (each a GIL pause of 0.2-0.3 s here) came during the first long answer;
    # frozen, they are never scanned again (they live as long as the process anyway).
    gc.collect()
    gc.freeze()


def start(provider: str, settings: ProviderSettings | None = None) -> None:
    """Start both steps for ``provider`` ("openai", "demo"…) once per process (later calls
    return at once). ``settings`` (None: invalid, or a visitor's base URL whose client is not
    shared) give the client to build now; it is cached, the key stays in memory. Never raises:
    a warm-up must not break the page (a refused setting, such as a missing key, is reported
    when the person sends)."""
    if _started.is_set():
        return
    _started.set()
    threading.Thread(
        target=_warm, args=(provider, settings), name="streamchat-warmup", daemon=True
    ).start()


def started() -> bool:
    return _started.is_set()


def wait_for_answer_path(timeout_s: float = WAIT_S) -> bool:
    """Block until step 1 is done (True), at most ``timeout_s`` (then False: a stuck warm-up
    must not hold the page for ever)."""
    return _prepared.wait(timeout_s)


def _warm(provider: str, settings: ProviderSettings | None) -> None:
    try:
        _warm_answer_path(provider, settings)
    except Exception as exc:  # noqa: BLE001 - a warm-up must never break the app
        log.warning("warm-up failed: %s", type(exc).__name__)
    _prepared.set()  # also after a failure: the first run must not wait for nothing
    _warm_later(later_modules(provider))


def _warm_answer_path(provider: str, settings: ProviderSettings | None) -> None:
    global _last_answer_end
    for name in answer_modules(provider):
        _import(name)
    _warm_prices()
    if settings is not None:
        try:
            # The client the first answer will use, built now. Its first request then costs
            # ~5 ms more than later ones (measured), so no throwaway request is made.
            prepare(settings)
        except Exception as exc:  # noqa: BLE001 - a warm-up must never break the app
            log.warning("warm-up: preparing %s failed: %s", provider, type(exc).__name__)
    _freeze()
    with _answering_lock:
        # The first prompt's run may start as soon as the first run ends: step 2 waits too.
        _last_answer_end = time.monotonic()


def _warm_prices() -> None:
    try:
        importlib.import_module(PRICES_MODULE).warm()
    except Exception as exc:  # noqa: BLE001 - a warm-up must never break the app
        log.warning("warm-up: loading prices failed: %s", type(exc).__name__)


def _warm_later(names: list[str]) -> None:
    """Step 2."""
    for name in names:
        _wait_for_quiet()
        _import(name)
    _wait_for_quiet()
    _freeze()
    done.set()
