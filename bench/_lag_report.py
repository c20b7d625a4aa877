"""The tables bench/render_lag.py prints: per cell and page, where the lag comes from, and the
issue's goals."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence

from _lag_answer import Run

RATE_LABEL = {0: "max"}


def med(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def fmt(value: float | None, spec: str, none: str = "-") -> str:
    return none if value is None else format(value, spec)


def summarize(runs: list[Run], cap_s: float) -> list[str]:
    out: list[str] = []
    cells = sorted({(r.n, r.rate) for r in runs}, key=lambda c: (c[0], -c[1] if c[1] else -(10**9)))
    header = (
        f"{'N':>6} {'R/s':>5} {'page':10} {'lag ms':>8} {'(min-max)':>15} {'ok':>4} {'ws/text':>8}"
        f" {'ws msgs':>7} {'frames':>6} {'srv cpu s':>9} {'brw cpu s':>9} {'main s':>7}"
        f" | {'lag x':>6} {'ws x':>6} {'brw x':>6}"
    )
    out.append(header)
    out.append("-" * len(header))
    for n, rate in cells:
        cell = [r for r in runs if (r.n, r.rate) == (n, rate)]
        pages = list(dict.fromkeys(r.page for r in cell))
        base = {
            k: med([getattr(r, k) for r in cell if r.page == "coalesced"])
            for k in ("lag_ms", "browser_cpu_s")
        }
        base_ws = med([r.ws_bytes / r.text_bytes for r in cell if r.page == "coalesced"])
        for name in pages:
            rs = [r for r in cell if r.page == name]
            lags = [r.lag_ms for r in rs]
            timeouts = sum(v is None for v in lags)
            lag = med(lags)
            shown_lags = [v for v in lags if v is not None]
            spread = f"{min(shown_lags):.0f}-{max(shown_lags):.0f}" if shown_lags else ""
            lag_s = (
                fmt(lag, ".0f")
                if not timeouts
                else (f">{cap_s * 1000:.0f}" if timeouts == len(rs) else f"{lag:.0f}*")
            )
            ws = med([r.ws_bytes / r.text_bytes for r in rs])
            bcpu = med([r.browser_cpu_s for r in rs])
            ok = f"{sum(r.text_ok for r in rs)}/{len(rs)}"
            ratio = lambda a, b: fmt(a / b if a is not None and b else None, ".2f")  # noqa: E731
            out.append(
                f"{n:>6} {RATE_LABEL.get(rate, str(rate)):>5} {name:10} {lag_s:>8} {spread:>15} {ok:>4}"
                f" {fmt(ws, '.1f'):>8} {fmt(med([r.ws_msgs for r in rs]), '.0f'):>7}"
                f" {fmt(med([r.frames for r in rs]), '.0f'):>6} {fmt(med([r.server_cpu_s for r in rs]), '.2f'):>9}"
                f" {fmt(bcpu, '.2f'):>9} {fmt(med([r.main_s for r in rs]), '.2f'):>7}"
                f" | {ratio(lag, base['lag_ms']):>6} {ratio(ws, base_ws):>6} {ratio(bcpu, base['browser_cpu_s']):>6}"
            )
        out.append("")
    out.append(
        "lag: last chunk leaves the wire server -> final text painted (median; * = some runs timed out,"
        f" >{cap_s:.0f} s); ok: exact final text; ws/text: websocket bytes received / final text bytes;"
        " main s: renderer main-thread busy time (CDP TaskDuration); x: ratio to 'coalesced' in the same cell."
    )
    return out


def breakdown(runs: list[Run], pages: Sequence[str]) -> list[str]:
    out = [
        "",
        "Where the app path's lag comes from (median ms after the last chunk left the wire server):",
    ]
    out.append(
        f"{'N':>6} {'R/s':>5} {'page':10} {'script done':>11} {'last ws msg':>11} {'visible':>8} {'browser':>8}"
        f" {'main s':>7} {'script s':>8} {'layout s':>8}"
    )
    for (n, rate), cell in itertools.groupby(
        sorted(runs, key=lambda r: (r.n, r.rate)), key=lambda r: (r.n, r.rate)
    ):
        rows = list(cell)
        for name in pages:
            rs = [r for r in rows if r.page == name]
            if not rs:
                continue
            lag, ws = med([r.lag_ms for r in rs]), med([r.last_ws_ms for r in rs])
            out.append(
                f"{n:>6} {RATE_LABEL.get(rate, str(rate)):>5} {name:10} {fmt(med([r.script_done_ms for r in rs]), '.0f'):>11}"
                f" {fmt(ws, '.0f'):>11} {fmt(lag, '.0f'):>8} {fmt(lag - ws if lag is not None and ws is not None else None, '.0f'):>8}"
                f" {fmt(med([r.main_s for r in rs]), '.2f'):>7} {fmt(med([r.script_s for r in rs]), '.2f'):>8}"
                f" {fmt(med([r.layout_s for r in rs]), '.2f'):>8}"
            )
    return out


def goals(runs: list[Run], app_pages: Sequence[str], fixed: dict[str, int]) -> list[str]:
    out = ["", "Goals for the app's path:"]
    for name in app_pages:
        rs_all = [r for r in runs if r.page == name]
        if not rs_all:
            continue
        for n, rate in sorted({(r.n, r.rate) for r in rs_all}):
            rs = [r for r in rs_all if (r.n, r.rate) == (n, rate)]
            lag = med([r.lag_ms for r in rs])
            timeouts = sum(r.lag_ms is None for r in rs)
            label = f"{name} {n} @ {RATE_LABEL.get(rate, str(rate))}"
            if rate == 0:
                once = [r.lag_ms for r in runs if (r.n, r.rate, r.page) == (n, 0, "once")]
                limit = 1.2 * med(once) if med(once) is not None else None
                what = f"lag <= 1.2 x render-once ({fmt(limit, '.0f')} ms)"
            else:
                limit = 100.0
                what = "lag <= 100 ms"
            met = lag is not None and limit is not None and lag <= limit and not timeouts
            by = (
                ""
                if met or lag is None or limit is None or lag <= limit
                else f", over by {lag - limit:.0f} ms ({lag / limit:.2f}x)"
            )
            if timeouts:
                by += f", {timeouts} of {len(rs)} never showed the final text"
            out.append(
                f"  {label:24} {what:38} {fmt(lag, '.0f', 'timeout'):>8} ms  {'met' if met else 'MISSED'}{by}"
            )
            ws = med([r.ws_bytes / r.text_bytes for r in rs])
            assert ws is not None
            net = med([(r.ws_bytes - fixed.get(name, 0)) / r.text_bytes for r in rs])
            out.append(
                f"  {label:24} {'websocket bytes <= 3x text':38} {ws:8.2f} x   {'met' if ws <= 3 else 'MISSED'}"
                f" ({net:.2f} x without the per-turn bytes)"
            )
            oks = sum(r.text_ok for r in rs)
            out.append(
                f"  {label:24} {'exact final text':38} {oks:>5}/{len(rs)}     {'met' if oks == len(rs) else 'MISSED'}"
            )
        app = med([r.browser_cpu_s for r in rs_all if (r.n, r.rate) == (8000, 500)])
        base = med(
            [r.browser_cpu_s for r in runs if (r.n, r.rate, r.page) == (8000, 500, "coalesced")]
        )
        if app is not None and base:
            met = app <= base / 3
            out.append(
                f"  {name + ' 8000 @ 500':24} {'browser CPU <= 1/3 of coalescing':38} {app / base:8.2f} x   "
                f"{'met' if met else 'MISSED'} ({app:.2f} s vs {base:.2f} s)"
            )
    return out
