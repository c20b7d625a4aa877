"""merge_streams: several labelled answers at once (demo provider and the wire server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from chat_core.config import ProviderSettings
from chat_core.merge import (
    MergedStream,
    fastest_first_token,
    fastest_throughput,
    merge_streams,
)
from chat_core.metrics import StreamMetrics
from chat_core.providers import make_provider
from chat_core.providers.base import Provider
from chat_core.providers.demo import DemoProvider
from chat_core.stream import NO_RETRY, ChatStream, StreamResult
from chat_core.types import ChatRequest, Message, StreamStatus, TextDelta, UpstreamEvent
from tests.wire_server import WireServer


def ask(provider: Provider, prompt: str = "hello") -> ChatStream:
    model = provider.default_model if provider.name in ("demo", "gated") else "test-model"
    request = ChatRequest(messages=(Message("user", prompt),), model=model, timeout_s=10)
    return ChatStream(provider, request, retry=NO_RETRY)


def fast_demo() -> DemoProvider:
    return DemoProvider(ttft_s=0, chunks_per_s=0)


def wire_provider(name: str, wire: WireServer) -> Provider:
    if name == "anthropic":
        return make_provider(ProviderSettings("anthropic", "test-key", wire.anthropic_base_url))
    return make_provider(ProviderSettings("openai", "sk-test", wire.openai_base_url))


def every_client_disconnected(wire: WireServer, n: int, timeout_s: float = 2.0) -> bool:
    """True once ``n`` requests were recorded and the server saw each client go away."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        records = wire.requests
        if len(records) >= n and all(r.disconnected for r in records):
            return True
        time.sleep(0.02)
    return False


class StillClock:
    """A clock that never advances: only stream events can release a coalesced frame."""

    def __call__(self) -> float:
        return 0.0


# -- a provider whose streams wait for each other ---------------------------------------------


class GatedUpstream:
    def __init__(
        self, steps: list[tuple[str, threading.Event | None, threading.Event | None]]
    ) -> None:
        self.steps = steps
        self.closed = threading.Event()

    def __iter__(self) -> Iterator[UpstreamEvent]:
        for text, wait_for, then_set in self.steps:
            if wait_for is not None and not wait_for.wait(5):
                raise AssertionError("the other stream was not read meanwhile")
            yield TextDelta(text)
            if then_set is not None:
                then_set.set()

    def close(self) -> None:
        self.closed.set()


class GatedProvider:
    name = "gated"
    label = "Gated"
    default_model = "g"

    def __init__(self, upstream: GatedUpstream) -> None:
        self.upstream = upstream

    def open(self, request: ChatRequest) -> GatedUpstream:
        return self.upstream


# -- tests ----------------------------------------------------------------------------------


def test_a_chunk_is_delivered_while_another_stream_is_still_waiting() -> None:
    b_delivered = threading.Event()
    a = GatedProvider(GatedUpstream([("a1 ", None, None), ("a2", b_delivered, None)]))
    b = GatedProvider(GatedUpstream([("b1", None, None)]))
    merged = merge_streams({"a": ask(a), "b": ask(b)})

    pairs = []
    for pair in merged:
        pairs.append(pair)
        if pair == ("b", "b1"):
            b_delivered.set()  # "a" cannot finish before its neighbour's chunk reached us

    assert sorted(pairs[:2]) == [("a", "a1 "), ("b", "b1")]
    assert pairs[2:] == [("a", "a2")]
    assert merged.done
    assert {label: r.text for label, r in merged.results.items()} == {"a": "a1 a2", "b": "b1"}


def test_chunks_of_each_label_join_to_its_own_answer() -> None:
    merged = merge_streams(
        {"one": ask(fast_demo(), "first topic"), "two": ask(fast_demo(), "second topic")}
    )

    texts: dict[str, str] = {"one": "", "two": ""}
    for label, chunk in merged:
        texts[label] += chunk

    results = merged.results
    assert set(results) == {"one", "two"}
    assert texts == {label: result.text for label, result in results.items()}
    assert "first topic" in texts["one"] and "second topic" in texts["two"]
    assert all(r.status is StreamStatus.COMPLETE for r in results.values())


def test_each_stream_keeps_its_own_result_and_metrics(wire: WireServer) -> None:
    merged = merge_streams(
        {
            "gpt": ask(wire_provider("openai", wire), "from openai"),
            "claude": ask(wire_provider("anthropic", wire), "from anthropic"),
        }
    )

    results = merged.wait(10)

    assert results["gpt"].text.startswith("You said: from openai")
    assert results["claude"].text.startswith("You said: from anthropic")
    assert results["gpt"].metrics.provider == "openai"
    assert results["claude"].metrics.provider == "anthropic"
    for result in results.values():
        assert result.status is StreamStatus.COMPLETE
        assert result.metrics.output_tokens is not None
        assert result.metrics.chunk_count >= 2
        assert result.metrics.char_count == len(result.text)


def test_cancel_stops_every_stream_and_keeps_each_partial(wire: WireServer) -> None:
    merged = merge_streams(
        {
            "gpt": ask(wire_provider("openai", wire), "#wire:slow:2000:50"),
            "claude": ask(wire_provider("anthropic", wire), "#wire:slow:2000:50"),
        }
    )
    seen: dict[str, str] = {"gpt": "", "claude": ""}
    for label, chunk in merged:
        seen[label] += chunk
        if all(len(text) >= 8 for text in seen.values()):
            merged.cancel()

    results = merged.wait(5)
    assert every_client_disconnected(wire, 2)
    for label, result in results.items():
        assert result.status is StreamStatus.STOPPED
        assert result.text == seen[label]
        assert len(result.text) >= 8


def test_abandoning_iteration_cancels_all(wire: WireServer) -> None:
    merged = merge_streams(
        {
            "gpt": ask(wire_provider("openai", wire), "#wire:slow:2000:50"),
            "claude": ask(wire_provider("anthropic", wire), "#wire:slow:2000:50"),
        }
    )
    iterator = iter(merged)
    next(iterator)
    iterator.close()  # what a stopped Streamlit run does to a generator

    results = merged.wait(5)
    assert all(r.status is StreamStatus.STOPPED for r in results.values())
    assert every_client_disconnected(wire, 2)


def test_one_failing_stream_does_not_stop_the_others(wire: WireServer) -> None:
    merged = merge_streams(
        {
            "broken": ask(wire_provider("openai", wire), "#wire:401"),
            "fine": ask(wire_provider("anthropic", wire), "all good"),
        }
    )

    list(merged)

    results = merged.results
    assert results["broken"].status is StreamStatus.ERROR
    assert results["broken"].error is not None
    assert "key" in results["broken"].error.user_message.lower()
    assert results["fine"].status is StreamStatus.COMPLETE
    assert results["fine"].text.startswith("You said: all good")


def test_frames_join_to_each_answer_and_are_few() -> None:
    merged = MergedStream(
        {"one": ask(fast_demo(), "alpha"), "two": ask(fast_demo(), "beta")}, clock=StillClock()
    )

    frames = list(merged.frames(min_interval_s=10.0))

    results = merged.results
    for label in ("one", "two"):
        assert "".join(frame.get(label, "") for frame in frames) == results[label].text
    # With a clock that never moves only news releases a frame: the very first frame, each
    # stream's first text and each stream's end.
    assert len(frames) <= 5
    assert sum(r.metrics.chunk_count for r in results.values()) > 100


def test_frames_report_a_finished_stream_at_once(wire: WireServer) -> None:
    merged = merge_streams(
        {
            "broken": ask(wire_provider("openai", wire), "#wire:401"),
            "slow": ask(wire_provider("anthropic", wire), "#wire:slow:2000:50"),
        }
    )
    frames = merged.frames(0.05)
    for frame in frames:
        if "broken" in frame:
            assert frame["broken"] == ""
            break
    else:
        pytest.fail("no frame for the failed stream")

    assert merged.streams["broken"].result is not None
    assert not merged.streams["slow"].done  # reported while the other was still streaming
    frames.close()
    assert merged.wait(5)["slow"].status is StreamStatus.STOPPED


class StopPressed(Exception):
    """Stands in for Streamlit's StopException, raised from the UI's idle hook."""


def test_idle_hook_runs_while_waiting_and_can_abandon_every_stream() -> None:
    merged = merge_streams({"a": ask(DemoProvider(ttft_s=5)), "b": ask(DemoProvider(ttft_s=5))})
    idle_calls = 0

    def on_idle() -> None:
        nonlocal idle_calls
        idle_calls += 1
        if idle_calls == 3:
            raise StopPressed

    with pytest.raises(StopPressed):
        for _frame in merged.frames(0.05, on_idle=on_idle, idle_s=0.02):
            pytest.fail("no text should have arrived")

    results = merged.wait(2)
    assert idle_calls == 3
    assert all(r.status is StreamStatus.STOPPED and r.text == "" for r in results.values())


def test_cancel_and_close_are_idempotent_and_safe_before_start() -> None:
    merged = merge_streams({"a": ask(DemoProvider(ttft_s=5)), "b": ask(DemoProvider(ttft_s=5))})
    merged.cancel()
    merged.cancel()
    merged.close()
    with merged:
        results = merged.wait(5)
    merged.close()
    assert all(r.status is StreamStatus.STOPPED for r in results.values())
    assert list(merged) == []


def test_an_empty_merge_is_refused() -> None:
    with pytest.raises(ValueError):
        merge_streams({})


def _result(
    ttft_s: float | None, streaming_s: float, chars: int, tokens: int | None
) -> StreamResult:
    metrics = StreamMetrics(
        provider="p",
        model="m",
        status=StreamStatus.COMPLETE,
        started_at=0.0,
        total_s=(ttft_s or 0.0) + streaming_s,
        ttft_s=ttft_s,
        streaming_s=streaming_s,
        chunk_count=1,
        char_count=chars,
        input_tokens=None,
        output_tokens=tokens,
    )
    return StreamResult("x" * chars, StreamStatus.COMPLETE, None, metrics)


def test_summary_names_the_fastest_first_token_and_throughput() -> None:
    results = {
        "quick start": _result(0.1, 4.0, 400, 100),  # 25 tokens/s
        "fast reader": _result(0.5, 1.0, 300, 80),  # 80 tokens/s
        "no text": _result(None, 0.0, 0, None),
    }
    assert fastest_first_token(results) == "quick start"
    # one stream reported no tokens, so compare characters per second instead
    assert fastest_throughput(results) == "fast reader"
    assert fastest_throughput({k: v for k, v in results.items() if k != "no text"}) == "fast reader"
    assert fastest_first_token({"none": results["no text"]}) is None
    assert fastest_throughput({"none": results["no text"]}) is None
