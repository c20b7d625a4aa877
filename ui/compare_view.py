"""Drawing comparisons: the newest one streaming (every column at once) or finished, the
summary naming the fastest first token and throughput, and the earlier ones.

Each column is the chat page's answer (ui/live.py): the same layout, the same ``LiveAnswer``
drawing the stream's frames, the same footer. The streams run as one ``MergedStream`` (one
shared condition, chat_core/merge.py) and are settled by ``ui.state.settle``, as the chat's.
Stop is a "Stop all" button (above the columns and in the sidebar): its click interrupts the
streaming run and reruns the page, whose ``settle`` shows every partial marked "Stopped". The
chat input only disables itself while a comparison streams: its own stop button would end the
run without a rerun, leaving the partials unmarked until the next click.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from chat_core import ChatError, ChatStream, Message
from chat_core.config import PROVIDER_LABELS
from chat_core.merge import fastest_first_token, fastest_throughput, merge_streams
from ui import state, warmup
from ui.comparisons import SLOT_TURNS, CompareRun, column_settings, stop_all
from ui.errors import GENERIC_MESSAGE, log_unexpected
from ui.live import AnswerLayout, LiveAnswer
from ui.messages import AVATARS, render_answer, render_answer_footer, show_markdown
from ui.settings import ChatSettings

FRAME_INTERVAL_S = 0.1
"""Coalescing interval of the merged frames: one round may update every column, so at most
~10 updates per column per second (docs/design.md §20, §25)."""
IDLE_CHECK_S = 0.25
"""While nothing arrives, touch the page this often so Stop is noticed (docs/design.md §3)."""


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$:])")


def escape_markdown(text: str) -> str:
    """``text`` shown literally by ``st.markdown`` (model names are typed by people)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


class SlotPair:
    """Two page-level placeholders that take turns holding one part of the page, so that a
    run streaming a new comparison draws into a place that holds nothing in the browser.

    The browser gives a new container the children of the container it replaces at the same
    place, and keeps those it was not sent again until the run ends: a new comparison drawn
    where the previous one was would show the previous answers' extra blocks and columns
    below the new text while it streams (docs/design.md §23). Emptying the place first does
    not help: Streamlit's message queue drops the empty element in favour of the container
    that follows it. The placeholder not in use gets only its own empty element, which does
    clear it, so switching places on every streaming run always starts from nothing. Idle
    runs stay in the current place, where the redrawn elements replace themselves."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._slots = (st.empty(), st.empty())

    def container(self, *, fresh: bool) -> DeltaGenerator:
        turns: dict[str, int] = st.session_state.setdefault(SLOT_TURNS, {})
        index = turns.get(self._name, 0)
        if fresh:
            index = 1 - index
        turns[self._name] = index
        return self._slots[index].container()


class RunLayout:
    """A comparison: the prompt, a status/summary slot, then one bordered column per choice,
    each a header above the chat's ``AnswerLayout`` (the same elements in every run)."""

    def __init__(self, run: CompareRun) -> None:
        with (
            st.chat_message("user", avatar=AVATARS["user"]),
            st.container(key=f"cmp-prompt-{run.id}"),
        ):
            show_markdown(run.prompt)
        self.status = st.empty()
        self.headers: list[DeltaGenerator] = []
        self.columns: list[AnswerLayout] = []
        for index, column in enumerate(st.columns(len(run.turns), border=True)):
            with column:
                self.headers.append(st.empty())
                self.columns.append(AnswerLayout(f"cmp-{run.id}-{index}"))


@dataclass(frozen=True, slots=True)
class Podium:
    """The winner of one measure, with every column whose value shows the same (a tie)."""

    titles: tuple[str, ...]
    value: str
    margin: str | None
    """How far ahead of the next column, e.g. "0.12 s sooner than Anthropic · claude-…"."""


def _podium(
    winner: str | None, values: Mapping[str, float], show: Callable[[float], str], *, lower: bool
) -> Podium | None:
    if winner is None or winner not in values:
        return None
    best = show(values[winner])
    tied = [winner, *(t for t, v in values.items() if t != winner and show(v) == best)]
    rest = sorted((t for t in values if t not in tied), key=values.__getitem__, reverse=not lower)
    margin = None
    if rest:
        gap = abs(values[rest[0]] - values[winner])
        ahead = "sooner" if lower else "more"
        margin = f"{show(gap)} {ahead} than {rest[0]}"
    return Podium(tuple(tied), best, margin)


def podiums(run: CompareRun) -> tuple[Podium | None, Podium | None]:
    """Fastest first token and fastest throughput among the columns that received text
    (chat_core.merge picks the winners; equal shown values are a tie). Throughput is
    tokens/s when every such column reported usage, else chars/s, as in ``fastest_throughput``."""
    results = run.results()
    if len(results) < 2:
        return None, None
    ttfts = {t: r.metrics.ttft_s for t, r in results.items() if r.metrics.ttft_s is not None}
    first = _podium(fastest_first_token(results), ttfts, lambda v: f"{v:.2f} s", lower=True)
    results = {t: r for t, r in results.items() if r.metrics.rate_shown}
    tokens = {t: r.metrics.tokens_per_s for t, r in results.items()}
    if all(v is not None for v in tokens.values()):
        unit, chosen = "tokens/s", tokens
    else:
        unit, chosen = "chars/s", {t: r.metrics.chars_per_s for t, r in results.items()}
    rates = {t: v for t, v in chosen.items() if v is not None}
    fastest = _podium(fastest_throughput(results), rates, lambda v: f"{v:,.0f} {unit}", lower=False)
    return first, fastest


def _header(slot: DeltaGenerator, run: CompareRun, index: int, *, badges: bool) -> None:
    choice = run.choices[index]
    parts = [
        f"**{escape_markdown(PROVIDER_LABELS.get(choice.provider, choice.provider))}** · "
        f"`{choice.model.replace('`', '')}`"
    ]
    if badges:
        title = run.titles()[index]
        first, fastest = podiums(run)
        if first is not None and title in first.titles:
            parts.append(":violet-badge[:material/bolt: Fastest first token]")
        if fastest is not None and title in fastest.titles:
            parts.append(":green-badge[:material/speed: Fastest throughput]")
    slot.markdown("  ".join(parts))


def render_run(run: CompareRun) -> None:
    """A finished (or stopped) comparison, with the same elements the streaming run left."""
    layout = RunLayout(run)
    with layout.status.container():
        render_summary(run)
    for index, (place, turn) in enumerate(zip(layout.columns, run.turns, strict=True)):
        _header(layout.headers[index], run, index, badges=True)
        render_answer(place, turn, last=False, on_retry=None)


def _names(titles: Sequence[str]) -> str:
    shown = [f"**{escape_markdown(t)}**" for t in titles]
    return shown[0] if len(shown) == 1 else "Tie: " + ", ".join(shown[:-1]) + " and " + shown[-1]


NO_PODIUM = {
    "Fastest first token": "no column reported when its first text arrived.",
    "Fastest throughput": "the answers streamed too briefly for a speed to mean anything.",
}
"""Why a summary card is missing (``podiums`` gave ``None``); throughput needs two answers
that streamed for at least ``MIN_RATE_WINDOW_S`` (chat_core/metrics.py)."""


def render_summary(run: CompareRun) -> None:
    """Names the fastest first token and the fastest throughput (or says why it cannot)."""
    results = run.results()
    if len(results) < 2:
        only = f" Only **{escape_markdown(next(iter(results)))}** did." if results else ""
        st.caption(
            ":material/info: A comparison needs at least two columns that received text." + only
        )
        return
    first, fastest = podiums(run)
    left, right = st.columns(2)
    rows: tuple[tuple[DeltaGenerator, Podium | None, str, str, Literal["violet", "green"], str], ...] = (
        (left, first, "Fastest first token", ":material/bolt:", "violet",
         "Time from sending the prompt to the first text of the answer."),
        (right, fastest, "Fastest throughput", ":material/speed:", "green",
         "Output speed after the first token: tokens per second where every column reported "
         "token usage, else characters per second."),
    )  # fmt: skip
    for column, podium, label, icon, color, help_text in rows:
        if podium is None:
            # Something must fill the column: it is where the streaming bar's "Stop all" was,
            # and an empty column leaves that button on the page after the run.
            column.caption(f"{icon} No {label[0].lower()}{label[1:]}: {NO_PODIUM[label]}")
            continue
        column.metric(
            f"{icon} {label}",
            podium.value,
            delta=_names(podium.titles),
            delta_color=color,
            delta_arrow="off",
            delta_description=podium.margin,
            help=help_text,
            border=True,
        )
    if run.stopped:
        st.caption(
            ":material/stop_circle: Stopped before the end: the numbers describe the text that "
            "arrived."
        )


# -- streaming a comparison ------------------------------------------------------------------------


class StopButton:
    """The sidebar's "Stop all": enabled while a comparison streams in this run, disabled
    once it has ended (same place, different key, as on the chat page)."""

    def __init__(self, slot: DeltaGenerator) -> None:
        self._slot = slot

    def show(self, *, streaming: bool) -> None:
        self._slot.button(
            "Stop all",
            key="compare_stop" if streaming else "compare_stop_idle",
            icon=":material/stop_circle:",
            on_click=stop_all,
            disabled=not streaming,
            help="Stop every column that is still streaming; the text so far is kept.",
            width="stretch",
        )


def stream_run(run: CompareRun, base: ChatSettings, stop_button: StopButton) -> None:
    """Stream ``run`` into a fresh ``RunLayout``: every column at once, one Stop for all, and
    the summary in place once every column has ended. ``stop_button`` already shows its
    streaming state (drawn before the run's other widgets); it is disabled at the end.

    A Stop (either "Stop all" button, or any other click) interrupts the run inside a page
    call; the next run settles every answer and shows each partial."""
    layout = RunLayout(run)
    messages = [Message("user", run.prompt)]
    lives: dict[str, LiveAnswer] = {}
    active: list[state.ActiveAnswer] = []
    streams: dict[str, ChatStream] = {}
    for index, (choice, turn, place) in enumerate(
        zip(run.choices, run.turns, layout.columns, strict=True)
    ):
        _header(layout.headers[index], run, index, badges=False)
        settings = column_settings(base, choice)
        try:
            stream = settings.open_stream(messages)
        except ChatError as exc:  # no key, bad base URL, temperature out of range: this column only
            state.fail(turn, exc.user_message, exc.kind)
            render_answer(place, turn, last=False, on_retry=None)
            continue
        label = str(index)
        streams[label] = stream
        # The server it went to, so ``state.settle`` prices the answer with its prices.
        answer = state.ActiveAnswer(
            stream, turn, base_url=settings.base_url, secrets=settings.secrets
        )
        active.append(answer)
        lives[label] = LiveAnswer(place, stream, caption=True, on_drawn=_drawn_to(answer))
    if not streams:
        stop_button.show(streaming=False)
        with layout.status.container():
            render_summary(run)
        return

    merged = merge_streams(streams)
    state.begin_answers(active)
    unexpected = False
    try:
        # Started before anything is drawn: a Stop at any later page call finds every stream
        # running, so ``finally`` and the next run's ``settle`` cancel requests already sent.
        merged.start()
        with layout.status.container():
            _streaming_bar(run, len(streams))
        for live in lives.values():
            live.idle()
        with warmup.answering():
            for round_ in merged.updates(FRAME_INTERVAL_S, idle_s=IDLE_CHECK_S):
                if not round_:
                    for live in lives.values():
                        live.idle()
                for label, frame in round_.items():
                    lives[label].apply(frame)
    except Exception as exc:  # noqa: BLE001 - a bug of ours while drawing: logged, text kept
        log_unexpected(exc, "streaming a comparison")
        unexpected = True
        for answer in active:
            answer.drawn = len(answer.stream.text)
    finally:
        if not merged.done:
            merged.cancel()
    # From here on the run was not stopped: session state and the page are usable.
    state.settle()
    for answer, live in zip(active, lives.values(), strict=True):
        if unexpected:
            state.fail(answer.turn, GENERIC_MESSAGE, "unexpected")
        live.finish(answer.turn, draw_text=not unexpected)
    stop_button.show(streaming=False)
    with layout.status.container():
        render_summary(run)
    for index, (place, turn) in enumerate(zip(layout.columns, run.turns, strict=True)):
        _header(layout.headers[index], run, index, badges=True)
        if str(index) in lives:
            with place.footer.container():
                render_answer_footer(turn, last=False, on_retry=None)


def _drawn_to(answer: state.ActiveAnswer) -> Callable[[int], None]:
    def drawn(chars: int) -> None:
        answer.drawn = chars

    return drawn


def _streaming_bar(run: CompareRun, count: int) -> None:
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.caption(
        f":material/stream: Streaming {count} answers at once — Stop keeps what each has written."
    )
    right.button(
        "Stop all",
        key=f"compare-stop-{run.id}",
        icon=":material/stop_circle:",
        on_click=stop_all,
        width="stretch",
        help="Stop every column; the text so far is kept.",
    )
