"""Stored chats in the terminal chat: ``--list``, ``--chat ID`` and saving as it goes.

The terminal chat uses the same database as the web app run from the same folder (the URL from
``.streamlit/secrets.toml`` ``[connections.streamchat] url``, ``STREAMCHAT_DATABASE_URL``, else
``.streamchat/chats.db``) and the same owner as the web app without sign-in, so a chat started
in one continues in the other. ``--no-save`` keeps the chat in memory only.

Saving goes through ``WriteBehind`` (never on the printing path): the prompt and the answer
when it starts, the answer's text at most every 2 s while it streams, and the final answer with
its status and metrics. If the database is unavailable the chat goes on and the writes are
retried; anything still unsaved at exit is reported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, TextIO

from chat_core.conversation import Conversation, Turn
from chat_core.store import Store, open_store
from chat_core.store_convert import stored_turn, to_conversation
from chat_core.store_engine import database_url
from chat_core.store_saver import AnswerSaver, WriteBehind, writer_for
from chat_core.store_types import LOCAL_OWNER, StoreUnavailable, group_chats, new_chat_id

SECRETS_PATH = Path(".streamlit") / "secrets.toml"
SECRETS_ENV = "STREAMCHAT_SECRETS_FILE"


class ChatSink(Protocol):
    """What ``TerminalChat`` tells whoever keeps its chat (``chat_core.cli``)."""

    def started(self, conversation: Conversation, turn: Turn) -> None: ...
    def progress(self, text: str) -> None: ...
    def finished(self, turn: Turn, result: Any) -> None: ...
    def reset(self) -> None: ...


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("stored chats")
    group.add_argument(
        "--list", action="store_true", help="list the stored chats, newest first, and exit"
    )
    group.add_argument("--chat", metavar="ID", help="continue the stored chat ID (see --list)")
    group.add_argument(
        "--no-save", action="store_true", help="keep this chat in memory only (not stored)"
    )


def read_secrets(path: Path | None = None) -> Mapping[str, Any] | None:
    """Streamlit's secrets file of the current folder (or ``STREAMCHAT_SECRETS_FILE``, as the
    SSE API reads it; "" for none), if there is a readable one."""
    if path is None:
        chosen = os.environ.get(SECRETS_ENV)
        if chosen == "":
            return None
        path = Path(chosen) if chosen else SECRETS_PATH
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return None


def configured_store() -> Store:
    """The store the web app in this folder would use; raises ``StoreUnavailable`` for a URL
    naming no supported database."""
    return open_store(database_url(secrets=read_secrets()))


def print_list(store: Store, out: TextIO, err: TextIO, *, owner: str = LOCAL_OWNER) -> int:
    """``--list``: chats grouped by day, one per line ``ID  HH:MM  title``; exit status."""
    try:
        chats = store.list_chats(owner, limit=500)
    except StoreUnavailable as exc:
        err.write(f"Error: {exc.user_message}\n")
        return 1
    if not chats:
        out.write("No stored chats yet.\n")
        return 0
    for label, items in group_chats(chats, dt.date.today()):
        out.write(f"{label}\n")
        for chat in items:
            when = dt.datetime.fromtimestamp(chat.updated_at).strftime("%Y-%m-%d %H:%M")
            out.write(f"  {chat.id}  {when}  {chat.label}\n")
    return 0


class StoreSink:
    """Saves one terminal chat as it goes. Mutable; used from the chat loop's thread."""

    def __init__(
        self, writer: WriteBehind, *, owner: str = LOCAL_OWNER, chat_id: str | None = None
    ) -> None:
        self._writer = writer
        self._owner = owner
        self.chat_id = chat_id
        self._saver: AnswerSaver | None = None

    def open(self, chat_id: str, err: TextIO) -> Conversation | None:
        """The stored chat to continue, or None after telling why (not found, unavailable)."""
        try:
            chat = self._writer.store.get_chat(self._owner, chat_id)
        except StoreUnavailable as exc:
            err.write(f"Error: {exc.user_message}\n")
            return None
        if chat is None:
            err.write("Error: Chat not found. Run with --list to see the stored chats.\n")
            return None
        self.chat_id = chat.id
        return to_conversation(chat)

    def _submit_turn(self, turn: Turn) -> None:
        owner, chat_id, record = self._owner, self.chat_id, stored_turn(turn)
        if chat_id is None:
            return
        self._writer.submit(
            ("turn", chat_id, record.id), lambda store: store.save_turn(owner, chat_id, record)
        )

    def started(self, conversation: Conversation, turn: Turn) -> None:
        """The prompt was sent: save it (creating the chat on its first prompt), then the
        answer as "streaming"."""
        if self.chat_id is None:
            chat_id = self.chat_id = new_chat_id()
            owner, system = self._owner, conversation.system
            self._writer.submit(
                ("chat", chat_id),
                lambda store: store.create_chat(owner, chat_id=chat_id, system=system),
            )
        prompt_index = conversation.turns.index(turn) - 1
        if prompt_index >= 0:
            self._submit_turn(conversation.turns[prompt_index])
        assert self.chat_id is not None
        self._saver = AnswerSaver(self._writer, self._owner, self.chat_id, stored_turn(turn))
        self._saver.start()

    def progress(self, text: str) -> None:
        if self._saver is not None:
            self._saver.update(text)

    def finished(self, turn: Turn, result: Any) -> None:
        if self._saver is not None:
            self._saver.finish_result(result)
            self._saver = None

    def reset(self) -> None:
        """``clear``: the next prompt starts a new stored chat."""
        self.chat_id = None
        self._saver = None

    def close(self, err: TextIO, timeout_s: float = 5.0) -> None:
        """Wait for pending writes; say so if some could not be saved."""
        if self._writer.flush(timeout_s):
            return
        reason = self._writer.last_error.user_message if self._writer.last_error else ""
        err.write(f"Warning: the last messages could not be saved. {reason}\n")


def prepare(
    args: argparse.Namespace, out: TextIO, err: TextIO
) -> tuple[StoreSink | None, Conversation | None, int | None]:
    """From the parsed arguments: the sink that saves this chat (None with ``--no-save`` or
    when the database URL is unusable), the stored chat to continue (``--chat``), and an exit
    status when the run ends here (``--list`` printed, or the chat could not be opened)."""
    if args.no_save and not (args.list or args.chat):
        return None, None, None
    try:
        store = configured_store()
    except StoreUnavailable as exc:
        if args.list or args.chat:
            err.write(f"Error: {exc.user_message}\n")
            return None, None, 2
        err.write(f"Warning: {exc.user_message} This chat is not saved.\n")
        return None, None, None
    if args.list:
        return None, None, print_list(store, out, err)
    sink = StoreSink(writer_for(store))
    history = None
    if args.chat:
        history = sink.open(args.chat, err)
        if history is None:
            return None, None, 2
    return (None if args.no_save else sink), history, None
