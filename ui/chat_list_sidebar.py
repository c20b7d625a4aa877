"""The sidebar's chat list (call ``render_sidebar(session)`` inside ``with st.sidebar``): New
chat, "Don't save this chat", search, the chats grouped Today / Yesterday / Previous 7 days /
Older, this chat's rename (Enter or the button) and delete with Undo, "Export all chats".
The session, ``?chat=<id>`` and saving are in ui/chat_list.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from chat_core.conversation import Conversation
from chat_core.store_convert import export_all
from chat_core.store_types import (
    GROUPS,
    UNTITLED,
    ChatSummary,
    StoreUnavailable,
    group_chats,
    title_from_prompt,
)
from ui import state
from ui.chat_list import (
    LIST_LIMIT,
    QUERY_KEY,
    SESSION_KEY,
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


TODAY = GROUPS[0]


@dataclass(frozen=True, slots=True)
class NewEntrySlot:
    """A place at the top of the drawn list for a chat stored after the list was drawn (a
    new chat's first prompt arrives in the chat page's fragment, which cannot redraw the
    list): the fragment draws its entry there (``show_new_entry``, docs/design.md §34)."""

    container: DeltaGenerator
    listed_open: str | None
    """The chat that was open (and listed) when the list was drawn."""
    under_today: bool
    """The slot sits under the list's "Today" caption (else the entry brings its own)."""


def render_sidebar(session: ChatSession, *, new_chat_button: bool = True) -> NewEntrySlot | None:
    """The chat list section of the sidebar (call inside ``with st.sidebar``). Without
    ``new_chat_button`` the page's own New chat (clearing the conversation in place) is
    enough: a cleared conversation becomes a new stored chat by itself. Returns the slot for
    a chat stored later in this page's fragment (None while no list is shown: a public
    deployment, a search, a store that failed)."""
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
    if not session.incognito:
        # Drawn before the chat exists too: its buttons act on the chat open when pressed,
        # so a new chat can be renamed or deleted right after its first answer, without a
        # full run of the page (which would re-send the answer and the sidebar, §34).
        _chat_options(session)
    if session.writer.last_error is None:
        # The list must show what this tab just wrote (a new chat, a new title); waiting is
        # skipped while the database is failing, so a dead server never slows the page.
        session.writer.flush(1.0)
    if not session.listing:
        st.caption("Chats are not listed here. Bookmark this page's address to come back.")
        return None
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
                return None
            return _grouped_list(session)
    except StoreUnavailable as exc:
        st.warning(exc.user_message, icon=":material/cloud_off:")
        return None


def show_new_entry(slot: NewEntrySlot) -> DeltaGenerator:
    """Claim ``slot`` in this run (the chat page's fragment calls this in every run, full or
    not: Streamlit keeps a fragment's place in an outside container only if it writes there
    in the full run) and fill it if the open chat was stored after the list was drawn.
    Returns the placeholder, for ``fill_new_entry`` once a new chat is stored later in the
    run."""
    placeholder = slot.container.empty()
    fill_new_entry(slot, placeholder)
    return placeholder


def fill_new_entry(slot: NewEntrySlot, placeholder: DeltaGenerator) -> bool:
    """Draw the open chat's entry into ``placeholder`` if the drawn list lacks it: like the
    list's own entry for the open chat, and pressing it redraws the whole list. Returns
    whether it drew one."""
    session: ChatSession | None = st.session_state.get(SESSION_KEY)
    if session is None or not session.listing or session.incognito:
        return False
    chat_id = session.chat_id
    if chat_id is None or chat_id == slot.listed_open:
        return False
    first = next((t for t in session.saver.conversation.turns if t.role == "user"), None)
    title = (title_from_prompt(first.content) if first is not None else "") or UNTITLED
    with placeholder.container():
        if not slot.under_today:
            st.caption(TODAY)
        st.button(
            title,
            key=f"chat_list_new_{chat_id}",
            help=title if len(title) > FULL_TITLE_AFTER else None,
            type="primary",
            on_click=_redraw_list,
            width="stretch",
        )
    return True


def _redraw_list() -> None:
    st.rerun(scope="app")


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


FULL_TITLE_AFTER = 28
"""Titles longer than this (characters) may be cut in the sidebar: their button's tooltip
gives the whole title."""


def _chat_button(session: ChatSession, chat: ChatSummary, key: str) -> None:
    st.button(
        chat.label,
        key=key,
        help=chat.label if len(chat.label) > FULL_TITLE_AFTER else None,
        type="primary" if chat.id == session.chat_id else "tertiary",
        on_click=_open_clicked,
        args=(session, chat.id),
        width="stretch",
    )


def _grouped_list(session: ChatSession) -> NewEntrySlot:
    chats = session.store.list_chats(session.owner, limit=session.list_limit + 1)
    more = len(chats) > session.list_limit
    groups = group_chats(chats[: session.list_limit], dt.date.today())
    under_today = bool(groups) and groups[0][0] == TODAY
    if under_today:
        st.caption(TODAY)
    slot = st.container()  # where a chat stored after this run goes (``show_new_entry``)
    for label, items in groups:
        if not (under_today and label == TODAY):
            st.caption(label)
        for chat in items:
            _chat_button(session, chat, f"chat_list_open_{chat.id}")
    if more:
        st.button("Show more chats", key="chat_list_more", on_click=_show_more, args=(session,))
    open_id = session.chat_id if not session.incognito else None
    return NewEntrySlot(slot, open_id, under_today)


def _show_more(session: ChatSession) -> None:
    session.list_limit += LIST_LIMIT


def _search_results(session: ChatSession, query: str) -> None:
    hits = session.store.search(session.owner, query)
    if not hits:
        st.caption("No chat matches.")
    for hit in hits:
        _chat_button(session, hit.chat, f"chat_list_hit_{hit.chat.id}")
        st.caption(hit.excerpt)
