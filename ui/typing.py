"""Smooth typing: an answer's text paced by ``chat_core.pacing.Pacer`` instead of shown in the
bursts it arrives in.

``typed_frames`` polls the ``ChatStream`` without blocking on every tick, hands what
*arrived* to ``on_text`` at once (so the caller's copy of the answer always holds everything
received, even when a Stop ends the run while the display lags behind) and yields the paced
text for the renderer. A tick that shows nothing calls ``on_idle`` (at most every ``idle_s``),
and a new retry notice goes to ``on_notice``: the same hooks as ``ChatStream.frames``, which
is what lets Streamlit notice a Stop while nothing is drawn (docs/design.md §3).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from chat_core import ChatStream
from chat_core.pacing import Pacer, paced

TICK_S = 0.05
"""One paced frame per tick at most (docs/design.md §25: shorter ticks cost more than they
smooth)."""


def typed_frames(
    stream: ChatStream,
    *,
    on_text: Callable[[str], None],
    on_notice: Callable[[str], None],
    on_idle: Callable[[], None],
    idle_s: float = 0.25,
    tick_s: float = TICK_S,
    pacer: Pacer | None = None,
    clock: Callable[[], float] = time.perf_counter,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[str]:
    """Paced text of ``stream``; concatenates to exactly what the stream delivered."""
    index = 0
    notice: str | None = None
    touched_at = clock()  # last time the page was touched (a yield, a notice or on_idle)
    yielded = False

    def poll() -> tuple[str, bool]:
        nonlocal index, notice, touched_at
        chunks, ended = stream.poll(index)
        index += len(chunks)
        text = "".join(chunks)
        if text:
            on_text(text)
        latest = stream.notice
        if latest is not None and latest != notice:
            notice = latest
            on_notice(latest)
            touched_at = clock()
        return text, ended

    def tick(seconds: float) -> None:
        nonlocal yielded, touched_at
        if not yielded and clock() - touched_at >= idle_s:
            on_idle()
            touched_at = clock()
        yielded = False
        sleep(seconds)

    for shown in paced(
        poll, pacer if pacer is not None else Pacer(clock), sleep=tick, tick_s=tick_s
    ):
        yield shown
        yielded = True
        touched_at = clock()
