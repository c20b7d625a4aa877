"""The compare page's parts: column choices, comparison runs, and several answers streamed
side by side from one ``merge_streams``.

Stop-safety follows the chat page (docs/design.md §3-7, ui/answer.py):

1. a ``CompareRun`` with one empty assistant ``Turn`` per column joins the session's runs and
   the metrics log, and the running ``MergedStream`` is recorded in session state, all
   *before* the first frame;
2. frames update the turns in place (plain references, no session state);
3. ``finally`` cancels every stream still running and copies the results that are there; the
   streams' own callbacks (worker threads) and the next run's ``settle`` fill in the rest.

Stop is a "Stop all" button (above the columns and in the sidebar): its click interrupts the
streaming run and reruns the page, whose ``settle`` shows every partial marked "Stopped". The
chat input only disables itself while a comparison streams: its own stop button would end the
run without a rerun, leaving the partials unmarked until the next click.

Each column draws its answer as the chat page does (``chat_core.render``: display-safe
markdown cut into blocks): finished blocks are written once, only the column's live tail
element is redrawn, and a frame touches only the columns that got new text.
"""

from __future__ import annotations

import dataclasses
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from chat_core import ChatError, ChatStream, Message, StreamResult, StreamStatus
from chat_core.blocks import BlockSplitter
from chat_core.config import MODELS, PROVIDER_LABELS, PROVIDERS, check_temperature, has_key
from chat_core.conversation import Turn
from chat_core.errors import ConfigurationError
from chat_core.markdown import DisplayTransformer
from chat_core.merge import MergedStream, fastest_first_token, fastest_throughput, merge_streams
from ui import state
from ui.errors import GENERIC_MESSAGE, log_unexpected
from ui.messages import AVATARS, answer_caption, show_markdown
from ui.settings import (
    BASE_URL,
    MAX_TOKENS,
    MAX_TOKENS_LIMIT,
    PROVIDER,
    SYSTEM,
    TEMPERATURE,
    ChatSettings,
    api_key_key,
    model_key,
)

MIN_COLUMNS = 2
MAX_COLUMNS = 4
MAX_PROMPT_CHARS = 100_000
KEEP_RUNS = 20
"""Comparisons kept in the session (the metrics page keeps every answer regardless)."""

FRAME_INTERVAL_S = 0.1
"""Coalescing interval of the merged frames. One frame may update every column, so it is
twice the chat page's: at most ~10 updates per column per second (docs/design.md §20, §25)."""
IDLE_CHECK_S = 0.25
"""While nothing arrives, touch the page this often so Stop is noticed (docs/design.md §3)."""
CAPTION_EVERY_S = 0.5
"""How often a streaming column's live TTFT / speed caption is redrawn."""
WAITING_HINT_AFTER_S = 0.6
SETTLE_WAIT_S = 1.0
"""How long a new run waits, in total, for cancelled streams to report their results."""

CHOICES = "compare_choices"
COUNT = "compare_count"
RUNS = "compare_runs"
ACTIVE = "compare_active"
PENDING = "compare_pending"
SLOT_TURNS = "compare_slot_turns"


# -- what is compared ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Choice:
    """One column: a provider and a model."""

    provider: str
    model: str

    @property
    def title(self) -> str:
        return f"{PROVIDER_LABELS.get(self.provider, self.provider)} · {self.model}"


def _configured(provider: str, secrets: Mapping[str, str]) -> bool:
    if provider == "demo":
        return True
    if st.session_state.get(api_key_key(provider)):
        return True
    try:
        return has_key(provider, secrets=secrets)
    except ConfigurationError:  # a malformed base URL: the column will say so when sent
        return False


def default_choices(secrets: Mapping[str, str]) -> list[Choice]:
    """``MAX_COLUMNS`` suggestions: the chat's provider and model first, then the first model of
    every other configured provider, then the chat provider's other models, then the demo."""
    ss = st.session_state
    current = str(ss[PROVIDER])
    out: list[Choice] = [Choice(current, str(ss[model_key(current)]).strip() or MODELS[current][0])]
    others = [p for p in PROVIDERS if p not in (current, "demo") and _configured(p, secrets)]
    candidates = [Choice(p, MODELS[p][0]) for p in others]
    if current != "demo":
        candidates += [Choice(current, m) for m in MODELS[current]]
    candidates.append(Choice("demo", MODELS["demo"][0]))
    for choice in candidates:
        if len(out) < MAX_COLUMNS and choice not in out:
            out.append(choice)
    while len(out) < MAX_COLUMNS:
        out.append(Choice("demo", MODELS["demo"][0]))
    return out


def init(secrets: Mapping[str, str]) -> None:
    """Give the compare page's plain session keys their defaults once per session."""
    ss = st.session_state
    if CHOICES not in ss:
        ss[CHOICES] = default_choices(secrets)
    ss.setdefault(COUNT, MIN_COLUMNS)
    ss.setdefault(RUNS, [])
    ss.setdefault(ACTIVE, None)


def choices() -> list[Choice]:
    """The choices of the columns in use (``COUNT`` of them)."""
    ss = st.session_state
    all_choices: list[Choice] = ss[CHOICES]
    return all_choices[: int(ss[COUNT])]


def runs() -> list[CompareRun]:
    found: list[CompareRun] = st.session_state[RUNS]
    return found


# -- comparisons --------------------------------------------------------------------------------


@dataclass(slots=True)
class CompareRun:
    """One prompt sent to several choices. Mutable: its turns fill in while they stream; they
    are the same ``Turn`` objects as in the metrics log."""

    prompt: str
    choices: tuple[Choice, ...]
    turns: list[Turn]
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:10])

    @property
    def stopped(self) -> bool:
        return any(turn.status == StreamStatus.STOPPED for turn in self.turns)

    def titles(self) -> list[str]:
        """Column titles; a choice used twice gets its column number."""
        plain = [choice.title for choice in self.choices]
        return [
            f"{title} (column {index + 1})" if plain.count(title) > 1 else title
            for index, title in enumerate(plain)
        ]

    def results(self) -> dict[str, StreamResult]:
        """The measured answers by column title (only columns that received text)."""
        out: dict[str, StreamResult] = {}
        for title, turn in zip(self.titles(), self.turns, strict=True):
            if turn.metrics is not None and turn.metrics.char_count > 0:
                out[title] = StreamResult(turn.content, turn.status, None, turn.metrics)
        return out


def new_run(prompt: str, picked: Sequence[Choice]) -> CompareRun:
    """A comparison with one empty streaming turn per choice, added to the session's runs and
    to the metrics log (before anything streams: see the module doc)."""
    turns = [
        Turn("assistant", "", status=StreamStatus.STREAMING, provider=c.provider, model=c.model)
        for c in picked
    ]
    run = CompareRun(prompt, tuple(picked), turns)
    all_runs = runs()
    all_runs.append(run)
    del all_runs[:-KEEP_RUNS]
    for turn in turns:
        state.record_answer(turn)
    return run


def column_settings(base: ChatSettings, choice: Choice) -> ChatSettings:
    """The chat's system prompt, temperature and max tokens with this column's provider,
    model and key (a key typed in the sidebar, else secrets/environment)."""
    ss = st.session_state
    compatible = choice.provider == "openai-compatible"
    return dataclasses.replace(
        base,
        provider=choice.provider,
        model=choice.model.strip() or MODELS[choice.provider][0],
        base_url=(str(ss[BASE_URL]).strip() or None) if compatible else None,
        api_key=ss.get(api_key_key(choice.provider)),
    )


@dataclass(slots=True)
class ActiveCompare:
    """The comparison a run is streaming right now (mutable references, not copies)."""

    merged: MergedStream
    turns: dict[str, Turn]


def settle() -> None:
    """End a comparison a previous run left streaming (Stop, a click, a page switch): cancel
    every upstream (idempotent), give the workers a moment to report, keep what arrived."""
    active: ActiveCompare | None = st.session_state.get(ACTIVE)
    if active is None:
        return
    st.session_state[ACTIVE] = None
    active.merged.cancel()
    deadline = time.monotonic() + SETTLE_WAIT_S
    for label, stream in active.merged.streams.items():
        state.finish_turn(active.turns[label], stream, max(0.0, deadline - time.monotonic()))
    for run in runs():
        for turn in run.turns:
            if turn.status == StreamStatus.STREAMING:
                turn.status = StreamStatus.STOPPED


def stop_all() -> None:
    """The Stop button: the click already interrupted the streaming run."""
    settle()


def ask(prompt: str) -> None:
    st.session_state[PENDING] = prompt


def take_pending() -> str | None:
    prompt: str | None = st.session_state.pop(PENDING, None)
    return prompt


def clear_runs() -> None:
    settle()
    runs().clear()


# -- widgets ------------------------------------------------------------------------------------


def _bind(name: str) -> dict[str, Any]:
    """Widget kwargs that seed the widget from the plain key ``name`` and copy changes back
    (widget state is dropped on other pages: docs/design.md §9)."""
    widget_key = f"compare_w_{name}"
    st.session_state[widget_key] = st.session_state[name]
    return {"key": widget_key, "on_change": _copy_back, "args": (name, widget_key)}


def _copy_back(name: str, widget_key: str) -> None:
    st.session_state[name] = st.session_state[widget_key]


def _set_count() -> None:
    value = st.session_state.get("compare_w_count")
    if isinstance(value, int) and MIN_COLUMNS <= value <= MAX_COLUMNS:
        st.session_state[COUNT] = value


def _set_provider(index: int) -> None:
    ss = st.session_state
    provider = str(ss[f"compare_w_provider_{index}"])
    all_choices: list[Choice] = ss[CHOICES]
    model = str(ss[model_key(provider)]).strip() or MODELS[provider][0]
    all_choices[index] = Choice(provider, model)


def _set_model(index: int) -> None:
    ss = st.session_state
    all_choices: list[Choice] = ss[CHOICES]
    model = str(ss[f"compare_w_model_{index}"] or "").strip()
    provider = all_choices[index].provider
    all_choices[index] = Choice(provider, model or MODELS[provider][0])


def render_count() -> None:
    st.session_state["compare_w_count"] = int(st.session_state[COUNT])
    st.segmented_control(
        "Columns",
        list(range(MIN_COLUMNS, MAX_COLUMNS + 1)),
        required=True,
        key="compare_w_count",
        on_change=_set_count,
        help="How many provider/model choices get the prompt.",
    )


def render_choices() -> None:
    """One provider + model pair per column, above the answers' columns. Like the chat page's
    settings they stay usable while answers stream: a change stops the comparison (the
    click interrupts the run) and keeps every partial."""
    ss = st.session_state
    all_choices: list[Choice] = ss[CHOICES]
    count = int(ss[COUNT])
    for index, column in enumerate(st.columns(count)):
        choice = all_choices[index]
        provider_key = f"compare_w_provider_{index}"
        model_widget = f"compare_w_model_{index}"
        ss[provider_key] = choice.provider
        ss[model_widget] = choice.model
        options = list(MODELS[choice.provider])
        if choice.model not in options:
            options.append(choice.model)
        with column:
            st.selectbox(
                f"Column {index + 1}",
                PROVIDERS,
                format_func=lambda name: PROVIDER_LABELS.get(name, name),
                key=provider_key,
                on_change=_set_provider,
                args=(index,),
            )
            st.selectbox(
                f"Model {index + 1}",
                options,
                key=model_widget,
                on_change=_set_model,
                args=(index,),
                accept_new_options=choice.provider != "demo",
                disabled=choice.provider == "demo",
                label_visibility="collapsed",
                help="Pick a suggestion or type any model name the provider offers.",
            )


def render_shared_settings(secrets: Mapping[str, str], picked: Sequence[Choice]) -> None:
    """Sidebar: the chat's system prompt, temperature and max tokens (the same session keys),
    and a key field for each provider in use that has none."""
    from ui.settings import _render_key_field  # the one place that handles typed keys

    st.subheader("Every column uses", divider="gray")
    st.text_area(
        "System prompt",
        height=90,
        help="Sent with every request; shared with the chat page.",
        **_bind(SYSTEM),
    )
    st.slider(
        "Temperature",
        min_value=0.0,
        max_value=2.0,
        step=0.05,
        help="Higher is more varied. Anthropic accepts 0 to 1; OpenAI 0 to 2.",
        **_bind(TEMPERATURE),
    )
    for provider in dict.fromkeys(c.provider for c in picked):
        try:
            check_temperature(provider, float(st.session_state[TEMPERATURE]))
        except ConfigurationError as exc:
            st.warning(exc.user_message, icon=":material/thermostat:")
    st.number_input(
        "Max tokens",
        min_value=1,
        max_value=MAX_TOKENS_LIMIT,
        step=256,
        help="Upper bound on each answer's length.",
        **_bind(MAX_TOKENS),
    )
    keyed = [p for p in dict.fromkeys(c.provider for c in picked) if p != "demo"]
    if keyed:
        st.subheader("Keys", divider="gray")
        for provider in keyed:
            _render_key_field(provider, secrets)
        if "openai-compatible" in keyed:
            st.text_input(
                "OpenAI-compatible base URL",
                help="The server's OpenAI-style endpoint, e.g. Ollama at http://localhost:11434/v1.",
                **_bind(BASE_URL),
            )


# -- drawing a comparison ------------------------------------------------------------------------


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


class ColumnLayout:
    """The children of one answer column, identical while streaming and when redrawn, so a
    rerun shows the same elements (docs/design.md §23): header, notice, text, footer."""

    def __init__(self, run_id: str, index: int) -> None:
        self.header = st.empty()
        self.notice = st.empty()
        self.body = st.container(key=f"cmp-{run_id}-{index}")
        self.footer = st.empty()


class RunLayout:
    """A comparison: the prompt, a status/summary slot, then one bordered column per choice."""

    def __init__(self, run: CompareRun) -> None:
        with (
            st.chat_message("user", avatar=AVATARS["user"]),
            st.container(key=f"cmp-prompt-{run.id}"),
        ):
            show_markdown(run.prompt)
        self.status = st.empty()
        self.columns: list[ColumnLayout] = []
        for index, column in enumerate(st.columns(len(run.turns), border=True)):
            with column:
                self.columns.append(ColumnLayout(run.id, index))


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


def _footer(slot: DeltaGenerator, turn: Turn) -> None:
    with slot.container():
        if turn.status == StreamStatus.ERROR:
            st.error(turn.error or "The answer failed.", icon=":material/error:")
        caption = answer_caption(turn)
        if caption:
            st.caption(caption)


def render_run(run: CompareRun) -> None:
    """A finished (or stopped) comparison, with the same elements the streaming run left."""
    layout = RunLayout(run)
    with layout.status.container():
        render_summary(run)
    for index, (column, turn) in enumerate(zip(layout.columns, run.turns, strict=True)):
        _header(column.header, run, index, badges=True)
        if turn.content:
            with column.body:
                show_markdown(turn.content)
        _footer(column.footer, turn)


def _names(titles: Sequence[str]) -> str:
    shown = [f"**{escape_markdown(t)}**" for t in titles]
    return shown[0] if len(shown) == 1 else "Tie: " + ", ".join(shown[:-1]) + " and " + shown[-1]


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


class BlockFeed:
    """``chat_core.render.display_blocks`` pushed instead of pulled, for one column among
    several: feed raw frames, get segments of display text. The first segment continues the
    current block, each further one starts a new block. Mutable; one answer, ``finish`` once."""

    def __init__(self) -> None:
        self._display = DisplayTransformer()
        self._splitter = BlockSplitter()

    def feed(self, raw: str) -> list[str]:
        return self._splitter.feed(self._display.feed(raw))

    def finish(self) -> list[str]:
        segments = self._splitter.feed(self._display.flush())
        rest = self._splitter.flush()
        segments[-1] += rest[0]
        return segments + rest[1:]


class LiveText:
    """A column's streaming text: finished blocks stay in their own elements, only the tail
    element is redrawn (docs/design.md §19, §22-24)."""

    def __init__(self, container: DeltaGenerator) -> None:
        self._container = container
        self._feed = BlockFeed()
        self._tail: DeltaGenerator | None = None
        self._text = ""
        self._drawn = ""

    def feed(self, raw: str) -> None:
        self._apply(self._feed.feed(raw))

    def finish(self) -> None:
        self._apply(self._feed.finish())

    def _apply(self, segments: list[str]) -> None:
        if len(segments) > 1:
            # Cuts: the tail element takes every block finished in this feed and is final;
            # the live tail gets a new element (one per feed, not per block, like the chat).
            self._text += "".join(segments[:-1])
            self._draw()
            self._tail, self._text, self._drawn = None, "", ""
        self._text += segments[-1]
        self._draw()

    def _draw(self) -> None:
        if not self._text or self._text == self._drawn:
            return
        if self._tail is None:
            self._tail = self._container.empty()
        self._tail.markdown(self._text)
        self._drawn = self._text


@dataclass(slots=True)
class _Column:
    """One streaming column (plain references; see the module doc)."""

    index: int
    turn: Turn
    stream: ChatStream
    layout: ColumnLayout
    text: LiveText
    received: str = ""
    first_s: float | None = None
    caption_s: float = -1.0
    waiting: bool = False
    finished: bool = False

    def add(self, chunk: str, now_s: float) -> None:
        if self.first_s is None:
            self.first_s = now_s
            self.layout.notice.empty()
            self.waiting = False
            self.caption_s = -1.0  # show the TTFT at once
        self.received += chunk
        if self.turn.status == StreamStatus.STREAMING:  # not yet finalised by the worker
            self.turn.content = self.received
        self.text.feed(chunk)

    def live_caption(self, now_s: float, started_s: float, *, force: bool = False) -> None:
        if self.finished or (not force and now_s - self.caption_s < CAPTION_EVERY_S):
            return
        self.caption_s = now_s
        parts = [":blue-badge[Streaming…]"]
        if self.first_s is not None:
            parts.append(f"TTFT {self.first_s - started_s:.2f} s")
            elapsed = now_s - self.first_s
            if elapsed >= 0.2:
                parts.append(f"{len(self.received) / elapsed:,.0f} chars/s")
            parts.append(f"{len(self.received):,} chars")
        self.layout.footer.caption(" · ".join(parts))

    def idle(self, waited_s: float) -> None:
        notice = self.stream.notice
        if self.first_s is None and notice:
            self.layout.notice.info(notice, icon=":material/hourglass_top:")
        elif self.first_s is None and waited_s >= WAITING_HINT_AFTER_S:
            self.layout.notice.caption(
                f":material/hourglass_top: Waiting for the first token… {waited_s:.1f} s"
            )
            self.waiting = True

    def finish_if_complete(self) -> None:
        """Once every character of an ended stream has been drawn: final text and caption."""
        result = self.stream.result
        if self.finished or result is None or len(self.received) < len(result.text):
            return
        self.finished = True
        self.text.finish()
        state.apply_result(self.turn, result)
        self.layout.notice.empty()
        _footer(self.layout.footer, self.turn)


def keep_wide() -> None:
    """Say again that this page is wide (Streamlit 1.67 workaround).

    ``app.py`` sets ``layout="centered"`` at the start of every run and the page then sets
    "wide". When the browser handles both messages in one batch it checks the second against
    state it has not updated yet, skips it, and the page turns centered; that happens most
    when a run starts right after a stream (the browser is still busy). A "wide" sent once
    text arrives, and again at the end of the run, reaches the browser on its own and puts the
    layout back. The real fix is in ``app.py``: set the chat page's layout in the chat page."""
    st.set_page_config(layout="wide")


class StopButton:
    """The sidebar's "Stop all": enabled while a comparison streams in this run, greyed out
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
    streaming state (drawn before the run's other widgets); it is greyed out at the end.

    A Stop (either "Stop all" button, or any other click) interrupts the run inside a page
    call; every partial stays in the run's turns and the next run settles and shows them.
    There is no ``st.rerun()`` at the end: a full rerun while the browser is still drawing
    the last frames can leave the wide page centered (see ``pages/compare.py``).
    """
    layout = RunLayout(run)
    messages = [Message("user", run.prompt)]
    columns: dict[str, _Column] = {}
    streams: dict[str, ChatStream] = {}
    for index, (choice, turn, place) in enumerate(
        zip(run.choices, run.turns, layout.columns, strict=True)
    ):
        _header(place.header, run, index, badges=False)

        def done(result: StreamResult, turn: Turn = turn) -> None:
            state.apply_result(turn, result)

        def failed(_error: ChatError, result: StreamResult, turn: Turn = turn) -> None:
            state.apply_result(turn, result)

        try:
            stream = column_settings(base, choice).open_stream(
                messages, on_complete=done, on_error=failed
            )
        except ChatError as exc:  # no key, bad base URL, temperature out of range: this column only
            _fail(turn, exc.user_message, exc.kind)
            _footer(place.footer, turn)
            continue
        label = str(index)
        streams[label] = stream
        columns[label] = _Column(index, turn, stream, place, LiveText(place.body.container()))
    if not streams:
        stop_button.show(streaming=False)
        with layout.status.container():
            render_summary(run)
        return

    merged = merge_streams(streams)
    st.session_state[ACTIVE] = ActiveCompare(
        merged, {label: c.turn for label, c in columns.items()}
    )
    started_s = time.perf_counter()
    unexpected = False

    def on_idle() -> None:
        now_s = time.perf_counter()
        for column in columns.values():
            column.idle(now_s - started_s)
            column.live_caption(now_s, started_s, force=column.first_s is not None)

    try:
        # Started before anything is drawn: a Stop at any later page call finds every stream
        # running, so ``finally`` and the next run's ``settle`` cancel requests already sent.
        merged.start()
        with layout.status.container():
            _streaming_bar(run, len(streams))
        for column in columns.values():
            column.live_caption(started_s, started_s, force=True)
        for frame in merged.frames(FRAME_INTERVAL_S, on_idle=on_idle, idle_s=IDLE_CHECK_S):
            now_s = time.perf_counter()
            if not any(column.first_s is not None for column in columns.values()):
                keep_wide()  # before the first text: see keep_wide
            for label, chunk in frame.items():
                column = columns[label]
                if chunk:
                    column.add(chunk, now_s)
                column.finish_if_complete()
            for column in columns.values():
                column.live_caption(now_s, started_s)
        for column in columns.values():
            column.finish_if_complete()
    except Exception as exc:  # noqa: BLE001 - a bug of ours while drawing: logged, text kept
        log_unexpected(exc, "streaming a comparison")
        unexpected = True
    finally:
        if not merged.done:
            merged.cancel()
        for column in columns.values():
            if column.stream.result is not None:
                state.apply_result(column.turn, column.stream.result)
    # From here on the run was not stopped: session state and the page are usable.
    deadline = time.monotonic() + SETTLE_WAIT_S
    for column in columns.values():
        state.finish_turn(column.turn, column.stream, max(0.0, deadline - time.monotonic()))
        if unexpected and not column.finished:
            _fail(column.turn, GENERIC_MESSAGE, "unexpected")
            _footer(column.layout.footer, column.turn)
    st.session_state[ACTIVE] = None
    keep_wide()
    stop_button.show(streaming=False)
    with layout.status.container():
        render_summary(run)
    for index, place in enumerate(layout.columns):
        _header(place.header, run, index, badges=True)


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


def _fail(turn: Turn, message: str, kind: str) -> None:
    turn.status = StreamStatus.ERROR
    turn.error = message
    turn.error_kind = kind
