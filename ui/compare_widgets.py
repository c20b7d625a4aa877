"""The compare page's widgets: how many columns, each column's provider and model, and the
settings every column shares (the chat page's own widgets, ui/settings.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import streamlit as st

from chat_core.config import MODELS, PROVIDER_LABELS, PROVIDERS
from ui.comparisons import CHOICES, COUNT, MAX_COLUMNS, MIN_COLUMNS, Choice
from ui.settings import (
    model_key,
    render_base_url,
    render_key_field,
    render_max_tokens,
    render_system_prompt,
    render_temperature,
)


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
    """Sidebar: the chat's system prompt, temperature and max tokens (the same widgets and
    session keys), and a key field for each provider in use that has none."""
    providers = list(dict.fromkeys(c.provider for c in picked))
    st.subheader("Every column uses", divider="gray")
    render_system_prompt()
    render_temperature(providers)
    render_max_tokens()
    keyed = [p for p in providers if p != "demo"]
    if keyed:
        st.subheader("Keys", divider="gray")
        for provider in keyed:
            render_key_field(provider, secrets)
        if "openai-compatible" in keyed:
            render_base_url()
