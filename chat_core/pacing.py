"""Smooth typing: show a bursty stream at an even pace, never far behind it: ``Pacer``.

Providers deliver text unevenly: one token every few ms, or a few hundred characters every
half second with pauses in between. ``Pacer`` spreads each arrival over the time the next one
is expected to take (a running average of the gaps between arrivals), so the text types out
at an even rate instead of jumping. Two bounds hold however the text arrives:

- every character is shown at most ``max_lag_s`` after it arrived;
- after ``end()`` everything is shown at most ``finish_within_s`` later.

Each arrival gets a due time (arrival + expected gap, within those bounds); ``take()`` moves
the shown position at the lowest constant rate that still meets every due time. The pacer is
pure (no threads, no sleeping): the clock is injected, and ``paced`` drives it from a
non-blocking source, e.g. ``ChatStream.poll`` (ui/typing.py).
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass

__all__ = ["Clock", "Pacer", "Poll", "paced"]

Clock = Callable[[], float]
Poll = Callable[[], tuple[str, bool]]
"""Non-blocking source: returns ``(text that arrived since the last call, stream ended)``."""


@dataclass(frozen=True, slots=True)
class _Due:
    """Characters up to ``count`` must be shown by ``due_at``; they arrived at ``arrived_at``."""

    count: int
    arrived_at: float
    due_at: float


class Pacer:
    """Decides how much of the received text to show at each moment. Mutable, one answer.

    Not thread-safe: call ``push``/``end``/``take`` from one thread (``paced`` does).
    ``take()`` returns the characters to show now; everything ``take`` ever returned
    concatenates to everything pushed, in order.
    """

    def __init__(
        self,
        clock: Clock = time.perf_counter,
        max_lag_s: float = 1.0,
        finish_within_s: float = 0.3,
        *,
        initial_gap_s: float = 0.1,
        min_spread_s: float = 0.05,
        spread_factor: float = 1.2,
        batch_gap_s: float = 0.02,
        gap_weight: float = 0.3,
    ) -> None:
        """``initial_gap_s``: assumed gap before two arrivals were seen. An arrival is spread
        over ``spread_factor`` times the expected gap (a little more than 1 bridges a late
        arrival without a pause), at least ``min_spread_s``. Arrivals closer than ``batch_gap_s`` count as
        one batch (a burst of small chunks); ``gap_weight`` weights the newest gap in the
        running average.
        """
        if not 0 < min_spread_s <= max_lag_s:
            raise ValueError("need 0 < min_spread_s <= max_lag_s")
        if finish_within_s < 0 or not 0 < gap_weight <= 1:
            raise ValueError("need finish_within_s >= 0 and 0 < gap_weight <= 1")
        self._clock = clock
        self._max_lag_s = max_lag_s
        self._finish_within_s = finish_within_s
        self._min_spread_s = min_spread_s
        self._spread_factor = spread_factor
        self._batch_gap_s = batch_gap_s
        self._gap_weight = gap_weight
        self._gap_s = initial_gap_s
        self._gap_measured = False
        self._unshown = ""
        self._received = 0
        self._shown = 0
        self._position = 0.0
        """Shown position including the fraction of a character not shown yet."""
        self._dues: deque[_Due] = deque()
        self._last_arrival_at: float | None = None
        self._last_take_at: float | None = None
        self._ended_at: float | None = None

    @property
    def ended(self) -> bool:
        return self._ended_at is not None

    @property
    def done(self) -> bool:
        """``end()`` was called and every received character has been taken."""
        return self._ended_at is not None and self._shown == self._received

    @property
    def backlog(self) -> int:
        """Characters received but not shown yet."""
        return self._received - self._shown

    @property
    def expected_gap_s(self) -> float:
        """Current estimate of the time between two arrivals."""
        return self._gap_s

    def push(self, text: str) -> None:
        """Text arrived now."""
        if self._ended_at is not None:
            raise RuntimeError("push() after end()")
        if not text:
            return
        now = self._clock()
        previous = self._last_arrival_at
        self._last_arrival_at = now
        if previous is not None and now - previous >= self._batch_gap_s:
            if self._gap_measured:
                self._gap_s += self._gap_weight * ((now - previous) - self._gap_s)
            else:
                self._gap_s = now - previous
                self._gap_measured = True
        self._unshown += text
        self._received += len(text)
        if self._dues and now - self._dues[-1].arrived_at < self._batch_gap_s:
            last = self._dues.pop()
            self._dues.append(_Due(self._received, last.arrived_at, last.due_at))
            return
        spread = min(max(self._gap_s * self._spread_factor, self._min_spread_s), self._max_lag_s)
        self._dues.append(_Due(self._received, now, now + spread))

    def end(self) -> None:
        """The stream ended: show the rest within ``finish_within_s``. Idempotent."""
        if self._ended_at is not None:
            return
        self._ended_at = self._clock()
        finish_at = self._ended_at + self._finish_within_s
        self._dues = deque(
            _Due(due.count, due.arrived_at, min(due.due_at, finish_at)) for due in self._dues
        )

    def take(self) -> str:
        """The characters to show now (possibly ``""``)."""
        now = self._clock()
        since = self._last_take_at
        self._last_take_at = now
        position = self._position
        target = position
        for due in self._dues:
            if now >= due.due_at:
                target = max(target, float(due.count))
                continue
            start = due.arrived_at if since is None else max(since, due.arrived_at)
            if now > start:
                progress = (now - start) / (due.due_at - start)
                target = max(target, position + (due.count - position) * progress)
        self._position = min(target, float(self._received))
        while self._dues and self._dues[0].count <= self._position:
            self._dues.popleft()
        count = math.floor(self._position) - self._shown
        if count <= 0:
            return ""
        shown, self._unshown = self._unshown[:count], self._unshown[count:]
        self._shown += count
        return shown


def paced(
    poll: Poll,
    pacer: Pacer,
    *,
    sleep: Callable[[float], None] = time.sleep,
    tick_s: float = 0.05,
) -> Iterator[str]:
    """Yield paced text from a non-blocking ``poll`` until its stream ended and all is shown.

    Suits ``st.write_stream(paced(...))``: one piece per tick at most. Each yield is a
    websocket frame (~120 B, ~11 ms of browser work: docs/design.md §25), so ticks shorter
    than ~50 ms cost more than they smooth.
    """
    while True:
        text, ended = poll()
        if text:
            pacer.push(text)
        if ended:
            pacer.end()
        shown = pacer.take()
        if shown:
            yield shown
        if pacer.done:
            return
        sleep(tick_s)
