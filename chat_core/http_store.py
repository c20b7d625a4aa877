"""The SSE API's optional ``chat_id``: an answer appended to a stored chat.

The request's messages follow the stored chat's history (what is sent to the model), are
stored as new turns, and the answer is registered as the chat's running answer
(chat_core/running.py), which saves it (start, every 2 s, final status and metrics) and lets a
web page open on that chat follow it live. The API has no signed-in person: it reaches the
chats of the local owner (the web app without sign-in), by their unguessable ids only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chat_core.conversation import Conversation
from chat_core.http_access import RequestRejected
from chat_core.running import registry
from chat_core.store import open_store
from chat_core.store_convert import stored_turn, to_conversation
from chat_core.store_engine import database_url
from chat_core.store_saver import WriteBehind, writer_for
from chat_core.store_types import LOCAL_OWNER, StoreUnavailable
from chat_core.stream import ChatStream
from chat_core.types import Message

OWNER = LOCAL_OWNER


@dataclass(frozen=True, slots=True)
class StoredChatTarget:
    """The stored chat an API answer is appended to (its conversation as loaded)."""

    chat_id: str
    conversation: Conversation
    writer: WriteBehind

    def messages(self, new: tuple[Message, ...]) -> tuple[Message, ...]:
        """What the model is sent: the stored history, then the request's messages."""
        return (*self.conversation.messages(), *new)

    def begin(
        self, new: tuple[Message, ...], stream: ChatStream, *, provider: str, model: str | None
    ) -> None:
        """Store the request's messages and register ``stream`` as the chat's answer (saved
        by its registry entry from now on). Call before the stream starts."""
        conv, writer, chat_id = self.conversation, self.writer, self.chat_id
        for message in new:
            turn = (
                conv.add_user(message.content)
                if message.role == "user"
                else conv.add_assistant(provider=provider, model=model)
            )
            turn.content = message.content
            record = stored_turn(turn)
            writer.submit(
                ("turn", chat_id, turn.id),
                lambda s, r=record: s.save_turn(OWNER, chat_id, r),  # type: ignore[misc]
            )
        answer = conv.add_assistant(provider=provider, model=model or stream.request.model)
        registry().start(chat_id, answer, stream, writer=writer, owner=OWNER)


def open_target(chat_id: str, secrets: Mapping[str, Any] | None) -> StoredChatTarget:
    """The stored chat ``chat_id``; raises ``RequestRejected`` 404 (unknown, malformed or not
    the local owner's) or 503 (the database is unavailable)."""
    try:
        store = open_store(database_url(secrets=secrets))
        chat = store.get_chat(OWNER, chat_id)
    except StoreUnavailable as exc:
        raise RequestRejected(503, exc.user_message) from None
    if chat is None:
        raise RequestRejected(404, "Chat not found.")
    return StoredChatTarget(chat.id, to_conversation(chat), writer_for(store))
