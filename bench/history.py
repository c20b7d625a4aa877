"""Does a long conversation slow the next answer down? And does the first answer after the
server starts pay for lazy imports?

``streamlit run app.py`` against the local wire server (as its OpenAI provider), driven in
headless Chromium.

    python bench/history.py                  # 2 vs 200 messages x 5 reps, then 2 x 2 cold starts
    python bench/history.py --reps 3 --starts 2 --messages 2,200

History: a fresh page (= a fresh session) imports a saved conversation through the
sidebar's "Import a chat (JSON)" uploader (the app's own import; the JSON is written with
``chat_core.conversation.Conversation.to_json``): alternating user prompts and ~1.2 KB
markdown answers (headings, lists, code, a table). Once the page shows every imported
message, a prompt is typed and Enter pressed. The 2- and 200-message runs alternate.

What is timed, in the page's own clock (no clock sync needed): a capturing ``keydown``
listener stamps ``performance.now()`` when Enter is pressed in the chat input; a
``MutationObserver`` stamps when the new assistant message (the chat message right after
the new user message) first holds answer text (markdown whose text begins the expected
answer, so a notice or progress line does not count), and the following ``requestAnimationFrame``
(the frame that paints it). "prompt -> first text" is Enter -> that frame. For the split,
``performance.now()`` is mapped onto ``time.monotonic()`` (shared with the in-process wire
server, as in bench/render_lag.py): "-> request" is Enter -> the wire server received the
chat request (the app's rerun before it calls the provider: history drawn, settings, the
SDK call), "first chunk -> shown" is the wire server's first chunk -> first text painted.
"ws KB / msgs": what the page received over the websocket between Enter and the first
answer text (the rerun re-sends every history element before the new answer's).

Cold start: a new ``streamlit run app.py`` process; in a fresh page the prompt is sent as
soon as the chat input is visible (the worst case for the app's warm-up thread,
docs/design.md §21) or 3 s later (a person typing; ``--cold-waits``); then a second fresh page
asks again. Each variant ``--starts`` times. The goal line (first - second <= 100 ms) is
this bench's reading of "the first answer must not pay for lazy imports" (0.3-0.8 s here).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from render_lag import (
    APP,
    CHAT_INPUT,
    RESULTS,
    StreamlitServer,
    add_streamlit_opt_argument,
    app_env,
    chromium,
    clock_offset,
    machine_load,
    send_prompt,
)

from chat_core.conversation import Conversation
from chat_core.types import StreamStatus
from tests.wire_server import WireServer, long_markdown_text
from ui.messages import first_shown

TTFT_JS = r"""
(() => {
  const t = { index: null, submit: null, first: null, raf: null };
  window.__ttft = t;
  document.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && t.index !== null && t.submit === null && e.target.closest('[data-testid="stChatInput"]'))
      t.submit = performance.now();
  }, true);
  const check = () => {
    if (t.index === null || t.submit === null || t.first !== null) return;
    const m = document.querySelectorAll('[data-testid="stChatMessage"]')[t.index];
    if (!m) return;
    for (const md of m.querySelectorAll('[data-testid="stMarkdownContainer"]')) {
      const text = md.textContent.replace(/\s+/g, "");
      if (text && t.expected.startsWith(text.slice(0, 20))) {
        t.first = performance.now();
        t.wsBytes = window.__ws ? window.__ws.bytes : null;
        t.wsMsgs = window.__ws ? window.__ws.msgs : null;
        requestAnimationFrame(() => { t.raf = performance.now(); });
        return;
      }
    }
  };
  new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true });
  window.__ttftArm = (index, expected) => {
    if (window.__ws) Object.assign(window.__ws, { bytes: 0, msgs: 0 });
    Object.assign(t, { index, expected, submit: null, first: null, raf: null, wsBytes: null, wsMsgs: null });
  };
})();
"""

ANSWER_CHUNKS = 300  # the next answer: ~1.2 KB, sent as fast as possible


def history_file(messages: int) -> Path:
    """A saved conversation of ``messages`` turns (user, assistant, ...), as the app exports it."""
    conv = Conversation()
    answer = long_markdown_text(300)
    for i in range(messages):
        if i % 2 == 0:
            conv.add_user(f"Question {i // 2 + 1}: how do I stream a long answer without lag?")
        else:
            turn = conv.add_assistant(provider="openai", model="gpt-4o-mini")
            turn.content = answer
            turn.status = StreamStatus.COMPLETE
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"history-{messages}.json"
    path.write_text(conv.to_json(), encoding="utf-8")
    return path


def open_page(context: Any, url: str) -> Any:
    page = context.new_page()
    page.add_init_script(TTFT_JS)
    page.goto(url)
    page.wait_for_selector(CHAT_INPUT, timeout=60_000)
    return page


def import_history(page: Any, path: Path, messages: int, *, show_all: bool = False) -> int:
    """Import the chat; with ``show_all``, click "Show earlier messages" until every message
    is on the page. Returns how many chat messages the page shows."""
    page.get_by_text("Import a chat (JSON)").click()
    page.locator('[data-testid="stSidebar"] input[type="file"]').set_input_files(str(path))
    page.wait_for_selector('[data-testid="stAlert"]:has-text("Imported")', timeout=30_000)
    earlier = 0
    while show_all and first_shown(messages, earlier):
        page.locator(".st-key-show_earlier button").click()
        earlier += 1
        shown = messages - first_shown(messages, earlier)
        page.wait_for_function(
            "(n) => document.querySelectorAll('[data-testid=\"stChatMessage\"]').length === n",
            arg=shown,
            timeout=60_000,
        )
    shown = messages - first_shown(messages, earlier)
    page.wait_for_function(
        "(n) => document.querySelectorAll('[data-testid=\"stChatMessage\"]').length === n",
        arg=shown,
        timeout=60_000,
    )
    return int(shown)


def ask_and_time(page: Any, wire: WireServer, index: int) -> dict[str, float]:
    """Send a prompt; the answer appears as chat message ``index``. Times in ms."""
    tag = f"h{uuid.uuid4().hex[:10]}"
    offset, _ = clock_offset(page)
    expected = "".join(long_markdown_text(ANSWER_CHUNKS).replace("#", "").split())[:40]
    page.evaluate("([i, e]) => window.__ttftArm(i, e)", [index, expected])
    send_prompt(page, f"next question {tag} #wire:rate:{ANSWER_CHUNKS}:0")
    page.wait_for_function("() => window.__ttft.raf !== null", polling=50, timeout=60_000)
    t = page.evaluate("() => window.__ttft")
    rec = next(r for r in wire.requests if tag in r.user_text)
    to_mono = lambda ms: ms / 1000 + offset  # noqa: E731
    out = {
        "first_text_ms": t["raf"] - t["submit"],
        "to_request_ms": (rec.received_at - to_mono(t["submit"])) * 1000,
        "chunk_to_shown_ms": (to_mono(t["raf"]) - rec.first_chunk_at) * 1000
        if rec.first_chunk_at
        else float("nan"),
        "ws_kb": (t["wsBytes"] or 0) / 1000,
        "ws_msgs": t["wsMsgs"] or 0,
    }
    wire.wait_until_idle(30)
    return out


def quiet(server: StreamlitServer) -> None:
    server.wait_quiet()
    time.sleep(0.2)


def med(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=5, help="repetitions per history size")
    parser.add_argument(
        "--messages", default="2,200", help="history sizes, comma separated (first = baseline)"
    )
    parser.add_argument(
        "--starts", type=int, default=2, help="cold server starts per variant for first-vs-second"
    )
    parser.add_argument(
        "--cold-waits",
        type=lambda text: [float(x) for x in text.split(",")],
        default=[0.0, 3.0],
        help="variants: seconds between the fresh server's page being ready and the first prompt",
    )
    parser.add_argument(
        "--show-all",
        action="store_true",
        help="click 'Show earlier messages' until the whole history is on the page (the app shows"
        " the last 20-39 messages of a long chat by default)",
    )
    add_streamlit_opt_argument(parser)
    args = parser.parse_args(argv)
    StreamlitServer.options = args.streamlit_opt
    if not APP.exists():
        sys.exit("app.py does not exist yet")
    sizes = [int(x) for x in args.messages.split(",")]
    files = {n: history_file(n) for n in sizes}

    shown = (
        "every message on the page"
        if args.show_all
        else "the app's default window of recent messages"
    )
    print(
        f"history: prompt -> first answer text visible, history sizes {sizes} x {args.reps} reps;"
        f" app.py in Chromium, {shown}"
    )
    print(f"machine: {machine_load()} (before)", flush=True)
    results: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
    cold: dict[float, list[tuple[dict[str, float], dict[str, float]]]] = {}
    with WireServer() as wire, chromium() as context:
        with StreamlitServer(APP, app_env(wire)) as server:
            page = open_page(context, server.url)  # warm-up: imports, first answer
            ask_and_time(page, wire, 1)
            page.close()
            for rep in range(args.reps):
                order = sizes if rep % 2 == 0 else sizes[::-1]
                for n in order:
                    page = open_page(context, server.url)
                    try:
                        shown = import_history(page, files[n], n, show_all=args.show_all)
                        quiet(server)
                        row = ask_and_time(page, wire, shown + 1)
                    finally:
                        page.close()
                    results[n].append(row)
                    print(
                        f"  rep {rep} history {n:>4}: prompt -> first text {row['first_text_ms']:6.0f} ms"
                        f" (-> request {row['to_request_ms']:5.0f}, first chunk -> shown {row['chunk_to_shown_ms']:5.0f};"
                        f" {row['ws_kb']:.0f} KB in {row['ws_msgs']:.0f} websocket messages before it)",
                        flush=True,
                    )
                    wire.reset()
        for start in range(args.starts):
            for wait_s in args.cold_waits:
                with StreamlitServer(APP, app_env(wire)) as server:
                    rows = []
                    for attempt in range(2):
                        page = open_page(context, server.url)
                        try:
                            if attempt == 0:
                                time.sleep(wait_s)
                            rows.append(ask_and_time(page, wire, 1))
                        finally:
                            page.close()
                        wire.reset()
                    cold.setdefault(wait_s, []).append((rows[0], rows[1]))
                    print(
                        f"  start {start}, first prompt {wait_s:.0f} s after the page is ready:"
                        f" first answer {rows[0]['first_text_ms']:6.0f} ms (-> request {rows[0]['to_request_ms']:4.0f}),"
                        f" second {rows[1]['first_text_ms']:6.0f} ms (-> request {rows[1]['to_request_ms']:4.0f})",
                        flush=True,
                    )

    print(f"\nmachine: {machine_load()} (after)\n")
    base = sizes[0]
    if not args.reps:
        sizes = []
    print(
        f"{'history':>8} {'prompt -> first text':>21} {'(min-max)':>12} {'-> request':>11} {'chunk -> shown':>15}"
        f" {'ws KB':>6} {'ws msgs':>7} {'ratio':>6}"
    )
    for n in sizes:
        rows = results[n]
        firsts = [r["first_text_ms"] for r in rows]
        ratio = med(rows, "first_text_ms") / med(results[base], "first_text_ms")
        print(
            f"{n:>8} {med(rows, 'first_text_ms'):18.0f} ms {f'{min(firsts):.0f}-{max(firsts):.0f}':>12}"
            f" {med(rows, 'to_request_ms'):8.0f} ms {med(rows, 'chunk_to_shown_ms'):12.0f} ms"
            f" {med(rows, 'ws_kb'):6.0f} {med(rows, 'ws_msgs'):7.0f} {ratio:6.2f}"
        )
    for wait_s, pairs in cold.items():
        first = statistics.median(c[0]["first_text_ms"] for c in pairs)
        second = statistics.median(c[1]["first_text_ms"] for c in pairs)
        first_req = statistics.median(c[0]["to_request_ms"] for c in pairs)
        second_req = statistics.median(c[1]["to_request_ms"] for c in pairs)
        print(
            f"after server start, first prompt {wait_s:.0f} s after the page is ready: first answer {first:.0f} ms"
            f" (-> request {first_req:.0f}), second {second:.0f} ms (-> request {second_req:.0f});"
            f" first - second = {first - second:.0f} ms"
        )
    for n in sizes[1:]:
        ratio = med(results[n], "first_text_ms") / med(results[base], "first_text_ms")
        print(
            f"goal {n} vs {base} messages <= 1.5x: {ratio:.2f}x {'met' if ratio <= 1.5 else 'MISSED'}"
        )
    for wait_s, pairs in cold.items():
        extra = statistics.median(c[0]["first_text_ms"] - c[1]["first_text_ms"] for c in pairs)
        print(
            f"goal first answer after start ({wait_s:.0f} s after page ready) pays no lazy imports"
            f" (first - second <= 100 ms): {extra:.0f} ms {'met' if extra <= 100 else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
