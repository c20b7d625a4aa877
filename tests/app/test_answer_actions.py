"""AppTests of the actions under an answer (ui/answer_actions.py) on a tiny page of their own
(tests/app/answer_actions_page.py): copy, feedback, regenerate with versions, edit."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from chat_core.conversation import Conversation

PAGE = str(Path(__file__).resolve().parent / "answer_actions_page.py")


def page() -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30).run()
    assert not at.exception, at.exception
    return at


def conv(at: AppTest) -> Conversation:
    value: Conversation = at.session_state["conv"]
    return value


def shown(at: AppTest) -> list[str]:
    return [str(m.markdown[0].value) for m in at.chat_message]


def button(at: AppTest, prefix: str) -> str:
    return next(b.key for b in at.button if b.key and b.key.startswith(prefix))


def test_copy_carries_the_answers_markdown_source() -> None:
    at = page()
    copies = [e.proto for e in at.main if type(e).__name__ == "UnknownElement"]
    assert [p.component_name for p in copies] == ["streamchat_copy"]
    assert json.loads(copies[0].json) == {"text": "Server-sent events."}


def test_thumbs_are_stored_on_the_answer() -> None:
    at = page()
    at.get("feedback")[0].set_value(1).run()
    assert conv(at).turns[-1].feedback == 1
    at.get("feedback")[0].set_value(0).run()
    assert conv(at).turns[-1].feedback == 0


def test_regenerate_keeps_the_first_answer_reachable() -> None:
    at = page()
    at.button(key=button(at, "regenerate-")).click().run()
    assert shown(at) == ["What is SSE?", "Answer number 2."]
    assert [str(c.value) for c in at.caption] == ["answer 2 of 2"]
    at.button(key=button(at, "version-prev-")).click().run()
    assert not at.exception
    assert shown(at) == ["What is SSE?", "Server-sent events."]
    assert [str(c.value) for c in at.caption] == ["answer 1 of 2"]
    assert at.button(key=button(at, "version-prev-")).disabled


def test_edit_resends_and_the_old_exchange_comes_back_with_the_arrow() -> None:
    at = page()
    at.button(key=button(at, "edit-")).click().run()
    at.text_area(key="edit_prompt_text").set_value("What is SSE, briefly?")
    at.button(key="edit_prompt_send").click().run()
    assert not at.exception
    assert shown(at) == ["What is SSE, briefly?", "Answer to: What is SSE, briefly?"]
    at.button(key=button(at, "version-prev-")).click().run()
    assert shown(at) == ["What is SSE?", "Server-sent events."]


def test_feedback_survives_a_redraw_without_its_widget_state() -> None:
    at = page()
    at.get("feedback")[0].set_value(1).run()
    at.session_state["hide_actions"] = True  # like a page switch: the widget is not drawn
    at.run()
    assert not at.get("feedback")
    at.session_state["hide_actions"] = False
    at.run()
    assert at.get("feedback")[0].value == 1
