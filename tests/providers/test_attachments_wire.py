"""Attachments reach the wire as each provider's content parts, through the real SDKs."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from chat_core.attachments import read_attachment
from chat_core.stream import ChatStream, RetryPolicy
from chat_core.types import ChatRequest, Message, StreamStatus
from tests.providers.test_providers import provider_for
from tests.wire_server import WireServer

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _png(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


def _send(name: str, wire: WireServer, model: str, *files: tuple[str, bytes]) -> dict[str, object]:
    attachments = tuple(read_attachment(n, d) for n, d in files)
    request = ChatRequest(
        messages=(
            Message("user", "earlier question"),
            Message("assistant", "earlier answer"),
            Message("user", "Describe these files", attachments),
        ),
        model=model,
        timeout_s=10,
    )
    stream = ChatStream(provider_for(name, wire), request, retry=RetryPolicy(max_retries=0))
    result = stream.wait(10)
    assert result.status == StreamStatus.COMPLETE, result.error
    assert "Describe these files" in result.text  # the echo saw the prompt text
    record = wire.last_request
    assert record is not None
    body: dict[str, object] = record.body
    return body


def test_openai_gets_image_url_and_text_parts(wire: WireServer) -> None:
    body = _send("openai", wire, "gpt-4o-mini", ("photo.png", _png(64, 48)), ("notes.txt", b"milk"))
    messages = body["messages"]
    assert isinstance(messages, list)
    assert messages[0] == {"role": "user", "content": "earlier question"}  # plain stays plain
    text, image = messages[-1]["content"]
    assert text == {
        "type": "text",
        "text": "Describe these files\n\nFile: notes.txt\n```\nmilk\n```",
    }
    assert image == {
        "type": "image_url",
        "image_url": {"url": "data:image/png;base64," + base64.b64encode(_png(64, 48)).decode()},
    }


def test_openai_gets_pdfs_as_file_parts(wire: WireServer) -> None:
    body = _send("openai", wire, "gpt-4o", ("paper.pdf", PDF))
    messages = body["messages"]
    assert isinstance(messages, list)
    part = messages[-1]["content"][1]
    assert part["type"] == "file" and part["file"]["filename"] == "paper.pdf"
    assert part["file"]["file_data"].startswith("data:application/pdf;base64,")


def test_anthropic_gets_image_document_and_text_blocks(wire: WireServer) -> None:
    body = _send(
        "anthropic",
        wire,
        "claude-sonnet-4-6",
        ("wide.png", _png(3136, 1000)),
        ("paper.pdf", PDF),
        ("main.py", b"print('hi')\n"),
    )
    messages = body["messages"]
    assert isinstance(messages, list)
    image, document, text = messages[-1]["content"]
    assert image["type"] == "image" and image["source"]["type"] == "base64"
    with Image.open(io.BytesIO(base64.b64decode(image["source"]["data"]))) as sent:
        assert sent.size == (1568, 500)  # downscaled to Anthropic's long-edge limit
    assert document["type"] == "document" and document["title"] == "paper.pdf"
    assert base64.b64decode(document["source"]["data"]) == PDF
    assert text == {
        "type": "text",
        "text": "Describe these files\n\nFile: main.py\n```python\nprint('hi')\n```",
    }


@pytest.mark.parametrize("name", ["openai-compatible"])
def test_a_local_server_gets_a_note_instead_of_a_pdf(name: str, wire: WireServer) -> None:
    body = _send(name, wire, "llava", ("photo.png", _png(8, 8)), ("paper.pdf", PDF))
    messages = body["messages"]
    assert isinstance(messages, list)
    text, image = messages[-1]["content"]
    assert image["type"] == "image_url"
    assert "[Attached paper.pdf (PDF" in text["text"]
