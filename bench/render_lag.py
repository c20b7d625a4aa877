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
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil
from _common import ROOT, free_port, wait_http

from tests.servers import CHROMIUM, CHROMIUM_ARGS
from tests.wire_server import WireServer, long_markdown_text

RESULTS = ROOT / "bench" / "results"
BENCH_PAGE = ROOT / "bench" / "pages" / "stream_page.py"
APP = ROOT / "app.py"
RATE_LABEL = {0: "max"}

CHAT_INPUT = '[data-testid="stChatInput"] textarea'

# Counts websocket bytes in the page and stamps when the expected final paragraph shows.
INIT_JS = r"""
(() => {
  const ws = { bytes: 0, msgs: 0, last: null };
  window.__ws = ws;
  const Native = window.WebSocket;
  class CountingWebSocket extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const d = event.data;
        ws.bytes += (d.byteLength ?? d.size ?? d.length ?? 0);
        ws.msgs += 1;
        ws.last = performance.now();
      });
    }
  }
  window.WebSocket = CountingWebSocket;
  const bench = { expected: null, dom: null, raf: null, wsAt: null, wsBytesAt: null };
  window.__bench = bench;
  const norm = (s) => s.replace(/\s+/g, " ").trim();
  const check = () => {
    if (bench.expected === null || bench.dom !== null) return;
    const messages = document.querySelectorAll('[data-testid="stChatMessage"]');
    if (!messages.length) return;
    const paragraphs = messages[messages.length - 1].querySelectorAll("p");
    for (let i = paragraphs.length - 1; i >= Math.max(0, paragraphs.length - 6); i--) {
      if (norm(paragraphs[i].textContent) === bench.expected) {
        bench.dom = performance.now();
        bench.wsAt = ws.last;
        bench.wsBytesAt = ws.bytes;
        requestAnimationFrame(() => { bench.raf = performance.now(); });
        return;
      }
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true });
  window.__benchArm = (expected) => {
    ws.bytes = 0; ws.msgs = 0; ws.last = null;
    Object.assign(bench, { expected, dom: null, raf: null, wsAt: null, wsBytesAt: null });
    check();
  };
  // The answer's markdown only: not the avatar, captions or notices around it.
  window.__benchText = () => {
    const messages = document.querySelectorAll('[data-testid="stChatMessage"]');
    if (!messages.length) return "";
    const parts = messages[messages.length - 1].querySelectorAll('[data-testid="stMarkdownContainer"]');
    return Array.from(parts, (el) => el.innerText).join("\n");
  };
})();
"""


# --------------------------------------------------------------------------------------------
# Harness shared with bench/load.py and bench/history.py
# --------------------------------------------------------------------------------------------


def _no_secrets() -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "no-secrets.toml"
    if not path.exists():
        path.write_text("# bench: intentionally empty\n")
    return path


class StreamlitServer:
    """``streamlit run SCRIPT`` on a free port, in its own process (psutil handle ``proc``)."""

    options: list[str] = []
    """Extra ``--section.option=value`` flags for every server (the benches' ``--streamlit-opt``)."""

    def __init__(
        self, script: Path, env: dict[str, str] | None = None, *, log: Path | None = None
    ) -> None:
        self.script = script
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(script),
            "--server.headless", "true",
            "--server.port", str(self.port),
            "--server.address", "127.0.0.1",
            "--server.fileWatcherType", "none",
            "--server.runOnSave", "false",
            "--browser.gatherUsageStats", "false",
            # No .streamlit/secrets.toml: keys and base URLs come from ``env`` only.
            "--secrets.files", str(_no_secrets()),
            *(f"--{opt}" for opt in self.options),
        ]  # fmt: skip
        self._log = open(log or os.devnull, "ab")  # noqa: SIM115 - closed in stop()
        self._popen = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self.proc = psutil.Process(self._popen.pid)
        started = False
        try:
            wait_http(f"{self.url}/_stcore/health", 60)
            started = True
        finally:
            if not started:  # also on Ctrl-C: never leave a server behind
                self.stop()

    def cpu_s(self) -> float:
        t = self.proc.cpu_times()
        return t.user + t.system

    def rss_mb(self) -> float:
        return self.proc.memory_info().rss / 2**20

    def wait_quiet(self, below: float = 0.15, timeout_s: float = 15.0) -> None:
        """Until the server uses < ``below`` of a core over 0.25 s (a stopped run winds down)."""
        deadline = time.monotonic() + timeout_s
        before = self.cpu_s()
        while time.monotonic() < deadline:
            time.sleep(0.25)
            now = self.cpu_s()
            if now - before < below * 0.25:
                return
            before = now

    def stop(self) -> None:
        if self._popen.poll() is None:
            self._popen.terminate()
            try:
                self._popen.wait(10)
            except subprocess.TimeoutExpired:
                self._popen.kill()
                self._popen.wait(5)
        self._log.close()

    def __enter__(self) -> StreamlitServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def add_streamlit_opt_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--streamlit-opt",
        action="append",
        default=[],
        metavar="SECTION.OPTION=VALUE",
        help="extra Streamlit option for the servers, e.g. runner.postScriptGC=false (to try a"
        " setting without editing .streamlit/config.toml); repeatable",
    )


def app_env(wire: WireServer) -> dict[str, str]:
    """Environment that points the app at the wire server as its OpenAI provider."""
    return {
        "OPENAI_API_KEY": "sk-bench",
        "OPENAI_BASE_URL": wire.openai_base_url,
        "ANTHROPIC_API_KEY": "",
        "OPENAI_COMPATIBLE_API_KEY": "",
        "OPENAI_COMPATIBLE_BASE_URL": "",
        "PYTHONUNBUFFERED": "1",
    }


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """A headless Chromium (docs/design.md §17) with a context that runs ``INIT_JS``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            context.add_init_script(INIT_JS)
            yield context
        finally:
            browser.close()


def chromium_cpu_s() -> float:
    """CPU seconds of every Chromium process started under this process."""
    total = 0.0
    for proc in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "chrom" in proc.name().lower():
                t = proc.cpu_times()
                total += t.user + t.system
    return total


def clock_offset(page: Any, samples: int = 7) -> tuple[float, float]:
    """(offset, error) such that ``time.monotonic() ≈ performance.now() / 1000 + offset``."""
    best: tuple[float, float] | None = None
    for _ in range(samples):
        t0 = time.monotonic()
        now_ms = page.evaluate("performance.now()")
        t1 = time.monotonic()
        rtt = t1 - t0
        if best is None or rtt < best[1] * 2:
            best = ((t0 + t1) / 2 - now_ms / 1000, rtt / 2)
    assert best is not None
    return best


def final_paragraph(text: str) -> str:
    """The last paragraph of a wire answer, whitespace-collapsed, as the page shows it."""
    last = text.rstrip().rsplit("\n\n", 1)[-1]
    if not last.startswith("In summary"):
        raise ValueError("wire answer does not end with its plain closing paragraph")
    return " ".join(last.split())


def squash(text: str) -> str:
    return "".join(text.split())


def settled_text(page: Any, reference: str | None, timeout_s: float = 5.0) -> str:
    """The last chat message's text once it equals ``reference`` (squashed) or, without a
    reference, once it stopped changing for 0.5 s. Code blocks render lazily (their
    highlighter loads asynchronously), so the text can lag a little behind the final
    paragraph; this is a correctness check, not part of the timing."""
    deadline = time.monotonic() + timeout_s
    shown = page.evaluate("() => window.__benchText()")
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        if reference is not None and squash(shown) == reference:
            break
        if reference is None and time.monotonic() - stable_since >= 0.5:
            break
        time.sleep(0.1)
        now = page.evaluate("() => window.__benchText()")
        if now != shown:
            shown, stable_since = now, time.monotonic()
    return shown


def first_difference(want: str, got: str, context: int = 60) -> dict[str, Any]:
    """Where two squashed texts part (for the raw JSON when a page's final text is wrong)."""
    at = next(
        (i for i, (a, b) in enumerate(zip(want, got, strict=False)) if a != b),
        min(len(want), len(got)),
    )
    return {
        "at": at,
        "want_len": len(want),
        "got_len": len(got),
        "want": want[max(0, at - context) : at + context],
        "got": got[max(0, at - context) : at + context],
    }


def page_metrics(cdp: Any) -> dict[str, float]:
    got = cdp.send("Performance.getMetrics")["metrics"]
    return {m["name"]: float(m["value"]) for m in got}


def open_chat(context: Any, url: str) -> tuple[Any, Any]:
    """A new page (= a new Streamlit session) at ``url`` with the chat input ready."""
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector(CHAT_INPUT, timeout=30_000)
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    time.sleep(0.3)  # let the first script run finish
    return page, cdp


def send_prompt(page: Any, prompt: str) -> None:
    box = page.locator(CHAT_INPUT)
    box.fill(prompt)
    box.press("Enter")


def wait_record(wire: WireServer, tag: str, timeout_s: float) -> Any:
    """The wire record whose prompt holds ``tag``, once its response has ended."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for rec in wire.requests:
            if tag in rec.user_text and rec.finished_at is not None:
                return rec
        time.sleep(0.02)
    raise TimeoutError(f"wire server never finished the answer for {tag}")


def read_marks(path: Path, tag: str) -> dict[str, Any] | None:
    with contextlib.suppress(OSError):
        for line in path.read_text(encoding="utf-8").splitlines():
            mark = json.loads(line)
            if tag in mark.get("prompt", ""):
                return mark
    return None


def med(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


# --------------------------------------------------------------------------------------------
# One answer
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    n: int
    rate: int
    page: str
    rep: int
    lag_ms: float | None = None
    """None: the final text never showed within the cap."""
    text_ok: bool = False
    ws_bytes: int = 0
    ws_msgs: int = 0
    text_bytes: int = 0
    frames: int | None = None
    server_cpu_s: float = 0.0
    browser_cpu_s: float = 0.0
    main_s: float = 0.0
    script_s: float = 0.0
    layout_s: float = 0.0
    script_done_ms: float | None = None
    last_ws_ms: float | None = None
    clock_err_ms: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def run_answer(
    context: Any,
    server: StreamlitServer,
    url: str,
    wire: WireServer,
    marks: Path,
    *,
    n: int,
    rate: int,
    page_name: str,
    rep: int,
    reference: str | None,
    cap_s: float,
) -> tuple[Run, str]:
    """Stream one answer into a fresh page; returns the run and the page's final text."""
    text = long_markdown_text(n)
    tag = f"b{uuid.uuid4().hex[:10]}"
    prompt = f"bench {tag} #wire:rate:{n}:{rate}"
    run = Run(n, rate, page_name, rep, text_bytes=len(text.encode()))
    server.wait_quiet()
    page, cdp = open_chat(context, url)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)[:200]))
    try:
        offset, err = clock_offset(page)
        run.clock_err_ms = err * 1000
        page.evaluate("(e) => window.__benchArm(e)", final_paragraph(text))
        cpu0, bcpu0, m0 = server.cpu_s(), chromium_cpu_s(), page_metrics(cdp)
        send_prompt(page, prompt)
        stream_s = n / rate if rate else 0.0
        rec = wait_record(wire, tag, stream_s + 60)
        visible = None
        with contextlib.suppress(Exception):  # playwright TimeoutError
            page.wait_for_function(
                "() => window.__bench.raf !== null",
                polling=100,
                timeout=max(1.0, rec.finished_at + cap_s - time.monotonic()) * 1000,
            )
            visible = page.evaluate("() => window.__bench")
        time.sleep(0.3)
        cpu1, bcpu1, m1 = server.cpu_s(), chromium_cpu_s(), page_metrics(cdp)
        ws = page.evaluate("() => window.__ws")
        shown = settled_text(page, reference if visible is not None else None)
        exceptions = page.locator('[data-testid="stException"]').count()
    finally:
        page.close()
    last = rec.finished_at
    if visible is not None:
        run.lag_ms = (visible["raf"] / 1000 + offset - last) * 1000
        if visible["wsAt"] is not None:
            run.last_ws_ms = (visible["wsAt"] / 1000 + offset - last) * 1000
    run.text_ok = visible is not None and (reference is None or squash(shown) == reference)
    run.ws_bytes, run.ws_msgs = int(ws["bytes"]), int(ws["msgs"])
    run.server_cpu_s = cpu1 - cpu0
    run.browser_cpu_s = bcpu1 - bcpu0
    run.main_s = m1.get("TaskDuration", 0) - m0.get("TaskDuration", 0)
    run.script_s = m1.get("ScriptDuration", 0) - m0.get("ScriptDuration", 0)
    run.layout_s = (m1.get("LayoutDuration", 0) + m1.get("RecalcStyleDuration", 0)) - (
        m0.get("LayoutDuration", 0) + m0.get("RecalcStyleDuration", 0)
    )
    mark = read_marks(marks, tag)
    if mark is not None:
        run.frames = mark["frames"]
        run.script_done_ms = (mark["done_at"] - last) * 1000
    run.extra = {"chunks_sent": rec.chunks_sent, "completed": rec.completed}
    if rec.disconnected:  # the app stopped reading: e.g. Streamlit dropped the session (NOTES 20)
        run.extra["upstream_disconnected_after_chunks"] = rec.chunks_sent
    if errors or exceptions:
        run.extra["page_errors"] = errors + [f"{exceptions} stException element(s)"] * bool(
            exceptions
        )
        run.text_ok = False
    if reference is not None and not run.text_ok:
        run.extra["text_diff"] = first_difference(reference, squash(shown))
    return run, shown


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def machine_load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} cores"


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
