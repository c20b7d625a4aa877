"""The stream engine against a scripted in-process provider (no network, fake clock)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from chat_core.errors import AuthenticationFailed, RateLimited, StreamInterrupted
from chat_core.stream import ChatStream, RetryPolicy, StreamResult
from chat_core.types import (
    ChatRequest,
    FinishReport,
    Message,
    StreamStatus,
    TextDelta,
    UpstreamEvent,
    UsageReport,
)
from tests import aio

REQUEST = ChatRequest(messages=(Message("user", "hi"),), model="m")


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Step:
    """One scripted upstream event; ``advance_s`` moves the fake clock before it."""

    event: UpstreamEvent | Exception | None
    advance_s: float = 0.0
    gate: threading.Event | None = None


@dataclass
class ScriptedUpstream:
    steps: list[Step]
    clock: FakeClock
    closed: threading.Event = field(default_factory=threading.Event)
    close_calls: int = 0

    def __iter__(self) -> Iterator[UpstreamEvent]:
        for step in self.steps:
            if step.gate is not None:
                step.gate.wait(5)
            if self.closed.is_set():
                raise StreamInterrupted("dropped", provider="Fake", retryable=True)
            self.clock.now += step.advance_s
            if isinstance(step.event, Exception):
                raise step.event
            if step.event is not None:
                yield step.event

    def close(self) -> None:
        self.close_calls += 1
        self.closed.set()


class ScriptedProvider:
    name = "fake"
    label = "Fake"
    default_model = "m"

    def __init__(self, *attempts: list[Step] | Exception, clock: FakeClock | None = None) -> None:
        self.attempts = list(attempts)
        self.clock = clock or FakeClock()
        self.opened: list[ScriptedUpstream] = []

    def open(self, request: ChatRequest) -> ScriptedUpstream:
        attempt = self.attempts.pop(0)
        if isinstance(attempt, Exception):
            raise attempt
        upstream = ScriptedUpstream(attempt, self.clock)
        self.opened.append(upstream)
        return upstream


def text_steps(*pieces: str, every_s: float = 0.1) -> list[Step]:
    return [Step(TextDelta(p), advance_s=every_s) for p in pieces]


def make(provider: ScriptedProvider, **kwargs: object) -> ChatStream:
    return ChatStream(provider, REQUEST, clock=provider.clock, wall_clock=lambda: 1.7e9, **kwargs)  # type: ignore[arg-type]


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


def test_frames_concatenate_to_the_exact_text_and_are_bounded() -> None:
    pieces = [f"w{i} " for i in range(500)]
    provider = ScriptedProvider([Step(TextDelta(p), advance_s=0.001) for p in pieces])
    stream = make(provider)
    frames = list(stream.frames(0.05))
    assert "".join(frames) == "".join(pieces)
    # 500 chunks over 0.5 fake seconds at one frame per 50 ms: about 10 frames, plus the first.
    assert len(frames) <= 500 * 0.001 / 0.05 + 2


def test_frames_ask_an_interval_function_after_each_frame() -> None:
    gate = threading.Event()
    provider = ScriptedProvider([*text_steps("first"), Step(TextDelta(" second"), gate=gate)])
    asked: list[float] = []

    def interval() -> float:  # e.g. FrameCost.interval, as the live block grows
        asked.append(0.01)
        return 0.01

    frames = make(provider).frames(interval)
    assert next(frames) == "first"
    assert not asked  # the first frame is never held back
    gate.set()
    assert list(frames) == [" second"]
    assert asked


def test_first_frame_is_not_held_back() -> None:
    gate = threading.Event()
    provider = ScriptedProvider([*text_steps("first"), Step(TextDelta(" second"), gate=gate)])
    frames = make(provider).frames(10.0)
    assert next(frames) == "first"
    gate.set()
    assert list(frames) == [" second"]


def test_frames_pass_retry_notices_to_the_consumer_thread() -> None:
    limited = RateLimited("x", provider="Fake", retryable=True, retry_after_s=0.0)
    provider = ScriptedProvider(limited, text_steps("ok"))
    seen: list[tuple[str, str]] = []
    stream = make(provider)
    frames = list(
        stream.frames(0.01, on_notice=lambda n: seen.append((threading.current_thread().name, n)))
    )
    assert frames == ["ok"]
    assert seen == [(threading.current_thread().name, "Rate limited by Fake — retrying in 0.0 s")]


def test_async_iteration_and_cancel() -> None:
    gate = threading.Event()
    provider = ScriptedProvider([*text_steps("x", "y"), Step(TextDelta("z"), gate=gate)])
    stream = make(provider)

    async def consume() -> list[str]:
        got: list[str] = []
        async for chunk in stream:
            got.append(chunk)
            if chunk == "y":
                stream.cancel()
                gate.set()
        return got

    got = aio.run(consume())
    assert got[:2] == ["x", "y"]
    result = stream.wait(5)
    assert result.status is StreamStatus.STOPPED
    assert provider.opened[0].closed.is_set()


def test_context_manager_closes_a_running_stream() -> None:
    gate = threading.Event()
    provider = ScriptedProvider([*text_steps("a"), Step(TextDelta("b"), gate=gate)])
    with make(provider) as stream:
        assert next(iter(stream)) == "a"
        gate.set()
    assert stream.done


def test_timeouts_and_refused_connections_are_not_retried_automatically() -> None:
    from chat_core.errors import ConnectionFailed, TimedOut

    for error in (
        TimedOut("slow", provider="Fake", retryable=True),
        ConnectionFailed("refused", provider="Fake", retryable=True),
    ):
        provider = ScriptedProvider(error, text_steps("never"))
        result = make(provider, retry=RetryPolicy(max_retries=2, backoff_s=0)).wait(5)
        assert result.error is error
        assert result.error.retryable, "still offered to the person as retryable"
        assert len(provider.attempts) == 1


def test_poll_returns_new_chunks_without_waiting() -> None:
    gate = threading.Event()
    provider = ScriptedProvider([*text_steps("a", "b"), Step(TextDelta("c"), gate=gate)])
    stream = make(provider)
    got: list[str] = []
    while len(got) < 2:
        chunks, ended = stream.poll(len(got))
        got += chunks
        assert not ended
    assert got == ["a", "b"]
    gate.set()
    stream.wait(5)
    assert stream.poll(2) == (["c"], True)


def test_the_demo_reasoning_model_thinks_before_it_answers() -> None:
    from chat_core.providers.demo import DemoProvider

    request = ChatRequest(messages=(Message("user", "streaming"),), model="demo-reasoning")
    result = ChatStream(DemoProvider(ttft_s=0, chunks_per_s=0), request).wait(10)
    assert result.status is StreamStatus.COMPLETE
    assert result.reasoning.startswith("The person asks about streaming.")
    assert result.text.startswith("### About: streaming")
    assert result.reasoning not in result.text
    assert result.metrics.reasoning_tokens is not None
    assert result.metrics.time_to_first_answer_token is not None


def test_reasoning_tokens_do_not_count_as_answer_speed() -> None:
    from chat_core.metrics import MetricsRecorder

    recorder = MetricsRecorder("p", "m", started_at_s=0.0, wall_start=0.0)
    recorder.reasoning(1.0, 10)
    recorder.chunk(3.0, 4)
    recorder.usage(5, 100, 80)
    metrics = recorder.finish(5.0, StreamStatus.COMPLETE)
    assert (metrics.ttft_s, metrics.time_to_first_answer_token) == (1.0, 3.0)
    assert metrics.tokens_per_s == 10.0  # (100 - 80) answer tokens over the 2 s of answer
    assert metrics.char_count == 4 and metrics.reasoning_chars == 10


@pytest.mark.parametrize(
    "finish",
    [
        FinishReport("content_filter", StreamStatus.FILTERED),
        FinishReport("pause_turn", StreamStatus.OTHER),
        FinishReport(None, StreamStatus.INTERRUPTED),
        FinishReport("max_tokens", StreamStatus.LENGTH),
    ],
)
def test_the_providers_ending_is_the_status_with_its_reason_and_the_text_kept(
    finish: FinishReport,
) -> None:
    result = make(ScriptedProvider([*text_steps("Here ", "is"), Step(finish)])).wait(5)
    assert (result.status, result.finish_reason, result.text) == (
        finish.status,
        finish.reason,
        "Here is",
    )
    assert result.error is None


def test_reasoning_is_kept_apart_and_counts_for_the_first_token_only() -> None:
    from chat_core.types import ReasoningDelta

    steps = [
        Step(ReasoningDelta("think "), advance_s=0.5),
        Step(ReasoningDelta("more"), advance_s=0.5),
        *text_steps("An", "swer", every_s=1.0),
        Step(UsageReport(3, 40, 30)),
        Step(FinishReport("stop", StreamStatus.COMPLETE)),
    ]
    stream = make(ScriptedProvider(steps))
    result = stream.wait(5)
    assert (result.text, result.reasoning, stream.reasoning) == (
        "Answer",
        "think more",
        "think more",
    )
    metrics = result.metrics
    assert (metrics.ttft_s, metrics.time_to_first_answer_token) == (0.5, 2.0)
    assert (metrics.chunk_count, metrics.char_count, metrics.reasoning_tokens) == (2, 6, 30)


def test_no_automatic_retry_once_reasoning_was_shown() -> None:
    from chat_core.types import ReasoningDelta

    busy = RateLimited("busy", provider="Fake", retryable=True, retry_after_s=0)
    provider = ScriptedProvider([Step(ReasoningDelta("hm")), Step(busy)], text_steps("late"))
    result = make(provider, retry=RetryPolicy(max_retries=2)).wait(5)
    assert result.status is StreamStatus.ERROR and result.reasoning == "hm"
    assert len(provider.opened) == 1
