from __future__ import annotations

import json

import pytest

from chat_core.conversation import Conversation
from chat_core.errors import ConversationFormatError
from chat_core.types import Message, StreamStatus


def chat() -> Conversation:
    conv = Conversation(system="Be brief.")
    conv.add_user("first question")
    answer = conv.add_assistant(provider="demo", model="demo-1")
    answer.content = "first answer"
    answer.status = StreamStatus.COMPLETE
    conv.add_user("second question")
    return conv


def test_messages_carry_history_in_order() -> None:
    assert chat().messages() == (
        Message("user", "first question"),
        Message("assistant", "first answer"),
        Message("user", "second question"),
    )


def test_prompt_whose_answer_failed_without_text_is_not_sent_again() -> None:
    conv = Conversation()
    conv.add_user("a")
    failed = conv.add_assistant()
    failed.status = StreamStatus.ERROR
    conv.add_user("b")
    assert conv.messages() == (Message("user", "b"),)


def test_consecutive_user_turns_are_merged_so_roles_alternate() -> None:
    conv = Conversation()
    conv.add_user("a")
    conv.add_user("b")
    assert conv.messages() == (Message("user", "a\n\nb"),)


def test_stopped_partial_answer_is_sent_back() -> None:
    conv = Conversation()
    conv.add_user("a")
    partial = conv.add_assistant()
    partial.content, partial.status = "half an ans", StreamStatus.STOPPED
    conv.add_user("go on")
    assert conv.messages()[1] == Message("assistant", "half an ans")


def test_clear_empties_the_turns_but_keeps_the_system_prompt() -> None:
    conv = chat()
    conv.clear()
    assert conv.turns == [] and conv.system == "Be brief."


def test_markdown_export_contains_every_turn_and_marks_stopped() -> None:
    conv = chat()
    conv.turns[1].status = StreamStatus.STOPPED
    text = conv.to_markdown()
    for needle in (
        "Be brief.",
        "first question",
        "first answer",
        "second question",
        "status: stopped",
    ):
        assert needle in text


def test_json_round_trip() -> None:
    conv = chat()
    copy = Conversation()
    copy.load_json(conv.to_json())
    assert copy.system == "Be brief."
    assert [(t.role, t.content, t.status) for t in copy.turns] == [
        (t.role, t.content, t.status) for t in conv.turns
    ]


@pytest.mark.parametrize(
    "bad",
    [
        "{not json",
        "[]",
        json.dumps({"messages": [{"role": "robot", "content": "x"}]}),
        json.dumps({"messages": "no"}),
    ],
)
def test_invalid_import_raises_and_changes_nothing(bad: str) -> None:
    conv = chat()
    before = conv.to_json()
    with pytest.raises(ConversationFormatError) as info:
        conv.load_json(bad)
    assert "nothing was imported" in info.value.user_message
    assert conv.to_json() == before
