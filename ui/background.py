"""Answers that outlive their page, in the web app (chat_core/running.py does the work).

- ``begin_answer(active)``: ``stream_answer``'s hook; stores the chat before the answer streams
  and registers the answer as the chat's running one (it saves it from then on).
- ``running_answer(conv)``: the running answer a reopened chat's last turn waits for; the chat
  page follows it live (``ui.answer.follow_answer``).
- ``render_setting()``: the sidebar's "Stop answers when I leave".
"""

from __future__ import annotations

import streamlit as st

from chat_core.conversation import Conversation
from chat_core.running import RunningAnswer
from chat_core.running import registry as running_answers
from chat_core.types import StreamStatus
from ui import state
from ui.chat_list import SESSION_KEY, ChatSession, sync

STOP_ON_LEAVE = "stop_answers_on_leave"
"""Session key of the "Stop answers when I leave" setting (off: answers finish and are saved)."""


def begin_answer(active: state.ActiveAnswer) -> RunningAnswer | None:
    """An answer is about to stream in this session: store the chat now (so ``?chat=`` names
    it before the first token: a reload mid-answer reopens it) and register the answer as the
    chat's running one, which saves it from now on (chat_core/running.py). None when nothing
    is stored (no database, "Don't save this chat")."""
    session: ChatSession | None = st.session_state.get(SESSION_KEY)
    if session is None or session.incognito:
        return None
    sync(session)
    chat_id = session.chat_id
    if chat_id is None:
        return None
    session.saver.hand_over(active.turn)
    return running_answers().start(
        chat_id,
        active.turn,
        active.stream,
        writer=session.writer,
        owner=session.owner,
        kept=lambda: active.drawn,
        stop_on_leave=bool(st.session_state.get(STOP_ON_LEAVE)),
    )


def running_answer(conv: Conversation) -> RunningAnswer | None:
    """The running answer (another run's or another session's) that ``conv``'s last turn is
    waiting for, if it runs in this process."""
    session: ChatSession | None = st.session_state.get(SESSION_KEY)
    if session is None or session.chat_id is None or not conv.turns:
        return None
    last = conv.turns[-1]
    if last.role != "assistant" or last.status != StreamStatus.STREAMING:
        return None
    return running_answers().find(session.chat_id, last.id)


def render_setting() -> None:
    """The "Stop answers when I leave" toggle (call inside the sidebar)."""
    st.toggle(
        "Stop answers when I leave",
        value=bool(st.session_state.get(STOP_ON_LEAVE)),
        key="chat_list_stop_on_leave",
        on_change=_toggle_stop_on_leave,
        help="Off: an answer still streaming when you close or reload this tab finishes on "
        "the server and is saved. On: it stops there, saved as stopped.",
    )


def _toggle_stop_on_leave() -> None:
    st.session_state[STOP_ON_LEAVE] = bool(st.session_state.get("chat_list_stop_on_leave"))
