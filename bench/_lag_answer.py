"""One answer of bench/render_lag.py: a prompt sent to one page, timed from the wire server's last
byte to the final text on screen, with bytes, frames and CPU (``Run``, ``run_answer``)."""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _browser import (
    chromium_cpu_s,
    clock_offset,
    final_paragraph,
    first_difference,
    open_chat,
    page_metrics,
    read_marks,
    send_prompt,
    settled_text,
    squash,
)
from _servers import StreamlitServer, wait_record

from tests.wire_server import WireServer, long_markdown_text


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
