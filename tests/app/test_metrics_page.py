"""The metrics page: one row per answer with the answer's own numbers, charts, medians, CSV."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from chat_core.config import MODELS
from tests.app.conftest import send
from tests.wire_server import WireServer


def test_one_row_per_answer_with_the_right_values(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = send(app().run(), "first")
    at = send(at, "#wire:drop:5")
    at = send(at, "third")
    answers = at.session_state["answers"]
    at.switch_page("app_pages/metrics.py").run()
    assert not at.exception

    table = at.dataframe[0].value
    assert list(table["#"]) == [1, 2, 3]
    assert list(table["status"]) == ["complete", "error", "complete"]
    assert set(table["provider"]) == {"OpenAI"}
    assert set(table["model"]) == {MODELS["openai"][0]}
    for row, turn in zip(table.to_dict("records"), answers, strict=True):
        m = turn.metrics
        assert row["TTFT (s)"] == pytest.approx(m.ttft_s)
        # When the answer itself started (after any thinking); the same as TTFT here.
        first_answer = getattr(m, "time_to_first_answer_token", m.ttft_s)
        assert row["first answer token (s)"] == pytest.approx(first_answer)
        assert row["total (s)"] == pytest.approx(m.total_s)
        assert row["streaming (s)"] == pytest.approx(m.streaming_s)
        assert row["chunks"] == m.chunk_count
        assert row["chars"] == m.char_count == len(turn.content)
    first = table.to_dict("records")[0]
    assert first["tokens out"] == answers[0].metrics.output_tokens
    assert first["tokens in"] == answers[0].metrics.input_tokens
    if answers[0].metrics.rate_shown:
        assert first["tokens/s"] == pytest.approx(answers[0].metrics.tokens_per_s)
    else:  # too short an answer for a rate (MIN_RATE_WINDOW_S): left blank
        assert pd.isna(first["tokens/s"])

    assert len(at.get("vega_lite_chart")) == 3  # TTFT, speed, timeline
    medians = at.dataframe[1].value
    assert medians.to_dict("records")[0]["answers"] == 3
    assert at.selectbox(key="timeline_answer").value == 3
    assert any("TTFT" in c.value for c in at.caption)


def test_answers_removed_from_the_chat_stay_on_the_metrics_page(
    app: Callable[..., AppTest],
) -> None:
    at = send(app().run(), "hello")
    at.button(key="regenerate").click().run()
    at.button(key="new_chat").click().run()
    at.switch_page("app_pages/metrics.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) == 2
    assert list(table["model"]) == ["demo-1", "demo-1"]


def test_a_failed_request_without_an_answer_gets_no_row(app: Callable[..., AppTest]) -> None:
    at = send(app(provider="openai").run(), "no key here")  # refused before any request
    at.switch_page("app_pages/metrics.py").run()
    assert "No answers yet" in at.info[0].value


def test_the_timeline_of_a_chosen_answer(app: Callable[..., AppTest]) -> None:
    at = send(app().run(), "one")
    at = send(at, "two")
    at.switch_page("app_pages/metrics.py").run()
    at.selectbox(key="timeline_answer").select(1).run()
    assert not at.exception
    assert at.selectbox(key="timeline_answer").value == 1


def test_every_seconds_column_shows_milliseconds_like_ttft() -> None:
    """The table showed "first answer token (s)" as 0.3507 beside TTFT 0.351."""
    from app_pages.metrics import NUMBER_FORMATS
    from ui.metrics_view import COLUMNS

    seconds = [c for c in COLUMNS if c.endswith("(s)")]
    assert seconds and all(c in NUMBER_FORMATS for c in seconds)
    assert {NUMBER_FORMATS[c]["type_config"]["format"] for c in seconds} == {"%.3f"}
