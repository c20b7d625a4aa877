"""Headless Chromium for the benchmarks: the init script that counts websocket bytes and stamps
when the final paragraph shows (``INIT_JS``), one clock for page and bench, the chat page's
input, the text a page shows. Shared by bench/render_lag.py and bench/history.py."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (puts the repository root on sys.path, for tests.*)
import psutil

from tests.servers import CHROMIUM, CHROMIUM_ARGS

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


def read_marks(path: Path, tag: str) -> dict[str, Any] | None:
    with contextlib.suppress(OSError):
        for line in path.read_text(encoding="utf-8").splitlines():
            mark = json.loads(line)
            if tag in mark.get("prompt", ""):
                return mark
    return None
