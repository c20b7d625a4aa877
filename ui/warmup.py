"""Pay Streamlit's and the SDKs' lazy imports once per server process, off the request path.

The first ``st.chat_message``/``st.write_stream`` in a fresh process imports pandas, pyarrow
and numpy (~0.3 s here), and the first OpenAI/Anthropic answer imports its SDK (STREAMLIT_NOTES
21). Importing them in a background thread when the app is first loaded means the first
answer's time to first token measures the model, not Python's import system.
"""

from __future__ import annotations

import importlib
import logging
import threading

log = logging.getLogger(__name__)

MODULES = (
    "pandas",
    "pyarrow",
    "altair",
    "streamlit.elements.write",
    "chat_core.providers.openai",
    "chat_core.providers.anthropic",
)

_started = threading.Event()
done = threading.Event()


def _warm() -> None:
    for name in MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            log.info("warm-up: %s is not installed", name)
    done.set()


def start() -> None:
    """Start the warm-up once per process (idempotent, returns at once)."""
    if _started.is_set():
        return
    _started.set()
    threading.Thread(target=_warm, name="streamchat-warmup", daemon=True).start()
