"""How far behind the model a long answer ends up on screen, in a real browser, side by side.

For N in {2000, 8000, 20000} four-character chunks at R in {as fast as possible, 2000/s,
500/s}, pages streaming the same markdown answer from the local wire server are driven in
headless Chromium, interleaved (the page order rotates every repetition)::

    python bench/render_lag.py                 # full matrix, 3 repetitions (~20 min here)
    python bench/render_lag.py --quick         # 2000 @ max and 8000 @ 500, 1 repetition (~2 min)
    python bench/render_lag.py --n 8000 --rate 500 --reps 5 --pages coalesced,app,app.py
    python bench/render_lag.py --cold          # app.py: first long answer of a fresh server vs warm

*Cold server* (``--cold``): per repetition a fresh ``streamlit run app.py``; the first answer
(8,000 chunks at 2,000/s unless ``--n``/``--rate`` say otherwise) is "cold"; then two short
answers in another session, then the same long answer again, "warm". Printed side by side
(lag after the last chunk, server CPU for the answer) with the cold/warm ratio (goal ≤ 1.2).

Pages (``--pages``, default naive,coalesced,app.py; "app" when app.py does not exist):

    naive      one ``st.write_stream`` over every chunk
    coalesced  ``st.write_stream`` over ``ChatStream.frames(0.05)`` (plain 50 ms coalescing)
    app        the app's own rendering helper (``ui.live.LiveText`` over frames at
               ``ui.answer.FRAME_INTERVAL_S``) on a bench page (bench/pages/stream_page.py):
               the same drawing as app.py, plus the script-side "done" time for the split
    app.py     the app itself (``streamlit run app.py``, OpenAI provider = the wire server),
               prompt typed into its chat input
    once       (R = as fast as possible only) the whole answer read first, then one
               ``st.markdown``: what rendering the final text once costs

How it measures
---------------
*One clock.* The wire server runs in a thread of this process and stamps, per request,
when its last byte left (``Record.finished_at``, ``time.monotonic()``). Before each answer
the bench maps the page's ``performance.now()`` onto ``time.monotonic()``: the smallest
round trip of several ``page.evaluate("performance.now()")`` calls, taking its midpoint
(error about half that round trip, typically < 1 ms). The bench page also appends
``time.monotonic()`` when its script finished drawing to a marks file (CLOCK_MONOTONIC is
shared by every process on Linux).

*Final text visible.* An init script installs a ``MutationObserver`` on the document.
The answer's last paragraph is known in advance (the wire answer ends with a plain
paragraph), so after every DOM commit it checks whether a ``<p>`` in the last
``stChatMessage`` reads exactly that paragraph (whitespace collapsed); earlier states are
strict prefixes, so the first match is the final text. It stamps ``performance.now()``
there and again in the following ``requestAnimationFrame`` (the frame that paints it);
*lag* = that rAF time - the wire server's last byte. Afterwards the answer's text
(``innerText`` of its markdown containers, whitespace removed) is compared with the
``once`` page's: "text ok".

*Where lag comes from* (docs/design.md §26), printed for the app's path: script done (bench
page marks) - last chunk; last websocket message before the final text showed - last chunk;
visible - that message (browser render).

*Bytes and frames.* The same init script wraps ``window.WebSocket`` and sums the size of
every message the page receives (counters reset just before the prompt is sent), so no
payload is copied to Python (Playwright's ``framereceived`` would ship ~100 MB through its
driver for the naive page and skew the browser CPU). "ws/text" = bytes received ÷ bytes of
the final text, everything the turn's rerun sends included (for app.py: sidebar, title, the
user message, the caption); the bytes a 100-character answer costs on each page are printed
too, and the goal line also shows the ratio without them. "ws msgs" = websocket messages
received; "frames" = frames the bench page's script handed to ``st.write_stream``. The
"last ws msg" time is when the page's JavaScript got the message event, so it includes
waiting behind the renderer's main thread.

*CPU.* psutil CPU time (user + system) of the Streamlit server process, and of every
Chromium process under this one (browser, renderer, GPU/utility), just before the prompt
is sent and 0.3 s after the final text is visible. "main s" is the renderer main thread's
busy time from CDP ``Performance.getMetrics`` (TaskDuration), split into script / layout +
style to show what dominates.

A page that has not shown the final text ``--cap`` seconds after the last chunk is
recorded as a timeout (lag printed as ">cap"); one whose final text differs as "text
BAD" (also when the page threw a JavaScript error or shows an ``stException``; the run
line then prints them). Ratios compare each page with plain coalescing in the same cell
(medians).
Raw runs are written to bench/results/render_lag-<time>.json.

This file holds the command line, the matrix and ``--cold``; the pieces it runs are in
bench/_servers.py (Streamlit processes, the app's environment), bench/_browser.py (Chromium,
``INIT_JS``, the page's clock and text), bench/_lag_answer.py (one answer: ``run_answer``) and
bench/_lag_report.py (the printed tables).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict

from _browser import CHAT_INPUT, chromium, clock_offset, final_paragraph, send_prompt, squash
from _common import ROOT
from _lag_answer import Run, run_answer
from _lag_report import RATE_LABEL, breakdown, fmt, goals, summarize
from _lag_report import med as med  # re-exported for _cold.py
from _servers import (
    APP,
    BENCH_PAGE,
    RESULTS,
    StreamlitServer,
    add_streamlit_opt_argument,
    app_env,
    machine_load,
)

from tests.wire_server import WireServer, long_markdown_text

# bench/load.py, history.py and replicas.py import these from here.
__all__ = [
    "APP",
    "BENCH_PAGE",
    "CHAT_INPUT",
    "RESULTS",
    "StreamlitServer",
    "add_streamlit_opt_argument",
    "app_env",
    "chromium",
    "clock_offset",
    "machine_load",
    "send_prompt",
]


def parse_list(text: str) -> list[int]:
    return [int(float(x)) for x in text.split(",") if x.strip()]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="N 2000,8000 x R max,500, 1 repetition"
    )
    parser.add_argument(
        "--n", type=parse_list, help="chunk counts, e.g. 2000,8000 (default 2000,8000,20000)"
    )
    parser.add_argument(
        "--rate", type=parse_list, help="chunks/s, 0 = as fast as possible (default 0,2000,500)"
    )
    parser.add_argument("--reps", type=int, help="repetitions (default 3; --quick 1)")
    parser.add_argument(
        "--pages", help="comma list of naive,coalesced,app,app.py (default: all available)"
    )
    parser.add_argument(
        "--cap",
        type=float,
        default=30.0,
        help="seconds after the last chunk before a page counts as timed out",
    )
    parser.add_argument(
        "--cold", action="store_true", help="app.py: first answer of a fresh server vs warm"
    )
    parser.add_argument(
        "--same-port",
        action="store_true",
        help="--cold: every fresh server on one port, the browser's cache primed first (a"
        " developer restarting `streamlit run` with the tab open), so only the server is cold",
    )
    add_streamlit_opt_argument(parser)
    args = parser.parse_args(argv)
    StreamlitServer.options = args.streamlit_opt
    if args.cold:
        from _cold import cold_vs_warm  # imports this module: only when asked for

        cold_vs_warm(
            n=(args.n or [8000])[0],
            rate=(args.rate or [2000])[0],
            reps=args.reps or 3,
            cap_s=args.cap,
            same_port=args.same_port,
        )
        return

    if args.quick and args.n is None and args.rate is None:
        cells = [(2000, 0), (8000, 500)]
    else:
        ns = args.n or [2000, 8000, 20000]
        rates = args.rate if args.rate is not None else [0, 2000, 500]
        cells = [(n, r) for r in rates for n in ns]
    ns = sorted({n for n, _ in cells})
    reps = args.reps or (1 if args.quick else 3)
    if args.pages:
        pages = args.pages.split(",")
    else:
        pages = ["naive", "coalesced", "app.py" if APP.exists() else "app"]
    if "app.py" in pages and not APP.exists():
        sys.exit("app.py does not exist yet")
    for n in ns:
        final_paragraph(long_markdown_text(n))  # fail early on an unusable N

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    marks = RESULTS / f"render_lag-{stamp}-marks.jsonl"
    print(
        "render_lag: cells (N @ R) "
        + ", ".join(f"{n} @ {RATE_LABEL.get(r, r)}" for n, r in cells)
        + f"; reps={reps}; pages={pages}"
        + (f"; streamlit options {args.streamlit_opt}" if args.streamlit_opt else "")
    )
    print(f"machine: {machine_load()} (before)", flush=True)
    runs: list[Run] = []
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        wire = stack.enter_context(WireServer())
        bench = stack.enter_context(
            StreamlitServer(
                BENCH_PAGE,
                {"BENCH_WIRE_URL": wire.base_url, "BENCH_MARKS": str(marks)},
                log=RESULTS / f"render_lag-{stamp}-bench-page.log",
            )
        )
        servers = {name: bench for name in ("naive", "coalesced", "app", "once")}
        urls = {name: f"{bench.url}/?mode={name}" for name in ("naive", "coalesced", "app", "once")}
        if "app.py" in pages:
            servers["app.py"] = stack.enter_context(
                StreamlitServer(APP, app_env(wire), log=RESULTS / f"render_lag-{stamp}-app.log")
            )
            urls["app.py"] = servers["app.py"].url + "/"
        context = stack.enter_context(chromium())

        def one(name: str, n: int, rate: int, rep: int, reference: str | None) -> tuple[Run, str]:
            run, shown = run_answer(
                context, servers[name], urls[name], wire, marks,
                n=n, rate=rate, page_name=name, rep=rep, reference=reference, cap_s=args.cap,
            )  # fmt: skip
            wire.reset()
            return run, shown

        # Warm-up (lazy imports, docs/design.md §21) and the reference text per N.
        references: dict[int, str] = {}
        fixed: dict[str, int] = {}
        for name in dict.fromkeys(["once", *pages]):
            one(name, 200, 0, -1, None)
            tiny, _ = one(name, 25, 0, -1, None)  # a 100-character answer: the per-turn bytes
            fixed[name] = max(0, tiny.ws_bytes - tiny.text_bytes)
        for n in ns:
            run, shown = one("once", n, 0, -1, None)
            if run.lag_ms is None:
                sys.exit(f"the reference page never showed the {n}-chunk answer")
            references[n] = squash(shown)

        total = reps * sum(len(pages) + (r == 0) for _, r in cells)
        done = 0
        for rep in range(reps):
            for n, rate in cells:
                order = pages[rep % len(pages) :] + pages[: rep % len(pages)]
                if rate == 0:
                    order = ["once", *order] if rep % 2 else [*order, "once"]
                for name in order:
                    run, _ = one(name, n, rate, rep, references[n])
                    runs.append(run)
                    done += 1
                    print(
                        f"  [{done}/{total} {time.monotonic() - started:5.0f} s] N={n} R={RATE_LABEL.get(rate, rate)}"
                        f" {name:10} lag {fmt(run.lag_ms, '.0f', 'timeout')} ms, ws {run.ws_bytes / run.text_bytes:.1f}x,"
                        f" browser {run.browser_cpu_s:.2f} s, server {run.server_cpu_s:.2f} s, text {'ok' if run.text_ok else 'BAD'}"
                        + (
                            f" page errors: {run.extra['page_errors']}"
                            if "page_errors" in run.extra
                            else ""
                        )
                        + (
                            f" upstream closed after {run.extra['upstream_disconnected_after_chunks']} chunks"
                            if "upstream_disconnected_after_chunks" in run.extra
                            else ""
                        )
                        + (f" {run.extra['text_diff']}" if "text_diff" in run.extra else ""),
                        flush=True,
                    )

    out = RESULTS / f"render_lag-{stamp}.json"
    out.write_text(
        json.dumps({"machine": machine_load(), "runs": [asdict(r) for r in runs]}, indent=1)
    )
    print()
    print(
        f"machine: {machine_load()} (after); {time.monotonic() - started:.0f} s; raw runs: {out.relative_to(ROOT)}"
    )
    print()
    for line in summarize(runs, args.cap):
        print(line)
    app_pages = [p for p in pages if p in ("app", "app.py")]
    for line in breakdown(runs, [p for p in ("coalesced", *app_pages) if p in pages]):
        print(line)
    print(
        "\nWebsocket bytes per turn that do not depend on the answer (a 100-character answer's bytes"
        " minus its text): " + ", ".join(f"{k} {v / 1000:.1f} KB" for k, v in fixed.items())
    )
    for line in goals(runs, app_pages, fixed):
        print(line)


if __name__ == "__main__":
    main()
