"""Streaming one assistant answer into the chat page without ever losing it.

The order matters (docs/design.md §3-7, §29):

1. the empty assistant ``Turn`` joins the conversation and the metrics log, and the running
   stream is recorded for ``state.settle``, all *before* the first frame;
2. ``LiveAnswer`` (ui/live.py) draws the stream's frames; nothing writes into the turn while
   it streams, and ``ActiveAnswer.drawn`` follows what is on screen (with smooth typing,
   ui/typing.py, the paced text);
3. ``finally`` cancels the upstream if the run is leaving early (the generator is abandoned
   when the run is stopped). It never touches ``st.session_state``: after a Stop that access
   raises again. The result is written into the turn once, by ``state.settle``: right after
   the stream ends, or by the next run if this one was stopped.

After a Stop from the chat input nothing more can be drawn in that run (Streamlit raises again
at every call): the partial text stays on the page as drawn, and its "Stopped" badge appears
with the next run (any interaction). See README "Stop".
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from chat_core import ChatError, StreamStatus
from chat_core.conversation import Conversation, Turn
from chat_core.frame_cost import FrameCost
from chat_core.frames import Frame
from chat_core.running import RunningAnswer
from chat_core.running import registry as running
from chat_core.versions import start_new_version
from ui import presence, progress, state, warmup
from ui.errors import GENERIC_MESSAGE, log_unexpected
from ui.live import AnswerLayout, LiveAnswer
from ui.messages import AVATARS, message_key, render_answer_footer
from ui.progress import ProgressBar
from ui.settings import ChatSettings
from ui.typing import typed_frames

FRAME_INTERVAL_S = 0.1
"""Shortest coalescing interval of an answer's frames (docs/design.md §1, §25)."""
MAX_FRAME_INTERVAL_S = 0.25
"""Longest: a long live block is re-sent at most 4 times a second (chat_core/frame_cost.py)."""


def frame_cost() -> FrameCost:
    """The frame spacing of one streaming answer (bench/render_lag.py measured the bounds)."""
    return FrameCost(floor_s=FRAME_INTERVAL_S, cap_s=MAX_FRAME_INTERVAL_S, max_ratio=2.0)


IDLE_CHECK_S = 0.25
"""While nothing arrives, touch the page this often so Stop is noticed (docs/design.md §3)."""


def stream_answer(
    conv: Conversation,
    settings: ChatSettings,
    *,
    on_retry: Callable[[str], None],
    on_begin: Callable[[state.ActiveAnswer], RunningAnswer | None] | None = None,
) -> Turn:
    """Answer the conversation's last user message. ``on_begin`` is called once the stream
    exists, before it starts: it may register it as the chat's running answer
    (chat_core/running.py), which then saves it and may keep it running after this page left.

    Returns the turn, settled (complete, cut off, failed…) unless the run was stopped."""
    conv.system = settings.system  # the prompt this answer is sent with, for exports
    # A Regenerate or Edit keeps the answer it replaces as an earlier version (issue 13).
    turn = start_new_version(conv, provider=settings.provider, model=settings.model)
    state.record_answer(turn)
    messages = conv.messages(upto=len(conv.turns) - 1)
    # Plain references before streaming (docs/design.md §4).
    estimator = progress.estimator()
    length_key = progress.progress_key(settings.provider, settings.model, settings.system)

    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        layout = AnswerLayout(message_key(turn))
        try:
            stream = settings.open_stream(messages)
        except ChatError as exc:
            state.fail(turn, exc.user_message, exc.kind)
            with layout.footer.container():
                render_answer_footer(turn, last=True, on_retry=on_retry)
            return turn
        # Under the answer while it streams; emptied when it ends (later runs draw no slot).
        bar = ProgressBar(st.empty(), estimator.tracker(length_key, settings.max_tokens))
        active = state.ActiveAnswer(
            stream, turn, base_url=settings.base_url, secrets=settings.secrets
        )
        state.begin_answers([active])
        entry = on_begin(active) if on_begin is not None else None
        _draw(layout, active, entry, bar, smooth=settings.smooth_typing)
        if turn.status == StreamStatus.COMPLETE:
            estimator.record(length_key, len(turn.content))
            bar.finish()
        bar.clear()
        with layout.footer.container():
            render_answer_footer(turn, last=True, on_retry=on_retry)
    return turn


def follow_answer(turn: Turn, entry: RunningAnswer, *, on_retry: Callable[[str], None]) -> None:
    """Draw an answer another page started (a reload, a second tab) live from its first chunk:
    ``turn`` is this page's copy of it, settled here when the stream ends; the stored answer
    is written by ``entry`` alone."""
    running().join(entry)
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        layout = AnswerLayout(message_key(turn))
        active = state.ActiveAnswer(entry.stream, turn)
        state.begin_answers([active])
        _draw(layout, active, entry, None, smooth=False)
        with layout.footer.container():
            render_answer_footer(turn, last=True, on_retry=on_retry)


def _draw(
    layout: AnswerLayout,
    active: state.ActiveAnswer,
    entry: RunningAnswer | None,
    bar: ProgressBar | None,
    *,
    smooth: bool,
) -> None:
    """Stream ``active`` into ``layout`` and settle it (unless the run is stopped meanwhile).

    When the run leaves early, ``finally`` tells why: the person interrupted it (this session
    is still there) and the answer is cancelled at once, or the page went away and the
    answer's entry decides (chat_core/running.py). Without an entry it is cancelled either way.
    """
    stream, turn = active.stream, active.turn
    cost = frame_cost()
    alive = presence.session_alive()

    def drawn(chars: int) -> None:
        active.drawn = chars

    live = LiveAnswer(layout, stream, cost=cost, on_drawn=drawn)
    unexpected = False
    try:
        stream.start()
        with warmup.answering():
            if smooth and bar is not None:
                _typed(live, bar)
            else:
                _frames(live, bar, cost)
    except Exception as exc:  # noqa: BLE001 - a bug of ours while drawing: logged, text kept
        log_unexpected(exc, "streaming an answer")
        unexpected = True
        active.drawn = len(stream.text)
    finally:
        if entry is None:
            if not stream.done:
                stream.cancel()
        else:
            running().leave(entry, gone=not stream.done and not alive())
    # From here on the run was not stopped: session state and the page are usable.
    if entry is not None:
        running().finish(entry)  # stored before the run ends, not at the registry's next tick
    state.settle()  # applies the result and prices the answer, once
    if unexpected:
        state.fail(turn, GENERIC_MESSAGE, "unexpected")
    live.finish(turn, draw_text=not unexpected)


def _frames(live: LiveAnswer, bar: ProgressBar | None, cost: FrameCost) -> None:
    received = 0
    # The caller's ``finally`` decides about cancelling (the page may have gone away).
    for frame in live.stream.updates(cost.interval, idle_s=IDLE_CHECK_S, cancel_on_exit=False):
        live.apply(frame)
        if frame.text:
            cost.sent(len(frame.text))
            received += len(frame.text)
            if bar is not None:
                bar.update(received)


def _typed(live: LiveAnswer, bar: ProgressBar) -> None:
    """Smooth typing: the text paced (ui/typing.py), reasoning and notices as they come."""
    received = [0]

    def on_text(text: str) -> None:
        received[0] += len(text)
        bar.update(received[0])

    def on_notice(notice: str) -> None:
        live.apply(Frame(notices=(notice,)))

    def on_idle() -> None:
        live.catch_up_reasoning()
        live.idle()

    for shown in typed_frames(
        live.stream, on_text=on_text, on_notice=on_notice, on_idle=on_idle, idle_s=IDLE_CHECK_S
    ):
        live.catch_up_reasoning()
        live.show_text(shown)
