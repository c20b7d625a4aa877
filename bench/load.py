"""Twenty people streaming long answers from one app server at once.

``streamlit run app.py`` against the local wire server (as its OpenAI provider); 20 sessions
connect, load the chat page, then all send a prompt at the same moment; each answer is 2,000
four-character chunks at 500 chunks/s (a 4 s answer, ~8 KB of markdown).

    python bench/load.py                       # 20 sessions, 2000 chunks @ 500/s, 1 round
    python bench/load.py --sessions 5 --rounds 3
    python bench/load.py --page once           # diagnosis: the SDK + stream engine alone

Clients: raw Streamlit websocket clients, not browsers (20 Chromium tabs do not fit on two
cores next to the server, and would measure Chromium more than the app). Each client speaks
the protocol the web frontend speaks (``streamlit.proto``): it opens ``/_stcore/stream``
with the ``streamlit`` subprotocol, sends ``BackMsg.rerun_script`` with an empty
``ClientState`` (the first run of the default page), reads ``ForwardMsg``s until
``script_finished``, takes the chat input's widget id from the ``ChatInput`` element, and
sends the prompt as a second ``rerun_script`` whose ``WidgetStates`` holds that id with a
``chat_input_value`` and whose ``fragment_id`` is the fragment the chat input was drawn in
(the delta's ``fragment_id``): what the browser sends when Enter is pressed, so only that
fragment reruns, as it does for a person (docs/design.md §35). It keeps the markdown
elements of the current run by ``delta_path``.

Lag per session: the wire server runs in this process and stamps its last byte
(``Record.finished_at``, ``time.monotonic()``); the client stamps when the markdown delta
carrying the answer's final paragraph arrived. This is delivery lag (server + websocket),
without the browser's render (bench/render_lag.py measures that, ~30-150 ms here).
"Exact text": once the run finished, the answer's markdown elements (the delta that showed the
final paragraph and its siblings in the same container, i.e. the app's frozen blocks and live
tail) joined with blank lines equal the wire answer (Streamlit strips each element's
surrounding whitespace). Server CPU is the app process's CPU time from just before the
prompts to the end of the last answer; memory is its RSS growth from before the sessions
connected to the peak during the answers (sampled every 100 ms), both divided by the number
of sessions. The wire server and the clients run in this process (its CPU is printed too),
not in the app's.

Diagnosis: ``--page once`` sends the same load to a bench page that draws nothing until the
answer is complete (what the SDK and the stream engine alone cost the server);
``--streamlit-opt runner.postScriptGC=false`` tries a server option without editing the app.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

import psutil
import websockets
from render_lag import (
    APP,
    BENCH_PAGE,
    StreamlitServer,
    add_streamlit_opt_argument,
    app_env,
    machine_load,
)
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.Common_pb2 import ChatInputValue
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

from tests.wire_server import WireServer, long_markdown_text


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Session:
    index: int
    tag: str = field(default_factory=lambda: f"L{uuid.uuid4().hex[:10]}")
    chat_input_id: str | None = None
    chat_input_fragment: str = ""
    """The fragment the chat input was drawn in: a browser sends it with the prompt, so only
    that fragment reruns (docs/design.md §27)."""
    page_script_hash: str = ""
    sent_at: float | None = None
    final_at: float | None = None
    final_path: tuple[int, ...] | None = None
    finished_at: float | None = None
    answer_text: str | None = None
    ws_bytes: int = 0
    ws_msgs: int = 0
    error: str | None = None
    markdown: dict[tuple[int, ...], str] = field(default_factory=dict, repr=False)


class Client:
    """One Streamlit session over a raw websocket."""

    def __init__(self, url: str, session: Session, final_paragraph: str, query: str = "") -> None:
        self.query = query
        self.url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.s = session
        self.final_paragraph = final_paragraph
        self.ws: websockets.ClientConnection | None = None
        self.ready = asyncio.Event()
        self._kept: list[bytes] = []

    async def _send_rerun(self, widgets: Sequence[WidgetState] = (), fragment: str = "") -> None:
        assert self.ws is not None
        state = ClientState(
            query_string=self.query,
            page_script_hash=self.s.page_script_hash,
            widget_states=WidgetStates(widgets=list(widgets)),
            fragment_id=fragment,
        )
        await self.ws.send(BackMsg(rerun_script=state).SerializeToString())

    def _on_message(self, data: bytes, at: float | None = None) -> bool:
        """Handle one ForwardMsg (received at ``at``, monotonic); True on ``script_finished``."""
        msg = ForwardMsg.FromString(data)
        kind = msg.WhichOneof("type")
        if kind == "new_session":
            self.s.markdown.clear()
            if msg.new_session.page_script_hash:
                self.s.page_script_hash = msg.new_session.page_script_hash
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
            element = msg.delta.new_element
            path = tuple(msg.metadata.delta_path)
            which = element.WhichOneof("type")
            if which == "chat_input":
                self.s.chat_input_id = element.chat_input.id
                self.s.chat_input_fragment = msg.delta.fragment_id
            elif which == "markdown":
                body = element.markdown.body
                self.s.markdown[path] = body
                if (
                    self.s.final_path is None
                    and self.s.sent_at is not None
                    and body.endswith(self.final_paragraph)
                ):
                    self.s.final_path = path
                    if at is not None:
                        self.s.final_at = at
            else:
                self.s.markdown.pop(path, None)
        elif kind == "script_finished":
            return True
        return False

    async def connect(self) -> None:
        self.ws = await websockets.connect(
            self.url, subprotocols=[websockets.Subprotocol("streamlit")], max_size=None
        )
        await self._send_rerun()
        async for data in self.ws:
            assert isinstance(data, bytes)
            if self._on_message(data) and self.s.chat_input_id:
                break
        if not self.s.chat_input_id:
            raise RuntimeError("the page has no chat input")

    async def ask(self, prompt: str, timeout_s: float) -> None:
        """Send ``prompt`` and read until the run that shows the whole answer finishes.

        Cheap while the answer streams, so that 100 clients in one process measure the server,
        not themselves: a message is only counted and kept until its bytes contain the final
        paragraph (a protobuf string field is its UTF-8 bytes, contiguous); that message is
        parsed to confirm it and stamp ``final_at``, later ones to find ``script_finished``.
        The kept messages are parsed by ``read_answer`` once every session is done."""
        assert self.ws is not None and self.s.chat_input_id is not None
        widget = WidgetState(id=self.s.chat_input_id, chat_input_value=ChatInputValue(data=prompt))
        final = self.final_paragraph.encode()
        kept = self._kept
        self.s.sent_at = time.monotonic()
        await self._send_rerun([widget], self.s.chat_input_fragment)
        async with asyncio.timeout(timeout_s):
            async for data in self.ws:
                assert isinstance(data, bytes)
                self.s.ws_bytes += len(data)
                kept.append(data)
                if self.s.final_at is None:
                    if final in data and not self._on_message(data, time.monotonic()):
                        continue
                    if self.s.final_at is None:
                        continue
                elif not self._on_message(data):
                    continue
                break
        self.s.finished_at = time.monotonic()

    def read_answer(self) -> None:
        """Parse the messages ``ask`` kept, in order: the answer's markdown elements (the
        element that showed the final paragraph and its siblings in the same container)."""
        self.s.ws_msgs = len(self._kept)
        self.s.final_path = None
        for data in self._kept:
            self._on_message(data)
        self._kept.clear()
        if self.s.final_path is not None:
            parent = self.s.final_path[:-1]
            blocks = sorted(
                (path[-1], body)
                for path, body in self.s.markdown.items()
                if path[:-1] == parent and len(path) == len(self.s.final_path)
            )
            self.s.answer_text = "\n\n".join(body for _, body in blocks)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


class Sampler:
    """Peak RSS of a process, sampled from a thread every 100 ms."""

    def __init__(self, server: StreamlitServer) -> None:
        self.server = server
        self.peak_mb = server.rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            with contextlib.suppress(Exception):
                self.peak_mb = max(self.peak_mb, self.server.rss_mb())

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_mb


async def one_round(
    server: StreamlitServer, sessions: int, n: int, rate: int, timeout_s: float, query: str = ""
) -> tuple[list[Session], float, float, float, float]:
    text = long_markdown_text(n)
    final_paragraph = text.rstrip().rsplit("\n\n", 1)[-1]
    rss0 = server.rss_mb()
    clients = [Client(server.url, Session(i), final_paragraph, query) for i in range(sessions)]
    try:
        await asyncio.gather(*(c.connect() for c in clients))
        server.wait_quiet()
        rss_connected = server.rss_mb()
        sampler = Sampler(server)
        cpu0 = server.cpu_s()
        results = await asyncio.gather(
            *(c.ask(f"load {c.s.tag} #wire:rate:{n}:{rate}", timeout_s) for c in clients),
            return_exceptions=True,
        )
        cpu1 = server.cpu_s()
        peak = sampler.stop()
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    for client, result in zip(clients, results, strict=True):
        client.read_answer()
        if isinstance(result, BaseException):
            client.s.error = f"{type(result).__name__}: {result}"
    return [c.s for c in clients], cpu1 - cpu0, rss0, rss_connected, peak


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--n", type=int, default=2000, help="chunks per answer")
    parser.add_argument(
        "--rate", type=int, default=500, help="chunks/s per answer (0 = as fast as possible)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds (fresh sessions each time)")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds per answer before it counts as failed"
    )
    parser.add_argument(
        "--page",
        default="app.py",
        choices=["app.py", "naive", "coalesced", "app", "once"],
        help="diagnosis: instead of app.py, a bench page (bench/pages/stream_page.py); 'once' draws"
        " nothing until the answer is complete, so it costs only the SDK and the stream engine",
    )
    add_streamlit_opt_argument(parser)
    args = parser.parse_args(argv)
    StreamlitServer.options = args.streamlit_opt
    if args.page == "app.py" and not APP.exists():
        sys.exit("app.py does not exist yet")

    text = long_markdown_text(args.n)
    print(
        f"load: {args.sessions} sessions at once x {args.rounds} round(s), {args.n} chunks @ {args.rate}/s each,"
        " raw Streamlit websocket clients (not browsers) against "
        + ("streamlit run app.py" if args.page == "app.py" else f"bench page mode={args.page}")
        + (f" with {args.streamlit_opt}" if args.streamlit_opt else "")
    )
    print(f"machine: {machine_load()} (before)", flush=True)
    lags: list[float] = []
    rows: list[str] = []
    all_ok = True
    per_session_cpu: list[float] = []
    per_session_mb: list[float] = []
    me = psutil.Process()
    query = ""
    with contextlib.ExitStack() as stack:
        wire = stack.enter_context(WireServer())
        if args.page == "app.py":
            server = stack.enter_context(StreamlitServer(APP, app_env(wire)))
        else:
            server = stack.enter_context(
                StreamlitServer(BENCH_PAGE, {"BENCH_WIRE_URL": wire.base_url})
            )
            query = f"mode={args.page}"
        asyncio.run(one_round(server, 1, 200, 0, 30, query))  # warm-up: imports, first run
        wire.reset()
        for rnd in range(args.rounds):
            own0 = sum(me.cpu_times()[:2])
            sessions, cpu_s, rss0, rss_conn, peak = asyncio.run(
                one_round(server, args.sessions, args.n, args.rate, args.timeout, query)
            )
            own_cpu = sum(me.cpu_times()[:2]) - own0
            records = {
                s.tag: rec for rec in wire.requests for s in sessions if s.tag in rec.user_text
            }
            wire.reset()
            per_session_cpu.append(cpu_s / args.sessions)
            per_session_mb.append((peak - rss0) / args.sessions)
            for s in sessions:
                rec = records.get(s.tag)
                lag = None
                if rec is not None and rec.finished_at is not None and s.final_at is not None:
                    lag = (s.final_at - rec.finished_at) * 1000
                    lags.append(lag)
                exact = s.answer_text == text.strip()
                all_ok &= exact and s.error is None
                rows.append(
                    f"{rnd:>5} {s.index:>7} {'yes' if exact else 'NO':>5} {'-' if lag is None else f'{lag:.0f}':>7}"
                    f" {s.ws_bytes / len(text):>8.1f} {s.ws_msgs:>7}  {s.error or ''}"
                )
            print(
                f"  round {rnd}: server CPU {cpu_s:.2f} s ({cpu_s / args.sessions:.3f} s/session),"
                f" RSS {rss0:.0f} MB -> {rss_conn:.0f} MB connected -> {peak:.0f} MB peak;"
                f" this process (wire server + clients) {own_cpu:.2f} s",
                flush=True,
            )

    print(f"\nmachine: {machine_load()} (after)\n")
    print(f"{'round':>5} {'session':>7} {'exact':>5} {'lag ms':>7} {'ws/text':>8} {'ws msgs':>7}")
    for row in rows:
        print(row)
    print()
    total = args.sessions * args.rounds
    print(
        f"all complete with exact text: {'yes' if all_ok else 'NO'} ({sum(r.split()[2] == 'yes' for r in rows)}/{total})"
    )
    if lags:
        p50, p95 = statistics.median(lags), percentile(lags, 95)
        print(
            f"lag after the last chunk (delivery to the client): p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(lags):.0f} ms"
        )
    else:
        p95 = float("inf")
        print("lag: no session showed its final text")
    print(
        f"server per session: CPU {statistics.median(per_session_cpu):.3f} s per answer,"
        f" memory {statistics.median(per_session_mb):.1f} MB (RSS peak growth / sessions)"
    )
    per_chunk = statistics.median(per_session_cpu) / args.n
    if args.rate:
        print(
            f"server CPU per chunk: {per_chunk * 1e6:.0f} us -> one core sustains ~{1 / per_chunk:.0f} chunks/s;"
            f" this load asks for {args.sessions * args.rate} chunks/s"
            " (a Streamlit server is one Python process: scripts share one GIL)"
        )
    print(
        f"goal p95 lag <= 250 ms: {'met' if p95 <= 250 else 'MISSED'}; goal all exact: {'met' if all_ok else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
