"""Smooth typing (sidebar toggle, paced display) and the progress bar under a streaming answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from chat_core import StreamStatus
from chat_core.progress import AnswerProgress, ProgressEstimator
from tests.app.conftest import all_protos, messages, send
from tests.wire_server import WireServer
from ui.progress import ESTIMATOR, ProgressBar, progress_key
from ui.settings import DEFAULT_MAX_TOKENS, SMOOTH_TYPING


def smooth_toggle(at: AppTest) -> Any:
    return at.sidebar.toggle(key=f"w_{SMOOTH_TYPING}")


def progress_bars(at: AppTest) -> list[Any]:
    return [p for p in all_protos(at) if type(p).__name__ == "Progress"]


def turn_on_smooth_typing(at: AppTest) -> AppTest:
    smooth_toggle(at).set_value(True).run()
    assert not at.exception
    assert at.session_state[SMOOTH_TYPING] is True
    return at


def spy_on_trackers(estimator: ProgressEstimator) -> list[AnswerProgress]:
    """Records every tracker the page asks for (AppTest runs the script in this process)."""
    made: list[AnswerProgress] = []
    original = estimator.tracker

    def tracker(key: Any, max_tokens: int | None) -> AnswerProgress:
        made.append(original(key, max_tokens))
        return made[-1]

    estimator.tracker = tracker  # type: ignore[method-assign]
    return made


def test_the_toggle_is_off_by_default_and_survives_a_page_visit(
    app: Callable[..., AppTest],
) -> None:
    at = app().run()
    assert smooth_toggle(at).value is False
    turn_on_smooth_typing(at)
    at.switch_page("app_pages/metrics.py").run()
    assert not at.exception
    at.switch_page("app_pages/chat.py").run()
    assert not at.exception
    assert smooth_toggle(at).value is True
    assert at.session_state[SMOOTH_TYPING] is True


@pytest.mark.parametrize("chunks_per_s", ["0", "400"])
def test_smooth_typing_shows_the_whole_answer(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch, chunks_per_s: str
) -> None:
    monkeypatch.setenv("STREAMCHAT_DEMO_CHUNKS_PER_S", chunks_per_s)
    at = turn_on_smooth_typing(app().run())
    at = send(at, "hello")
    turn = at.session_state["conversation"].turns[-1]
    assert turn.status == StreamStatus.COMPLETE
    assert turn.content
    assert messages(at)[-1] == ("assistant", turn.content.strip("\n"))
    assert turn.metrics is not None and turn.metrics.char_count == len(turn.content)
    assert not progress_bars(at)


def test_smooth_and_plain_show_the_same_text(app: Callable[..., AppTest]) -> None:
    plain = send(app().run(), "hello")
    smooth = send(turn_on_smooth_typing(app().run()), "hello")
    assert messages(smooth) == messages(plain)


def test_complete_answers_teach_the_estimator(app: Callable[..., AppTest]) -> None:
    estimator = ProgressEstimator()
    made = spy_on_trackers(estimator)
    at = app(**{ESTIMATOR: estimator}).run()
    settings = at.session_state
    key = progress_key(settings["provider"], settings["model_demo"], settings["system"])

    at = send(at, "hello")
    first = at.session_state["conversation"].turns[-1]
    assert first.status == StreamStatus.COMPLETE
    assert at.session_state[ESTIMATOR] is estimator  # created once per session
    stats = estimator.stats(key)
    assert stats is not None and (stats.count, stats.total_chars) == (1, len(first.content))
    assert made[0].expected_chars == DEFAULT_MAX_TOKENS * 4  # nothing known yet: max tokens
    assert made[0].is_finished and made[0].value == 1.0

    at = turn_on_smooth_typing(at)
    at = send(at, "again")
    second = at.session_state["conversation"].turns[-1]
    assert second.status == StreamStatus.COMPLETE
    assert len(made) == 2
    assert made[1].expected_chars == len(first.content)  # the first answer's length
    stats = estimator.stats(key)
    assert stats is not None and stats.count == 2
    assert stats.total_chars == len(first.content) + len(second.content)
    assert not progress_bars(at)


@pytest.mark.parametrize("smooth", [False, True])
def test_a_failed_answer_records_nothing_and_leaves_no_bar(
    app: Callable[..., AppTest], openai_wire: WireServer, smooth: bool
) -> None:
    estimator = ProgressEstimator()
    made = spy_on_trackers(estimator)
    at = app(provider="openai", **{ESTIMATOR: estimator}).run()
    if smooth:
        turn_on_smooth_typing(at)
    at = send(at, "#wire:500:0")
    turn = at.session_state["conversation"].turns[-1]
    assert turn.status == StreamStatus.ERROR
    assert made and not made[0].is_finished  # never shown as complete
    settings = at.session_state
    key = progress_key("openai", settings["model_openai"], settings["system"])
    assert estimator.stats(key) is None
    assert not progress_bars(at)
    # A stream cut mid-way keeps what arrived, records nothing and leaves no bar either.
    at = send(at, "#wire:drop:5")
    turn = at.session_state["conversation"].turns[-1]
    assert turn.status == StreamStatus.ERROR and turn.content
    assert estimator.stats(key) is None
    assert not progress_bars(at)


class RecordingSlot:
    """Stands in for the bar's ``st.empty()`` slot: records what is drawn into it."""

    def __init__(self) -> None:
        self.drawn: list[str] = []

    def progress(self, value: float) -> None:
        self.drawn.append(f"{value:.2f}")

    def empty(self) -> None:
        self.drawn.append("gone")


def test_the_bar_shows_only_for_an_answer_still_streaming_after_half_a_second() -> None:
    now = [0.0]
    quick_slot, slow_slot = RecordingSlot(), RecordingSlot()
    quick = ProgressBar(quick_slot, ProgressEstimator().tracker("k", 100), clock=lambda: now[0])  # type: ignore[arg-type]
    slow = ProgressBar(slow_slot, ProgressEstimator().tracker("k", 100), clock=lambda: now[0])  # type: ignore[arg-type]
    quick.update(100)
    slow.update(100)
    now[0] = 0.3
    quick.finish()
    quick.clear()
    assert quick_slot.drawn == []  # a quick answer: no bar, no page updates for it
    now[0] = 0.6
    slow.update(200)
    slow.update(1000)  # too soon after the last update: two a second at most
    now[0] = 1.2
    slow.update(1000)
    slow.finish()  # 100 % is shown at once
    slow.clear()
    assert len(slow_slot.drawn) == 4
    assert slow_slot.drawn[0] < slow_slot.drawn[1] < "1.00" and slow_slot.drawn[2:] == [
        "1.00",
        "gone",
    ]
