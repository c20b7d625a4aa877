from __future__ import annotations

import random
import statistics

import pytest

from chat_core.pacing import Pacer, paced


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


Arrival = tuple[float, str]


def simulate(
    arrivals: list[Arrival], *, end_at: float, tick_s: float = 0.05, until: float = 30.0
) -> tuple[list[tuple[float, str]], Pacer, FakeClock]:
    """Push arrivals at their times, end at ``end_at``, take every ``tick_s``."""
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pending = sorted(arrivals, key=lambda arrival: arrival[0])
    taken: list[tuple[float, str]] = []
    now = 0.0
    while now < until and not pacer.done:
        while pending and pending[0][0] <= now:
            clock.now, text = pending.pop(0)
            pacer.push(text)
        if now >= end_at and not pacer.ended:
            clock.now = end_at
            pacer.end()
        clock.now = now
        taken.append((now, pacer.take()))
        now = round(now + tick_s, 9)
    return taken, pacer, clock


def per_tick(taken: list[tuple[float, str]], start: float, stop: float) -> list[int]:
    return [len(text) for at, text in taken if start <= at < stop]


def test_pacer_shows_everything_in_order() -> None:
    rng = random.Random(7)
    arrivals = []
    at = 0.0
    for index in range(300):
        at += rng.choice([0.001, 0.01, 0.05, 0.3, 1.5])
        arrivals.append((at, f"<{index}:{'x' * rng.randint(0, 40)}>"))
    taken, pacer, _ = simulate(arrivals, end_at=at + 0.01, until=at + 5)
    assert "".join(text for _, text in taken) == "".join(text for _, text in arrivals)
    assert pacer.done and pacer.backlog == 0


def test_pacer_spreads_steady_chunks_into_even_typing() -> None:
    # 100 characters every 0.5 s = 10 characters per 50 ms tick
    arrivals = [(0.5 * index, "x" * 100) for index in range(20)]
    taken, _, _ = simulate(arrivals, end_at=10.0)
    steady = per_tick(taken, 1.5, 9.5)
    assert min(steady) >= 8 and max(steady) <= 12, steady


def test_pacer_makes_bursts_of_small_chunks_look_even() -> None:
    # every 0.4 s a burst of 8 chunks 2 ms apart: 200 characters/s, 10 per tick
    arrivals = [
        (0.4 * burst + 0.002 * chunk, "y" * 10) for burst in range(25) for chunk in range(8)
    ]
    taken, _, _ = simulate(arrivals, end_at=10.0)
    ticks = [index * 0.05 for index in range(30, 190)]
    raw = [sum(len(text) for at, text in arrivals if tick <= at < tick + 0.05) for tick in ticks]
    smooth = per_tick(taken, 1.5, 9.5)
    assert statistics.pstdev(raw) > 20
    assert statistics.pstdev(smooth) < 2, smooth
    assert 0 not in smooth


def test_pacer_reveals_a_single_chunk_gradually_not_at_once() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.push("z" * 100)
    clock.now = 0.03
    first = pacer.take()
    assert 0 < len(first) < 100


@pytest.mark.parametrize("seed", range(5))
def test_pacer_never_falls_more_than_max_lag_behind(seed: int) -> None:
    rng = random.Random(seed)
    arrivals = []
    at = 0.0
    for _ in range(200):
        at += rng.choice([0.0, 0.005, 0.05, 0.2, 0.8, 2.5])
        arrivals.append((at, "w" * rng.choice([1, 5, 50, 400, 3000])))
    taken, _, _ = simulate(arrivals, end_at=at + 0.5, tick_s=0.01, until=at + 3)
    shown = 0
    for now, text in taken:
        shown += len(text)
        due = sum(len(chunk) for arrived_at, chunk in arrivals if arrived_at <= now - 1.0)
        assert shown >= due, (now, shown, due)


def test_pacer_shows_the_rest_within_finish_window_after_the_end() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock, max_lag_s=1.0, finish_within_s=0.3)
    pacer.push("a" * 50)
    clock.now = 0.3
    pacer.push("b" * 5000)
    pacer.end()
    clock.now = 0.45
    middle = pacer.take()
    assert 0 < len(middle) < 5050 and not pacer.done
    clock.now = 0.6
    rest = pacer.take()
    assert len(middle) + len(rest) == 5050
    assert pacer.done


def test_pacer_lifecycle() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.push("")
    assert pacer.take() == "" and not pacer.done
    pacer.end()
    pacer.end()
    assert pacer.done
    with pytest.raises(RuntimeError):
        pacer.push("late")
    with pytest.raises(ValueError):
        Pacer(clock=clock, max_lag_s=0.01, min_spread_s=0.05)


def test_pacer_learns_the_gap_between_arrivals_but_not_within_a_burst() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock, initial_gap_s=0.1)
    for burst in range(6):
        for chunk in range(5):
            clock.now = 0.7 * burst + 0.001 * chunk
            pacer.push("t")
    assert pacer.expected_gap_s == pytest.approx(0.7, abs=0.01)


def test_paced_yields_everything_from_a_non_blocking_poll_and_stops() -> None:
    clock = FakeClock()
    script = [(0.2, "Hello "), (0.25, "world"), (1.0, ", bye"), (1.1, None)]
    sleeps: list[float] = []

    def poll() -> tuple[str, bool]:
        text = []
        ended = False
        while script and script[0][0] <= clock.now:
            _, item = script.pop(0)
            if item is None:
                ended = True
            else:
                text.append(item)
        return "".join(text), ended

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.now += seconds

    pieces = list(paced(poll, Pacer(clock=clock), sleep=sleep, tick_s=0.05))
    assert "".join(pieces) == "Hello world, bye"
    assert len(pieces) > 3
    assert clock.now <= 1.1 + 0.3 + 0.05
    assert set(sleeps) == {0.05}
