"""Streaming one assistant answer into the page without ever losing it.

The order matters (STREAMLIT_NOTES 3-7):

1. the empty assistant ``Turn`` joins the conversation and the metrics log, and the running
   stream is recorded in session state, all *before* the first frame;
2. frames update ``turn.content`` in place (a plain reference, no session state); with smooth
   typing (ui/typing.py) ``turn.content`` gets everything *received* at each tick while the
   page shows the paced text, so a Stop keeps the whole partial either way; the progress bar
   (ui/progress.py) moves with ``turn.content`` and goes away when the answer ends;
3. ``finally`` cancels the upstream (the generator given to ``st.write_stream`` is abandoned
   when the run is stopped) and copies the final result into the turn if it is there. It
   never touches ``st.session_state``: after a Stop that access raises again. The stream's
   own ``on_complete``/``on_error`` callbacks (worker thread) and the next run's
   ``settle_active_answer`` fill in whatever ``finally`` could not.

After a Stop from the chat input nothing more can be drawn in that run: the partial text
stays on the page and its "Stopped" badge appears with the next run (any interaction). A
self-rerunning fragment that showed the badge at once was tried and removed: its ticks kept
the chat input disabled, with a stop button showing, after answers had ended.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from chat_core import ChatError, ChatStream, StreamResult, StreamStatus
from chat_core.conversation import Conversation, Turn
from chat_core.frame_cost import FrameCost
from chat_core.versions import start_new_version
from ui import progress, state
from ui.cost_view import price_answer
from ui.errors import GENERIC_MESSAGE, log_unexpected
from ui.messages import AVATARS, AnswerLayout, render_answer_footer, stream_markdown
from ui.progress import ProgressBar
from ui.settings import ChatSettings
from ui.typing import typed_frames

FRAME_INTERVAL_S = 0.1
"""Shortest coalescing interval for ``ChatStream.frames`` (STREAMLIT_NOTES 1, 25)."""
MAX_FRAME_INTERVAL_S = 0.25
"""Longest: a long live block is re-sent at most 4 times a second (chat_core/frame_cost.py)."""


def frame_cost() -> FrameCost:
    """The frame spacing of one streaming answer (bench/render_lag.py measured the bounds)."""
    return FrameCost(floor_s=FRAME_INTERVAL_S, cap_s=MAX_FRAME_INTERVAL_S, max_ratio=2.0)


IDLE_CHECK_S = 0.25
"""While nothing arrives, touch the page this often so Stop is noticed (STREAMLIT_NOTES 3)."""
WAITING_HINT_AFTER_S = 0.6


def stream_answer(
    conv: Conversation,
    settings: ChatSettings,
    *,
    on_retry: Callable[[str], None],
    on_finish: Callable[[], None] | None = None,
) -> Turn:
    """Answer the conversation's last user message.

    Returns the turn, finished (complete, cut off or failed) unless the run was stopped."""
    # A Regenerate or Edit keeps the answer it replaces as an earlier version (issue 13).
    turn = start_new_version(conv, provider=settings.provider, model=settings.model)
    state.record_answer(turn)
    messages = conv.messages(upto=len(conv.turns) - 1)
    # Plain references before streaming (STREAMLIT_NOTES 4).
    estimator = progress.estimator()
    length_key = progress.progress_key(settings.provider, settings.model, settings.system)

    def finished(result: StreamResult) -> None:
        state.apply_result(turn, result)

    def failed(_error: ChatError, result: StreamResult) -> None:
        state.apply_result(turn, result)

    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        layout = AnswerLayout(turn)
        try:
            stream = settings.open_stream(messages, on_complete=finished, on_error=failed)
        except ChatError as exc:
            _fail(turn, exc.user_message, exc.kind)
            with layout.footer:
                render_answer_footer(turn, last=True, on_retry=on_retry)
            return turn
        # Under the answer while it streams; emptied when it ends (later runs draw no slot).
        bar = ProgressBar(st.empty(), estimator.tracker(length_key, settings.max_tokens))
        state.set_active(stream, turn)
        unexpected = False
        try:
            stream.start()
            cost = frame_cost()
            with layout.body:
                stream_markdown(
                    _frames(
                        stream, turn, layout.notice, bar, cost=cost, smooth=settings.smooth_typing
                    ),
                    cost,
                )
        except Exception as exc:  # noqa: BLE001 - a bug of ours while drawing: logged, text kept
            log_unexpected(exc, "streaming an answer")
            unexpected = True
        finally:
            if not stream.done:
                stream.cancel()
            if stream.result is not None:
                state.apply_result(turn, stream.result)
        # From here on the run was not stopped: session state and the page are usable.
        state.finish_turn(turn, stream)
        state.clear_active(stream)
        price_answer(turn, base_url=settings.base_url, secrets=settings.secrets)
        if unexpected:
            _fail(turn, GENERIC_MESSAGE, "unexpected")
        if turn.status == StreamStatus.COMPLETE:
            estimator.record(length_key, len(turn.content))
            bar.finish()
        bar.clear()
        layout.notice.empty()
        if on_finish is not None:
            on_finish()
        with layout.footer:
            render_answer_footer(turn, last=True, on_retry=on_retry)
    return turn


def _frames(
    stream: ChatStream,
    turn: Turn,
    notice_slot: DeltaGenerator,
    bar: ProgressBar,
    *,
    cost: FrameCost | None = None,
    smooth: bool = False,
) -> Iterator[str]:
    """The stream's coalesced frames, copied into the turn as they pass (with ``smooth``: the
    paced text, while the turn gets what arrived at each tick). Retry notices and a "waiting"
    hint go to ``notice_slot``; touching it while idle is also what lets Streamlit deliver a
    Stop during a long wait. ``bar`` follows the received length, at most once per frame."""
    started = time.perf_counter()
    showing: list[str] = []  # what notice_slot shows now ("" = nothing)

    def show(kind: str, text: str = "") -> None:
        if kind == "notice":
            notice_slot.info(text, icon=":material/hourglass_top:")
        elif kind == "waiting":
            notice_slot.caption(text)
        else:
            notice_slot.empty()
        showing[:] = [kind]

    def on_notice(text: str) -> None:
        show("notice", text)

    def on_idle() -> None:
        waited = time.perf_counter() - started
        if showing and showing[0] == "notice":
            show("notice", stream.notice or "")
        elif not turn.content and waited >= WAITING_HINT_AFTER_S:
            show("waiting", f":material/hourglass_top: Waiting for the first token… {waited:.1f} s")
        else:
            show("none")

    def received(text: str) -> None:
        turn.content += text
        bar.update(len(turn.content))

    if smooth:
        typed = typed_frames(
            stream, on_text=received, on_notice=on_notice, on_idle=on_idle, idle_s=IDLE_CHECK_S
        )
        for shown in typed:
            if showing and showing[0] != "none":
                show("none")
            yield shown
        return
    interval = cost.interval if cost is not None else FRAME_INTERVAL_S
    for frame in stream.frames(interval, on_notice=on_notice, on_idle=on_idle, idle_s=IDLE_CHECK_S):
        if showing and showing[0] != "none":
            show("none")
        received(frame)
        if cost is not None:
            cost.sent(len(frame))
        yield frame


def _fail(turn: Turn, message: str, kind: str) -> None:
    turn.status = StreamStatus.ERROR
    turn.error = message
    turn.error_kind = kind
