"""Drawing chat turns: history, the caption and badge under each answer.

A finished message's markdown goes through ``show_markdown`` (one element, display-safe:
``chat_core.render``: no raw HTML rendering, ``$`` prices stay text, ``\\(...\\)`` becomes
``$...$``) as the single child of a keyed container of the chat message (docs/design.md §23).
A streaming answer is drawn by ``ui.live.LiveAnswer`` into the same ``AnswerLayout``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import streamlit as st

from chat_core import StreamMetrics, StreamStatus
from chat_core.conversation import Turn
from chat_core.markdown import to_display
from ui import actions, state
from ui.answer_actions import edit_button, render_answer_actions
from ui.attachments_view import show_attachments
from ui.cost_view import cost_part
from ui.live import AnswerLayout, show_thinking, thinking_seconds

AVATARS = {"user": ":material/person:", "assistant": ":material/smart_toy:"}

STATUS_BADGES = {
    StreamStatus.COMPLETE: ":green-badge[:material/check: Complete]",
    StreamStatus.STOPPED: ":orange-badge[:material/stop_circle: Stopped]",
    StreamStatus.LENGTH: ":orange-badge[:material/content_cut: Cut off at max tokens]",
    StreamStatus.FILTERED: ":red-badge[:material/block: Filtered by the provider]",
    StreamStatus.INTERRUPTED: ":orange-badge[:material/link_off: Interrupted]",
    StreamStatus.ERROR: ":red-badge[:material/error: Failed]",
    StreamStatus.STREAMING: ":blue-badge[Streaming…]",
}
DECLINED = "The model declined to answer."
CUT_OFF_THINKING = "Cut off while thinking — raise max tokens."


def show_markdown(text: str) -> None:
    """A finished text: one ``st.markdown`` for the whole of it.

    A text is always exactly one child of its container: the inner container of blocks that
    ``LiveAnswer`` streams into, and in every later run this one element. An element where a
    block was replaces that block with all its children in the browser, so nothing stale is
    left behind (docs/design.md §23); and a long chat costs the browser one element per
    message instead of one per markdown block, on every update of the page."""
    shown = to_display(text)
    if shown:
        st.markdown(shown)


def status_badge(turn: Turn) -> str | None:
    """The badge of the turn's status; an unknown finish reason is shown by its name."""
    if turn.status == StreamStatus.OTHER:
        reason = (turn.finish_reason or "unknown").replace("]", "")
        return f":gray-badge[:material/help: Ended: {reason}]"
    return STATUS_BADGES.get(turn.status)


def empty_answer_note(turn: Turn) -> str | None:
    """What an answer without text says instead of an empty bubble."""
    if turn.content.strip():
        return None
    if turn.status == StreamStatus.FILTERED:
        return DECLINED
    if turn.status == StreamStatus.LENGTH and turn.reasoning:
        return CUT_OFF_THINKING
    return None


def message_key(turn: Turn) -> str:
    """The key of the inner container holding a turn's text (CSS class ``st-key-msg-<id>``)."""
    return f"msg-{turn.id}"


HISTORY_PAGE = 20
"""A long chat shows its last 20-39 messages, with a button for 20 more at a time: every
message on the page costs the browser work on every update of it, so a 200-message chat drew
its next answer 3x slower than a new one (bench/history.py). Even, so a page never moves a
user message into an assistant message's place (docs/design.md §23)."""


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


def render_turn(
    turn: Turn,
    *,
    last: bool,
    on_retry: Callable[[str], None] | None,
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
        render_answer(AnswerLayout(message_key(turn)), turn, last=last, on_retry=on_retry)


def render_answer(
    layout: AnswerLayout, turn: Turn, *, last: bool, on_retry: Callable[[str], None] | None
) -> None:
    """A finished (or stopped) answer: thinking, text, footer."""
    show_thinking(layout.thinking, turn.reasoning, thinking_seconds(turn))
    if turn.content:
        with layout.body:
            show_markdown(turn.content)
    with layout.footer.container():
        render_answer_footer(turn, last=last, on_retry=on_retry)


def render_answer_footer(turn: Turn, *, last: bool, on_retry: Callable[[str], None] | None) -> None:
    """The note for an answer without text, the error box (with Retry on the chat's last
    answer, and the provider's request id when known), then the metrics caption (with the
    answer's cost) and, in the chat, the actions row (copy, thumbs, versions, regenerate)."""
    note = empty_answer_note(turn)
    if note is not None:
        st.caption(f":material/info: {note}")
    if turn.status == StreamStatus.ERROR:
        st.error(turn.error or "The answer failed.", icon=":material/error:")
        if turn.request_id:
            st.caption(f"Request id for the provider's support: `{turn.request_id}`")
    # An interrupted answer: the body ended without the provider's end marker, or the server
    # restarted while it streamed (the store reads such an answer as interrupted); the text so
    # far stays, and Retry asks again.
    retry_help = {
        StreamStatus.ERROR: None,
        StreamStatus.INTERRUPTED: "The answer was cut off before its end. Ask for it again.",
    }
    if turn.status in retry_help and last and on_retry is not None:
        st.button(
            "Retry",
            key=f"retry-{turn.id}",
            icon=":material/refresh:",
            on_click=on_retry,
            args=(turn.id,),
            help=retry_help[turn.status],
        )
    caption = answer_caption(turn)
    if caption:
        st.caption(caption)
    if on_retry is None:
        return  # not a chat answer (a compare column): no actions row
    # Copy, thumbs, "answer 1 of 2", regenerate (issue 13; ui/answer_actions.py).
    retry = on_retry
    render_answer_actions(
        state.conversation(), turn, last=last, on_regenerate=lambda: retry(turn.id)
    )


def answer_caption(turn: Turn) -> str:
    """ "TTFT 0.35 s · total 2.41 s · 52 tokens/s · 38 in / 226 out tokens · demo-1", with a
    status badge first when the answer was stopped, cut off or failed."""
    parts: list[str] = []
    badge = status_badge(turn)
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
    if not m.rate_shown:
        pass  # too short to mean anything (chat_core.metrics.MIN_RATE_WINDOW_S)
    elif m.tokens_per_s is not None:
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


def example_buttons(
    examples: Sequence[tuple[str, str]], *, key: str, on_click: Callable[[str], None]
) -> None:
    """One button per (label, prompt) in a row; a click sends that prompt."""
    columns = st.columns(len(examples))
    for index, (column, (label, text)) in enumerate(zip(columns, examples, strict=True)):
        column.button(
            label,
            key=f"{key}-{index}",
            help=text,
            on_click=on_click,
            args=(text,),
            width="stretch",
        )
