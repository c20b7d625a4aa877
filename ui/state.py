"""Per-session objects kept in ``st.session_state`` and the rules for touching them.

Once a run has been stopped, any ``st.session_state`` access raises again, and the next run
may start before the stopped run's ``finally`` has finished (docs/design.md §4-5). So a
streaming answer's turn joins the conversation and the metrics log, and its running stream is
recorded here (``begin_answers``), all *before* the first frame. While it streams the page
only reads the stream; ``settle`` is the one place that writes the result (and its cost)
into the turn, at the end of the run that streamed it or, when that run was stopped, at the
start of the next run (docs/design.md §29). Worker threads never touch a turn.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

import streamlit as st

from chat_core import ChatStream, StreamResult, StreamStatus, running
from chat_core.conversation import Conversation, Turn
from ui.cost_view import price_answer

CONVERSATION = "conversation"
ANSWERS = "answers"
ACTIVE = "active_answer"
PENDING = "pending_action"
FLASH = "flash_messages"
EARLIER = "earlier_pages"
FULL_RUNS = "full_runs"
FULL_RUNS_SEEN = "full_runs_seen"
ELSEWHERE = "answers_elsewhere"
"""Ids of stored answers that stream in another process, which the page follows from the store
(ui/background.py): ``settle`` leaves them streaming."""

SETTLE_WAIT_S = 0.5
"""How long a new run waits for a cancelled stream's worker to report its final result."""


@dataclass(slots=True)
class ActiveAnswer:
    """An answer a run is streaming (mutable references, not copies). ``drawn`` is how many
    raw characters the page has drawn; the page updates it as it draws, and a stopped answer
    keeps exactly those, so the text kept is the text that was on screen."""

    stream: ChatStream
    turn: Turn
    drawn: int = 0
    base_url: str | None = None
    """Where the request went (the page's setting; ``None``: the configured default), so the
    answer is priced with the prices of the server that answered it (ui/cost_view.py)."""
    secrets: Mapping[str, str] | None = None


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


def begin_answers(active: list[ActiveAnswer]) -> None:
    """Record the answers this run is about to stream (before the first frame)."""
    _active().extend(active)


def _active() -> list[ActiveAnswer]:
    """The session's answers not yet settled: one list object per session, changed in place,
    so a plain reference to it (``export_view``) stays current."""
    found = st.session_state.get(ACTIVE)
    if not isinstance(found, list):
        found = []
        st.session_state[ACTIVE] = found
    return found


def apply_result(turn: Turn, result: StreamResult, *, reasoning: str, drawn: int) -> None:
    """Copy a finished stream's outcome into its turn: all of it, except that a stopped
    answer keeps the ``drawn`` characters that were on screen."""
    running.apply_result(turn, result, reasoning=reasoning, kept=drawn)


def exporter(conv: Conversation) -> Callable[[], Conversation]:
    """A function giving ``conv`` as it would be once settled, for a download clicked while an
    answer streams or before the next run settled a stopped one: it reads the streams and
    writes nothing. Call this while drawing; the function runs at click time, outside any run,
    so it holds plain references only."""
    active = _active()

    def export() -> Conversation:
        turns = []
        for turn in conv.turns:
            answer = next((a for a in active if a.turn is turn), None)
            if answer is not None and turn.status == StreamStatus.STREAMING:
                turn = dataclasses.replace(turn)
                result = answer.stream.result
                if result is None:
                    turn.content = answer.stream.text[: answer.drawn]
                    turn.status = StreamStatus.STOPPED
                else:
                    apply_result(
                        turn, result, reasoning=answer.stream.reasoning, drawn=answer.drawn
                    )
            turns.append(turn)
        return Conversation(system=conv.system, turns=turns)

    return export


def fail(turn: Turn, message: str, kind: str) -> None:
    """Mark ``turn`` failed before or without a stream (its text, if any, is kept)."""
    turn.status = StreamStatus.ERROR
    turn.error = message
    turn.error_kind = kind


def settle(timeout_s: float = SETTLE_WAIT_S) -> None:
    """Write every recorded answer's result into its turn, once; called at the end of a run
    that streamed and at the start of every run.

    An answer still running here belongs to a run that was interrupted. If it runs on in the
    background (its page went away and came back: chat_core/running.py) it is left to its
    entry, and the page follows it again. Otherwise the person interrupted it (Stop, a click,
    a new prompt, a page switch): cancel its upstream (idempotent) and give the worker a
    moment to report. One that does not report in time is shown "stopped" and settled by the
    next run.
    """
    answers_now = running.registry()
    pending = _active()
    active = [a for a in pending if a.stream.done or not _in_background(a.stream)]
    pending.clear()
    for answer in active:
        if not answer.stream.done:
            answer.stream.cancel()
    deadline = time.monotonic() + timeout_s
    late: list[ActiveAnswer] = []
    for answer in active:
        try:
            result = answer.stream.wait(max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            answer.turn.content = answer.stream.text[: answer.drawn]
            answer.turn.status = StreamStatus.STOPPED
            late.append(answer)
            continue
        apply_result(answer.turn, result, reasoning=answer.stream.reasoning, drawn=answer.drawn)
        # Priced here, once, with the result (issue 13): never from the worker thread.
        price_answer(answer.turn, base_url=answer.base_url, secrets=answer.secrets)
    pending.extend(late)
    for turn in (*conversation().turns, *answers()):
        if turn.status != StreamStatus.STREAMING or any(a.turn is turn for a in late):
            continue
        ended = answers_now.result_of(turn.id)
        if ended is not None:  # ended just now, after this page read the chat
            running.apply_result(turn, ended, reasoning=ended.reasoning, kept=None)
        elif not answers_now.owns(turn.id) and turn.id not in elsewhere():
            turn.status = StreamStatus.STOPPED  # a running answer is followed, not stopped


def elsewhere() -> set[str]:
    """The session's ``ELSEWHERE`` set (changed in place)."""
    found = st.session_state.get(ELSEWHERE)
    if not isinstance(found, set):
        found = set()
        st.session_state[ELSEWHERE] = found
    return found


def _in_background(stream: ChatStream) -> bool:
    return any(
        entry.stream is stream and entry.background for entry in running.registry().entries()
    )


def earlier_pages() -> int:
    """How many times "Show earlier messages" was clicked for this chat."""
    return int(st.session_state.get(EARLIER, 0))


def show_earlier() -> None:
    st.session_state[EARLIER] = earlier_pages() + 1


def reset_earlier() -> None:
    st.session_state[EARLIER] = 0


def request(action: Pending) -> None:
    st.session_state[PENDING] = action


def take_pending() -> Pending | None:
    action: Pending | None = st.session_state.pop(PENDING, None)
    return action


def begin_full_run() -> None:
    """A full run of the chat page is starting (before it calls its fragment)."""
    st.session_state[FULL_RUNS] = int(st.session_state.get(FULL_RUNS, 0)) + 1


def is_full_run() -> bool:
    """Whether this fragment call is part of a full run, not a fragment-only run (a prompt from
    the chat input reruns only the chat page's live fragment). Call once per fragment run: a
    full run moves the counter, the fragment remembers the value it saw (docs/design.md §27)."""
    current = int(st.session_state.get(FULL_RUNS, 0))
    seen = st.session_state.get(FULL_RUNS_SEEN)
    st.session_state[FULL_RUNS_SEEN] = current
    return seen != current


def flash(kind: Literal["success", "error", "warning", "info"], text: str) -> None:
    """A message to show once, in the next run (e.g. from a callback)."""
    st.session_state.setdefault(FLASH, []).append((kind, text))


def take_flashes() -> list[tuple[str, str]]:
    messages: list[tuple[str, str]] = st.session_state.pop(FLASH, [])
    return messages
