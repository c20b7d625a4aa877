"""A page's conversation kept saved by ``ConversationSync`` and the ticker, with no hook in the
answer loop: start, every tick while streaming, the end, Regenerate, Clear."""

from __future__ import annotations

from collections.abc import Hashable

from chat_core.conversation import Conversation
from chat_core.store import Store
from chat_core.store_convert import to_conversation
from chat_core.store_saver import Write, WriteBehind
from chat_core.store_sync import ConversationSync, SyncTicker
from chat_core.types import StreamStatus

ME = "alice"


class CountingWriter(WriteBehind):
    submitted = 0

    def submit(self, key: Hashable, write: Write) -> None:
        self.submitted += 1
        super().submit(key, write)


def _stored(store: Store, sync: ConversationSync) -> list[tuple[str, str, StreamStatus]]:
    assert sync.chat_id is not None
    chat = store.get_chat(ME, sync.chat_id)
    assert chat is not None
    return [(t.role, t.content, t.status) for t in chat.turns]


def _open_in_another_tab(
    store: Store, writer: WriteBehind, chat_id: str
) -> tuple[Conversation, ConversationSync]:
    opened = store.get_chat(ME, chat_id)
    assert opened is not None
    conversation = to_conversation(opened)
    sync = ConversationSync(writer, ME)
    sync.attach(conversation, chat_id)
    return conversation, sync


def test_streaming_answer_is_saved_by_ticks_without_any_hook(store: Store) -> None:
    writer = CountingWriter(store)
    conversation = Conversation()
    sync = ConversationSync(writer, ME, conversation)
    ticker = SyncTicker(interval_s=3600)  # ticks driven by the test
    ticker.register(sync)
    ticker.tick()
    assert sync.chat_id is None  # no message, no stored chat

    conversation.add_user("tell me")
    answer = conversation.add_assistant(provider="demo", model="demo-1")
    ticker.tick()
    writer.flush()
    assert _stored(store, sync) == [
        ("user", "tell me", StreamStatus.COMPLETE),
        ("assistant", "", StreamStatus.STREAMING),
    ]
    answer.content = "Once upon"  # the page's frame loop updates the turn in place
    ticker.tick()
    submitted = writer.submitted
    ticker.tick()  # nothing new: nothing written
    assert writer.submitted == submitted
    writer.flush()
    assert _stored(store, sync)[1][1] == "Once upon"
    answer.content = "Once upon a time."
    answer.status = StreamStatus.STOPPED
    ticker.tick()
    writer.flush()
    assert _stored(store, sync)[1] == ("assistant", "Once upon a time.", StreamStatus.STOPPED)
    [summary] = store.list_chats(ME)
    assert summary.title == "tell me"
    ticker.close()
    writer.close()


def test_regenerate_removes_the_replaced_answer_and_clear_starts_a_new_chat(
    store: Store,
) -> None:
    writer = WriteBehind(store)
    conversation = Conversation()
    sync = ConversationSync(writer, ME, conversation)
    conversation.add_user("q")
    old = conversation.add_assistant()
    old.content, old.status = "first try", StreamStatus.COMPLETE
    sync.sync()
    conversation.turns.remove(old)
    new = conversation.add_assistant()
    new.content, new.status = "second try", StreamStatus.COMPLETE
    first_chat = sync.sync()
    writer.flush()
    assert [c for _, c, _ in _stored(store, sync)] == ["q", "second try"]

    conversation.clear()
    conversation.add_user("a fresh start")
    second_chat = sync.sync()
    writer.flush()
    assert second_chat != first_chat
    assert [c.title for c in store.list_chats(ME)] == ["a fresh start", "q"]
    writer.close()


def test_not_saving_writes_nothing(store: Store) -> None:
    writer = WriteBehind(store)
    conversation = Conversation()
    sync = ConversationSync(writer, ME, conversation, saving=False)
    conversation.add_user("private")
    assert sync.sync() is None
    writer.flush()
    assert store.list_chats(ME) == []
    writer.close()


def test_a_silent_streaming_answer_is_rewritten_now_and_then(store: Store) -> None:
    writer = CountingWriter(store)
    conversation = Conversation()
    now = [0.0]
    sync = ConversationSync(writer, ME, conversation, heartbeat_s=10.0, clock=lambda: now[0])
    conversation.add_user("think hard")
    conversation.add_assistant()
    sync.sync()
    submitted = writer.submitted
    now[0] = 5.0
    sync.sync()
    assert writer.submitted == submitted
    now[0] = 10.5
    sync.sync()
    assert writer.submitted == submitted + 1
    writer.close()


def test_two_tabs_writing_the_same_chat_lose_nothing(store: Store) -> None:
    writer = WriteBehind(store)
    first_tab = Conversation()
    first = ConversationSync(writer, ME, first_tab)
    first_tab.add_user("from the first tab")
    chat_id = first.sync()
    writer.flush()
    assert chat_id is not None
    second_tab, second = _open_in_another_tab(store, writer, chat_id)
    second_tab.add_user("from the second tab")
    first_tab.add_user("first tab again")
    second.sync()
    first.sync()
    writer.flush()
    assert sorted(c for _, c, _ in _stored(store, first)) == [
        "first tab again",
        "from the first tab",
        "from the second tab",
    ]
    writer.close()


def test_opening_a_chat_whose_answer_streams_elsewhere_never_overwrites_it(
    store: Store,
) -> None:
    writer = WriteBehind(store)
    first_tab = Conversation()
    first = ConversationSync(writer, ME, first_tab)
    first_tab.add_user("long question")
    answer = first_tab.add_assistant()
    answer.content = "partial"
    chat_id = first.sync()
    writer.flush()
    assert chat_id is not None
    second_tab, second = _open_in_another_tab(store, writer, chat_id)
    answer.content, answer.status = "partial and the rest", StreamStatus.COMPLETE
    first.sync()
    writer.flush()
    second_tab.turns[-1].status = StreamStatus.STOPPED  # what the page does to a loaded answer
    second.sync()
    writer.flush()
    assert _stored(store, first)[-1] == (
        "assistant",
        "partial and the rest",
        StreamStatus.COMPLETE,
    )
    writer.close()
