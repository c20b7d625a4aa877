"""The progress bar under a streaming answer: the session's ``ProgressEstimator`` and a thin
``st.progress`` in a slot of the assistant message.

The estimator lives in session state (one per session, created once) and learns the final
length of every *complete* answer per (provider, model, system prompt). ``stream_answer``
takes a plain reference to it before streaming (docs/design.md §4): ``ProgressBar`` itself
never touches session state, only its slot, and only when the shown percentage changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from chat_core.progress import AnswerProgress, ProgressEstimator

ESTIMATOR = "progress_estimator"


def estimator() -> ProgressEstimator:
    """The session's estimator (created on first use)."""
    if ESTIMATOR not in st.session_state:
        st.session_state[ESTIMATOR] = ProgressEstimator()
    found: ProgressEstimator = st.session_state[ESTIMATOR]
    return found


def progress_key(provider: str, model: str, system: str) -> Hashable:
    """Answers are expected to be about as long as earlier ones for the same key."""
    return (provider, model, system.strip())


SHOW_AFTER_S = 0.5
"""A bar only for answers still streaming after half a second: a quick answer does not flash
one, and its page gets no updates that would only be taken away again."""


STEP_PERCENT = 4
MIN_GAP_S = 0.5
"""At most two bar updates a second (each is a websocket message and a render pass)."""


class ProgressBar:
    """One answer's bar. Draws into ``slot`` only when its step of ``STEP_PERCENT`` changes and
    at most every ``MIN_GAP_S`` (100 % at once), so it costs the page a few small updates;
    nothing at all for an answer that ends within ``show_after_s``."""

    def __init__(
        self,
        slot: DeltaGenerator,
        tracker: AnswerProgress,
        *,
        show_after_s: float = SHOW_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._slot = slot
        self._tracker = tracker
        self._shown: int | None = None
        self._drawn_at = 0.0
        self._clock = clock
        self._show_at = clock() + show_after_s

    @property
    def value(self) -> float:
        return self._tracker.value

    @property
    def expected_chars(self) -> float:
        return self._tracker.expected_chars

    def update(self, chars_so_far: int) -> None:
        """The answer has ``chars_so_far`` characters: below 100 % until ``finish``."""
        self._draw(self._tracker.update(chars_so_far))

    def finish(self) -> None:
        """The answer is complete: 100 %."""
        self._draw(self._tracker.finished())

    def clear(self) -> None:
        """The answer ended (any way): the bar goes away."""
        if self._shown is not None:
            self._slot.empty()
        self._shown = None

    def _draw(self, value: float) -> None:
        # Steps of STEP_PERCENT: a thin bar looks the same, and a long answer sends the page
        # 25 updates for it instead of 100 (~0.1x the text in websocket bytes at 8,000 chunks).
        percent = 100 if value >= 1.0 else int(value * 100) // STEP_PERCENT * STEP_PERCENT
        now = self._clock()
        if self._shown is None and now < self._show_at:
            return
        if self._shown is not None and percent < 100 and now - self._drawn_at < MIN_GAP_S:
            return
        if percent != self._shown:
            self._shown = percent
            self._drawn_at = now
            self._slot.progress(min(max(value, 0.0), 1.0))
