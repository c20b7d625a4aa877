"""The sidebar's chat list (call ``render_sidebar(session)`` inside ``with st.sidebar``): New
chat, "Don't save this chat", search, the chats grouped Today / Yesterday / Previous 7 days /
Older, this chat's rename (Enter or the button) and delete with Undo, "Export all chats".
The session, ``?chat=<id>`` and saving are in ui/chat_list.py."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from chat_core.conversation import Conversation
from chat_core.store_convert import export_all
from chat_core.store_types import ChatSummary, StoreUnavailable, group_chats
from ui import state
from ui.chat_list import (
    LIST_LIMIT,
    QUERY_KEY,
    ChatSession,
    new_chat,
    open_chat,
    replace_conversation,
    sync,
)

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
    replace_conversation(session, Conversation(system=state.conversation().system), None)
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
