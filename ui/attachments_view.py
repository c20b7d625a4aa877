"""Files in the chat box and in the user's bubble.

``CHAT_INPUT_FILES`` are the ``st.chat_input`` keyword arguments that let the person attach
files; ``read_submission`` turns what the chat box returned into the prompt text, the checked
attachments and the refusals (plain sentences; chat_core/attachments.py); ``show_attachments``
draws thumbnails and file chips in the user's bubble. Files are kept in memory only, on the
turn; nothing is written to disk.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from chat_core.attachments import ACCEPTED_EXTENSIONS, MAX_FILE_BYTES, check_turn, read_attachment
from chat_core.errors import AttachmentRefused, ChatError
from chat_core.parts import Attachment, format_size
from chat_core.transcribe import transcribe

CHAT_INPUT_FILES: dict[str, Any] = {
    "accept_file": "multiple",
    "file_type": list(ACCEPTED_EXTENSIONS),
    # Streamlit refuses bigger files in the browser already (MB, per file).
    "max_upload_size": MAX_FILE_BYTES // (1024 * 1024),
}
"""``st.chat_input(..., **CHAT_INPUT_FILES)``: several files per message, of the kinds
chat_core takes, each at most 10 MB."""

THUMBNAIL_PX = 160


@dataclass(frozen=True, slots=True)
class Submission:
    """What the chat box sent: the text, the files that passed, the refusals (sentences)."""

    text: str
    attachments: tuple[Attachment, ...] = ()
    refusals: tuple[str, ...] = ()

    @property
    def sendable(self) -> bool:
        """Something to send and nothing refused: a refused file stops the whole message, so
        the person fixes it and sends again rather than getting an answer without it."""
        return not self.refusals and bool(self.text.strip() or self.attachments)


def read_submission(
    value: Any, *, provider: str, model: str, secrets: Mapping[str, Any] | None = None
) -> Submission | None:
    """The chat box's value (``None``, a ``str`` or a ``ChatInputValue`` with ``text``,
    ``files`` and ``audio``) as a ``Submission``; ``None`` when nothing was submitted. A
    recording is transcribed (OpenAI, chat_core/transcribe.py) and follows the typed text.
    Every file is read and checked alone, then all together against ``model`` (size, text,
    kinds it takes)."""
    if value is None:
        return None
    if isinstance(value, str):
        return Submission(value)
    text = str(getattr(value, "text", "") or "")
    files: Sequence[Any] = getattr(value, "files", None) or ()
    attachments: list[Attachment] = []
    refusals: list[str] = []
    audio = getattr(value, "audio", None)
    if audio is not None:
        try:
            with st.spinner("Transcribing your recording…"):
                spoken = transcribe(
                    bytes(audio.getvalue()),
                    media_type=str(audio.type or "audio/wav"),
                    secrets=secrets,
                )
        except ChatError as exc:
            refusals.append(f"The recording could not be transcribed: {exc.user_message}")
        else:
            text = f"{text.rstrip()}\n\n{spoken}".strip() if text.strip() else spoken
    for uploaded in files:
        try:
            attachments.append(read_attachment(str(uploaded.name), bytes(uploaded.getvalue())))
        except AttachmentRefused as exc:
            refusals.append(exc.user_message)
    if attachments and not refusals:
        try:
            check_turn(attachments, provider, model)
        except AttachmentRefused as exc:
            refusals.append(exc.user_message)
    return Submission(text, tuple(attachments), tuple(refusals))


def show_refusals(submission: Submission) -> None:
    """Why the message was not sent, with its text to copy back (the chat box has emptied)."""
    lines = "\n".join(f"- {reason}" for reason in submission.refusals)
    st.warning(f"Your message was not sent:\n\n{lines}", icon=":material/attach_file_off:")
    if submission.text.strip():
        st.caption("Your text, to copy and send again:")
        st.code(submission.text, language=None, wrap_lines=True)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>:$])")


def _escape(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def chip(attachment: Attachment) -> str:
    """A markdown badge for a non-image file: icon, name, size."""
    icon = ":material/picture_as_pdf:" if attachment.kind == "pdf" else ":material/description:"
    return f":gray-badge[{icon} {_escape(attachment.name)} · {format_size(attachment.size)}]"


def show_attachments(attachments: Sequence[Attachment]) -> None:
    """Thumbnails of the images and chips for the other files, in the current container."""
    images = [a for a in attachments if a.kind == "image"]
    others = [a for a in attachments if a.kind != "image"]
    if images:
        with st.container(horizontal=True, gap="small"):
            for image in images:
                st.image(image.data, caption=image.name, width=THUMBNAIL_PX)
    if others:
        st.markdown(" ".join(chip(a) for a in others))
