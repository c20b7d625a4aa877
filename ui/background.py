"""Answers that outlive their page, in the web app (chat_core/running.py does the work).

- ``begin_answer(active)``: ``stream_answer``'s hook; stores the chat before the answer streams
  and registers the answer as the chat's running one (it saves it from then on).
- ``running_answer(conv)``: the running answer a reopened chat's last turn waits for; the chat
  page follows it live (``ui.answer.follow_answer``).
- ``stored_answer(conv)``: the chat's last answer when the store says it streams with no
  answer of this process behind it (another server, the terminal chat): the chat page follows
  it from the store (``follow_stored``), re-reading it every ``FOLLOW_EVERY_S``, until it ends
  or its writer is gone (interrupted, with Retry; docs/design.md §37).
- ``render_setting()``: the sidebar's "Stop answers when I leave".
"""

from __future__ import annotations

import streamlit as st

from chat_core.conversation import Conversation, Turn
from chat_core.running import RunningAnswer
from chat_core.running import registry as running_answers
from chat_core.store_convert import refresh_turn
from chat_core.store_types import StoreUnavailable
from chat_core.types import StreamStatus
from ui import state
from ui.chat_list import SESSION_KEY, ChatSession, sync
from ui.live import AnswerLayout, show_thinking
from ui.messages import AVATARS, STATUS_BADGES, message_key, show_markdown

FOLLOW_EVERY_S = 1.0
"""How often a page re-reads an answer that streams in another process (one small query)."""
ELSEWHERE_NOTE = "Streaming in another server process; this page follows it as it is saved."

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


def stored_answer(conv: Conversation) -> Turn | None:
    """The last turn of ``conv`` if it is an answer the store reads as streaming and no answer
    of this process draws it; it is then followed from the store, so ``state.settle`` leaves
    it streaming. None otherwise (also without a store, or for a chat kept in memory only)."""
    session: ChatSession | None = st.session_state.get(SESSION_KEY)
    if session is None or session.chat_id is None or session.incognito or not conv.turns:
        return None
    last = conv.turns[-1]
    if last.role != "assistant" or last.status != StreamStatus.STREAMING:
        return None
    if running_answers().find(session.chat_id, last.id) is not None:
        return None
    state.elsewhere().add(last.id)
    return last


def follow_stored(turn: Turn) -> None:
    """Draw ``turn``, an answer streaming in another process, re-read from the store every
    ``FOLLOW_EVERY_S``; when it ends (or its writer is gone) a full run draws it like any
    answer, with its status, metrics and Retry where it was interrupted."""
    _follow_stored(turn.id)


@st.fragment(run_every=FOLLOW_EVERY_S)
def _follow_stored(turn_id: str) -> None:
    session: ChatSession | None = st.session_state.get(SESSION_KEY)
    turn = next((t for t in state.conversation().turns if t.id == turn_id), None)
    if session is None or session.chat_id is None or turn is None:
        return  # the page moved on (another chat): nothing of this answer to draw
    problem = None
    if turn.status == StreamStatus.STREAMING:
        try:
            stored = session.store.get_turn(session.owner, session.chat_id, turn_id)
        except StoreUnavailable as exc:
            problem = exc.user_message  # shown; the next second tries again
        else:
            if stored is None:  # deleted meanwhile: what was shown stays, as cut off
                turn.status = StreamStatus.INTERRUPTED
            else:
                refresh_turn(turn, stored)
    if turn.status != StreamStatus.STREAMING:
        state.elsewhere().discard(turn_id)
        st.rerun(scope="app")
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        layout = AnswerLayout(message_key(turn))
        show_thinking(layout.thinking, turn.reasoning, None)
        with layout.body:
            show_markdown(turn.content)
        with layout.footer.container():
            st.caption(f"{STATUS_BADGES[StreamStatus.STREAMING]} {ELSEWHERE_NOTE}")
            if problem is not None:
                st.warning(problem, icon=":material/cloud_off:")


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
