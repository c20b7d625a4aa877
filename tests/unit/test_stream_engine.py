"""The stream engine against a scripted in-process provider (no network, fake clock): chunks,
metrics, cancel, errors and retries."""

from __future__ import annotations

import threading

import pytest

from chat_core.errors import AuthenticationFailed, RateLimited, StreamInterrupted
from chat_core.stream import RetryPolicy, StreamResult
from chat_core.types import (
    FinishReport,
    StreamStatus,
    TextDelta,
    UsageReport,
)
from tests.unit.scripted import (
    ScriptedProvider,
    Step,
    make,
    text_steps,
)


def test_chunks_arrive_in_order_and_result_is_complete() -> None:
    provider = ScriptedProvider(
        [
            Step(UsageReport(input_tokens=12)),
            *text_steps("Hel", "lo ", "world"),
            Step(UsageReport(output_tokens=3)),
            Step(FinishReport()),
        ]
    )
    stream = make(provider)
    assert list(stream) == ["Hel", "lo ", "world"]
    result = stream.wait()
    assert result.text == "Hello world"
    assert result.status is StreamStatus.COMPLETE
    assert result.error is None
    assert (result.metrics.input_tokens, result.metrics.output_tokens) == (12, 3)


def test_metrics_follow_the_clock() -> None:
    provider = ScriptedProvider(
        [Step(TextDelta("ab"), advance_s=0.5), Step(TextDelta("cdef"), advance_s=1.5)]
    )
    stream = make(provider)
    result = stream.wait()
    m = result.metrics
    assert m.ttft_s == pytest.approx(0.5)
    assert m.total_s == pytest.approx(2.0)
    assert m.streaming_s == pytest.approx(1.5)
    assert (m.chunk_count, m.char_count) == (2, 6)
    assert m.chars_per_s == pytest.approx(4.0)
    assert [(a.offset_s, a.chars) for a in m.timeline] == [
        (pytest.approx(0.5), 2),
        (pytest.approx(2.0), 4),
    ]
    assert m.started_at == 1.7e9


def test_usage_not_sent_is_none_not_zero() -> None:
    stream = make(ScriptedProvider(text_steps("x")))
    metrics = stream.wait().metrics
    assert metrics.input_tokens is None and metrics.output_tokens is None
    assert metrics.tokens_per_s is None
    d = metrics.to_dict()
    assert list(d)[:6] == [
        "total_time",
        "time_to_first_token",
        "streaming_time",
        "chunk_count",
        "char_count",
        "chars_per_second",
    ]
    assert d["input_tokens"] is None


def test_cut_off_by_max_tokens_is_reported() -> None:
    stream = make(
        ScriptedProvider(
            [*text_steps("partial"), Step(FinishReport("length", StreamStatus.LENGTH))]
        )
    )
    assert stream.wait().status is StreamStatus.LENGTH


def test_cancel_mid_stream_closes_upstream_and_keeps_partial() -> None:
    gate = threading.Event()
    provider = ScriptedProvider([*text_steps("one ", "two "), Step(TextDelta("never"), gate=gate)])
    stream = make(provider)
    it = iter(stream)
    assert next(it) == "one "
    assert next(it) == "two "
    stream.cancel()
    gate.set()
    result = stream.wait(5)
    assert result.status is StreamStatus.STOPPED
    assert result.text == "one two "
    assert result.error is None
    assert provider.opened[0].closed.is_set()
    stream.cancel()
    stream.close()  # idempotent


def test_abandoning_iteration_closes_upstream() -> None:
    gate = threading.Event()
    provider = ScriptedProvider([*text_steps("a", "b"), Step(TextDelta("c"), gate=gate)])
    stream = make(provider)
    for chunk in stream:
        if chunk == "b":
            break
    gate.set()
    assert stream.wait(5).status is StreamStatus.STOPPED
    assert provider.opened[0].closed.is_set()


def test_error_after_text_keeps_partial_and_reports_error_once() -> None:
    boom = StreamInterrupted("The connection dropped mid-answer", provider="Fake", retryable=True)
    provider = ScriptedProvider([*text_steps("kept "), Step(boom)])
    completes: list[StreamResult] = []
    errors: list[tuple[Exception, StreamResult]] = []
    stream = make(
        provider, on_complete=completes.append, on_error=lambda e, r: errors.append((e, r))
    )
    result = stream.wait()
    assert result.status is StreamStatus.ERROR
    assert result.text == "kept "
    assert result.error is boom
    assert completes == []
    assert len(errors) == 1 and errors[0][1] is result
    assert len(provider.opened) == 1, "never retried after text arrived"


def test_callbacks_fire_once_per_token_and_once_at_completion() -> None:
    tokens: list[str] = []
    completes: list[StreamResult] = []
    stream = make(
        ScriptedProvider(text_steps("a", "b", "c")),
        on_token=tokens.append,
        on_complete=completes.append,
    )
    result = stream.wait()
    stream.close()
    stream.cancel()
    assert tokens == ["a", "b", "c"]
    assert completes == [result]


def test_retryable_error_before_first_token_is_retried_with_notice() -> None:
    limited = RateLimited(
        "Rate limited by Fake — try again in 0 s.",
        provider="Fake",
        retryable=True,
        retry_after_s=0.0,
    )
    provider = ScriptedProvider(limited, text_steps("ok"))
    notices: list[str] = []
    stream = make(provider, on_notice=notices.append, retry=RetryPolicy(max_retries=2))
    result = stream.wait(5)
    assert result.status is StreamStatus.COMPLETE and result.text == "ok"
    assert notices == ["Rate limited by Fake — retrying in 0.0 s"]


def test_retry_gives_up_after_the_bound() -> None:
    def limited() -> RateLimited:
        return RateLimited(
            "Rate limited by Fake — try again in 0 s.",
            provider="Fake",
            retryable=True,
            retry_after_s=0.0,
        )

    provider = ScriptedProvider(limited(), limited(), limited(), text_steps("never"))
    stream = make(provider, retry=RetryPolicy(max_retries=2))
    result = stream.wait(5)
    assert result.status is StreamStatus.ERROR
    assert isinstance(result.error, RateLimited)


def test_long_retry_after_is_not_waited_for() -> None:
    limited = RateLimited(
        "Rate limited by Fake — try again in 90 s.",
        provider="Fake",
        retryable=True,
        retry_after_s=90,
    )
    stream = make(ScriptedProvider(limited, text_steps("never")), retry=RetryPolicy(max_wait_s=20))
    result = stream.wait(5)
    assert result.status is StreamStatus.ERROR
    assert "90 s" in result.error.user_message  # type: ignore[union-attr]


def test_non_retryable_error_is_not_retried() -> None:
    auth = AuthenticationFailed("Fake rejected the API key.", provider="Fake", status=401)
    provider = ScriptedProvider(auth, text_steps("never"))
    result = make(provider).wait(5)
    assert result.error is auth
    assert len(provider.attempts) == 1


def test_unexpected_exception_becomes_a_plain_error() -> None:
    provider = ScriptedProvider([*text_steps("half "), Step(KeyError("choices"))])
    result = make(provider).wait(5)
    assert result.status is StreamStatus.ERROR
    assert result.text == "half "
    assert "Something went wrong" in result.error.user_message  # type: ignore[union-attr]
