"""A rate (tokens/s, chars/s) is shown only for an answer that streamed at least
``MIN_RATE_WINDOW_S``: 3 tokens arriving within 2 ms are not "1500 tokens/s"."""

from __future__ import annotations

from chat_core.cli import format_metrics
from chat_core.merge import fastest_throughput
from chat_core.metrics import MIN_RATE_WINDOW_S, StreamMetrics
from chat_core.stream import StreamResult
from chat_core.types import StreamStatus
from ui.messages import metrics_parts


def metrics(streaming_s: float, output_tokens: int, chars: int = 12) -> StreamMetrics:
    return StreamMetrics(
        provider="openai",
        model="gpt-test",
        status=StreamStatus.COMPLETE,
        started_at=1.7e9,
        total_s=0.3 + streaming_s,
        ttft_s=0.3,
        streaming_s=streaming_s,
        chunk_count=3,
        char_count=chars,
        input_tokens=5,
        output_tokens=output_tokens,
    )


def test_a_tiny_answer_shows_no_tokens_per_second() -> None:
    tiny = metrics(0.002, 3)  # 1500 tokens/s by arithmetic
    assert tiny.tokens_per_s == 1500.0  # the data keeps it
    assert not tiny.rate_shown
    assert not any("/s" in part for part in metrics_parts(tiny))
    assert "n/a tokens/s" in format_metrics(tiny) and "n/a chars/s" in format_metrics(tiny)


def test_nineteen_tokens_in_ten_ms_are_no_rate_either() -> None:
    assert not metrics(0.010, 19).rate_shown


def test_an_answer_streaming_a_quarter_second_shows_its_rate() -> None:
    answer = metrics(MIN_RATE_WINDOW_S, 10)
    assert answer.rate_shown
    assert "40 tokens/s" in metrics_parts(answer)
    assert "40.0 tokens/s" in format_metrics(answer)


def test_a_too_short_answer_is_not_the_fastest() -> None:
    results = {
        "tiny": StreamResult("hi", StreamStatus.COMPLETE, None, metrics(0.002, 3)),
        "real": StreamResult("x" * 200, StreamStatus.COMPLETE, None, metrics(2.0, 100)),
    }
    assert fastest_throughput(results) == "real"
    assert fastest_throughput({"tiny": results["tiny"]}) is None
