"""Feedback, cost, attached files and earlier answer versions survive saving a chat and opening
it again (issue 13's features on stored chats), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from decimal import Decimal

from PIL import Image
from sqlalchemy import text

from chat_core import store_schema
from chat_core.attachments import read_attachment
from chat_core.conversation import Conversation
from chat_core.cost import Cost
from chat_core.metrics import StreamMetrics
from chat_core.store import Store
from chat_core.store_convert import save_conversation, stored_answers, to_conversation
from chat_core.store_saver import WriteBehind
from chat_core.store_sync import ConversationSync
from chat_core.types import StreamStatus
from chat_core.versions import position, show_version, start_new_version

ME = "alice"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 40, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def _metrics(at: float) -> StreamMetrics:
    return StreamMetrics(
        provider="demo",
        model="demo-1",
        status=StreamStatus.COMPLETE,
        started_at=at,
        total_s=1.0,
        ttft_s=0.1,
        streaming_s=0.9,
        chunk_count=3,
        char_count=12,
        input_tokens=5,
        output_tokens=7,
    )


def _chat() -> Conversation:
    """A prompt with an image and a text file, answered twice (Regenerate), the second answer
    rated thumbs up and priced."""
    conversation = Conversation()
    files = (read_attachment("photo.png", _png()), read_attachment("notes.md", b"# Notes\nhi\n"))
    conversation.add_user("what is in these?", files)
    first = conversation.add_assistant(provider="demo", model="demo-1")
    first.content, first.status, first.feedback = "A red square.", StreamStatus.COMPLETE, 0
    second = start_new_version(conversation, provider="demo", model="demo-1")
    second.content, second.status = "A red image and notes.", StreamStatus.COMPLETE
    second.metrics = _metrics(1000.0)
    second.feedback = 1
    second.cost = Cost(Decimal("0.0001"), Decimal("0.0002"), "genai-prices: openai")
    return conversation


def test_feedback_cost_files_and_versions_survive_saving_and_reopening(store: Store) -> None:
    conversation = _chat()
    chat_id = save_conversation(store, ME, conversation)
    assert chat_id is not None
    stored = store.get_chat(ME, chat_id)
    assert stored is not None
    back = to_conversation(stored)

    prompt, answer = back.turns
    assert [(a.name, a.media_type, a.data, a.width, a.height) for a in prompt.attachments] == [
        (a.name, a.media_type, a.data, a.width, a.height) for a in conversation.turns[0].attachments
    ]
    assert answer.feedback == 1
    assert answer.cost == conversation.turns[1].cost
    assert position(answer) == (2, 2)
    first = show_version(back, 1)
    assert (first.content, first.feedback) == ("A red square.", 0)
    assert position(first) == (1, 2)


def test_the_metrics_page_reads_stored_feedback_and_cost(store: Store) -> None:
    conversation = _chat()
    assert save_conversation(store, ME, conversation) is not None
    [row] = stored_answers(store, ME)
    assert row.feedback == 1
    assert row.cost == conversation.turns[1].cost


def test_a_thumbs_up_given_after_the_answer_was_saved_is_saved_too(store: Store) -> None:
    writer = WriteBehind(store)
    try:
        sync = ConversationSync(writer, ME)
        conversation = _chat()
        conversation.turns[1].feedback = None
        sync.attach(conversation, None)
        chat_id = sync.sync()
        assert chat_id is not None and writer.flush()
        conversation.turns[1].feedback = 0  # thumbs down, given later
        sync.sync()
        assert writer.flush()
    finally:
        writer.close()
    stored = store.get_chat(ME, chat_id)
    assert stored is not None
    assert to_conversation(stored).turns[1].feedback == 0


def test_removing_the_feedback_and_deleting_the_answer_leave_nothing_behind(store: Store) -> None:
    conversation = _chat()
    chat_id = save_conversation(store, ME, conversation)
    assert chat_id is not None
    conversation.turns[1].feedback = None
    save_conversation(store, ME, conversation, chat_id=chat_id)
    stored = store.get_chat(ME, chat_id)
    assert stored is not None and to_conversation(stored).turns[1].feedback is None
    store.delete_turns(ME, chat_id, [t.id for t in conversation.turns])
    with store._engine.connect() as conn:
        for table in ("feedback", "attachments"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0


def test_a_version_1_database_gains_the_new_columns_and_keeps_its_chats(store_url: str) -> None:
    old = Store(store_url)
    chat = old.create_chat(ME, title="from v1")
    assert chat is not None
    with old._engine.begin() as conn:
        # Back to what version 1 left: no extras, attachments without their bytes.
        for table, column in (("turns", "extras"), ("attachments", "data")):
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        conn.execute(text("UPDATE streamchat_schema SET version = 1"))
    old.close()
    upgraded = Store(store_url)
    try:
        assert upgraded.get_chat(ME, chat.id) is not None
        chat_id = save_conversation(upgraded, ME, _chat())
        assert chat_id is not None
        stored = upgraded.get_chat(ME, chat_id)
        assert stored is not None
        assert to_conversation(stored).turns[0].attachments[1].text == "# Notes\nhi\n"
        with upgraded._engine.connect() as conn:
            assert store_schema.read_version(conn) == store_schema.CURRENT_VERSION
    finally:
        upgraded.close()


def test_a_record_without_its_bytes_is_not_handed_back_as_a_file(store: Store) -> None:
    chat = store.create_chat(ME)
    assert chat is not None
    prompt = store.append_turn(ME, chat.id, "user", "see file")
    assert prompt is not None
    assert store.add_attachment(ME, chat.id, prompt.id, name="gone.png", size_bytes=10)
    stored = store.get_chat(ME, chat.id)
    assert stored is not None and stored.turns[0].attachments == ()
