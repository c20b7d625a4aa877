"""How long to wait before the next frame of a streaming answer, from what a frame costs.

Each frame re-sends the live tail block of the answer (chat_core/blocks.py) plus ~120 bytes of
websocket and element overhead, and costs the browser a render pass however little it adds
(docs/design.md §25). A fixed clock sends a long table or code block again every 100 ms for a
few new characters. ``FrameCost`` waits until a frame would carry enough new text to be worth
it, ``new >= (tail + overhead) / (max_ratio - 1)`` (so a frame's bytes stay within
``max_ratio`` times its new text), at the current arrival rate, between ``floor_s`` and
``cap_s``: the first frames of each block still go out every ``floor_s``, a long block's
updates slow down to ``cap_s``, and the end of the answer is never held back (the stream's
last frame goes out when it ends).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(slots=True)
class FrameCost:
    """Mutable, one answer. ``tail_chars`` is kept up to date by ``render.BlockFeed``; call
    ``sent`` for every frame; pass ``interval`` to ``ChatStream.frames``."""

    floor_s: float = 0.1
    cap_s: float = 0.25
    overhead_chars: int = 120
    max_ratio: float = 3.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    tail_chars: int = 0
    """Characters the live tail element shows now."""
    _rate: float = 0.0
    """Characters per second arriving, smoothed over recent frames."""
    _last_s: float | None = None

    def sent(self, chars: int) -> None:
        """A frame of ``chars`` new characters went out now."""
        now = self.clock()
        if self._last_s is not None and now > self._last_s:
            rate = chars / (now - self._last_s)
            self._rate = rate if self._rate == 0 else 0.5 * self._rate + 0.5 * rate
        self._last_s = now

    def interval(self) -> float:
        """Seconds from the last frame to the next one."""
        if self._rate <= 0:
            return self.floor_s
        wanted = (self.tail_chars + self.overhead_chars) / (self.max_ratio - 1)
        return min(max(wanted / self._rate, self.floor_s), self.cap_s)
