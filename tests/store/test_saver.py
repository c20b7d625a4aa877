"""Saving a streaming answer without a write per chunk, and through a store outage."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from chat_core.store import Store
from chat_core.store_engine import make_engine
from chat_core.store_saver import AnswerSaver, WriteBehind
from chat_core.store_types import StoredTurn
from chat_core.types import StreamStatus

ME = "alice"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _answer(turn_id: str = "answer1") -> StoredTurn:
    return StoredTurn(turn_id, "assistant", "", StreamStatus.STREAMING, 1.0, 1.0, model="demo-1")


def test_streaming_answer_is_saved_at_start_every_two_seconds_and_at_the_end(
    store: Store,
) -> None:
    chat = store.create_chat(ME)
    assert chat is not None
    writer = WriteBehind(store)
    clock = FakeClock()
    saver = AnswerSaver(writer, ME, chat.id, _answer(), clock=clock)
    saver.start()
    assert writer.flush()
    opened = store.get_chat(ME, chat.id)
    assert opened is not None and opened.turns[0].status is StreamStatus.STREAMING

    text = ""
    for chunk in range(1000):  # 1000 chunks over 5 s of fake time
        text += "x"
        clock.now = chunk * 0.005
        saver.update(text)
    assert saver.writes == 1 + 2  # start, then at 2 s and 4 s
    assert writer.flush()
    opened = store.get_chat(ME, chat.id)
    assert opened is not None and opened.turns[0].content == "x" * 801

    metrics = {"total_time": 5.0, "started_at": 1.0}
    assert saver.finish(text, StreamStatus.COMPLETE, finish_reason="stop", metrics=metrics)
    assert not saver.finish("again", StreamStatus.ERROR)
    assert not saver.update("after the end")
    assert writer.close()
    opened = store.get_chat(ME, chat.id)
    assert opened is not None
    final = opened.turns[0]
    assert (final.content, final.status, final.finish_reason) == (
        text,
        StreamStatus.COMPLETE,
        "stop",
    )
    assert final.metrics == metrics


def test_a_saver_saves_only_new_text_and_leaves_the_heartbeat_to_its_writer(
    store: Store,
) -> None:
    chat = store.create_chat(ME)
    assert chat is not None
    writer = WriteBehind(store)
    clock = FakeClock()
    saver = AnswerSaver(writer, ME, chat.id, _answer(), clock=clock)
    saver.start()
    clock.now = 30.0
    assert not saver.update("")  # nothing new: no write (tests/store/test_liveness.py beats)
    assert saver.update("new")
    saver.finish("new", StreamStatus.COMPLETE)
    assert writer.close()


def test_writes_wait_while_the_database_is_locked_and_land_when_it_is_free(
    tmp_path: Path,
) -> None:
    path = tmp_path / "chats.db"
    url = f"sqlite:///{path}"
    store = Store(url, engine=make_engine(url, busy_timeout_s=0.1))
    store.ensure_schema()
    chat_id = "C" * 22
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    writer = WriteBehind(store, min_backoff_s=0.05, max_backoff_s=0.2)
    try:
        writer.submit(("chat", chat_id), lambda s: s.create_chat(ME, chat_id=chat_id))
        saver = AnswerSaver(writer, ME, chat_id, _answer())
        saver.start()
        saver.finish("all of it", StreamStatus.COMPLETE)
        assert not writer.flush(timeout_s=0.5)
        assert writer.pending >= 1
        assert writer.last_error is not None and "busy" in writer.last_error.user_message
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert writer.flush(timeout_s=10)
    assert writer.last_error is None
    opened = store.get_chat(ME, chat_id)
    assert opened is not None
    assert [(t.content, t.status) for t in opened.turns] == [("all of it", StreamStatus.COMPLETE)]
    writer.close()
    writer.close()


def test_a_newer_write_of_the_same_turn_replaces_the_pending_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chats.db'}"
    store = Store(url)
    chat = store.create_chat(ME)
    assert chat is not None
    writer = WriteBehind(store)
    seen: list[str] = []
    for text in ("a", "ab", "abc"):
        writer.submit(("turn", chat.id, "t"), lambda s, text=text: seen.append(text))
    assert writer.flush()
    assert seen[-1] == "abc" and len(seen) <= 2
    writer.close()
