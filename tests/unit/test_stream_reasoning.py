"""Reasoning and the provider's ending through the stream engine (scripted provider and the
demo reasoning model)."""

from __future__ import annotations

import pytest

from chat_core.errors import RateLimited
from chat_core.stream import ChatStream, RetryPolicy
from chat_core.types import (
    ChatRequest,
    FinishReport,
    Message,
    StreamStatus,
    UsageReport,
)
from tests.unit.scripted import (
    ScriptedProvider,
    Step,
    make,
    text_steps,
)


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
