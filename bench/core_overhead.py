"""What chat_core costs on top of the raw SDK, measured side by side in one run.

Against one local wire server (own process), 5,000 four-character chunks sent as fast as
the server can: the raw openai SDK loop vs chat_core iteration vs chat_core frames(),
interleaved run by run. Prints chunks/s and the ratio to raw (goal >= 0.97), the time to
first chunk chat_core adds (goal <= 2 ms), and cancel -> server-observed disconnect
(goal <= 200 ms median, in-process wire server so both clocks are the same).

    python bench/core_overhead.py [--runs 7] [--chunks 5000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import openai
from _common import fmt_ms, median, wire_subprocess

from chat_core.config import ProviderSettings
from chat_core.providers import make_provider
from chat_core.stream import ChatStream, RetryPolicy
from chat_core.types import ChatRequest, Message
from tests.wire_server import Scenario, WireServer


def prompt_for(chunks: int) -> str:
    return f"#wire:rate:{chunks}:0"


def raw_sdk(base: str, chunks: int) -> tuple[float, float, int]:
    client = openai.OpenAI(base_url=base + "/v1", api_key="sk-bench", max_retries=0)
    started = time.perf_counter()
    first = None
    count = 0
    stream = client.chat.completions.create(
        model="bench",
        messages=[{"role": "user", "content": prompt_for(chunks)}],
        stream=True,
        stream_options={"include_usage": True},
    )
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            if first is None:
                first = time.perf_counter()
            count += 1
    end = time.perf_counter()
    assert first is not None
    return first - started, end - started, count


def core(base: str, chunks: int, *, frames: bool) -> tuple[float, float, int]:
    provider = make_provider(ProviderSettings("openai", "sk-bench", base + "/v1"))
    request = ChatRequest(messages=(Message("user", prompt_for(chunks)),), model="bench")
    started = time.perf_counter()
    stream = ChatStream(provider, request, retry=RetryPolicy(max_retries=0))
    first = None
    source = stream.frames(0.05) if frames else stream
    for _ in source:
        if first is None:
            first = time.perf_counter()
    end = time.perf_counter()
    result = stream.wait()
    assert first is not None and result.metrics.chunk_count == chunks, result.status
    return first - started, end - started, result.metrics.chunk_count


def cancel_latency(runs: int) -> list[float]:
    latencies = []
    with WireServer() as wire:
        provider = make_provider(ProviderSettings("openai", "sk-bench", wire.openai_base_url))
        for _ in range(runs):
            wire.reset()
            wire.enqueue(Scenario.long_markdown(5000, rate=200))
            stream = ChatStream(
                provider, ChatRequest(messages=(Message("user", "x"),), model="bench")
            )
            frames = stream.frames(0.01)
            next(frames)
            time.sleep(0.1)
            cancelled_at = time.monotonic()
            stream.cancel()
            record = wire.wait_for_disconnect(timeout=5)
            assert record is not None and record.disconnected_at is not None
            latencies.append(record.disconnected_at - cancelled_at)
            stream.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--chunks", type=int, default=5000)
    args = parser.parse_args()

    paths: dict[str, Callable[[str, int], tuple[float, float, int]]] = {
        "raw SDK loop": raw_sdk,
        "chat_core iteration": lambda b, n: core(b, n, frames=False),
        "chat_core frames(50ms)": lambda b, n: core(b, n, frames=True),
    }
    ttft: dict[str, list[float]] = {k: [] for k in paths}
    rate: dict[str, list[float]] = {k: [] for k in paths}
    with wire_subprocess() as base:
        for fn in paths.values():  # warm-up: imports, connection pools, server caches
            fn(base, 200)
        for run in range(args.runs):
            order = list(paths.items())
            if run % 2:
                order.reverse()
            for name, fn in order:
                first_s, total_s, count = fn(base, args.chunks)
                ttft[name].append(first_s)
                rate[name].append(count / total_s)

    raw_rate = median(rate["raw SDK loop"])
    raw_ttft = median(ttft["raw SDK loop"])
    print(f"{args.chunks} chunks x {args.runs} interleaved runs per path (median)\n")
    print(f"{'path':26} {'chunks/s':>10} {'ratio':>7} {'first chunk':>12} {'added':>11}")
    for name in paths:
        r = median(rate[name])
        t = median(ttft[name])
        print(f"{name:26} {r:10.0f} {r / raw_rate:7.3f} {fmt_ms(t):>12} {fmt_ms(t - raw_ttft):>11}")
    lat = cancel_latency(args.runs)
    print(
        f"\ncancel -> server sees disconnect: median {fmt_ms(median(lat))}, max {fmt_ms(max(lat))}"
    )
    print("goals: ratio >= 0.97, added first-chunk time <= 2 ms, cancel median <= 200 ms")


if __name__ == "__main__":
    main()
