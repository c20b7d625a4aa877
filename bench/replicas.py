"""bench/load.py's load through deploy/nginx.conf to 1, then 2 app processes on one PostgreSQL.

    python bench/replicas.py --url postgresql+psycopg://user@127.0.0.1:5432/postgres
    python bench/replicas.py --sessions 100 --n 1000 --rate 100     # the issue's load (default)

For each set-up (1 replica, then 2) the script creates a fresh database on the server named by
``--url`` (or ``STREAMCHAT_TEST_DATABASE_URL``; it needs CREATE DATABASE), starts that many
``streamlit run app.py`` processes on it, puts ``deploy/nginx.conf`` in front (its upstream
ports and listen port replaced), warms each process up directly, then has ``--sessions``
raw websocket clients (bench/load.py's ``Client``) connect through nginx and send their prompts
at once. Each client's websocket is one request, so nginx's first-visit random key spreads them
over the replicas. It prints, side by side: p50 / p95 delivery lag after the last chunk, server
CPU per chunk (all replicas' CPU over all chunks), answers with exact text, chats stored with
the whole answer, complete (read back from the database once the writes settle). Bounded: each answer times out after ``--timeout`` s and
the whole run is two set-ups of one round each. Runs by hand, not in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from load import Client, Session, percentile
from render_lag import APP, StreamlitServer, app_env, machine_load

from chat_core.store import Store
from chat_core.store_types import LOCAL_OWNER
from chat_core.types import StreamStatus
from tests import servers
from tests.store.conftest import FreshPostgres
from tests.wire_server import WireServer, long_markdown_text


@dataclass(frozen=True, slots=True)
class Outcome:
    replicas: int
    p50_ms: float | None
    p95_ms: float | None
    cpu_per_chunk_us: float
    exact: int
    stored: int
    sessions: int
    errors: tuple[str, ...]


@contextlib.contextmanager
def nginx_in_front(ports: Sequence[int]) -> Iterator[str]:
    """``deploy/nginx.conf`` in front of ``ports`` (``tests.servers.nginx_in_front``)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        sys.exit("nginx is not installed (Debian: apt-get install nginx-light)")
    with servers.nginx_in_front(nginx, ports) as url:
        yield url


async def _ask_all(url: str, sessions: int, n: int, rate: int, timeout_s: float) -> list[Session]:
    text = long_markdown_text(n)
    final_paragraph = text.rstrip().rsplit("\n\n", 1)[-1]
    clients = [Client(url, Session(i), final_paragraph) for i in range(sessions)]
    try:
        await asyncio.gather(*(c.connect() for c in clients))
        results = await asyncio.gather(
            *(c.ask(f"load {c.s.tag} #wire:rate:{n}:{rate}", timeout_s) for c in clients),
            return_exceptions=True,
        )
    finally:
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    for client, result in zip(clients, results, strict=True):
        if isinstance(result, BaseException):
            client.s.error = f"{type(result).__name__}: {result}"
    return [c.s for c in clients]


def _stored_chats(url: str, tags: set[str], text: str, timeout_s: float = 20.0) -> int:
    """How many of the measured sessions' chats (their titles carry the tags) are stored with
    the whole answer, complete, waiting up to ``timeout_s`` (writes land after the answers)."""
    store = Store(url)
    try:
        deadline = time.monotonic() + timeout_s
        count = 0
        while time.monotonic() < deadline:
            count = 0
            for summary in store.list_chats(LOCAL_OWNER, limit=10 * len(tags) + 10):
                words = summary.title.split()
                if len(words) < 2 or words[1] not in tags:
                    continue
                chat = store.get_chat(LOCAL_OWNER, summary.id)
                last = chat.turns[-1] if chat is not None and chat.turns else None
                if last is not None and last.status is StreamStatus.COMPLETE:
                    count += last.content.strip() == text
            if count >= len(tags):
                break
            time.sleep(1.0)
        return count
    finally:
        store.close()


def run_setup(replicas: int, admin_url: str, wire: WireServer, args: argparse.Namespace) -> Outcome:
    database = FreshPostgres(admin_url)
    try:
        env = {**app_env(wire), "STREAMCHAT_DATABASE_URL": database.url}
        with contextlib.ExitStack() as stack:
            servers = [stack.enter_context(StreamlitServer(APP, env)) for _ in range(replicas)]
            for server in servers:  # imports and first runs, outside the measurement
                asyncio.run(_ask_all(server.url, 1, 200, 0, 30))
            front = stack.enter_context(nginx_in_front([s.port for s in servers]))
            for server in servers:
                server.wait_quiet()
            wire.reset()
            cpu0 = sum(s.cpu_s() for s in servers)
            sessions = asyncio.run(_ask_all(front, args.sessions, args.n, args.rate, args.timeout))
            cpu_s = sum(s.cpu_s() for s in servers) - cpu0
            records = {s.tag: r for r in wire.requests for s in sessions if s.tag in r.user_text}
            wire.reset()
            stored = _stored_chats(
                database.url, {s.tag for s in sessions}, long_markdown_text(args.n).strip()
            )
    finally:
        database.drop()
    text = long_markdown_text(args.n).strip()
    lags = [
        (s.final_at - records[s.tag].finished_at) * 1000  # type: ignore[operator]
        for s in sessions
        if s.tag in records and records[s.tag].finished_at is not None and s.final_at
    ]
    return Outcome(
        replicas=replicas,
        p50_ms=statistics.median(lags) if lags else None,
        p95_ms=percentile(lags, 95) if lags else None,
        cpu_per_chunk_us=cpu_s / (args.sessions * args.n) * 1e6,
        exact=sum(1 for s in sessions if s.answer_text == text and s.error is None),
        stored=stored,
        sessions=args.sessions,
        errors=tuple(sorted({s.error for s in sessions if s.error})),
    )


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default=os.environ.get("STREAMCHAT_TEST_DATABASE_URL", ""))
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--n", type=int, default=1000, help="chunks per answer")
    parser.add_argument("--rate", type=int, default=100, help="chunks/s per answer")
    parser.add_argument("--timeout", type=float, default=90.0, help="seconds per answer")
    parser.add_argument("--replicas", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    if not args.url:
        sys.exit("give --url (a PostgreSQL server where this user may CREATE DATABASE)")
    started = time.monotonic()
    print(
        f"replicas: {args.sessions} sessions at once, {args.n} chunks @ {args.rate}/s each,"
        f" through deploy/nginx.conf to {' then '.join(map(str, args.replicas))} app"
        " process(es) on one PostgreSQL"
    )
    print(f"machine: {machine_load()} (before)", flush=True)
    outcomes = []
    with WireServer() as wire:
        for replicas in args.replicas:
            outcomes.append(run_setup(replicas, args.url, wire, args))
            print(
                f"  {replicas} replica(s) done after {time.monotonic() - started:.0f} s", flush=True
            )
    print(f"machine: {machine_load()} (after)\n")
    rows = [
        ("replicas", [str(o.replicas) for o in outcomes]),
        ("p50 lag ms", [_ms(o.p50_ms) for o in outcomes]),
        ("p95 lag ms", [_ms(o.p95_ms) for o in outcomes]),
        ("CPU/chunk us", [f"{o.cpu_per_chunk_us:.0f}" for o in outcomes]),
        ("exact text", [f"{o.exact}/{o.sessions}" for o in outcomes]),
        ("chats stored", [f"{o.stored}/{o.sessions}" for o in outcomes]),
    ]
    for label, values in rows:
        print(f"{label:<14}" + "".join(f"{v:>14}" for v in values))
    for o in outcomes:
        for error in o.errors:
            print(f"  {o.replicas} replica(s): {error}")
    print(f"\ntotal {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
