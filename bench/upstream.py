"""A cheap fake OpenAI upstream for the load benchmarks, in its own process.

    python bench/upstream.py --port 8600        # serves until killed

It answers ``POST /v1/chat/completions`` (streaming) with the same bytes the wire server
(tests/wire) sends for the prompt's ``#wire:rate:N:R`` trigger (``long_markdown_text(N)`` in
4-character chunks, R chunks/s; R = 0: all at once), and ``GET /v1/models``. Unlike the wire
server (a thread per response, a ``select`` per chunk) it is built to cost little next to the
app it feeds: one asyncio loop, each answer's frames encoded once per trigger and shared by
every request, and one ticker that writes every due chunk of every open answer (a late
answer's due chunks go out in one write) instead of a timer per chunk.

``GET /records`` returns, for each answer since the previous call, its last user message, the
chunks written and ``finished_at``: ``time.monotonic()`` when its last byte was written
(CLOCK_MONOTONIC is one clock for every process on the machine, so a client in another process
can subtract it from its own stamps). Anything else gets a 404. Runs by hand and from
bench/replicas.py, never in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import python_server

from tests.wire.encoders import build_stream, frame
from tests.wire.models import DEFAULT_MODELS
from tests.wire.record import Record
from tests.wire.scenarios import find_trigger, last_user_text, scenario_for_trigger

TICK_S = 0.005
"""The ticker's period: chunks due within it go out together."""

HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
    b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nx-request-id: req_bench\r\n\r\n"
)


@dataclass(frozen=True, slots=True)
class Plan:
    """One trigger's response: the framed chunks (prelude first), the closing bytes, the rate."""

    chunks: tuple[bytes, ...]
    closing: bytes
    rate: float | None


@dataclass(slots=True)
class Answer:
    """One response being written. Mutable; touched by the loop's thread only."""

    writer: asyncio.StreamWriter
    plan: Plan
    user_text: str
    t0: float
    sent: int = 0
    done: asyncio.Future[None] | None = None


class Upstream:
    """The server's state: plans by trigger, answers being written, finished records."""

    def __init__(self) -> None:
        self.plans: dict[tuple[str, bool], Plan] = {}
        self.open: list[Answer] = []
        self.records: list[dict[str, Any]] = []
        self.wake = asyncio.Event()

    def plan(self, body: dict[str, Any], user_text: str) -> Plan:
        trig = find_trigger(user_text) or ("rate", ["200", "0"])
        options = body.get("stream_options")
        usage = isinstance(options, dict) and bool(options.get("include_usage"))
        key = (":".join([trig[0], *trig[1]]), usage)
        plan = self.plans.get(key)
        if plan is None:
            scenario = scenario_for_trigger(trig[0], trig[1], user_text)
            rec = Record(0, "POST", "/v1/chat/completions", {}, body, b"", 0.0, 0.0)
            built = build_stream(rec, scenario, "openai", body)
            plan = Plan(
                (frame(built.prelude), *built.content),
                frame(built.epilogue) + b"0\r\n\r\n",
                scenario.rate,
            )
            self.plans[key] = plan
        return plan

    async def ticker(self) -> None:
        while True:
            if not self.open:
                self.wake.clear()
                await self.wake.wait()
            now = time.monotonic()
            still = []
            for answer in self.open:
                plan = answer.plan
                due = (
                    len(plan.chunks)
                    if plan.rate is None
                    else min(len(plan.chunks), int((now - answer.t0) * plan.rate) + 2)
                )
                if due > answer.sent and not answer.writer.is_closing():
                    data = b"".join(plan.chunks[answer.sent : due])
                    answer.sent = due
                    if due == len(plan.chunks):
                        data += plan.closing
                    answer.writer.write(data)
                if answer.sent < len(plan.chunks) and not answer.writer.is_closing():
                    still.append(answer)
                    continue
                self.records.append(
                    {
                        "user_text": answer.user_text,
                        "chunks": answer.sent - 1,
                        "finished_at": time.monotonic(),
                        "complete": answer.sent == len(plan.chunks),
                    }
                )
                if answer.done is not None and not answer.done.done():
                    answer.done.set_result(None)
            self.open = still
            await asyncio.sleep(TICK_S)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                headers = dict(
                    (k.strip().lower(), v.strip())
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                )
                length = int(headers.get("content-length", "0"))
                raw = await reader.readexactly(length) if length else b""
                path = path.split("?", 1)[0]
                if method == "POST" and path.endswith("/chat/completions"):
                    await self._answer(writer, json.loads(raw))
                elif method == "GET" and path.endswith("/models"):
                    models = [
                        {"id": m, "object": "model", "created": 0, "owned_by": "bench"}
                        for m in DEFAULT_MODELS
                    ]
                    _reply(writer, 200, {"object": "list", "data": models})
                elif method == "GET" and path == "/records":
                    records, self.records = self.records, []
                    _reply(writer, 200, records)
                elif method == "GET" and path == "/health":
                    _reply(writer, 200, "ok")
                else:
                    _reply(writer, 404, {"error": {"message": "not found", "type": "bench"}})
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def _answer(self, writer: asyncio.StreamWriter, body: dict[str, Any]) -> None:
        user_text = last_user_text(body)
        writer.write(HEAD)
        answer = Answer(writer, self.plan(body, user_text), user_text, time.monotonic())
        answer.done = asyncio.get_running_loop().create_future()
        self.open.append(answer)
        self.wake.set()
        await answer.done  # the next request on this connection waits for the answer's end


def _reply(writer: asyncio.StreamWriter, status: int, obj: Any) -> None:
    body = json.dumps(obj).encode()
    writer.write(
        b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (status, len(body), body)
    )


async def serve(port: int) -> None:
    upstream = Upstream()
    server = await asyncio.start_server(upstream.handle, "127.0.0.1", port, backlog=1024)
    ticker = asyncio.create_task(upstream.ticker())
    async with server:
        await server.serve_forever()
    ticker.cancel()


@contextlib.contextmanager
def upstream_process() -> Iterator[tuple[str, int]]:
    """This server in a subprocess on a free port; yields (root URL, pid)."""
    with python_server([str(Path(__file__).resolve())]) as running:
        yield running


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port))


if __name__ == "__main__":
    main()
