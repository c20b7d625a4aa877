"""``render_lag.py --cold``: the first long answer of a fresh ``streamlit run app.py`` vs a warm one.

Per repetition a fresh server (``app.py``, OpenAI provider = the wire server):

1. *start*: spawning ``streamlit run`` until ``/_stcore/health`` answers;
2. *first paint*: the first browser session opens the chat page; the time from navigation
   start to the chat box being in the DOM (the browser's own clock, reported by an init
   script);
3. the *cold* answer: that same first page sends the long prompt as soon as its chat box shows
   (the harness's usual 0.3 s settle, then the clock sampling), so whatever the app still loads
   after its first paint is still going on (ui/warmup.py: the prompt's run waits for it);
4. two short answers in other sessions, a pause until the app's background imports are done,
   then the same long answer again: *warm*. The warm answer's page load is the "later paint"
   beside the first one.

Printed per run and as medians (cold, warm, cold/warm): lag after the last chunk (browser
measured, noisy on a shared machine); server CPU (psutil, steadier) from just before the prompt
to 0.3 s after the final text showed, split where the request reached the wire server (a
sampling thread reads the server's CPU every 20 ms): before it (the prompt's run, plus any
warm-up the prompt waited for) and from it on (the answer itself); start and paint times. Raw
runs go to ``bench/results/render_lag-<time>-cold.json``.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass

from _common import free_port
from render_lag import (
    APP,
    RATE_LABEL,
    RESULTS,
    Run,
    StreamlitServer,
    app_env,
    chromium,
    fmt,
    machine_load,
    med,
    run_answer,
)

from tests.wire_server import WireServer

# Reports, once per page, when the chat box first exists: ms since that page's navigation start.
PAINT_JS = r"""
(() => {
  const seen = () => document.querySelector('[data-testid="stChatInput"] textarea');
  const report = () => { window.__coldPaint(performance.now()); };
  const observer = new MutationObserver(() => {
    if (seen()) { observer.disconnect(); report(); }
  });
  observer.observe(document, { subtree: true, childList: true });
})();
"""


class CpuSampler:
    """The server's CPU seconds every ``every_s`` in a thread, to split an answer's CPU at a
    moment known only afterwards (when the wire server received the request)."""

    def __init__(self, server: StreamlitServer, every_s: float = 0.02) -> None:
        self._server = server
        self._every_s = every_s
        self.times: list[float] = []
        self.cpu: list[float] = []
        self._stop = threading.Event()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.times.append(time.monotonic())
            self.cpu.append(self._server.cpu_s())
            self._stop.wait(self._every_s)

    @contextlib.contextmanager
    def running(self) -> Iterator[CpuSampler]:
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()

    def at(self, when: float) -> float:
        """CPU seconds at ``when`` (the last sample at or before it)."""
        i = bisect.bisect_right(self.times, when) - 1
        return self.cpu[max(i, 0)]


@dataclass
class Split:
    """One long answer's server CPU split at the moment the request reached the wire server."""

    before_request_s: float
    """From the prompt until the request left: the page's run, and on a fresh server whatever
    the app still loaded (the prompt's run waits for it)."""
    answer_s: float
    """From the request until 0.3 s after the final text showed: streaming and drawing."""
    static_kb: float
    """Static files (lazy JS chunks such as the code highlighter, fonts) the page fetched
    from the server from its prompt on. A browser fetches them once per origin, at the first
    code block; each fresh server here has a new port, hence a new origin: the cold answer's
    page fetches ~2 MB the warm one has cached, which costs the server CPU and the browser
    parse time whatever the server's imports."""


WARM_PAUSE_S = 8.0
"""Pause before the warm answer: longer than the app's quiet time before its background
imports (5 s), which the server's CPU then shows until they are done (``wait_quiet``)."""


@dataclass
class ColdRun:
    rep: int
    start_s: float
    """``streamlit run`` spawned until its health endpoint answered."""
    first_paint_s: float | None
    """The first session's page: navigation start until the chat box exists."""
    later_paint_s: float | None
    """The warm answer's page (a later session on the same server), the same way."""
    cold: Run
    warm: Run
    cold_split: Split | None
    warm_split: Split | None


def _ratio(cold: float | None, warm: float | None) -> float | None:
    return cold / warm if cold is not None and warm else None


def cold_vs_warm(*, n: int, rate: int, reps: int, cap_s: float, same_port: bool = False) -> None:
    """The first long answer after ``streamlit run app.py`` starts vs the same answer later.

    ``same_port``: every fresh server listens on one port and a throwaway server on it first
    answers once, so the browser has Streamlit's static files (code highlighter, fonts)
    cached, as for a developer who restarts ``streamlit run`` with the tab open: only the
    server is cold. Without it each server is a new origin and the cold page also fetches
    and parses those files."""
    if not APP.exists():
        sys.exit("app.py does not exist yet")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    print(
        f"render_lag --cold: {n} chunks @ {RATE_LABEL.get(rate, rate)}, {reps} fresh servers"
        + (" on one port, browser cache primed" if same_port else ", each a new origin")
    )
    print(f"machine: {machine_load()} (before)", flush=True)
    runs: list[ColdRun] = []
    marks = RESULTS / f"render_lag-{stamp}-cold-marks.jsonl"
    paints: list[float] = []
    static: list[int] = []
    port = free_port() if same_port else None
    with WireServer() as wire, chromium() as context:
        context.expose_function("__coldPaint", lambda ms: paints.append(float(ms) / 1000))
        context.add_init_script(PAINT_JS)
        context.on(
            "requestfinished",
            lambda r: (
                static.append(max(0, r.sizes()["responseBodySize"]))
                if "/static/" in r.url
                else None
            ),
        )
        if port is not None:
            print(f"  priming the browser's cache on port {port}", flush=True)
            with StreamlitServer(APP, app_env(wire), port=port) as primer:
                run_answer(
                    context, primer, primer.url + "/", wire, marks,
                    n=n, rate=rate, page_name="app.py", rep=-1, reference=None, cap_s=cap_s,
                )  # fmt: skip
                wire.reset()
        for rep in range(reps):
            log = RESULTS / f"render_lag-{stamp}-cold-{rep}.log"
            spawned = time.monotonic()
            with StreamlitServer(APP, app_env(wire), log=log, port=port) as server:
                start_s = time.monotonic() - spawned
                url = server.url + "/"

                def one(
                    size: int,
                    speed: int,
                    server: StreamlitServer = server,
                    url: str = url,
                    rep: int = rep,
                ) -> tuple[Run, float | None, Split | None]:
                    before = len(paints)
                    fetched = len(static)
                    with CpuSampler(server).running() as cpu:
                        run, _ = run_answer(
                            context, server, url, wire, marks,
                            n=size, rate=speed, page_name="app.py", rep=rep, reference=None,
                            cap_s=cap_s,
                        )  # fmt: skip
                    split = _split(run, wire, cpu, sum(static[fetched:]) / 1000)
                    wire.reset()
                    return run, paints[before] if len(paints) > before else None, split

                cold, first_paint, cold_split = one(n, rate)
                one(200, 0)
                one(25, 0)
                # The app imports what other pages need once no answer has streamed for 5 s
                # (ui/warmup.py QUIET_S): let that finish, so "warm" is a fully warm server.
                time.sleep(WARM_PAUSE_S)
                server.wait_quiet()
                warm, later_paint, warm_split = one(n, rate)
            got = ColdRun(
                rep, start_s, first_paint, later_paint, cold, warm, cold_split, warm_split
            )
            runs.append(got)
            print(
                f"  [{rep + 1}/{reps}] start {start_s:.1f} s, first paint"
                f" {fmt(first_paint, '.2f')} s (later page {fmt(later_paint, '.2f')} s);"
                f" lag cold {fmt(cold.lag_ms, '.0f', 'timeout')} ms / warm"
                f" {fmt(warm.lag_ms, '.0f', 'timeout')} ms ="
                f" {fmt(_ratio(cold.lag_ms, warm.lag_ms), '.2f')}x;"
                f" server CPU cold {cold.server_cpu_s:.2f} s / warm {warm.server_cpu_s:.2f} s ="
                f" {fmt(_ratio(cold.server_cpu_s, warm.server_cpu_s), '.2f')}x"
                f" (before the request {_before(cold_split)} / {_before(warm_split)} s);"
                f" static files fetched {_static(cold_split)} / {_static(warm_split)} KB",
                flush=True,
            )
    out = RESULTS / f"render_lag-{stamp}-cold.json"
    out.write_text(json.dumps({"machine": machine_load(), "runs": [asdict(r) for r in runs]}))
    print(f"machine: {machine_load()} (after); raw runs: {out.name}")
    print("\n| medians | cold (first answer) | warm | cold / warm |")
    print("| --- | --- | --- | --- |")

    def before(split: Split | None) -> float | None:
        return split.before_request_s if split else None

    def answer(split: Split | None) -> float | None:
        return split.answer_s if split else None

    rows: list[tuple[str, Callable[[ColdRun], tuple[float | None, float | None]], str]] = [
        ("lag after the last chunk (ms)", lambda r: (r.cold.lag_ms, r.warm.lag_ms), ".0f"),
        (
            "server CPU, prompt to final text + 0.3 s (s)",
            lambda r: (r.cold.server_cpu_s, r.warm.server_cpu_s),
            ".2f",
        ),
        (
            "  of which before the request left (s)",
            lambda r: (before(r.cold_split), before(r.warm_split)),
            ".2f",
        ),
        (
            "  of which from the request on: the answer itself (s)",
            lambda r: (answer(r.cold_split), answer(r.warm_split)),
            ".2f",
        ),
        (
            "  static files the page fetched meanwhile (KB)",
            lambda r: (
                r.cold_split.static_kb if r.cold_split else None,
                r.warm_split.static_kb if r.warm_split else None,
            ),
            ".0f",
        ),
        (
            "page open to chat box, first / later session (s)",
            lambda r: (r.first_paint_s, r.later_paint_s),
            ".2f",
        ),
    ]
    for label, pick, spec in rows:
        cold = med([pick(r)[0] for r in runs])
        warm = med([pick(r)[1] for r in runs])
        print(
            f"| {label} | {fmt(cold, spec)} | {fmt(warm, spec)} | {fmt(_ratio(cold, warm), '.2f')}x |"
        )
    print(f"server start (spawn to healthy): {fmt(med([r.start_s for r in runs]), '.2f')} s")
    stream_ms = n / max(rate, 1) * 1000
    total_cold = med([(r.cold.lag_ms or 0) + stream_ms for r in runs])
    total_warm = med([(r.warm.lag_ms or 0) + stream_ms for r in runs])
    print(
        f"prompt to final text (stream time + lag): cold/warm"
        f" {fmt(_ratio(total_cold, total_warm), '.2f')}x (goal: lag ratio <= 1.2x)"
    )


def _split(run: Run, wire: WireServer, cpu: CpuSampler, static_kb: float) -> Split | None:
    """``run``'s server CPU split where its request reached the wire server (None: the answer
    never showed, or no record)."""
    records = [r for r in wire.requests if r.finished_at is not None]
    if run.lag_ms is None or not records:
        return None
    rec = records[-1]
    shown_at = rec.finished_at + run.lag_ms / 1000
    answer_s = cpu.at(shown_at + 0.3) - cpu.at(rec.received_at)
    before_s = max(0.0, run.server_cpu_s - answer_s)
    return Split(before_request_s=before_s, answer_s=answer_s, static_kb=static_kb)


def _before(split: Split | None) -> str:
    return fmt(split.before_request_s if split else None, ".2f")


def _static(split: Split | None) -> str:
    return fmt(split.static_kb if split else None, ".0f")
