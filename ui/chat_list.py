"""Stored chats in the web app: the sidebar chat list, ``?chat=<id>`` and saving as it goes.

Entry points, called by the chat page:

- ``begin(store=None, owner=None)`` early in every run (after the previous answer was settled):
  opens the chat named in the URL (an unknown, malformed or other person's id gives "Chat not
  found" and a new chat), keeps the URL on the open chat, saves what changed. Returns the
  session's ``ChatSession`` (None when no database URL is usable).
- The sidebar's list itself (New chat, search, rename, delete with Undo) is
  ``ui.chat_list_sidebar.render_sidebar(session)``.
- ``sync(session)`` after an answer ended (the page's run may end in a fragment).
- ``save_new_chat()`` when a new chat gets its first prompt (before its answer is set up).

Who sees what: signed in with Streamlit's authentication (``st.user``), each person sees their
own chats; without sign-in, the person at the server's own machine sees every chat
(``chat_core/visitors.py``) and everybody else gets no list at all: a chat is reachable only
through its own unguessable URL. Writes go through ``WriteBehind``: a
database that is down shows a warning and the chat goes on in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from chat_core.conversation import Conversation
from chat_core.store import Store, open_store
from chat_core.store_convert import to_conversation
from chat_core.store_engine import database_url
from chat_core.store_saver import WriteBehind, writer_for
from chat_core.store_sync import ConversationSync, ticker
from chat_core.store_types import (
    LOCAL_OWNER,
    PUBLIC_OWNER,
    ChatSummary,
    StoreUnavailable,
    is_chat_id,
)
from ui import state
from ui.visitor import is_local

SESSION_KEY = "chat_store_session"
QUERY_KEY = "chat"
LIST_LIMIT = 50


@dataclass(slots=True)
class ChatSession:
    """This browser session's view of the store. Mutable; lives in ``st.session_state``."""

    owner: str
    listing: bool
    """Whether this person gets a chat list (False on a public deployment)."""
    saver: ConversationSync
    deleted: ChatSummary | None = None
    """The chat deleted last, while Undo is offered."""
    notice: str | None = None
    list_limit: int = LIST_LIMIT

    @property
    def store(self) -> Store:
        return self.saver.writer.store

    @property
    def writer(self) -> WriteBehind:
        return self.saver.writer

    @property
    def chat_id(self) -> str | None:
        return self.saver.chat_id

    @property
    def incognito(self) -> bool:
        return not self.saver.saving


def _secrets() -> Mapping[str, Any] | None:
    try:
        return {key: st.secrets[key] for key in ("connections", "streamchat") if key in st.secrets}
    except (FileNotFoundError, OSError, KeyError):  # no or unreadable secrets file
        return None


def current_owner() -> tuple[str, bool]:
    """(owner, listing) for this person: signed in -> their own chats, listed; at this machine
    (``ui.visitor.is_local``) -> the single local owner, every chat listed; anybody else -> no
    list, a chat reachable only by its own URL."""
    if st.user.get("is_logged_in") is True:
        subject = st.user.get("sub") or st.user.get("email")
        if isinstance(subject, str) and subject:
            return f"user:{subject}", True
    if is_local():
        return LOCAL_OWNER, True
    return PUBLIC_OWNER, False


def begin(*, store: Store | None = None, owner: str | None = None) -> ChatSession | None:
    """Open the session's store view and follow ``?chat=``; see the module doc."""
    session: ChatSession | None = st.session_state.get(SESSION_KEY)
    if session is None:
        secrets = _secrets()
        try:
            store = store or open_store(database_url(secrets=secrets))
        except StoreUnavailable as exc:
            state.flash("warning", f"{exc.user_message} Chats are kept in this tab only.")
            return None
        found_owner, listing = current_owner()
        the_owner = owner or found_owner
        saver = ConversationSync(writer_for(store), the_owner, state.conversation())
        session = ChatSession(the_owner, listing, saver)
        st.session_state[SESSION_KEY] = session
        ticker().register(saver)
        # Deleted chats stay restorable for a day; whoever comes next removes older ones.
        saver.writer.submit(("purge",), lambda s: s.purge_deleted())
    _follow_url(session)
    sync(session)
    return session


def _follow_url(session: ChatSession) -> None:
    wanted = st.query_params.get(QUERY_KEY)
    if wanted is None:
        if session.chat_id is not None:
            st.query_params[QUERY_KEY] = session.chat_id  # e.g. back from another page
        return
    if wanted == session.chat_id:
        return
    if not open_chat(session, wanted):
        st.query_params.pop(QUERY_KEY, None)


def open_chat(session: ChatSession, chat_id: str) -> bool:
    """Show the stored chat ``chat_id``; on "not found" start a new chat and say so."""
    sync(session)
    try:
        chat = session.store.get_chat(session.owner, chat_id) if is_chat_id(chat_id) else None
    except StoreUnavailable as exc:
        session.notice = exc.user_message
        return False
    if chat is None:
        session.notice = "Chat not found. It may have been deleted; here is a new chat."
        replace_conversation(session, Conversation(system=state.conversation().system), None)
        return False
    conversation = to_conversation(chat, default_system=state.conversation().system)
    replace_conversation(session, conversation, chat.id)
    st.query_params[QUERY_KEY] = chat.id
    return True


def replace_conversation(
    session: ChatSession, conversation: Conversation, chat_id: str | None
) -> None:
    state.settle()
    st.session_state[state.CONVERSATION] = conversation
    state.reset_earlier()
    session.saver.saving = True
    session.saver.attach(conversation, chat_id)


def new_chat(session: ChatSession) -> None:
    """Callback of "New chat": save what is open, then show an empty chat."""
    sync(session)
    replace_conversation(session, Conversation(system=state.conversation().system), None)
    st.query_params.pop(QUERY_KEY, None)


def sync(session: ChatSession) -> None:
    """Save what changed in the page's conversation now and keep the URL on the stored chat
    (the ticker saves in between; this is for the moment a run knows something changed)."""
    session.saver.follow(state.conversation())
    chat_id = session.saver.sync()
    if chat_id is not None and not session.incognito:
        if st.query_params.get(QUERY_KEY) != chat_id:
            st.query_params[QUERY_KEY] = chat_id
    elif QUERY_KEY in st.query_params:
        st.query_params.pop(QUERY_KEY, None)


def sync_current() -> None:
    """``sync`` for the session's ``ChatSession``, if the store is in use (e.g. at the end of
    a fragment run that streamed an answer)."""
    session: ChatSession | None = st.session_state.get(SESSION_KEY)
    if session is not None:
        sync(session)
        if session.writer.last_error is None:
            # The answer is over: have it stored before the run ends, so a reload or another
            # server right after it shows the whole answer (milliseconds; bounded anyway).
            session.writer.flush(1.0)


def save_new_chat() -> None:
    """A new chat just got its first prompt: store it and name it in the URL now, before the
    answer is set up (opening the provider's client can take a second after a server start),
    so a Stop from the chat box in that moment still leaves a URL that reopens the chat. A
    queued write, no waiting; nothing for "Don't save this chat" or without a store."""
    session: ChatSession | None = st.session_state.get(SESSION_KEY)
    if session is not None:
        sync(session)
