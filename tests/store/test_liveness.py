"""A stored answer still marked "streaming" reads as live while its writer is there and as
interrupted once it is gone (chat_core/store_live.py), on SQLite and PostgreSQL. "Another
process" is another ``Store`` on the same database with its own boot id and live set."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from chat_core import store_live
from chat_core.store import Store
from chat_core.store_live import LiveTurns, stream_status
from chat_core.store_saver import AnswerSaver, WriteBehind
from chat_core.store_types import StoredTurn
from chat_core.types import StreamStatus

ME, YOU = "alice", "bob"


def _process(url: str, name: str) -> Store:
    """A store as a process named ``name`` would open it."""
    return Store(url, boot_id=name, live=LiveTurns())


def _streaming(writer: WriteBehind, chat_id: str, turn_id: str = "answer1") -> AnswerSaver:
    turn = StoredTurn(turn_id, "assistant", "", StreamStatus.STREAMING, 1.0, 1.0, model="m")
    saver = AnswerSaver(writer, ME, chat_id, turn)
    saver.start()
    assert writer.flush()
    return saver


def _status(store: Store, chat_id: str, *, now: float | None = None) -> StreamStatus:
    chat = store.get_chat(ME, chat_id, now=now)
    assert chat is not None
    return chat.turns[-1].status


def _until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def _heartbeat_at(store: Store, chat_id: str) -> float:
    with store._engine.connect() as conn:
        value = conn.execute(
            text("SELECT heartbeat_at FROM turns WHERE chat_id = :c"), {"c": chat_id}
        ).scalar()
    return float(value)


def _age_heartbeat(store: Store, chat_id: str, seconds: float) -> None:
    """The answer's last heartbeat, ``seconds`` earlier (its writer stopped beating then)."""
    with store._engine.begin() as conn:
        conn.execute(
            text("UPDATE turns SET heartbeat_at = heartbeat_at - :s WHERE chat_id = :c"),
            {"s": seconds, "c": chat_id},
        )


@dataclass
class Processes:
    """Two processes on one database; ``one`` has a chat and a writer to answer in it."""

    one: Store
    two: Store
    chat_id: str
    writer: WriteBehind


@pytest.fixture(name="p")
def processes(store_url: str) -> Iterator[Processes]:
    one, two = _process(store_url, "one"), _process(store_url, "two")
    chat = one.create_chat(ME)
    assert chat is not None
    found = Processes(one, two, chat.id, WriteBehind(one))
    yield found
    found.writer.close()
    one.close()
    two.close()


def test_an_answer_streaming_in_another_process_is_live_for_everyone(p: Processes) -> None:
    _streaming(p.writer, p.chat_id)
    assert _status(p.one, p.chat_id) is StreamStatus.STREAMING
    assert _status(p.two, p.chat_id) is StreamStatus.STREAMING
    # The heartbeat's age is read by the database's clock: a reader whose own clock is an
    # hour ahead still sees a live answer.
    assert _status(p.two, p.chat_id, now=time.time() + 3600) is StreamStatus.STREAMING


def test_a_silent_answer_keeps_beating_without_a_write_of_its_text(p: Processes) -> None:
    p.writer.heartbeat_s = 0.05
    saver = _streaming(p.writer, p.chat_id)
    first = _heartbeat_at(p.two, p.chat_id)
    _until(lambda: _heartbeat_at(p.two, p.chat_id) > first)  # the model thinks silently
    assert saver.writes == 1
    assert _status(p.two, p.chat_id) is StreamStatus.STREAMING


def test_an_answer_whose_process_stopped_beating_reads_interrupted(
    p: Processes, store_url: str
) -> None:
    _streaming(p.writer, p.chat_id)
    p.writer.close()  # the process is gone: no more heartbeats
    _age_heartbeat(p.two, p.chat_id, 60.0)
    assert _status(p.two, p.chat_id) is StreamStatus.INTERRUPTED
    # A restarted server is a new boot: the heartbeat decides for it too.
    restarted = _process(store_url, "one-again")
    assert _status(restarted, p.chat_id) is StreamStatus.INTERRUPTED
    restarted.close()


def test_an_answer_of_this_process_that_no_saver_streams_reads_interrupted_at_once(
    p: Processes,
) -> None:
    _streaming(p.writer, p.chat_id)
    p.writer.close()
    # Its saver is gone without its final write (say its thread died): this process knows at
    # once; another process still sees a fresh heartbeat and waits for it to go stale.
    p.one.live.discard(p.chat_id, "answer1")
    assert _status(p.one, p.chat_id) is StreamStatus.INTERRUPTED
    assert _status(p.two, p.chat_id) is StreamStatus.STREAMING


def test_a_finished_answer_leaves_the_live_set_when_its_final_write_landed(
    p: Processes,
) -> None:
    saver = _streaming(p.writer, p.chat_id)
    assert p.one.live
    saver.update("Hello world")
    saver.finish("Hello world", StreamStatus.COMPLETE, finish_reason="stop")
    assert p.writer.close()
    assert not p.one.live
    for reader in (p.one, p.two):
        stored = reader.get_turn(ME, p.chat_id, "answer1")
        assert stored is not None
        assert (stored.content, stored.status) == ("Hello world", StreamStatus.COMPLETE)


def test_get_turn_reads_one_turn_of_the_owners_chat_only(store: Store) -> None:
    chat = store.create_chat(ME)
    assert chat is not None
    store.append_turn(ME, chat.id, "user", "hi", turn_id="t1")
    found = store.get_turn(ME, chat.id, "t1")
    assert found is not None and found.content == "hi"
    assert store.get_turn(YOU, chat.id, "t1") is None
    assert store.get_turn(ME, chat.id, "nope") is None
    assert store.get_turn(ME, "not a chat id", "t1") is None


def test_a_turn_that_was_live_before_or_after_the_read_counts_as_live() -> None:
    key = ("c", "t")
    judge = dict(key=key, writer="me", heartbeat_age_s=None, updated_age_s=0.0, boot_id="me")
    # Ended while the row was read (the row may be the last progress save): live this once.
    assert stream_status(**judge, live=(frozenset({key}), frozenset())) is StreamStatus.STREAMING
    # Started while the row was read.
    assert stream_status(**judge, live=(frozenset(), frozenset({key}))) is StreamStatus.STREAMING
    assert stream_status(**judge, live=(frozenset(), frozenset())) is StreamStatus.INTERRUPTED


def test_upgrading_to_schema_3_keeps_chats_and_reads_old_streaming_rows_by_their_age(
    store_url: str,
) -> None:
    old = Store(store_url)
    chat = old.create_chat(ME, title="from v2")
    assert chat is not None
    old.append_turn(ME, chat.id, "user", "kept across the upgrade")
    old.append_turn(ME, chat.id, "assistant", "half", status=StreamStatus.STREAMING, now=100.0)
    with old._engine.begin() as conn:  # back to what version 2 left
        for column in ("writer", "heartbeat_at"):
            conn.execute(text(f"ALTER TABLE turns DROP COLUMN {column}"))
        conn.execute(text("UPDATE streamchat_schema SET version = 2"))
    old.close()
    upgraded = Store(store_url)
    try:
        stored = upgraded.get_chat(ME, chat.id, now=105.0)
        assert stored is not None
        assert [t.content for t in stored.turns] == ["kept across the upgrade", "half"]
        assert stored.turns[1].status is StreamStatus.STREAMING  # written 5 s ago
        assert _status(upgraded, chat.id, now=200.0) is StreamStatus.INTERRUPTED
        with upgraded._engine.connect() as conn:
            assert conn.execute(text("SELECT version FROM streamchat_schema")).scalar() == 3
    finally:
        upgraded.close()


def test_on_sqlite_an_answer_of_a_killed_server_reads_interrupted_at_once_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'chats.db'}"
    # Heartbeats never go stale here: only the dead process's free boot lock can decide.
    monkeypatch.setattr(store_live, "STALE_AFTER_S", float("inf"))
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.store.store_process", url, ME, "stream"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        chat_id = server.stdout.readline().strip()
        restarted = _process(url, "after-the-restart")
        assert _status(restarted, chat_id) is StreamStatus.STREAMING  # its server still runs
        server.kill()  # a crash: no final save; the kernel drops its lock
        server.wait(30)
        stored = restarted.get_chat(ME, chat_id)
        assert stored is not None
        assert (stored.turns[-1].content, stored.turns[-1].status) == (
            "Half an answer",
            StreamStatus.INTERRUPTED,
        )
        restarted.close()
    finally:
        server.kill()
        server.wait(30)
