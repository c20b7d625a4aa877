"""Drawing chat turns: history, the live answer, the caption under each answer.

The markdown of a message always goes through two functions, ``show_markdown`` (a finished
text, one element) and ``stream_markdown`` (frames while it streams, cut into blocks in an
inner container), both drawing display-safe markdown (``chat_core.render``: no raw HTML
rendering, ``$`` prices stay text, ``\\(...\\)`` becomes ``$...$``) as the single child of a
keyed container of the chat message (STREAMLIT_NOTES 23).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import streamlit as st

from chat_core import StreamMetrics, StreamStatus
from chat_core.conversation import Turn
from chat_core.frame_cost import FrameCost
from chat_core.markdown import to_display
from chat_core.render import display_blocks
from ui import actions, state
from ui.answer_actions import edit_button, render_answer_actions
from ui.attachments_view import show_attachments
from ui.cost_view import cost_part

AVATARS = {"user": ":material/person:", "assistant": ":material/smart_toy:"}

STATUS_BADGES = {
    StreamStatus.STOPPED: ":orange-badge[:material/stop_circle: Stopped]",
    StreamStatus.LENGTH: ":orange-badge[:material/content_cut: Cut off at max tokens]",
    StreamStatus.ERROR: ":red-badge[:material/error: Failed]",
    StreamStatus.STREAMING: ":blue-badge[Streaming…]",
}


def show_markdown(text: str) -> None:
    """A finished text: one ``st.markdown`` for the whole of it.

    A text is always exactly one child of its container: the inner container of blocks that
    ``stream_markdown`` streams into, and in every later run this one element. An element
    where a block was replaces that block with all its children in the browser, so nothing
    stale is left behind (STREAMLIT_NOTES 23); and a long chat costs the browser one element
    per message instead of one per markdown block, on every update of the page."""
    shown = to_display(text)
    if shown:
        st.markdown(shown)


def stream_markdown(frames: Iterator[str], cost: FrameCost | None = None) -> None:
    """Stream raw ``frames`` into an inner container of the current one: finished markdown
    blocks are written once, only the live tail block re-renders (STREAMLIT_NOTES 19-24).
    ``cost`` learns the live tail's length, to space the frames (chat_core/frame_cost.py)."""
    with st.container():
        for block in display_blocks(frames, cost):
            st.write_stream(block)


def message_key(turn: Turn) -> str:
    """The key of the inner container holding a turn's text (CSS class ``st-key-msg-<id>``)."""
    return f"msg-{turn.id}"


HISTORY_PAGE = 20
"""A long chat shows its last 20-39 messages, with a button for 20 more at a time: every
message on the page costs the browser work on every update of it, so a 200-message chat drew
its next answer 3x slower than a new one (bench/history.py). Even, so a page never moves a
user message into an assistant message's place (STREAMLIT_NOTES 23)."""


def first_shown(count: int, earlier_pages: int = 0) -> int:
    """The index of the first of ``count`` turns the page draws, ``earlier_pages`` clicks on
    "Show earlier" after the default. Windows start at multiples of ``HISTORY_PAGE``, so the
    messages keep their positions on the page while a chat grows, until the next page."""
    start = max(0, (count // HISTORY_PAGE - 1) * HISTORY_PAGE)
    return max(0, start - earlier_pages * HISTORY_PAGE)


def render_history(turns: list[Turn], *, on_retry: Callable[[str], None]) -> None:
    last_index = len(turns) - 1
    for index, turn in enumerate(turns):
        # The last prompt (the chat's last or next-to-last turn) gets Edit (issue 13).
        last_prompt = turn.role == "user" and index >= last_index - 1
        render_turn(turn, last=index == last_index or last_prompt, on_retry=on_retry)


class AnswerLayout:
    """The children of an assistant message, identical in the run that streams it and in every
    later run that redraws it: a notice slot, the text container and the footer. Streamlit keeps an element it was not sent again on the
    page until the run ends, so a layout that differs between runs would show stale pieces
    (a second caption) while the next answer streams."""

    def __init__(self, turn: Turn) -> None:
        self.notice = st.empty()
        self.body = st.container(key=message_key(turn))
        self.footer = st.container()


def render_turn(
    turn: Turn,
    *,
    last: bool,
    on_retry: Callable[[str], None],
    on_edit: Callable[[str], None] = actions.edit_prompt,
) -> None:
    with st.chat_message(turn.role, avatar=AVATARS.get(turn.role)):
        if turn.role == "user":
            with st.container(key=message_key(turn)):
                show_markdown(turn.content)
            show_attachments(turn.attachments)
            if last:  # ``last`` on a user turn: the chat's last prompt
                edit_button(turn, on_send=on_edit)
            return
        layout = AnswerLayout(turn)
        if turn.content:
            with layout.body:
                show_markdown(turn.content)
        with layout.footer:
            render_answer_footer(turn, last=last, on_retry=on_retry)


def render_answer_footer(turn: Turn, *, last: bool, on_retry: Callable[[str], None]) -> None:
    """Error box with Retry (failed answers), then the metrics caption."""
    if turn.status == StreamStatus.ERROR:
        st.error(turn.error or "The answer failed.", icon=":material/error:")
        if last:
            st.button(
                "Retry",
                key=f"retry-{turn.id}",
                icon=":material/refresh:",
                on_click=on_retry,
                args=(turn.id,),
            )
    caption = answer_caption(turn)
    if caption:
        st.caption(caption)
    # Copy, thumbs, "answer 1 of 2", regenerate (issue 13; ui/answer_actions.py).
    render_answer_actions(
        state.conversation(), turn, last=last, on_regenerate=lambda: on_retry(turn.id)
    )


def answer_caption(turn: Turn) -> str:
    """ "TTFT 0.35 s · total 2.41 s · 52 tokens/s · 38 in / 226 out tokens · demo-1", with a
    status badge first when the answer was stopped, cut off or failed."""
    parts: list[str] = []
    badge = STATUS_BADGES.get(turn.status)
    if badge:
        parts.append(badge)
    if turn.metrics is not None:
        parts.extend(metrics_parts(turn.metrics))
    elif turn.model:
        parts.append(turn.model)
    cost = cost_part(turn)
    if cost:
        parts.append(cost)
    return " · ".join(parts)


def metrics_parts(m: StreamMetrics) -> list[str]:
    parts: list[str] = []
    if m.ttft_s is not None:
        parts.append(f"TTFT {m.ttft_s:.2f} s")
    parts.append(f"total {m.total_s:.2f} s")
    if m.tokens_per_s is not None:
        parts.append(f"{m.tokens_per_s:.0f} tokens/s")
    elif m.chars_per_s is not None:
        parts.append(f"{m.chars_per_s:.0f} chars/s")
    if m.input_tokens is not None and m.output_tokens is not None:
        parts.append(f"{m.input_tokens:,} in / {m.output_tokens:,} out tokens")
    elif m.input_tokens is not None:
        parts.append(f"{m.input_tokens:,} tokens in")
    elif m.output_tokens is not None:
        parts.append(f"{m.output_tokens:,} tokens out")
    parts.append(m.model)
    return parts
