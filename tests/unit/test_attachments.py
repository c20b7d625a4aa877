"""Attached files: checks with plain-language refusals, image fitting, provider content."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from chat_core.attachments import (
    IMAGE_LIMITS,
    MAX_FILE_BYTES,
    MAX_TEXT_CHARS,
    ImageLimit,
    attachments_from_json,
    check_turn,
    fit_image,
    read_attachment,
)
from chat_core.capabilities import accepts_images, accepts_pdfs
from chat_core.config import MODELS
from chat_core.errors import AttachmentRefused
from chat_core.parts import Attachment
from chat_core.provider_content import anthropic_message, delimited_text, openai_message
from chat_core.types import Message

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def image_bytes(width: int = 40, height: int = 30, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 40, 40)).save(buffer, fmt)
    return buffer.getvalue()


def refusal(name: str, data: bytes) -> str:
    with pytest.raises(AttachmentRefused) as caught:
        read_attachment(name, data)
    return caught.value.user_message


def test_an_image_keeps_its_type_and_size() -> None:
    att = read_attachment("photo.png", image_bytes(40, 30))
    assert (att.kind, att.media_type, att.width, att.height) == ("image", "image/png", 40, 30)
    assert att.describe().startswith("photo.png (image, 40×30, ")


def test_a_jpeg_named_png_is_sent_as_what_it_is() -> None:
    att = read_attachment("photo.png", image_bytes(fmt="JPEG"))
    assert att.media_type == "image/jpeg"


def test_text_and_pdf_files_are_read() -> None:
    text = read_attachment("notes.md", "# Plan\n\n- ünïcode\n".encode())
    assert (text.kind, text.media_type, text.text) == (
        "text",
        "text/markdown",
        "# Plan\n\n- ünïcode\n",
    )
    assert read_attachment("paper.pdf", PDF).kind == "pdf"


def test_an_empty_file_is_refused() -> None:
    assert refusal("notes.txt", b"") == "notes.txt is empty, so it was not attached."


def test_an_oversized_file_is_refused_with_the_limit() -> None:
    message = refusal("big.txt", b"a" * (MAX_FILE_BYTES + 1))
    assert "big.txt is 10.0 MB" in message and "at most 10.0 MB" in message


def test_a_renamed_binary_is_not_sent_as_text() -> None:
    assert "not a text file (it holds an image)" in refusal("notes.txt", image_bytes())
    assert "not a text file (it holds binary data)" in refusal("data.csv", b"ab\x00\x01cd")
    assert "not UTF-8 text" in refusal("latin.txt", "café".encode("latin-1"))


def test_an_image_that_does_not_decode_is_refused() -> None:
    truncated = image_bytes(400, 300)[:200]
    assert "could not be read as an image" in refusal("broken.png", truncated)
    assert "could not be read as an image" in refusal("fake.jpg", b"just some text")


def test_a_fake_pdf_and_an_unknown_kind_are_refused() -> None:
    assert "is not a PDF document" in refusal("paper.pdf", b"hello")
    assert "cannot be attached" in refusal("tool.exe", b"MZ\x90\x00")


def test_too_much_text_is_refused() -> None:
    assert "at most 100,000 characters" in refusal("big.txt", b"a" * (MAX_TEXT_CHARS + 1))


def test_models_that_do_not_take_a_kind_get_a_message_before_sending() -> None:
    image = read_attachment("photo.png", image_bytes())
    pdf = read_attachment("paper.pdf", PDF)
    check_turn([image, pdf], "openai", "gpt-4o-mini")
    check_turn([image, pdf], "anthropic", "claude-sonnet-4-5")
    with pytest.raises(AttachmentRefused, match="gpt-3.5-turbo does not take images"):
        check_turn([image], "openai", "gpt-3.5-turbo")
    with pytest.raises(AttachmentRefused, match="does not take PDFs"):
        check_turn([pdf], "openai-compatible", "llava")
    with pytest.raises(AttachmentRefused, match="llama3.2 does not take images"):
        check_turn([image], "openai-compatible", "llama3.2")


def test_the_message_total_is_limited() -> None:
    files = [
        Attachment(f"f{i}.pdf", "application/pdf", b"%PDF-" + b"x" * 8_000_000) for i in range(3)
    ]
    with pytest.raises(AttachmentRefused, match="add up to"):
        check_turn(files, "anthropic", "claude-sonnet-4-5")


@pytest.mark.parametrize(
    ("provider", "model", "images", "pdfs"),
    [
        ("openai", "gpt-4o", True, True),
        # The default OpenAI models (chat_core/config.py MODELS) take files like GPT-5.
        *[("openai", model, True, True) for model in MODELS["openai"]],
        *[("anthropic", model, True, True) for model in MODELS["anthropic"]],
        ("openai", "o3-mini", False, False),
        ("openai", "gpt-4o-audio-preview", False, False),
        ("anthropic", "claude-haiku-4-5", True, True),
        ("anthropic", "claude-3-haiku-20240307", True, False),
        ("openai-compatible", "llama3.2-vision", True, False),
        ("openai-compatible", "qwen2.5-vl:7b", True, False),
        ("openai-compatible", "mistral", False, False),
        ("demo", "demo-1", True, True),
    ],
)
def test_capability_lookup(provider: str, model: str, images: bool, pdfs: bool) -> None:
    assert (accepts_images(provider, model), accepts_pdfs(provider, model)) == (images, pdfs)


def test_large_images_are_downscaled_to_the_providers_limit() -> None:
    att = read_attachment("wide.png", image_bytes(3200, 1600))
    fitted = fit_image(att, IMAGE_LIMITS["anthropic"])
    assert (fitted.width, fitted.height) == (1568, 784)
    with Image.open(io.BytesIO(fitted.data)) as decoded:
        assert decoded.size == (1568, 784) and decoded.format == "PNG"
    small = read_attachment("small.png", image_bytes())
    assert fit_image(small, IMAGE_LIMITS["anthropic"]) is small


def test_an_image_over_the_byte_limit_becomes_a_smaller_jpeg() -> None:
    noisy = Image.effect_noise((900, 900), 120).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG")
    att = read_attachment("noise.png", buffer.getvalue())
    fitted = fit_image(att, ImageLimit(2048, 200_000))
    assert fitted.size <= 200_000
    assert (fitted.media_type, fitted.name) == ("image/jpeg", "noise.jpg")


def test_text_files_are_delimited_with_a_fence_that_cannot_close_early() -> None:
    att = Attachment("README.md", "text/markdown", b"Use:\n```bash\nrun\n```\n")
    assert delimited_text(att) == "File: README.md\n````markdown\nUse:\n```bash\nrun\n```\n````"


def _message() -> Message:
    return Message(
        "user",
        "What is in these?",
        (
            read_attachment("photo.png", image_bytes(40, 30)),
            read_attachment("notes.txt", b"buy milk"),
            read_attachment("paper.pdf", PDF),
        ),
    )


def test_openai_content_parts() -> None:
    sent = openai_message(_message(), provider="openai", model="gpt-4o-mini")
    text, image, pdf = sent["content"]
    assert text == {
        "type": "text",
        "text": "What is in these?\n\nFile: notes.txt\n```\nbuy milk\n```",
    }
    assert image["type"] == "image_url"
    assert image["image_url"]["url"].startswith("data:image/png;base64,")
    assert pdf == {
        "type": "file",
        "file": {
            "filename": "paper.pdf",
            "file_data": "data:application/pdf;base64," + base64.b64encode(PDF).decode(),
        },
    }


def test_anthropic_blocks_put_files_before_the_text() -> None:
    sent = anthropic_message(_message(), model="claude-sonnet-4-5")
    image, document, text = sent["content"]
    assert image["type"] == "image" and image["source"]["media_type"] == "image/png"
    assert base64.b64decode(image["source"]["data"]) == image_bytes(40, 30)
    assert document == {
        "type": "document",
        "source": {
            "type": "base64",
            "media_type": "application/pdf",
            "data": base64.b64encode(PDF).decode(),
        },
        "title": "paper.pdf",
    }
    assert text["text"].startswith("What is in these?\n\nFile: notes.txt")


def test_a_model_without_vision_gets_a_note_instead_of_old_images() -> None:
    sent = openai_message(_message(), provider="openai", model="gpt-3.5-turbo")
    assert isinstance(sent["content"], str)
    assert "[Attached photo.png (image, 40×30" in sent["content"]
    assert "paper.pdf (PDF" in sent["content"]


def test_plain_messages_stay_plain_strings() -> None:
    plain = Message("user", "hi")
    assert openai_message(plain) == {"role": "user", "content": "hi"}
    assert anthropic_message(plain) == {"role": "user", "content": "hi"}


def test_json_attachments_use_the_documented_shape() -> None:
    png = image_bytes(10, 10)
    items = [
        {"name": "a.png", "data": base64.b64encode(png).decode()},
        {"name": "b.txt", "data": base64.b64encode(b"hi").decode()},
    ]
    image, text = attachments_from_json(items)
    assert (image.kind, image.width, text.text) == ("image", 10, "hi")
    assert attachments_from_json(None) == ()
    for bad in ("x", [{"name": "a.png"}], [{"name": "a.png", "data": "***"}]):
        with pytest.raises(AttachmentRefused):
            attachments_from_json(bad)
