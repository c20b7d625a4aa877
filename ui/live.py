"""One answer streaming into the page: the chat page's answer and each compare column.

``AnswerLayout`` is the same set of elements while an answer streams and whenever it is
redrawn (docs/design.md §23): thinking, notice, body, footer. ``LiveAnswer`` draws a stream's
``Frame``s into it (chat_core/frames.py): reasoning into a collapsed "Thinking…" expander, the
answer as frozen blocks plus a live tail (``chat_core.render.BlockFeed``), retry notices, a
"Waiting for the first token…" hint, and optionally a live caption from the engine's
``metrics_snapshot()``. It only reads the stream and draws: the turn is written once, when the
answer is settled (ui/state.py, docs/design.md §29). ``drawn`` is what a Stop keeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from chat_core import ChatStream
from chat_core.conversation import Turn
from chat_core.frame_cost import FrameCost
from chat_core.frames import Frame
from chat_core.markdown import to_display
from chat_core.render import BlockFeed

WAITING_HINT_AFTER_S = 0.6
CAPTION_EVERY_S = 0.5
"""How often a streaming answer's live TTFT / speed caption is redrawn."""
STREAMING_BADGE = ":blue-badge[Streaming…]"


class AnswerLayout:
    """The children of an assistant answer, in every run that draws it."""

    def __init__(self, key: str) -> None:
        self.thinking = st.empty()
        self.notice = st.empty()
        self.body = st.container(key=key)
        self.footer = st.empty()


def show_thinking(slot: DeltaGenerator, reasoning: str, seconds: float | None) -> None:
    """A finished answer's reasoning: collapsed, "Thought for 4.2 s" (or "Thoughts")."""
    if not reasoning:
        return
    label = "Thoughts" if seconds is None else f"Thought for {seconds:.1f} s"
    with slot.container(), st.expander(label, icon=":material/psychology:"):
        st.markdown(to_display(reasoning))


def thinking_seconds(turn: Turn) -> float | None:
    """From the first thinking to the first answer text (the engine's metrics), if known."""
    metrics = turn.metrics
    if metrics is None or metrics.ttft_s is None:
        return None
    answer_s: float | None = getattr(metrics, "time_to_first_answer_token", None)
    if answer_s is None:
        return None
    return max(0.0, answer_s - metrics.ttft_s)


class LiveText:
    """The answer's streaming text: finished blocks stay in their own elements, only the tail
    element is redrawn (docs/design.md §19, §22-24)."""

    def __init__(self, container: DeltaGenerator, cost: FrameCost | None = None) -> None:
        self._container = container
        self._feed = BlockFeed(cost)
        self._tail: DeltaGenerator | None = None
        self._text = ""
        self._drawn = ""

    def feed(self, raw: str) -> None:
        self._apply(self._feed.feed(raw))

    def finish(self) -> None:
        self._apply(self._feed.finish())

    def _apply(self, segments: list[str]) -> None:
        if len(segments) > 1:
            # Cuts: the tail element takes every block finished in this feed and is final;
            # the live tail gets a new element (one per feed, not one per block).
            self._text += "".join(segments[:-1])
            self._draw()
            self._tail, self._text, self._drawn = None, "", ""
        self._text += segments[-1]
        self._draw()

    def _draw(self) -> None:
        if not self._text or self._text == self._drawn:
            return
        if self._tail is None:
            self._tail = self._container.empty()
        self._tail.markdown(self._text)
        self._drawn = self._text


class LiveAnswer:
    """Draws one streaming answer. Mutable; plain references only (no session state), so it
    keeps working up to the moment a Stop ends the run (docs/design.md §4)."""

    def __init__(
        self,
        layout: AnswerLayout,
        stream: ChatStream,
        *,
        cost: FrameCost | None = None,
        caption: bool = False,
        on_drawn: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.layout = layout
        self.stream = stream
        self._clock = clock
        self._started_s = clock()
        self._text = LiveText(layout.body.container(), cost)
        self._caption = caption
        self._caption_s = -1.0
        self._on_drawn = on_drawn
        self.drawn = 0
        """Raw characters of the answer drawn so far."""
        self._reasoning = ""
        self._thinking_body: DeltaGenerator | None = None
        self._thinking_s: tuple[float, float | None] | None = None
        self._notice: str | None = None
        self._hint = False

    def apply(self, frame: Frame, *, text: bool = True) -> None:
        """Draw a frame (``text=False``: its answer text is paced elsewhere, ``show_text``)."""
        now_s = self._clock()
        if frame.notices:
            self._notice = frame.notices[-1]
            self.layout.notice.info(self._notice, icon=":material/hourglass_top:")
        if frame.reasoning:
            self._think(frame.reasoning, now_s)
        if text and frame.text:
            self.show_text(frame.text)
        elif not frame.reasoning and not frame.notices and not frame.done:
            self.idle()
        self._live_caption(now_s, force=False)

    def show_text(self, raw: str) -> None:
        """Draw more answer text (from a frame, or paced by smooth typing)."""
        if not raw:
            return
        if self.drawn == 0:
            self._first_text()
        self._text.feed(raw)
        self.drawn += len(raw)
        if self._on_drawn is not None:
            self._on_drawn(self.drawn)

    def idle(self) -> None:
        """Nothing new: touch the page (a Stop is noticed only when the page is touched,
        docs/design.md §3) with what the wait is about."""
        waited_s = self._clock() - self._started_s
        if self.drawn == 0 and self._notice is not None:
            latest = self.stream.notice or self._notice
            self.layout.notice.info(latest, icon=":material/hourglass_top:")
        elif self.drawn == 0 and not self._reasoning and waited_s >= WAITING_HINT_AFTER_S:
            self.layout.notice.caption(
                f":material/hourglass_top: Waiting for the first token… {waited_s:.1f} s"
            )
            self._hint = True
        else:
            self.layout.notice.empty()
        self._live_caption(self._clock(), force=True)

    def catch_up_reasoning(self) -> None:
        """Draw reasoning that arrived meanwhile (for consumers that poll: smooth typing)."""
        reasoning = self.stream.reasoning
        if len(reasoning) > len(self._reasoning):
            self._think(reasoning[len(self._reasoning) :], self._clock())

    def finish(self, turn: Turn, *, draw_text: bool = True) -> None:
        """The answer has been settled into ``turn``: final text, thinking label, no notice
        (``draw_text=False``: drawing it failed, leave the text as it is)."""
        if draw_text:
            if turn.content[self.drawn :]:
                self.show_text(turn.content[self.drawn :])
            self._text.finish()
        self.layout.notice.empty()
        if self._reasoning or turn.reasoning:
            seconds = thinking_seconds(turn)
            if seconds is None and self._thinking_s is not None:
                start_s, end_s = self._thinking_s
                seconds = (end_s if end_s is not None else self._clock()) - start_s
            show_thinking(self.layout.thinking, turn.reasoning or self._reasoning, seconds)

    def _first_text(self) -> None:
        if self._notice is not None or self._hint:
            self.layout.notice.empty()
        self._notice, self._hint = None, False
        if self._thinking_s is not None and self._thinking_s[1] is None:
            self._thinking_s = (self._thinking_s[0], self._clock())
        self._caption_s = -1.0  # show the TTFT at once

    def _think(self, text: str, now_s: float) -> None:
        if self._thinking_body is None:
            if self._hint or self._notice is not None:
                self.layout.notice.empty()
                self._hint, self._notice = False, None
            self._thinking_s = (now_s, None)
            with self.layout.thinking.container():
                expander = st.expander("Thinking…", icon=":material/psychology:")
            self._thinking_body = expander.empty()
        self._reasoning += text
        self._thinking_body.markdown(to_display(self._reasoning))

    def _live_caption(self, now_s: float, *, force: bool) -> None:
        if not self._caption or (not force and now_s - self._caption_s < CAPTION_EVERY_S):
            return
        self._caption_s = now_s
        parts = [STREAMING_BADGE]
        metrics = self.stream.metrics_snapshot()
        if metrics is not None and metrics.ttft_s is not None:
            parts.append(f"TTFT {metrics.ttft_s:.2f} s")
            if metrics.streaming_s >= 0.2 and metrics.chars_per_s is not None:
                parts.append(f"{metrics.chars_per_s:,.0f} chars/s")
            parts.append(f"{metrics.char_count:,} chars")
        self.layout.footer.caption(" · ".join(parts))
