"""Issue 13 in a real browser: copy reaches the clipboard, thumbs and Edit work, Esc stops
a streaming answer, attached files reach the wire server as content parts."""

from __future__ import annotations

import base64
import io
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PIL import Image

from chat_core.providers.demo import demo_answer
from tests.e2e.conftest import CHAT_INPUT, USER, AppServer, ChatPage, playwright_expect
from tests.servers import server_env, streamlit_server
from tests.wire_server import Scenario, WireServer

pytestmark = pytest.mark.e2e
expect = playwright_expect()


def test_copy_puts_the_markdown_source_on_the_clipboard(demo_chat: ChatPage) -> None:
    demo_chat.page.context.grant_permissions(
        ["clipboard-read", "clipboard-write"], origin=demo_chat.app.url
    )
    answer = demo_chat.send("Copy this answer")
    answer.locator("button.copy").click()
    expect(answer.locator("button.copy")).to_have_attribute("data-copied", "yes")
    copied = demo_chat.page.evaluate("navigator.clipboard.readText()")
    assert copied == demo_answer("Copy this answer", turn=1)
    assert copied.startswith("### About: Copy this answer")  # the source, not the rendering


def test_thumbs_up_is_stored_with_the_answer(demo_chat: ChatPage) -> None:
    answer = demo_chat.send("Rate this")
    answer.locator('[data-testid="stFeedback"] button').first.click()
    demo_chat.wait_idle()
    messages = demo_chat.download_chat_json()["messages"]
    assert messages[-1]["feedback"] == 1


def test_edit_resends_and_the_arrow_brings_the_old_exchange_back(
    chat: ChatPage, wire: WireServer
) -> None:
    wire.enqueue(Scenario.text("First answer."), Scenario.text("Second answer."))
    chat.send("first wording")
    chat.users().last.locator('[class*="st-key-edit-"] button:visible').click()
    dialog = chat.page.get_by_role("dialog")
    dialog.locator("textarea").fill("second wording")
    dialog.get_by_role("button", name="Send").click()
    # The Send callback asks for a full run; until it starts the old answer is still shown.
    expect(chat.page.get_by_text("answer 2 of 2")).to_be_visible()
    chat.wait_idle()
    expect(chat.assistants()).to_have_count(1)
    assert chat.answer_text() == "Second answer."
    assert wire.requests[-1].body["messages"][-1]["content"] == "second wording"
    expect(chat.page.get_by_text("answer 2 of 2")).to_be_visible()
    chat.assistants().last.locator('[class*="st-key-version-prev-"] button:visible').click()
    chat.wait_idle()
    assert chat.answer_text() == "First answer."
    expect(chat.users().last).to_contain_text("first wording")


def test_escape_stops_a_streaming_answer(chat: ChatPage, wire: WireServer) -> None:
    chat.send("#wire:slow:2000", wait=False)
    chat.wait_for_answer_chars(150)
    pressed_at = time.monotonic()
    chat.page.locator(CHAT_INPUT).press("Escape")  # focus is still in the chat box
    record = wire.wait_for_disconnect(timeout=10)
    assert record is not None, "Esc did not stop the answer"
    assert record.disconnected_at is not None
    print(f"Esc: upstream closed {(record.disconnected_at - pressed_at) * 1000:.0f} ms later")
    chat.wait_idle()
    assert not record.completed


def test_an_image_and_a_text_file_reach_openai_as_content_parts(
    chat: ChatPage, wire: WireServer, tmp_path: Path
) -> None:
    _attach_image_and_notes(chat, tmp_path)
    sent = wire.requests[-1].body["messages"][-1]["content"]
    assert [part["type"] for part in sent] == ["text", "image_url"]
    assert sent[0]["text"].endswith("File: notes.md\n```markdown\n# Shopping\n- milk\n```")
    assert sent[1]["image_url"]["url"].startswith("data:image/png;base64,")
    expect(chat.users().last.locator('[data-testid="stImage"]')).to_have_count(1)
    expect(chat.users().last).to_contain_text("notes.md")


def _attach_image_and_notes(chat: ChatPage, tmp_path: Path) -> None:
    """Attach photo.png (64×48) and notes.md to the chat box and send them with a prompt."""
    image = tmp_path / "photo.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
    image.write_bytes(buffer.getvalue())
    notes = tmp_path / "notes.md"
    notes.write_text("# Shopping\n- milk\n")
    chat.page.locator('[data-testid="stChatInput"] input[type="file"]').set_input_files(
        [str(image), str(notes)]
    )
    n_users = chat.users().count()
    box = chat.page.locator(CHAT_INPUT)
    box.fill("What is in these files?")
    # The chat box ignores Enter while its files are still uploading (slow on a busy machine):
    # press again until the prompt is sent (an empty box ignores the extra presses).
    for _ in range(30):
        box.press("Enter")
        try:
            expect(chat.page.locator(USER)).to_have_count(n_users + 1, timeout=1_000)
            break
        except AssertionError:
            continue
    expect(chat.page.locator(USER)).to_have_count(n_users + 1)
    chat.wait_idle()


@pytest.fixture(scope="module")
def anthropic_app(wire_server: WireServer) -> Iterator[AppServer]:
    """The app with only an Anthropic key (random), its base URL on the wire server."""
    key = f"sk-ant-test-{secrets.token_hex(16)}"
    env = server_env(ANTHROPIC_API_KEY=key, ANTHROPIC_BASE_URL=wire_server.anthropic_base_url)
    with streamlit_server("app.py", env=env) as server:
        yield AppServer(server, key)


def test_an_image_and_a_text_file_reach_anthropic_as_content_blocks(
    make_chat: Callable[[AppServer], ChatPage],
    anthropic_app: AppServer,
    wire: WireServer,
    tmp_path: Path,
) -> None:
    chat = make_chat(anthropic_app).open_chat()
    _attach_image_and_notes(chat, tmp_path)
    request = wire.requests[-1]
    assert request.provider == "anthropic"
    sent = request.body["messages"][-1]["content"]
    assert [block["type"] for block in sent] == ["image", "text"]
    assert sent[0]["source"]["type"] == "base64"
    assert sent[0]["source"]["media_type"] == "image/png"
    with Image.open(io.BytesIO(base64.b64decode(sent[0]["source"]["data"]))) as image:
        assert image.size == (64, 48)
    assert sent[1]["text"].startswith("What is in these files?")
    assert sent[1]["text"].endswith("File: notes.md\n```markdown\n# Shopping\n- milk\n```")
    expect(chat.users().last.locator('[data-testid="stImage"]')).to_have_count(1)
    expect(chat.users().last).to_contain_text("notes.md")


def test_the_sidebar_stop_and_its_esc_survive_a_regenerate_and_a_new_prompt(
    demo_chat: ChatPage,
) -> None:
    demo_chat.send("first")
    demo_chat.sidebar_button("Regenerate last answer").click()
    demo_chat.wait_idle()
    demo_chat.send("second")
    # It was drawn from inside the chat's fragment, so the next prompt's fragment run removed it.
    expect(demo_chat.sidebar_button("Stop")).to_have_count(1)
