"""Files attached to a user turn: the content-part model shared by the UI, the providers and
stored chats.

An ``Attachment`` is a checked file (``chat_core.attachments.read_attachment`` builds them):
its bytes, media type and, for images, pixel size. How a provider receives it is decided in
``chat_core.provider_content``.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Literal

PartKind = Literal["text", "image", "pdf"]

IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
PDF_TYPE = "application/pdf"


@dataclass(frozen=True, slots=True)
class Attachment:
    """One attached file. ``media_type`` is what the bytes are (sniffed, not the name's
    word): an image type of ``IMAGE_TYPES``, ``application/pdf`` or a ``text/*`` type.
    ``width``/``height`` in pixels for images (after any downscaling), else ``None``."""

    name: str
    media_type: str
    data: bytes = field(repr=False)
    width: int | None = None
    height: int | None = None

    @property
    def kind(self) -> PartKind:
        if self.media_type in IMAGE_TYPES:
            return "image"
        if self.media_type == PDF_TYPE:
            return "pdf"
        return "text"

    @property
    def size(self) -> int:
        """Bytes."""
        return len(self.data)

    @property
    def text(self) -> str:
        """The content of a text file (UTF-8, checked when it was read)."""
        return self.data.decode("utf-8-sig")

    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{self.base64()}"

    def describe(self) -> str:
        """ "photo.png (image, 1200×800, 245 KB)", "notes.md (text, 2 KB)", "a.pdf (PDF, 1.2 MB)"."""
        if self.kind == "image":
            what = f"image, {self.width}×{self.height}"
        elif self.kind == "pdf":
            what = "PDF"
        else:
            what = "text"
        return f"{self.name} ({what}, {format_size(self.size)})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; the bytes as base64 (a stored or exported chat keeps its files)."""
        return {
            "name": self.name,
            "media_type": self.media_type,
            "data": self.base64(),
            "width": self.width,
            "height": self.height,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Attachment:
        """Inverse of ``to_dict``; raises ``ValueError`` on anything malformed."""
        if not isinstance(data, dict):
            raise ValueError("an attachment must be an object")
        name, media_type, encoded = data.get("name"), data.get("media_type"), data.get("data")
        if not (isinstance(name, str) and isinstance(media_type, str) and isinstance(encoded, str)):
            raise ValueError("an attachment needs a name, a media type and its data")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"the data of attachment {name!r} is not base64") from exc
        width, height = data.get("width"), data.get("height")
        for value in (width, height):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise ValueError(f"attachment {name!r} has an invalid image size")
        return cls(name, media_type, raw, width, height)


def format_size(size: int) -> str:
    """ "512 B", "2 KB", "1.2 MB" (1 KB = 1024 bytes, as file managers show it)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
