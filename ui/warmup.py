"""Pay the app's lazy imports once per server process, before the first answer, never during it.

In a fresh process the first answer would import its provider's SDK and HTTP transport, load
the price data and build its client (~1 s of CPU here), and the garbage collector would
rescan the millions of objects the imports left (GIL pauses of 0.2-0.3 s) while it streams
(docs/design.md §21). Two steps:

1. ``prepare_first_answer`` (``ui.session.end_run``: app.py, after the page is drawn, in the
   first full run of the process) does the answer's share in the script thread: imports,
   the price data, the provider's client, then ``gc.freeze()``. The page
   is already on screen. A prompt sent meanwhile waits for it: Streamlit starts the chat
   fragment's rerun only when the running full run has ended (docs/design.md §33), so an
   answer never streams while its own modules load.
2. A background thread then imports what the other providers and pages need (the other SDK,
   pandas and altair for the metrics page), one module at a time, and only while no answer
   has streamed for ``QUIET_S``: an import cannot be paused once started, and it would take
   the GIL from the answer's frames (the first answer after start was slower, issue 14).
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

_first_lock = threading.Lock()
_prepared = threading.Event()
done = threading.Event()
"""Set when both steps are finished (tests, benches)."""


def prepared() -> bool:
    """Whether step 1 has run in this process."""
    return _prepared.is_set()


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


def _freeze() -> None:
    # The imports leave a few million young objects. Without this, Python's first full
    # collections (each a GIL pause of 0.2-0.3 s here) came during the first long answer;
    # frozen, they are never scanned again (they live as long as the process anyway).
    gc.collect()
    gc.freeze()


def prepare_first_answer(provider: str, settings: ProviderSettings | None = None) -> None:
    """Step 1 for ``provider`` ("openai", "demo"…), in the calling (script) thread, once per
    process: later calls return at once, and a second session arriving meanwhile waits until
    it is done. Then starts step 2. ``settings`` (None: invalid, or a visitor's base URL whose
    client is not shared) give the client to build. Never raises: a warm-up must not break
    the page (a setting the provider refuses, such as a missing key, is reported when the
    person sends)."""
    if _prepared.is_set():
        return
    with _first_lock:
        if _prepared.is_set():
            return
        _warm_answer_path(provider, settings)
        _prepared.set()
    threading.Thread(
        target=_warm_later,
        args=(later_modules(provider),),
        name="streamchat-warmup",
        daemon=True,
    ).start()


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
        # The first prompt's run may start right after this one: step 2 waits QUIET_S too.
        _last_answer_end = time.monotonic()


def _warm_prices() -> None:
    try:
        importlib.import_module(PRICES_MODULE).warm()
    except Exception as exc:  # noqa: BLE001 - a warm-up must never break the app
        log.warning("warm-up: loading prices failed: %s", type(exc).__name__)


def _warm_later(names: list[str]) -> None:
    """Step 2 (a daemon thread)."""
    for name in names:
        _wait_for_quiet()
        _import(name)
    _wait_for_quiet()
    _freeze()
    done.set()
