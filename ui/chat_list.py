"""Stored chats in the web app: the sidebar chat list, ``?chat=<id>`` and saving as it goes.

Entry points, called by the chat page:

- ``begin(store=None, owner=None)`` early in every run (after the previous answer was settled):
  opens the chat named in the URL (an unknown, malformed or other person's id gives "Chat not
  found" and a new chat), keeps the URL on the open chat, saves what changed. Returns the
  session's ``ChatSession`` (None when no database URL is usable).
- ``render_sidebar(session)`` inside the sidebar: New chat, "Don't save this chat", search,
  the chats grouped Today / Yesterday / Previous 7 days / Older, rename, delete with Undo.
- ``sync(session)`` after an answer ended (the page's run may end in a fragment).
- ``is_listed()``: whether the open chat shows in the list (a new chat's first answer is
  followed by a full run that lists it, docs/design.md §33).

Who sees what: signed in with Streamlit's authentication (``st.user``), each person sees their
own chats; no sign-in configured, one local person sees every chat; a public deployment
(``STREAMCHAT_PUBLIC=1`` or ``[streamchat] public = true`` in secrets) lists no chats at all, a
chat is reachable only through its own unguessable URL. Writes go through ``WriteBehind``: a
database that is down shows a warning and the chat goes on in memory.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from chat_core.conversation import Conversation
from chat_core.store import Store, open_store
from chat_core.store_convert import export_all, to_conversation
from chat_core.store_engine import database_url
from chat_core.store_saver import WriteBehind, writer_for
from chat_core.store_sync import ConversationSync, ticker
from chat_core.store_types import (
    LOCAL_OWNER,
    ChatSummary,
    StoreUnavailable,
    group_chats,
    is_chat_id,
)
from ui import state

SESSION_KEY = "chat_store_session"
QUERY_KEY = "chat"
LIST_LIMIT = 50
PUBLIC_OWNER = "public"
ENTRIES_KEY = "chat_list_entries"
ENTRY_STYLE = f"""<style>
.st-key-{ENTRIES_KEY} button {{ justify-content: flex-start; text-align: left; }}
.st-key-{ENTRIES_KEY} button * {{ min-width: 0; max-width: 100%; }}
.st-key-{ENTRIES_KEY} button p {{
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
}}
</style>"""
"""Looks only (docs/design.md §30): the list's entries start at the left and keep one line,
a long title cut with an ellipsis, instead of wrapping centred in the button."""


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


def _public(secrets: Mapping[str, Any] | None) -> bool:
    section = (secrets or {}).get("streamchat")
    if isinstance(section, Mapping) and section.get("public") is True:
        return True
    return os.environ.get("STREAMCHAT_PUBLIC", "").lower() in ("1", "true", "yes")


def current_owner(secrets: Mapping[str, Any] | None = None) -> tuple[str, bool]:
    """(owner, listing) for this person: signed in -> their own chats; public -> none listed;
    else the single local owner."""
    if st.user.get("is_logged_in") is True:
        subject = st.user.get("sub") or st.user.get("email")
        if isinstance(subject, str) and subject:
            return f"user:{subject}", True
    if _public(secrets):
        return PUBLIC_OWNER, False
    return LOCAL_OWNER, True


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
        found_owner, listing = current_owner(secrets)
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
        _replace_conversation(session, Conversation(system=state.conversation().system), None)
        return False
    conversation = to_conversation(chat, default_system=state.conversation().system)
    _replace_conversation(session, conversation, chat.id)
    st.query_params[QUERY_KEY] = chat.id
    return True


def _replace_conversation(
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
    _replace_conversation(session, Conversation(system=state.conversation().system), None)
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


def is_listed() -> bool:
    """Whether the open chat is stored and listed in this session's sidebar (not for "Don't
    save this chat", a public deployment or without a store)."""
    session: ChatSession | None = st.session_state.get(SESSION_KEY)
    return (
        session is not None
        and session.listing
        and not session.incognito
        and session.chat_id is not None
    )


# -- sidebar -----------------------------------------------------------------------------------


def render_sidebar(session: ChatSession, *, new_chat_button: bool = True) -> None:
    """The chat list section of the sidebar (call inside ``with st.sidebar``). Without
    ``new_chat_button`` the page's own New chat (clearing the conversation in place) is
    enough: a cleared conversation becomes a new stored chat by itself."""
    if new_chat_button:
        st.button(
            "New chat",
            key="chat_list_new",
            icon=":material/edit_square:",
            on_click=new_chat,
            args=(session,),
            width="stretch",
        )
    st.toggle(
        "Don't save this chat",
        value=session.incognito,
        key="chat_list_incognito",
        on_change=_toggle_incognito,
        args=(session,),
        help="Keep this chat in this browser tab only: it is not stored and not listed.",
    )
    if session.notice:
        st.warning(session.notice, icon=":material/info:")
        session.notice = None
    if session.writer.last_error is not None:
        st.warning(
            f"{session.writer.last_error.user_message} ({session.writer.pending} unsaved)",
            icon=":material/cloud_off:",
        )
    if session.deleted is not None:
        st.button(
            f"Undo delete of “{session.deleted.label}”",
            key="chat_list_undo",
            icon=":material/undo:",
            on_click=_undo_delete,
            args=(session,),
        )
    if session.chat_id is not None and not session.incognito:
        _chat_options(session)
    if session.writer.last_error is None:
        # The list must show what this tab just wrote (a new chat, a new title); waiting is
        # skipped while the database is failing, so a dead server never slows the page.
        session.writer.flush(1.0)
    if not session.listing:
        st.caption("Chats are not listed here. Bookmark this page's address to come back.")
        return
    _export_all(session)
    query = st.text_input(
        "Search chats",
        key="chat_list_search",
        placeholder="Search chats",
        label_visibility="collapsed",
    )
    st.html(ENTRY_STYLE)
    try:
        with st.container(key=ENTRIES_KEY):
            if query.strip():
                _search_results(session, query)
            else:
                _grouped_list(session)
    except StoreUnavailable as exc:
        st.warning(exc.user_message, icon=":material/cloud_off:")


def _export_all(session: ChatSession) -> None:
    """ "Export all chats": a button first, so the (possibly large) file and its download
    button exist only when asked for."""
    if not st.session_state.get("chat_list_export_ready"):
        st.button(
            "Export all chats",
            key="chat_list_export",
            icon=":material/download:",
            on_click=lambda: st.session_state.update(chat_list_export_ready=True),
            width="stretch",
        )
        return
    st.download_button(
        "Download all chats (JSON)",
        data=lambda: export_all(session.store, session.owner),
        file_name="streamchat-all-chats.json",
        mime="application/json",
        key="chat_list_export_all",
        icon=":material/download:",
        on_click=lambda: st.session_state.update(chat_list_export_ready=False),
        width="stretch",
    )


def _toggle_incognito(session: ChatSession) -> None:
    on = bool(st.session_state.get("chat_list_incognito"))
    if on and session.chat_id is not None:
        new_chat(session)  # a stored chat stays stored: the private one starts empty
    session.saver.saving = not on
    sync(session)


def _chat_options(session: ChatSession) -> None:
    with st.popover("This chat", icon=":material/more_horiz:", width="stretch"):
        # A form, so Enter in the field renames like the button does; it empties the field.
        with st.form("chat_list_rename_form", border=False, clear_on_submit=True):
            st.text_input("Title", key="chat_list_title", placeholder="A new title")
            st.form_submit_button(
                "Rename", key="chat_list_rename", on_click=_rename, args=(session,)
            )
        st.button(
            "Delete chat",
            key="chat_list_delete",
            icon=":material/delete:",
            on_click=_delete,
            args=(session,),
        )


def _rename(session: ChatSession) -> None:
    title = str(st.session_state.get("chat_list_title") or "")
    try:
        if session.chat_id and session.writer.flush(2.0):
            session.store.rename_chat(session.owner, session.chat_id, title)
    except StoreUnavailable as exc:
        session.notice = exc.user_message


def _delete(session: ChatSession) -> None:
    chat_id = session.chat_id
    if chat_id is None:
        return
    try:
        session.writer.flush(2.0)
        chat = session.store.get_chat(session.owner, chat_id)
        if chat is None or not session.store.delete_chat(session.owner, chat_id):
            return
    except StoreUnavailable as exc:
        session.notice = exc.user_message
        return
    session.deleted = chat.summary
    _replace_conversation(session, Conversation(system=state.conversation().system), None)
    st.query_params.pop(QUERY_KEY, None)
    st.toast(f"Deleted “{chat.summary.label}”. Undo is in the sidebar.", icon=":material/delete:")


def _undo_delete(session: ChatSession) -> None:
    deleted, session.deleted = session.deleted, None
    if deleted is None:
        return
    try:
        if session.store.undo_delete(session.owner, deleted.id):
            open_chat(session, deleted.id)
    except StoreUnavailable as exc:
        session.notice = exc.user_message


def _open_clicked(session: ChatSession, chat_id: str) -> None:
    session.deleted = None
    open_chat(session, chat_id)


def _chat_button(session: ChatSession, chat: ChatSummary, key: str) -> None:
    st.button(
        chat.label,
        key=key,
        type="primary" if chat.id == session.chat_id else "tertiary",
        on_click=_open_clicked,
        args=(session, chat.id),
        width="stretch",
    )


def _grouped_list(session: ChatSession) -> None:
    chats = session.store.list_chats(session.owner, limit=session.list_limit + 1)
    more = len(chats) > session.list_limit
    for label, items in group_chats(chats[: session.list_limit], dt.date.today()):
        st.caption(label)
        for chat in items:
            _chat_button(session, chat, f"chat_list_open_{chat.id}")
    if more:
        st.button("Show more chats", key="chat_list_more", on_click=_show_more, args=(session,))


def _show_more(session: ChatSession) -> None:
    session.list_limit += LIST_LIMIT


def _search_results(session: ChatSession, query: str) -> None:
    hits = session.store.search(session.owner, query)
    if not hits:
        st.caption("No chat matches.")
    for hit in hits:
        _chat_button(session, hit.chat, f"chat_list_hit_{hit.chat.id}")
        st.caption(hit.excerpt)
