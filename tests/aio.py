"""Run a coroutine to completion from a test, whatever the calling thread is doing.

Playwright's sync API keeps an event loop running in the main thread while the session's
browser is open, so ``asyncio.run`` there raises "cannot be called from a running event
loop". A fresh thread has no loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout_s: float = 30.0) -> T:
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = asyncio.run(coro)
        except Exception as exc:  # noqa: BLE001 - re-raised in the test thread below
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="test-asyncio", daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():
        raise TimeoutError(f"coroutine still running after {timeout_s} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]
