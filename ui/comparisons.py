"""The compare page's state: column choices and comparison runs, in plain session keys.

A ``CompareRun`` is one prompt sent to several choices; its turns are the same ``Turn``
objects as in the metrics log. Each answer streams as the chat page's does and is settled by
``ui.state.settle`` (one writer, docs/design.md §29).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import streamlit as st

from chat_core import StreamResult, StreamStatus
from chat_core.config import MODELS, PROVIDER_LABELS, PROVIDERS, has_key
from chat_core.conversation import Turn
from chat_core.errors import ConfigurationError
from ui import state
from ui.settings import BASE_URL, PROVIDER, ChatSettings, api_key_key, model_key

MIN_COLUMNS = 2
MAX_COLUMNS = 4
MAX_PROMPT_CHARS = 100_000
KEEP_RUNS = 20
"""Comparisons kept in the session (the metrics page keeps every answer regardless)."""


CHOICES = "compare_choices"
COUNT = "compare_count"
RUNS = "compare_runs"
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


def stop_all() -> None:
    """The Stop button: the click already interrupted the streaming run."""
    state.settle()


def ask(prompt: str) -> None:
    st.session_state[PENDING] = prompt


def take_pending() -> str | None:
    prompt: str | None = st.session_state.pop(PENDING, None)
    return prompt


def clear_runs() -> None:
    state.settle()
    runs().clear()
