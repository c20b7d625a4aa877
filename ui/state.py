"""Per-session objects kept in ``st.session_state`` and the rules for touching them.

docs/design.md §4-5: once a run has been stopped, any ``st.session_state`` access raises
again, and the next run may start before the stopped run's ``finally`` has finished. So the
streaming code takes *plain references* (the ``Conversation``, the assistant ``Turn``) before
it streams and only mutates those objects afterwards; the session-state bookkeeping for the
answer (``ActiveAnswer``) is written *before* streaming and settled by whichever run comes
next (``settle_active_answer``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from chat_core import ChatStream, StreamResult, StreamStatus
from chat_core.conversation import Conversation, Turn

CONVERSATION = "conversation"
ANSWERS = "answers"
ACTIVE = "active_answer"
PENDING = "pending_action"
FLASH = "flash_messages"
EARLIER = "earlier_pages"

SETTLE_WAIT_S = 0.5
"""How long a new run waits for a cancelled stream's worker to report its final result."""


@dataclass(slots=True)
class ActiveAnswer:
    """The answer a run is streaming right now (mutable references, not copies)."""

    stream: ChatStream
    turn: Turn


@dataclass(frozen=True, slots=True)
class Pending:
    """Something a button callback asked the page to do in this run."""

    kind: Literal["prompt", "answer"]
    prompt: str = ""


def conversation() -> Conversation:
    if CONVERSATION not in st.session_state:
        st.session_state[CONVERSATION] = Conversation()
    conv: Conversation = st.session_state[CONVERSATION]
    return conv


def answers() -> list[Turn]:
    """Every assistant turn produced in this session, oldest first (the metrics page's rows).

    Holds the same ``Turn`` objects as the conversation, so in-place updates show up here,
    and keeps answers that Clear or Regenerate removed from the chat."""
    if ANSWERS not in st.session_state:
        st.session_state[ANSWERS] = []
    log: list[Turn] = st.session_state[ANSWERS]
    return log


def record_answer(turn: Turn) -> None:
    """Add an assistant turn to the metrics log (before it streams: see the module doc)."""
    answers().append(turn)


def set_active(stream: ChatStream, turn: Turn) -> None:
    st.session_state[ACTIVE] = ActiveAnswer(stream, turn)


def clear_active(stream: ChatStream) -> None:
    active: ActiveAnswer | None = st.session_state.get(ACTIVE)
    if active is not None and active.stream is stream:
        st.session_state[ACTIVE] = None


def is_streaming() -> bool:
    active: ActiveAnswer | None = st.session_state.get(ACTIVE)
    return active is not None and not active.stream.done


def apply_result(turn: Turn, result: StreamResult) -> None:
    """Copy a finished stream's outcome into its turn. Idempotent and Streamlit-free: it is
    called from the stream's worker thread (``on_complete``/``on_error``) as well as from the
    script thread, whichever comes first."""
    turn.content = result.text
    turn.status = result.status
    turn.metrics = result.metrics
    if result.error is not None:
        turn.error = result.error.user_message
        turn.error_kind = result.error.kind


def finish_turn(turn: Turn, stream: ChatStream, timeout_s: float = SETTLE_WAIT_S) -> None:
    """Wait briefly for ``stream``'s final result and copy it into ``turn``; if the worker is
    still closing the connection, show what arrived as "stopped" (its callback completes
    the turn later)."""
    try:
        apply_result(turn, stream.wait(timeout_s))
    except TimeoutError:
        turn.content = stream.text
        turn.status = StreamStatus.STOPPED


def settle_active_answer() -> None:
    """End whatever a previous run was streaming; called at the start of every run.

    A new run while an answer is still streaming means that run was interrupted (Stop, a
    click, a new prompt, a page switch): cancel the upstream (idempotent), give the worker a
    moment to report the final result, and show the partial as "stopped" either way.
    """
    active: ActiveAnswer | None = st.session_state.get(ACTIVE)
    if active is not None:
        st.session_state[ACTIVE] = None
        active.stream.cancel()
        finish_turn(active.turn, active.stream)
    for turn in (*conversation().turns, *answers()):
        if turn.status == StreamStatus.STREAMING:
            turn.status = StreamStatus.STOPPED


def earlier_pages() -> int:
    """How many times "Show earlier messages" was clicked for this chat."""
    return int(st.session_state.get(EARLIER, 0))


def show_earlier() -> None:
    st.session_state[EARLIER] = earlier_pages() + 1


def reset_earlier() -> None:
    st.session_state[EARLIER] = 0


def request(action: Pending) -> None:
    st.session_state[PENDING] = action


def peek_pending() -> Pending | None:
    """What a callback asked this run to do, without taking it (the live part takes it)."""
    action: Pending | None = st.session_state.get(PENDING)
    return action


def take_pending() -> Pending | None:
    action: Pending | None = st.session_state.pop(PENDING, None)
    return action


def is_full_run() -> bool:
    """Whether this run runs the whole page, not only a fragment (a prompt from the chat
    input reruns only the chat page's live fragment)."""
    ctx = get_script_run_ctx()
    return ctx is None or not ctx.fragment_ids_this_run


def flash(kind: Literal["success", "error", "warning", "info"], text: str) -> None:
    """A message to show once, in the next run (e.g. from a callback)."""
    st.session_state.setdefault(FLASH, []).append((kind, text))


def take_flashes() -> list[tuple[str, str]]:
    messages: list[tuple[str, str]] = st.session_state.pop(FLASH, [])
    return messages
