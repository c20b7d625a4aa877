"""Does a full chat store slow the app down? 2,000 chats x 50 messages against an empty store.

    python bench/store.py                       # SQLite in a temp dir
    python bench/store.py --url postgresql+psycopg://user@127.0.0.1:5432/db   # an EMPTY db
    python bench/store.py --chats 200 --messages 20 --reps 5

Both stores hold one chat "probe" of ``--messages`` messages (the one opened and searched for);
the full store adds ``--chats`` chats of ``--messages`` messages (~200-character turns, every
answer with its metrics JSON), all bulk-inserted through SQLAlchemy Core, so the search index
is kept by the database itself (FTS5 triggers / pg_trgm GIN). Timed, median of ``--reps``,
the two stores alternating call by call (the machine's other load falls on both alike):

- open: a new ``Store`` on the existing database (schema check) plus the first chat-list page
  (what a new browser session does first),
- list: the first 50 chats, newest first,
- open a chat: ``get_chat`` of the probe (50 messages and their metrics),
- search: a word that appears only in the probe chat's last answer (index, not a scan),
- search (common): a word in every chat (first 30 matches).

The goal (issue #12): each of open/list/open-a-chat within 1.5x of the empty store.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bench._common import fmt_ms, median  # noqa: E402
from chat_core.store import Store  # noqa: E402
from chat_core.store_schema import answer_metrics, chats, turns  # noqa: E402
from chat_core.store_types import new_chat_id  # noqa: E402

OWNER = "local"
WORDS = [
    "stream",
    "token",
    "answer",
    "model",
    "latency",
    "provider",
    "chunk",
    "render",
    "markdown",
    "frame",
    "session",
    "buffer",
    "socket",
    "browser",
    "server",
    "request",
    "metric",
    "search",
    "index",
    "chat",
    "title",
    "prompt",
    "reply",
]
PROBE_WORD = "zanzibarquux"


def _text(rng: random.Random, chars: int = 200) -> str:
    out: list[str] = []
    while sum(len(w) + 1 for w in out) < chars:
        out.append(rng.choice(WORDS))
    return " ".join(out)


def populate(store: Store, n_chats: int, n_messages: int, *, seed: int = 7) -> str:
    """Bulk-insert ``n_chats`` filler chats and one probe chat; returns the probe's id."""
    rng = random.Random(seed)
    store.ensure_schema()
    now = time.time()
    metrics = json.dumps({"total_time": 1.0, "time_to_first_token": 0.2, "chunk_count": 40})
    probe = new_chat_id()
    ids = [new_chat_id() for _ in range(n_chats)] + [probe]
    with store._engine.begin() as conn:  # noqa: SLF001 - a benchmark fills the tables directly
        for batch_start in range(0, len(ids), 200):
            batch = ids[batch_start : batch_start + 200]
            chat_rows, turn_rows, metric_rows = [], [], []
            for index, chat_id in enumerate(batch, start=batch_start):
                at = now - (len(ids) - index) * 600.0  # spread over ~2 weeks, probe newest
                chat_rows.append(
                    {
                        "id": chat_id,
                        "owner": OWNER,
                        "title": _text(rng, 40),
                        "system": None,
                        "created_at": at,
                        "updated_at": at,
                        "deleted_at": None,
                    }
                )
                for seq in range(n_messages):
                    role = "user" if seq % 2 == 0 else "assistant"
                    content = _text(rng)
                    if chat_id == probe and seq == n_messages - 1:
                        content += f" {PROBE_WORD}"
                    turn_id = f"t{seq:04d}"
                    turn_rows.append(
                        {
                            "chat_id": chat_id,
                            "id": turn_id,
                            "seq": seq + 1,
                            "role": role,
                            "content": content,
                            "reasoning": "",
                            "status": "complete",
                            "finish_reason": "stop" if role == "assistant" else None,
                            "model": "demo-1",
                            "provider": "demo",
                            "error": None,
                            "error_kind": None,
                            "created_at": at + seq,
                            "updated_at": at + seq,
                        }
                    )
                    if role == "assistant":
                        metric_rows.append(
                            {
                                "chat_id": chat_id,
                                "turn_id": turn_id,
                                "owner": OWNER,
                                "started_at": at + seq,
                                "provider": "demo",
                                "model": "demo-1",
                                "status": "complete",
                                "data": metrics,
                            }
                        )
            conn.execute(chats.insert(), chat_rows)
            conn.execute(turns.insert(), turn_rows)
            conn.execute(answer_metrics.insert(), metric_rows)
    if store.backend == "postgresql":
        engine = store._engine.execution_options(isolation_level="AUTOCOMMIT")  # noqa: SLF001
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    return probe


def operations(url: str, probe: str) -> tuple[Store, dict[str, Callable[[], object]]]:
    store = Store(url)

    def open_app() -> None:
        fresh = Store(url)
        fresh.list_chats(OWNER, limit=50)
        fresh.close()

    return store, {
        "open": open_app,
        "list": lambda: store.list_chats(OWNER, limit=50),
        "open a chat": lambda: store.get_chat(OWNER, probe),
        "search": lambda: store.search(OWNER, PROBE_WORD),
        "search (common)": lambda: store.search(OWNER, "latency"),
    }


def measure(
    empty: dict[str, Callable[[], object]], full: dict[str, Callable[[], object]], reps: int
) -> dict[str, tuple[float, float]]:
    """Median seconds per operation, (empty, full). The two stores alternate call by call, so
    load from other processes on the machine falls on both alike."""
    samples: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in empty}
    for name in empty:
        empty[name]()  # warm caches once, as a running app would be
        full[name]()
    for _ in range(reps):
        for name in empty:
            for side, fn in enumerate((empty[name], full[name])):
                start = time.perf_counter()
                fn()
                samples[name][side].append(time.perf_counter() - start)
    return {name: (median(e), median(f)) for name, (e, f) in samples.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--url", help="an empty database for the full store (default: SQLite)")
    parser.add_argument("--empty-url", help="another empty database for the empty store")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        empty_url = args.empty_url or f"sqlite:///{Path(tmp) / 'empty.db'}"
        full_url = args.url or f"sqlite:///{Path(tmp) / 'full.db'}"
        empty_probe = populate(Store(empty_url), 0, args.messages)
        started = time.perf_counter()
        full_probe = populate(Store(full_url), args.chats, args.messages)
        fill_s = time.perf_counter() - started
        backend = Store(full_url).backend
        print(
            f"{backend}: {args.chats:,} chats x {args.messages} messages "
            f"({args.chats * args.messages:,} turns) filled in {fill_s:.1f} s; "
            f"median of {args.reps}"
        )
        empty_store, empty_ops = operations(empty_url, empty_probe)
        full_store, full_ops = operations(full_url, full_probe)
        found = full_store.search(OWNER, PROBE_WORD)
        assert [hit.chat.id for hit in found] == [full_probe], "search missed the probe chat"
        results = measure(empty_ops, full_ops, args.reps)
        empty_store.close()
        full_store.close()
    print(f"{'':18}{'empty':>12}{'full':>12}{'ratio':>9}")
    worst = 0.0
    for name, (empty_s, full_s) in results.items():
        ratio = full_s / empty_s if empty_s > 0 else float("nan")
        if name in ("open", "list", "open a chat"):
            worst = max(worst, ratio)
        print(f"{name:18}{fmt_ms(empty_s):>12}{fmt_ms(full_s):>12}{ratio:8.2f}x")
    print(f"worst of open/list/open a chat: {worst:.2f}x (goal <= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
