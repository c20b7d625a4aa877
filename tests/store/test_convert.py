"""Stored chats as in-memory conversations, and "export all"."""

from __future__ import annotations

import json
from dataclasses import replace

from chat_core.conversation import Conversation
from chat_core.metrics import StreamMetrics
from chat_core.store import Store
from chat_core.store_convert import (
    export_all,
    save_conversation,
    stored_answers,
    to_conversation,
)
from chat_core.types import StreamStatus

ME = "alice"


def _metrics() -> StreamMetrics:
    return StreamMetrics(
        provider="demo",
        model="demo-1",
        status=StreamStatus.STOPPED,
        started_at=1000.0,
        total_s=2.0,
        ttft_s=0.25,
        streaming_s=1.75,
        chunk_count=10,
        char_count=42,
        input_tokens=5,
        output_tokens=None,
    )


def test_conversation_survives_a_round_trip_through_the_store(store: Store) -> None:
    conversation = Conversation(system="Be kind.")
    conversation.add_user("tell me a story")
    answer = conversation.add_assistant(provider="demo", model="demo-1")
    answer.content = "Once upon a"
    answer.status = StreamStatus.STOPPED
    answer.metrics = _metrics()
    chat_id = save_conversation(store, ME, conversation)
    assert chat_id is not None
    stored = store.get_chat(ME, chat_id)
    assert stored is not None
    back = to_conversation(stored)
    assert back.system == "Be kind."
    assert [(t.role, t.content, t.status) for t in back.turns] == [
        ("user", "tell me a story", StreamStatus.COMPLETE),
        ("assistant", "Once upon a", StreamStatus.STOPPED),
    ]
    assert back.turns[1].metrics == _metrics()
    assert [t.id for t in back.turns] == [t.id for t in conversation.turns]
    assert save_conversation(store, "mallory", conversation, chat_id=chat_id) is None


def test_export_all_gives_every_chat_in_one_json_file_readable_per_chat(store: Store) -> None:
    for prompt in ("first chat", "second chat"):
        conversation = Conversation()
        conversation.add_user(prompt)
        save_conversation(store, ME, conversation)
    data = json.loads(export_all(store, ME))
    assert data["format"] == "streamchat-all"
    assert [c["title"] for c in data["chats"]] == ["second chat", "first chat"]
    again = Conversation()
    again.load_json(json.dumps(data["chats"][0]))
    assert [t.content for t in again.turns] == ["second chat"]
    assert json.loads(export_all(store, "nobody"))["chats"] == []


def test_metrics_page_rows_come_from_every_stored_chat_oldest_first(store: Store) -> None:
    for started in (2000.0, 1000.0):
        conversation = Conversation()
        conversation.add_user("q")
        answer = conversation.add_assistant(provider="demo", model="demo-1")
        answer.content = "a"
        answer.status = StreamStatus.STOPPED
        answer.metrics = replace(_metrics(), started_at=started)
        save_conversation(store, ME, conversation)
    rows = stored_answers(store, ME)
    assert [t.metrics.started_at for t in rows if t.metrics] == [1000.0, 2000.0]
    assert all(t.metrics and t.metrics.ttft_s == 0.25 for t in rows)
    assert stored_answers(store, "nobody") == []
