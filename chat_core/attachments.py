"""Checking attached files before anything is sent, and fitting images to a provider's limits.

``read_attachment(name, data)`` turns an uploaded file into an ``Attachment`` or raises
``AttachmentRefused`` with a sentence for the person; ``check_turn`` checks one message's
files together against the chosen model. Files stay in memory: nothing here writes to disk.

Limits (bytes, pixels) and why:
- one file at most ``MAX_FILE_BYTES`` (10 MB), one message ``MAX_MESSAGE_BYTES`` (20 MB):
  base64 makes a request 4/3 of that, under Anthropic's 32 MB request limit and OpenAI's
  50 MB of images per request;
- attached text at most ``MAX_TEXT_CHARS`` per message (it goes into the prompt, which the
  chat page caps at 100,000 characters, ~25k tokens);
- images are downscaled (``fit_image``) to the provider's ``IMAGE_LIMITS``: Anthropic
  resizes anything over 1568 px on the long edge itself and refuses images over 5 MB;
  OpenAI fits high-detail images into 2048 × 2048 and refuses images over 20 MB.
"""

from __future__ import annotations

import base64
import binascii
import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePath
from typing import Any

from PIL import Image, ImageOps

from chat_core.capabilities import accepts_images, accepts_pdfs
from chat_core.errors import AttachmentRefused
from chat_core.parts import IMAGE_TYPES, PDF_TYPE, Attachment, format_size

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_MESSAGE_BYTES = 20 * 1024 * 1024
MAX_TEXT_CHARS = 100_000

IMAGE_EXTENSIONS = ("png", "jpg", "jpeg", "webp", "gif")
TEXT_EXTENSIONS = (
    "txt", "md", "markdown", "csv", "tsv", "json", "jsonl", "yaml", "yml", "toml", "ini",
    "cfg", "log", "xml", "html", "css", "py", "js", "ts", "tsx", "jsx", "java", "c", "h",
    "cpp", "hpp", "cs", "go", "rs", "rb", "php", "kt", "swift", "r", "sql", "sh", "tex", "rst",
)  # fmt: skip
PDF_EXTENSIONS = ("pdf",)
ACCEPTED_EXTENSIONS = IMAGE_EXTENSIONS + TEXT_EXTENSIONS + PDF_EXTENSIONS
"""For ``st.chat_input(accept_file="multiple", file_type=ACCEPTED_EXTENSIONS)``."""

_TEXT_TYPES = {"md": "text/markdown", "markdown": "text/markdown", "csv": "text/csv",
               "json": "application/json", "html": "text/html", "xml": "text/xml"}  # fmt: skip
_PIL_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}


@dataclass(frozen=True, slots=True)
class ImageLimit:
    max_edge_px: int
    max_bytes: int


IMAGE_LIMITS = {
    "anthropic": ImageLimit(1568, 5 * 1024 * 1024 * 3 // 4),  # 5 MB once base64-encoded
    "openai": ImageLimit(2048, 20 * 1024 * 1024),
    "openai-compatible": ImageLimit(2048, 20 * 1024 * 1024),
}
DEFAULT_IMAGE_LIMIT = ImageLimit(2048, 20 * 1024 * 1024)


def sniff(data: bytes) -> str | None:
    """The media type the first bytes prove (PNG, JPEG, GIF, WebP, PDF), else ``None``."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:1024].lstrip().startswith(b"%PDF-"):
        return PDF_TYPE
    return None


def read_attachment(name: str, data: bytes) -> Attachment:
    """An ``Attachment`` for an uploaded file, or ``AttachmentRefused`` saying why not:
    empty, over ``MAX_FILE_BYTES``, a kind we do not take, binary data named as text, or an
    image that does not decode. The bytes decide the kind; the name only has to agree."""
    label = PurePath(name).name or "The file"
    extension = PurePath(name).suffix.lower().lstrip(".")
    if not data:
        raise AttachmentRefused(f"{label} is empty, so it was not attached.")
    if len(data) > MAX_FILE_BYTES:
        raise AttachmentRefused(
            f"{label} is {format_size(len(data))}; a file can be at most "
            f"{format_size(MAX_FILE_BYTES)}."
        )
    if extension not in ACCEPTED_EXTENSIONS:
        raise AttachmentRefused(
            f"{label}: this kind of file cannot be attached. Images (png, jpg, webp, gif), "
            "text files (txt, md, csv, json, py and other source files) and PDFs can."
        )
    sniffed = sniff(data)
    if extension in IMAGE_EXTENSIONS:
        return _read_image(label, data)
    if extension in PDF_EXTENSIONS:
        if sniffed != PDF_TYPE:
            raise AttachmentRefused(
                f"{label} is not a PDF document (it may be damaged or renamed)."
            )
        return Attachment(label, PDF_TYPE, data)
    if sniffed is not None or b"\x00" in data:
        what = "an image" if sniffed in IMAGE_TYPES else "a PDF" if sniffed else "binary data"
        raise AttachmentRefused(
            f"{label} is not a text file (it holds {what}), so it was not attached. "
            "Attach it under its real file name."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AttachmentRefused(
            f"{label} is not UTF-8 text, so it was not attached. Save it as UTF-8 and try again."
        ) from exc
    if len(text) > MAX_TEXT_CHARS:
        raise AttachmentRefused(
            f"{label} has {len(text):,} characters; attached text can be at most "
            f"{MAX_TEXT_CHARS:,} characters per message."
        )
    return Attachment(label, _TEXT_TYPES.get(extension, "text/plain"), data)


def read_attachment_file(path: str) -> Attachment:
    """``read_attachment`` for a file on disk (the terminal chat's ``/attach PATH``); its size
    is checked before it is read. Raises ``AttachmentRefused`` (also for a missing file)."""
    file = Path(path).expanduser()
    try:
        size = file.stat().st_size
        if not file.is_file():
            raise AttachmentRefused(f"{path} is not a file, so nothing was attached.")
        if size > MAX_FILE_BYTES:
            raise AttachmentRefused(
                f"{file.name} is {format_size(size)}; a file can be at most "
                f"{format_size(MAX_FILE_BYTES)}."
            )
        data = file.read_bytes()
    except FileNotFoundError as exc:
        raise AttachmentRefused(f"There is no file at {path}, so nothing was attached.") from exc
    except OSError as exc:
        raise AttachmentRefused(f"Could not read {path}, so nothing was attached.") from exc
    return read_attachment(file.name, data)


def attachments_from_json(items: Any) -> tuple[Attachment, ...]:
    """The ``attachments`` of a user message in a JSON request (the SSE API's documented
    shape): ``[{"name": "photo.png", "data": "<base64 of the file>"}, ...]``. The kind is
    read from the bytes as for an upload; each file goes through ``read_attachment``.
    Raises ``AttachmentRefused`` with a sentence for the client."""
    if items is None:
        return ()
    if not isinstance(items, list):
        raise AttachmentRefused("'attachments' must be a list of {name, data} objects.")
    found: list[Attachment] = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        data = item.get("data") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip() or not isinstance(data, str):
            raise AttachmentRefused(
                "Each attachment must be an object with a 'name' and base64 'data'."
            )
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise AttachmentRefused(f"The data of {PurePath(name).name} is not base64.") from exc
        found.append(read_attachment(name, raw))
    return tuple(found)


def _read_image(label: str, data: bytes) -> Attachment:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # decodes the pixels: a truncated or corrupt file fails here
            media_type = _PIL_FORMATS.get(image.format or "")
            width, height = image.size
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise AttachmentRefused(
            f"{label} could not be read as an image (the file may be damaged or not really "
            "an image), so it was not attached."
        ) from exc
    if media_type is None:
        raise AttachmentRefused(
            f"{label} is not a PNG, JPEG, WebP or GIF image, so it was not attached."
        )
    return Attachment(label, media_type, data, width, height)


def check_turn(attachments: Sequence[Attachment], provider: str, model: str) -> None:
    """Check one message's files together before sending: total size, total text, and
    that ``model`` takes each kind. Raises ``AttachmentRefused``; returns when all is well."""
    total = sum(a.size for a in attachments)
    if total > MAX_MESSAGE_BYTES:
        raise AttachmentRefused(
            f"These files add up to {format_size(total)}; one message can carry at most "
            f"{format_size(MAX_MESSAGE_BYTES)}. Send them in separate messages."
        )
    chars = sum(len(a.text) for a in attachments if a.kind == "text")
    if chars > MAX_TEXT_CHARS:
        raise AttachmentRefused(
            f"The attached text files have {chars:,} characters together; one message can "
            f"carry at most {MAX_TEXT_CHARS:,}. Send them in separate messages."
        )
    kinds = {a.kind for a in attachments}
    if "image" in kinds and not accepts_images(provider, model):
        raise AttachmentRefused(
            f"{model} does not take images. Choose a model that does (for example gpt-4o-mini "
            "or a Claude model) or remove the image; nothing was sent."
        )
    if "pdf" in kinds and not accepts_pdfs(provider, model):
        raise AttachmentRefused(
            f"{model} on this provider does not take PDFs. Choose an OpenAI or Anthropic model "
            "that does, or paste the text you need; nothing was sent."
        )


def image_limit(provider: str) -> ImageLimit:
    return IMAGE_LIMITS.get(provider, DEFAULT_IMAGE_LIMIT)


@functools.lru_cache(maxsize=32)
def fit_image(attachment: Attachment, limit: ImageLimit) -> Attachment:
    """``attachment`` unchanged if it is within ``limit``, else downscaled (aspect kept,
    EXIF rotation applied) and re-encoded: PNG/WebP/JPEG keep their format, a GIF becomes a
    PNG of its first frame; still too many bytes, it becomes a JPEG. Cached: a chat sends
    its history again with every prompt."""
    width, height = attachment.width or 0, attachment.height or 0
    if max(width, height) <= limit.max_edge_px and attachment.size <= limit.max_bytes:
        return attachment
    with Image.open(io.BytesIO(attachment.data)) as original:
        image = ImageOps.exif_transpose(original)
        image.thumbnail((limit.max_edge_px, limit.max_edge_px), Image.Resampling.LANCZOS)
        fmt = {"image/jpeg": "JPEG", "image/webp": "WEBP"}.get(attachment.media_type, "PNG")
        data = _encode(image, fmt)
        while len(data) > limit.max_bytes:
            fmt = "JPEG"
            image = image.convert("RGB")
            data = _encode(image, fmt)
            if len(data) > limit.max_bytes:
                image = image.resize((max(1, image.width * 3 // 4), max(1, image.height * 3 // 4)))
                data = _encode(image, fmt)
        media_type = _PIL_FORMATS[fmt]
        name = attachment.name
        if media_type != attachment.media_type:
            name = str(PurePath(name).with_suffix(".jpg" if fmt == "JPEG" else ".png"))
        return replace(
            attachment,
            name=name,
            media_type=media_type,
            data=data,
            width=image.width,
            height=image.height,
        )


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=85)
    elif fmt == "WEBP":
        image.save(buffer, "WEBP", quality=85)
    else:
        image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
