"""Issue 13 on the real chat page (AppTest): attachments, cost, feedback, regenerate/edit
versions. The providers' side runs through the real SDKs against the wire server."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from chat_core.conversation import Conversation
from chat_core.cost import format_usd
from tests.app.conftest import captions, messages, send
from tests.wire_server import WireServer


def png(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (30, 160, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def conversation(at: AppTest) -> Conversation:
    conv: Conversation = at.session_state["conversation"]
    return conv


def attach_and_send(at: AppTest, text: str, *files: tuple[str, bytes]) -> AppTest:
    box = at.chat_input[0]
    for name, data in files:
        box.upload(name, data)
    box.set_value(text).run()
    assert not at.exception, at.exception
    return at


def test_the_demo_acknowledges_attached_files(app: Callable[..., AppTest]) -> None:
    at = attach_and_send(
        app().run(), "What are these?", ("photo.png", png()), ("notes.md", b"# Notes\n")
    )
    user, answer = conversation(at).turns
    assert [a.name for a in user.attachments] == ["photo.png", "notes.md"]
    assert answer.content.startswith(
        f"You attached 2 files: photo.png (image, 64×48, {len(png())} B), notes.md (text, 8 B)."
    )
    bubble = at.chat_message[0]
    assert [type(e).__name__ for e in bubble.children[1].children.values()] == ["Image"]
    assert any("notes" in str(m.value) for m in bubble.markdown)  # the chip


def test_a_bad_file_stops_the_message_and_keeps_its_text(app: Callable[..., AppTest]) -> None:
    at = attach_and_send(app().run(), "Summarise this", ("report.txt", png()))
    assert conversation(at).turns == []
    assert "not a text file (it holds an image)" in str(at.warning[0].value)
    assert at.code[0].value == "Summarise this"


def test_a_model_without_vision_gets_a_message_not_a_400(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = app(model_openai="gpt-3.5-turbo").run()
    at = attach_and_send(at, "Look", ("photo.png", png()))
    assert conversation(at).turns == []
    assert "gpt-3.5-turbo does not take images" in str(at.warning[0].value)
    assert openai_wire.last_request is None


def test_image_and_text_reach_openai_as_content_parts(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = attach_and_send(app().run(), "Describe", ("photo.png", png()), ("a.py", b"x = 1\n"))
    request = openai_wire.last_request
    assert request is not None
    text, image = request.body["messages"][-1]["content"]
    assert text == {"type": "text", "text": "Describe\n\nFile: a.py\n```python\nx = 1\n```"}
    assert image["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(png()).decode()
    assert messages(at)[-1][1].startswith("You said: Describe")


def test_image_and_text_reach_anthropic_as_blocks(
    app: Callable[..., AppTest], anthropic_wire: WireServer
) -> None:
    attach_and_send(app().run(), "Describe", ("photo.png", png()), ("a.csv", b"a,b\n1,2\n"))
    request = anthropic_wire.last_request
    assert request is not None
    image, text = request.body["messages"][-1]["content"]
    assert image["type"] == "image" and image["source"]["media_type"] == "image/png"
    assert text["text"] == "Describe\n\nFile: a.csv\n```csv\na,b\n1,2\n```"


def test_cost_shows_under_a_priced_answer_and_not_under_the_demo(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = app(model_openai="gpt-4o-mini")
    at.secrets["prices"] = {"gpt-4o-mini": {"input": 1000, "output": 2000}}
    at = send(at.run(), "Hello")
    turn = conversation(at).turns[-1]
    assert turn.cost is not None and turn.metrics is not None
    assert turn.cost.source == "secrets.toml"
    assert captions(at)[-1].endswith(" · " + format_usd(turn.cost.total_usd))
    assert turn.cost.total_usd > 0


def test_an_unpriced_answer_shows_no_cost(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = send(app(model_openai="gpt-4o-mini").run(), "Hello")  # served by a local server
    assert conversation(at).turns[-1].cost is None
    assert "$" not in captions(at)[-1]


def test_thumbs_are_stored_with_the_answer(app: Callable[..., AppTest]) -> None:
    at = send(app().run(), "Rate me")
    at.get("feedback")[0].set_value(1).run()
    assert conversation(at).turns[-1].feedback == 1
    assert at.session_state["answers"][-1].feedback == 1  # the metrics log's row


def test_regenerate_keeps_the_first_answer_reachable(app: Callable[..., AppTest]) -> None:
    at = send(app().run(), "Tell me something")
    first = conversation(at).turns[-1]
    at.button(key="regenerate").click().run()
    turns = conversation(at).turns
    assert len(turns) == 2 and turns[-1] is not first
    assert any("answer 2 of 2" in str(c.value) for c in at.caption)
    at.button(key=f"version-prev-{turns[-1].id}").click().run()
    assert conversation(at).turns[-1] is first
    assert sum(1 for m in at.chat_message if m.name == "assistant") == 1


def test_edit_the_last_prompt_and_undo_it(app: Callable[..., AppTest]) -> None:
    at = send(app().run(), "first wording")
    user = conversation(at).turns[0]
    at.button(key=f"edit-{user.id}").click().run()
    at.text_area(key="edit_prompt_text").set_value("second wording").run()
    at.button(key="edit_prompt_send").click().run()
    assert not at.exception
    turns = conversation(at).turns
    assert turns[0].content == "second wording" and "second wording" in turns[1].content
    at.button(key=f"version-prev-{turns[1].id}").click().run()
    assert [t.content for t in conversation(at).turns][0] == "first wording"


def test_past_the_budget_the_chat_box_waits_for_a_confirmation(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = app(model_openai="gpt-4o-mini")
    at.secrets["prices"] = {"gpt-4o-mini": {"input": 1000, "output": 2000}}
    at.secrets["STREAMCHAT_SESSION_BUDGET_USD"] = 0.01
    at = send(at.run(), "Hello")  # about $0.04 at these prices
    at.run()
    assert "reaches your $0.01 budget" in str(at.warning[0].value)
    assert at.chat_input[0].disabled
    at.button(key="budget_continue").click().run()
    assert not at.chat_input[0].disabled and not at.warning
    assert "Cost: this chat $0.04 · this session $0.04" in [str(c.value) for c in at.main.caption]


def test_the_metrics_page_has_cost_and_feedback_columns_and_a_filter(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = app(model_openai="gpt-4o-mini")
    at.secrets["prices"] = {"gpt-4o-mini": {"input": 1000, "output": 2000}}
    at = send(at.run(), "first")
    at = send(at, "second")
    at.get("feedback")[-1].set_value(0).run()
    at.switch_page("app_pages/metrics.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["feedback"]) == ["", "thumbs down"]
    assert table["cost ($)"].notna().all()
    at.segmented_control(key="feedback_filter").set_value("thumbs down").run()
    assert len(at.dataframe[0].value) == 1


def test_the_microphone_is_offered_only_with_an_openai_key(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert not app().run().chat_input[0].proto.accept_audio
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-voice")
    assert app().run().chat_input[0].proto.accept_audio
