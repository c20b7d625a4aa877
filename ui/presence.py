"""Whether this page's browser is still there: a person's interruption and a page that went
away both stop the run the same way (docs/design.md §32), and only the first may cancel an
answer that can go on in the background (chat_core/running.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

from streamlit import runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

GRACE_S = 0.04
"""A closing websocket stops the run a moment before its session leaves the active ones."""


def session_alive() -> Callable[[], bool]:
    """A function telling whether this session's browser is still connected (call it from
    ``finally``: it holds plain references, no session state). Outside a server (``AppTest``,
    bare mode) the session always counts as there, so every interruption cancels."""
    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return lambda: True
    instance, session_id = runtime.get_instance(), ctx.session_id

    def alive() -> bool:
        deadline = time.monotonic() + GRACE_S
        while instance.is_active_session(session_id):
            if time.monotonic() >= deadline:
                return True
            time.sleep(0.01)
        return False

    return alive
