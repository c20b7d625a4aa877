"""Regenerate / edit keep earlier answers reachable; feedback, attachments and versions
survive an export and import."""

from __future__ import annotations

from decimal import Decimal

from chat_core.conversation import Conversation, Turn
from chat_core.cost import Cost
from chat_core.parts import Attachment
from chat_core.providers.demo import DemoProvider
from chat_core.types import ChatRequest, Message, StreamStatus, TextDelta
from chat_core.versions import (
    edit_last_prompt,
    label,
    last_answer,
    set_aside_last_answer,
    show_version,
    start_new_version,
)


def _chat(answer: str = "first answer") -> Conversation:
    conv = Conversation()
    conv.add_user("What is SSE?")
    turn = conv.add_assistant(provider="demo", model="demo-1")
    turn.content, turn.status = answer, StreamStatus.COMPLETE
    return conv


def test_regenerate_keeps_the_previous_answer_reachable() -> None:
    conv = _chat()
    first = conv.turns[-1]
    second = start_new_version(conv, provider="demo", model="demo-1")
    second.content = "second answer"
    assert conv.turns[-1] is second and len(conv.turns) == 2
    assert (label(first), label(second)) == ("answer 1 of 2", "answer 2 of 2")
    assert show_version(conv, 1) is first
    assert conv.turns[-1].content == "first answer"
    assert conv.messages()[-1] == Message("assistant", "first answer")


def test_a_failed_answer_without_text_is_not_kept_as_a_version() -> None:
    conv = _chat(answer="")
    conv.turns[-1].status = StreamStatus.ERROR
    new = start_new_version(conv, provider="demo", model="demo-1")
    assert label(new) == "" and len(conv.turns) == 2


def test_editing_the_last_prompt_can_be_undone_by_showing_the_old_answer() -> None:
    conv = _chat()
    edit_last_prompt(conv, "What is SSE, briefly?")
    assert [t.content for t in conv.turns] == ["What is SSE, briefly?"]  # answer set aside
    new = start_new_version(conv, provider="demo", model="demo-1")
    new.content = "short answer"
    assert conv.turns[0].content == "What is SSE, briefly?"
    assert label(new) == "answer 2 of 2"
    show_version(conv, 1)
    assert [t.content for t in conv.turns] == ["What is SSE?", "first answer"]
    show_version(conv, 2)
    assert [t.content for t in conv.turns] == ["What is SSE, briefly?", "short answer"]
    third = start_new_version(conv, provider="demo", model="demo-1")
    assert third.answered == "What is SSE, briefly?" and label(third) == "answer 3 of 3"


def test_regenerate_from_a_callback_sets_the_answer_aside_until_the_new_one_starts() -> None:
    conv = _chat()
    first = conv.turns[-1]
    set_aside_last_answer(conv)
    assert [t.role for t in conv.turns] == ["user"]  # the page does not draw it twice
    new = start_new_version(conv, provider="demo", model="demo-1")
    assert new.versions == [first, new] and conv.set_aside is None


def test_a_set_aside_answer_never_joins_another_prompt() -> None:
    conv = _chat()
    set_aside_last_answer(conv)
    conv.add_user("Something else")
    new = start_new_version(conv, provider="demo", model="demo-1")
    assert new.versions == [] and label(new) == ""


def test_feedback_attachments_and_versions_survive_export_and_import() -> None:
    conv = Conversation()
    conv.add_user("look", (Attachment("a.png", "image/png", b"\x89PNG...", 4, 3),))
    first = conv.add_assistant(provider="demo", model="demo-1")
    first.content, first.status, first.feedback = "one", StreamStatus.COMPLETE, 0
    second = start_new_version(conv, provider="demo", model="demo-1")
    second.content, second.status, second.feedback = "two", StreamStatus.COMPLETE, 1
    second.cost = Cost(Decimal("0.0001"), Decimal("0.00025"), "genai-prices: openai")

    loaded = Conversation()
    loaded.load_json(conv.to_json())
    user, answer = loaded.turns
    assert user.attachments == conv.turns[0].attachments
    assert (answer.content, answer.feedback, label(answer)) == ("two", 1, "answer 2 of 2")
    assert answer.cost == second.cost
    assert last_answer(loaded) is answer
    older = show_version(loaded, 1)
    assert (older.content, older.feedback, label(older)) == ("one", 0, "answer 1 of 2")


def test_old_exports_without_the_new_fields_still_load() -> None:
    turn = Turn.from_dict({"role": "assistant", "content": "hi"})
    assert (turn.feedback, turn.attachments, turn.versions) == (None, (), [])


def test_a_prompt_with_only_an_image_is_sent() -> None:
    conv = Conversation()
    image = Attachment("a.png", "image/png", b"\x89PNG...", 4, 3)
    conv.add_user("", (image,))
    assert conv.messages() == (Message("user", "", (image,)),)


def test_the_demo_acknowledges_attachments() -> None:
    image = Attachment("photo.png", "image/png", b"x" * 2048, 800, 600)
    text = Attachment("notes.md", "text/markdown", b"# hi\n")
    request = ChatRequest((Message("user", "what is this?", (image, text)),), model="demo-1")
    upstream = DemoProvider(ttft_s=0, chunks_per_s=0).open(request)
    answer = "".join(e.text for e in upstream if isinstance(e, TextDelta))
    assert answer.startswith(
        "You attached 2 files: photo.png (image, 800×600, 2 KB), notes.md (text, 5 B)."
    )
