"""The Store API on SQLite and PostgreSQL: what a person would notice in the chat list."""

from __future__ import annotations

import datetime as dt

from chat_core.store import Store
from chat_core.store_types import (
    ChatSummary,
    StoredTurn,
    group_chats,
    is_chat_id,
    title_from_prompt,
)
from chat_core.types import StreamStatus

ME, YOU = "alice", "bob"


def test_new_chat_is_listed_with_title_from_first_prompt(store: Store) -> None:
    chat = store.create_chat(ME)
    assert chat is not None and is_chat_id(chat.id)
    store.append_turn(ME, chat.id, "user", "  How do I\n bake   sourdough bread at home?  ")
    store.append_turn(ME, chat.id, "assistant", "Start with a starter.")
    [listed] = store.list_chats(ME)
    assert listed.id == chat.id
    assert listed.title == "How do I bake sourdough bread at home?"


def test_title_is_only_taken_from_the_first_prompt(store: Store) -> None:
    chat = store.create_chat(ME)
    assert chat is not None
    store.append_turn(ME, chat.id, "user", "first question")
    store.append_turn(ME, chat.id, "user", "second question")
    assert store.list_chats(ME)[0].title == "first question"


def test_long_prompt_title_is_trimmed_at_a_word() -> None:
    title = title_from_prompt("word " * 40)
    assert len(title) <= 60 and title.endswith("…") and "wor…" not in title


def test_chats_are_listed_most_recently_active_first(store: Store) -> None:
    old = store.create_chat(ME, title="old", now=1000.0)
    new = store.create_chat(ME, title="new", now=2000.0)
    assert old is not None and new is not None
    assert [c.title for c in store.list_chats(ME)] == ["new", "old"]
    store.append_turn(ME, old.id, "user", "back to this one", now=3000.0)
    assert [c.title for c in store.list_chats(ME)] == ["old", "new"]


def test_open_chat_returns_turns_in_order_with_status_and_metrics(store: Store) -> None:
    chat = store.create_chat(ME, system="Be brief.")
    assert chat is not None
    store.append_turn(ME, chat.id, "user", "hi", now=10.0)
    answer = store.append_turn(
        ME, chat.id, "assistant", "", status=StreamStatus.STREAMING, model="m", provider="demo"
    )
    assert answer is not None
    metrics = {"total_time": 1.5, "time_to_first_token": 0.2, "started_at": 10.0}
    store.finish_turn(
        ME,
        chat.id,
        StoredTurn(
            id=answer.id,
            role="assistant",
            content="Hello!",
            status=StreamStatus.LENGTH,
            created_at=answer.created_at,
            updated_at=answer.created_at + 1,
            reasoning="thinking…",
            finish_reason="length",
            model="m",
            provider="demo",
            metrics=metrics,
        ),
    )
    opened = store.get_chat(ME, chat.id)
    assert opened is not None and opened.system == "Be brief."
    assert [(t.role, t.content) for t in opened.turns] == [("user", "hi"), ("assistant", "Hello!")]
    last = opened.turns[1]
    assert last.status is StreamStatus.LENGTH and last.finish_reason == "length"
    assert last.reasoning == "thinking…" and last.metrics == metrics
    [row] = store.answer_metrics(ME)
    assert row["total_time"] == 1.5 and row["chat_id"] == chat.id and row["turn_id"] == answer.id


def test_answer_left_streaming_by_a_dead_process_reads_as_interrupted(store: Store) -> None:
    chat = store.create_chat(ME)
    assert chat is not None
    store.append_turn(ME, chat.id, "assistant", "half", status=StreamStatus.STREAMING, now=100.0)
    fresh = store.get_chat(ME, chat.id, now=105.0)
    stale = store.get_chat(ME, chat.id, now=1000.0)
    assert fresh is not None and fresh.turns[0].status is StreamStatus.STREAMING
    assert stale is not None and stale.turns[0].status is StreamStatus.INTERRUPTED
    assert stale.turns[0].content == "half"


def test_saving_the_same_turn_twice_keeps_one_message(store: Store) -> None:
    chat = store.create_chat(ME)
    assert chat is not None
    turn = StoredTurn("t1", "user", "once", StreamStatus.COMPLETE, 1.0, 1.0)
    assert store.save_turn(ME, chat.id, turn)
    assert store.save_turn(ME, chat.id, turn)
    opened = store.get_chat(ME, chat.id)
    assert opened is not None and [t.content for t in opened.turns] == ["once"]


def test_rename_changes_the_listed_title(store: Store) -> None:
    chat = store.create_chat(ME)
    assert chat is not None
    store.append_turn(ME, chat.id, "user", "original prompt")
    assert store.rename_chat(ME, chat.id, "  My   bread notes \n")
    assert store.list_chats(ME)[0].title == "My bread notes"
    assert not store.rename_chat(ME, chat.id, "   ")
    assert not store.rename_chat(YOU, chat.id, "stolen")
    assert store.list_chats(ME)[0].title == "My bread notes"


def test_delete_hides_the_chat_and_undo_brings_it_back(store: Store) -> None:
    chat = store.create_chat(ME, title="to delete")
    assert chat is not None
    store.append_turn(ME, chat.id, "user", "keep me")
    assert store.delete_chat(ME, chat.id)
    assert store.list_chats(ME) == [] and store.get_chat(ME, chat.id) is None
    assert store.search(ME, "keep") == []
    assert store.undo_delete(ME, chat.id)
    opened = store.get_chat(ME, chat.id)
    assert opened is not None and opened.turns[0].content == "keep me"


def test_purge_removes_old_deleted_chats_for_good(store: Store) -> None:
    gone = store.create_chat(ME, title="gone")
    kept = store.create_chat(ME, title="kept")
    assert gone is not None and kept is not None
    turn = store.append_turn(ME, gone.id, "assistant", "bye")
    assert turn is not None
    store.add_feedback(ME, gone.id, turn.id, 1)
    store.delete_chat(ME, gone.id, now=100.0)
    assert store.purge_deleted(older_than_s=10.0, now=200.0) == 1
    assert not store.undo_delete(ME, gone.id)
    assert [c.title for c in store.list_chats(ME)] == ["kept"]


def test_search_finds_titles_and_message_text_in_any_case(store: Store) -> None:
    bread = store.create_chat(ME)
    rust = store.create_chat(ME)
    assert bread is not None and rust is not None
    store.append_turn(ME, bread.id, "user", "Sourdough question")
    store.append_turn(ME, bread.id, "assistant", "Feed the STARTER twice a day before baking.")
    store.append_turn(ME, rust.id, "user", "What is a borrow checker?")
    [hit] = store.search(ME, "starter")
    assert hit.chat.id == bread.id and "STARTER" in hit.excerpt
    assert [h.chat.id for h in store.search(ME, "sourdough")] == [bread.id]
    assert [h.chat.id for h in store.search(ME, "Borrow Check")] == [rust.id]
    # One or two characters: titles only (no index can serve them over every message).
    assert [h.chat.id for h in store.search(ME, "Wh")] == [rust.id]
    assert store.search(ME, "da") == []  # only in a message ("a day")
    assert store.search(ME, "   ") == []
    assert store.search(ME, "nothing like this") == []


def test_search_treats_wildcards_and_quotes_as_text(store: Store) -> None:
    chat = store.create_chat(ME)
    other = store.create_chat(ME)
    assert chat is not None and other is not None
    store.append_turn(ME, chat.id, "user", 'a 100% "quoted" under_score')
    store.append_turn(ME, other.id, "user", "100 percent underXscore")
    assert [h.chat.id for h in store.search(ME, "100%")] == [chat.id]
    assert [h.chat.id for h in store.search(ME, "under_score")] == [chat.id]
    assert [h.chat.id for h in store.search(ME, '"quoted"')] == [chat.id]


def test_each_owner_sees_only_their_own_chats(store: Store) -> None:
    mine = store.create_chat(ME, title="mine")
    assert mine is not None
    store.append_turn(ME, mine.id, "user", "secret plans")
    assert store.list_chats(YOU) == []
    assert store.get_chat(YOU, mine.id) is None
    assert store.search(YOU, "secret") == []
    assert store.append_turn(YOU, mine.id, "user", "injected") is None
    assert not store.delete_chat(YOU, mine.id)
    assert store.create_chat(YOU, chat_id=mine.id) is None
    assert store.answer_metrics(YOU) == []
    opened = store.get_chat(ME, mine.id)
    assert opened is not None and [t.content for t in opened.turns] == ["secret plans"]


def test_unknown_or_malformed_chat_ids_read_as_not_found(store: Store) -> None:
    for bad in ["", "x", "../../etc/passwd", "' OR 1=1 --", "A" * 22, "é" * 22, "A" * 500]:
        assert store.get_chat(ME, bad) is None
        assert not store.rename_chat(ME, bad, "t")
        assert not store.delete_chat(ME, bad)
        assert store.append_turn(ME, bad, "user", "x") is None
    assert store.create_chat(ME, chat_id="not an id") is None


def test_feedback_and_attachments_are_recorded_for_own_answers_only(store: Store) -> None:
    chat = store.create_chat(ME)
    assert chat is not None
    turn = store.append_turn(ME, chat.id, "assistant", "answer")
    assert turn is not None
    assert store.add_feedback(ME, chat.id, turn.id, -1, comment="wrong")
    assert store.add_feedback(ME, chat.id, turn.id, 1)
    assert not store.add_feedback(YOU, chat.id, turn.id, 1)
    assert store.add_attachment(ME, chat.id, turn.id, name="a.png", size_bytes=10) is not None
    assert store.add_attachment(YOU, chat.id, turn.id, name="b.png", size_bytes=1) is None
    assert store.add_attachment(ME, chat.id, "nope", name="c.png", size_bytes=1) is None


def test_chats_group_into_today_yesterday_week_and_older() -> None:
    utc = dt.UTC
    today = dt.date(2026, 11, 29)

    def at(day: int, hour: int = 12) -> float:
        return dt.datetime(2026, 11, day, hour, tzinfo=utc).timestamp()

    chats = [
        ChatSummary("a" * 22, "today", at(29), at(29, 23)),
        ChatSummary("b" * 22, "yesterday", at(28), at(28, 0)),
        ChatSummary("c" * 22, "week", at(22), at(22)),
        ChatSummary("d" * 22, "older", at(21), at(21)),
    ]
    groups = group_chats(chats, today, utc)
    assert [(name, [c.title for c in items]) for name, items in groups] == [
        ("Today", ["today"]),
        ("Yesterday", ["yesterday"]),
        ("Previous 7 days", ["week"]),
        ("Older", ["older"]),
    ]
    assert group_chats(chats[:1], today, utc) == [("Today", chats[:1])]
