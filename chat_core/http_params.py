"""What an API request asks for, validated: ``ChatParams`` from a query string or a JSON body.

Everything a client sends is checked before use: JSON through ``chat_core.safe_json`` (depth,
``NaN``, lone surrogates), then types, roles and ranges. Problems raise ``RequestRejected``
with a 4xx status and a message for the caller.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chat_core.attachments import MAX_MESSAGE_BYTES, attachments_from_json
from chat_core.config import PROVIDERS
from chat_core.errors import AttachmentRefused
from chat_core.http_access import RequestRejected
from chat_core.parts import Attachment
from chat_core.safe_json import UnsafeJson, is_encodable, load_json
from chat_core.store_types import is_chat_id
from chat_core.types import Message

MAX_BODY_BYTES = 256 * 1024
MAX_CHAT_BODY_BYTES = MAX_BODY_BYTES + 4 * -(-MAX_MESSAGE_BYTES // 3) + 64 * 1024
"""``POST /api/chat`` may carry one message's files as base64 (4 characters per 3 bytes):
the usual body, plus ``MAX_MESSAGE_BYTES`` encoded, plus room for their names (about
27 MB). The other routes keep ``MAX_BODY_BYTES``."""
MAX_PROMPT_CHARS = 100_000
MAX_MODEL_CHARS = 200
MAX_TOKENS_LIMIT = 1_000_000


@dataclass(frozen=True, slots=True)
class ChatParams:
    """A validated API request."""

    messages: tuple[Message, ...]
    system: str | None = None
    provider: str | None = None
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    chat_id: str | None = None
    """A stored chat to append the prompt and the answer to (chat_core/http_store.py)."""


def params_from_query(query: Mapping[str, str]) -> ChatParams:
    """``GET /api/stream`` parameters: prompt (required), provider, model, system,
    temperature, max_tokens, chat_id."""
    for value in query.values():
        if not is_encodable(value):
            raise RequestRejected(400, "The query holds an invalid character (a lone surrogate).")
    prompt = query.get("prompt", "")
    if not prompt.strip():
        raise RequestRejected(400, "Missing prompt: add ?prompt=<your question>.")
    return _validated(
        messages=[{"role": "user", "content": prompt}],
        system=query.get("system"),
        provider=query.get("provider") or None,
        model=query.get("model") or None,
        temperature=_number(query.get("temperature") or None, "temperature", float),
        max_tokens=_number(query.get("max_tokens") or None, "max_tokens", int),
        chat_id=query.get("chat_id") or None,
    )


def params_from_body(raw: bytes) -> ChatParams:
    """``POST /api/chat`` JSON: ``{messages: [{role, content, attachments}], system, provider,
    model, temperature, max_tokens, chat_id}`` (``prompt`` may stand in for a single user
    message). A user message's optional ``attachments`` are ``[{"name": "photo.png", "data":
    "<base64>"}]`` (``chat_core.attachments.attachments_from_json``: checked like uploads; a bad
    one is a 400 naming the file); with files, its ``content`` may be empty."""
    try:
        body = load_json(raw)
    except UnsafeJson as exc:
        raise RequestRejected(400, str(exc)) from None
    if not isinstance(body, dict):
        raise RequestRejected(400, "The request body must be a JSON object.")
    messages = body.get("messages", [])
    if not isinstance(messages, list):
        raise RequestRejected(400, "'messages' must be a list of {role, content} objects.")
    prompt = body.get("prompt")
    if prompt is not None:
        if not isinstance(prompt, str):
            raise RequestRejected(400, "'prompt' must be text.")
        messages = [*messages, {"role": "user", "content": prompt}]
    return _validated(
        messages=messages,
        system=body.get("system"),
        provider=body.get("provider"),
        model=body.get("model"),
        temperature=body.get("temperature"),
        max_tokens=body.get("max_tokens"),
        chat_id=body.get("chat_id"),
    )


def _attachments(items: Any) -> tuple[Attachment, ...]:
    try:
        return attachments_from_json(items)
    except AttachmentRefused as exc:
        raise RequestRejected(400, exc.user_message) from None


def _has_prompt(message: Message) -> bool:
    return bool(message.content.strip()) or bool(message.attachments)


def _number(value: str | None, name: str, kind: type[float] | type[int]) -> float | int | None:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        raise RequestRejected(400, f"'{name}' must be a number.") from None


def _validated(
    *,
    messages: Sequence[Any],
    system: Any,
    provider: Any,
    model: Any,
    temperature: Any,
    max_tokens: Any,
    chat_id: Any = None,
) -> ChatParams:
    history: list[Message] = []
    system_parts: list[str] = []
    for item in messages:
        if not isinstance(item, dict) or not isinstance(item.get("content"), str):
            raise RequestRejected(
                400, "Each message must be an object with 'role' and text 'content'."
            )
        role, content = item.get("role"), item["content"]
        if role not in ("user", "assistant", "system"):
            raise RequestRejected(400, f"Unknown message role {role!r}: use 'user' or 'assistant'.")
        if item.get("attachments") is not None and role != "user":
            raise RequestRejected(400, "Only user messages can carry 'attachments'.")
        if role == "system":
            system_parts.append(content)
        else:
            history.append(Message(role, content, _attachments(item.get("attachments"))))
    if not history or history[-1].role != "user" or not _has_prompt(history[-1]):
        raise RequestRejected(
            400, "Missing prompt: the last message must be a non-empty user message."
        )
    if len(history[-1].content) > MAX_PROMPT_CHARS:
        raise RequestRejected(413, f"The prompt is longer than {MAX_PROMPT_CHARS} characters.")
    if system is not None and not isinstance(system, str):
        raise RequestRejected(400, "'system' must be text.")
    if system is None and system_parts:
        system = "\n\n".join(system_parts)
    if provider is not None and provider not in PROVIDERS:
        raise RequestRejected(
            400, f"Unknown provider {provider!r}. Choose one of: {', '.join(PROVIDERS)}."
        )
    if model is not None and (
        not isinstance(model, str) or not 0 < len(model.strip()) <= MAX_MODEL_CHARS
    ):
        raise RequestRejected(400, "'model' must be a model name.")
    if temperature is not None:
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, int | float)
            or not math.isfinite(temperature)
        ):
            raise RequestRejected(400, "'temperature' must be a number.")
        temperature = float(temperature)
    if max_tokens is not None and (
        isinstance(max_tokens, bool)
        or not isinstance(max_tokens, int)
        or not 0 < max_tokens <= MAX_TOKENS_LIMIT
    ):
        raise RequestRejected(
            400, f"'max_tokens' must be a whole number from 1 to {MAX_TOKENS_LIMIT}."
        )
    if chat_id is not None and not (isinstance(chat_id, str) and is_chat_id(chat_id)):
        raise RequestRejected(404, "Chat not found.")
    return ChatParams(
        chat_id=chat_id,
        messages=tuple(history),
        system=system,
        provider=provider,
        model=model.strip() if isinstance(model, str) else None,
        temperature=temperature,
        max_tokens=max_tokens,
    )
