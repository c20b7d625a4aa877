"""A ``Message`` with attachments as each provider's wire format expects it.

One call per message in the providers' request building: ``openai_message(m, ...)`` and
``anthropic_message(m, ...)``. A message without attachments stays ``{"role", "content":
str}`` (the fast path: a 200-message history costs nothing extra).

- Text files go into the message text, delimited: a ``File: name`` line and the content in
  a fence longer than any backtick run inside it, so the model sees where each file starts
  and ends (the same for both providers).
- Images: OpenAI ``{"type": "image_url", "image_url": {"url": "data:...;base64,..."}}``,
  Anthropic ``{"type": "image", "source": {"type": "base64", "media_type", "data"}}``,
  downscaled to the provider's limits first (``chat_core.attachments.fit_image``).
- PDFs: OpenAI ``{"type": "file", "file": {"filename", "file_data": data URL}}``,
  Anthropic ``{"type": "document", "source": {base64}, "title": name}``.
- A model that does not take a kind (``chat_core.capabilities``) gets a short note in the
  text instead, so a chat whose earlier turns hold images can go on with such a model; the
  new turn itself is refused before sending (``chat_core.attachments.check_turn``).

Sources: OpenAI "Images and vision" and "File inputs" guides (chat completions content
parts); Anthropic "Vision" and "PDF support" pages (images before the text is recommended).
"""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Any

from chat_core.attachments import fit_image, image_limit
from chat_core.capabilities import accepts_images, accepts_pdfs
from chat_core.parts import Attachment
from chat_core.types import Message

_FENCE_LANGUAGES = {"py": "python", "js": "javascript", "ts": "typescript", "md": "markdown",
                    "yml": "yaml", "rs": "rust", "rb": "ruby", "kt": "kotlin", "sh": "bash"}  # fmt: skip
_BACKTICKS = re.compile(r"`{3,}")


def delimited_text(attachment: Attachment) -> str:
    """A text file as ``File: name`` and its content in a fence that cannot close early."""
    content = attachment.text
    longest = max((len(m.group(0)) for m in _BACKTICKS.finditer(content)), default=2)
    fence = "`" * max(3, longest + 1)
    extension = PurePath(attachment.name).suffix.lower().lstrip(".")
    language = _FENCE_LANGUAGES.get(extension, extension if extension != "txt" else "")
    return f"File: {attachment.name}\n{fence}{language}\n{content.rstrip(chr(10))}\n{fence}"


def message_text(message: Message, *, omitted: tuple[Attachment, ...] = ()) -> str:
    """The prompt followed by its text files, and a note for each file left out."""
    pieces = [message.content] if message.content else []
    pieces += [delimited_text(a) for a in message.attachments if a.kind == "text"]
    pieces += [
        f"[Attached {a.describe()}: not sent, this model does not take it.]" for a in omitted
    ]
    return "\n\n".join(pieces)


def _split(
    message: Message, provider: str, model: str | None
) -> tuple[list[Attachment], list[Attachment], list[Attachment]]:
    """(images to send, PDFs to send, files this model does not take)."""
    images: list[Attachment] = []
    pdfs: list[Attachment] = []
    omitted: list[Attachment] = []
    for attachment in message.attachments:
        if attachment.kind == "image":
            takes = model is None or accepts_images(provider, model)
            (images if takes else omitted).append(attachment)
        elif attachment.kind == "pdf":
            takes = model is None or accepts_pdfs(provider, model)
            (pdfs if takes else omitted).append(attachment)
    return images, pdfs, omitted


def openai_message(
    message: Message, *, provider: str = "openai", model: str | None = None
) -> dict[str, Any]:
    """One chat-completions message. ``model`` (when given) decides which kinds are sent."""
    if not message.attachments:
        return {"role": message.role, "content": message.content}
    images, pdfs, omitted = _split(message, provider, model)
    text = message_text(message, omitted=tuple(omitted))
    if not images and not pdfs:
        return {"role": message.role, "content": text}
    limit = image_limit(provider)
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    parts += [
        {"type": "image_url", "image_url": {"url": fit_image(a, limit).data_url()}} for a in images
    ]
    parts += [
        {"type": "file", "file": {"filename": a.name, "file_data": a.data_url()}} for a in pdfs
    ]
    return {"role": message.role, "content": parts}


def anthropic_message(message: Message, *, model: str | None = None) -> dict[str, Any]:
    """One Messages API message; images and documents come before the text."""
    if not message.attachments:
        return {"role": message.role, "content": message.content}
    images, pdfs, omitted = _split(message, "anthropic", model)
    text = message_text(message, omitted=tuple(omitted))
    if not images and not pdfs:
        return {"role": message.role, "content": text}
    limit = image_limit("anthropic")
    blocks: list[dict[str, Any]] = []
    for attachment in images:
        fitted = fit_image(attachment, limit)
        source = {"type": "base64", "media_type": fitted.media_type, "data": fitted.base64()}
        blocks.append({"type": "image", "source": source})
    for attachment in pdfs:
        source = {
            "type": "base64",
            "media_type": attachment.media_type,
            "data": attachment.base64(),
        }
        blocks.append({"type": "document", "source": source, "title": attachment.name})
    if text:
        blocks.append({"type": "text", "text": text})
    return {"role": message.role, "content": blocks}
