"""The sidebar's model and parameter widgets: the model picker (the provider's own list,
cached; built-in suggestions offline; any name may be typed), a quiet end-of-life notice,
temperature ("provider default" unless the person sets one), reasoning effort and extended
thinking where the model offers them, and max tokens.

What each model accepts comes from ``chat_core.models`` (one profile table); what is sent is
decided again in ``chat_core`` (``fit_request``), so a widget never has to be right for a
request to be accepted.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from typing import Any

import streamlit as st

from chat_core.config import PROVIDER_LABELS, ProviderSettings, resolve
from chat_core.errors import ConfigurationError
from chat_core.model_list import CATALOG, Listing, listed, model_options
from chat_core.models import MIN_THINKING_BUDGET, deprecation_notice, profile, temperature_range
from chat_core.url_policy import private_urls_allowed
from ui.visitor import is_local

TEMPERATURE = "temperature"
TEMPERATURE_SET = "temperature_set"
"""False: the provider's default temperature (none is sent); True: ``TEMPERATURE`` is."""
REASONING_EFFORT = "reasoning_effort"
THINKING = "thinking"
THINKING_BUDGET = "thinking_budget"
MAX_TOKENS = "max_tokens"

DEFAULT_TEMPERATURE = 0.7
"""Where the temperature slider starts once the person moves it off "provider default"."""
DEFAULT_MAX_TOKENS = 4096
"""Room for a reasoning model's thinking and its answer (OpenAI counts reasoning tokens in
``max_completion_tokens``)."""
MAX_TOKENS_LIMIT = 128_000
DEFAULT_THINKING_BUDGET = 2048
LIST_WAIT_S = 0.3
"""The longest the sidebar waits for a provider's model list before drawing the built-in
suggestions (the list appears on a later run)."""

PROVIDER_DEFAULT = "provider default"
_STEPS = tuple(round(i * 0.05, 2) for i in range(41))


def model_key(provider: str) -> str:
    return f"model_{provider}"


def init_parameters() -> None:
    """Give every parameter key its default once per session."""
    ss = st.session_state
    ss.setdefault(TEMPERATURE, DEFAULT_TEMPERATURE)
    ss.setdefault(TEMPERATURE_SET, False)
    ss.setdefault(REASONING_EFFORT, None)
    ss.setdefault(THINKING, False)
    ss.setdefault(THINKING_BUDGET, DEFAULT_THINKING_BUDGET)
    ss.setdefault(MAX_TOKENS, DEFAULT_MAX_TOKENS)


def chosen_parameters() -> dict[str, Any]:
    """The parameters as ``ChatSettings`` fields: ``temperature`` None unless set,
    ``thinking_budget_tokens`` None unless extended thinking is on."""
    ss = st.session_state
    return {
        "temperature": float(ss[TEMPERATURE]) if ss.get(TEMPERATURE_SET) else None,
        "max_tokens": int(ss[MAX_TOKENS]),
        "reasoning_effort": ss.get(REASONING_EFFORT) or None,
        "thinking_budget_tokens": int(ss[THINKING_BUDGET]) if ss.get(THINKING) else None,
    }


# -- binding widgets to plain keys -------------------------------------------------------------


def bind(name: str) -> dict[str, Any]:
    """Widget kwargs that seed the widget from the plain key ``name`` and copy changes back."""
    widget_key = f"w_{name}"
    st.session_state[widget_key] = st.session_state[name]
    return {"key": widget_key, "on_change": copy_back, "args": (name,)}


def copy_back(name: str) -> None:
    st.session_state[name] = st.session_state[f"w_{name}"]


def _store_effort() -> None:
    value = st.session_state["w_reasoning_effort"]
    st.session_state[REASONING_EFFORT] = None if value == PROVIDER_DEFAULT else value


def _store_temperature() -> None:
    value = st.session_state["w_temperature_choice"]
    st.session_state[TEMPERATURE_SET] = value != PROVIDER_DEFAULT
    if value != PROVIDER_DEFAULT:
        st.session_state[TEMPERATURE] = float(value)


# -- the model picker --------------------------------------------------------------------------


def model_listing(provider: str, settings: ProviderSettings | None) -> Listing:
    """The provider's model list from the cache (waits at most ``LIST_WAIT_S`` once); an
    empty listing when it cannot be asked (no key yet, bad base URL)."""
    if settings is None or provider == "demo":
        return Listing()
    if provider in ("openai", "anthropic") and not settings.api_key:
        return Listing()
    return CATALOG.lookup(settings, wait_s=LIST_WAIT_S)


def render_model_picker(
    provider: str,
    secrets: Mapping[str, str],
    *,
    api_key: str | None,
    base_url: str | None,
    disabled: bool,
) -> None:
    """The model selectbox, then a quiet notice when the chosen model is deprecated.
    ``api_key``: one typed in the sidebar, if any (else secrets / environment)."""
    key = model_key(provider)
    current = str(st.session_state[key]).strip()
    try:
        # The same base-URL policy as the answers: listing models must not be a way to make
        # the server call private addresses a visitor typed (chat_core/url_policy.py).
        settings: ProviderSettings | None = resolve(
            provider,
            api_key=api_key,
            base_url=base_url,
            secrets=secrets,
            private_urls=private_urls_allowed(
                local_visitor=is_local(), settings=secrets, environ=os.environ
            ),
        )
    except ConfigurationError:  # a malformed or refused base URL: the field above says so
        settings = None
    listing = model_listing(provider, settings)
    label = PROVIDER_LABELS.get(provider, provider)
    if listing.models is not None and provider != "demo":
        source = f"{label} lists these models"
    else:
        source = "Suggestions"
    st.selectbox(
        "Model",
        model_options(provider, listing, current),
        accept_new_options=provider != "demo",
        help=f"{source}; you may also type any model name your provider offers.",
        # The demo has two models (demo-reasoning thinks first): its picker stays usable.
        disabled=disabled,
        **bind(key),
    )
    if listing.error and listing.models is None:
        st.caption(f":material/cloud_off: {listing.error} Showing built-in suggestions.")
    notice = deprecation_notice(current) if current else None
    if notice is None:
        return
    eol = profile(current).end_of_life
    served = listed(listing, current) is not None  # listed: still served, however late
    if eol is not None and dt.date.today() >= eol and not served:
        st.warning(notice, icon=":material/event_busy:")
    else:
        st.caption(f":material/schedule: {notice}")


# -- parameters --------------------------------------------------------------------------------


def render_parameters(provider: str, model: str, *, disabled: bool) -> None:
    """Temperature, reasoning effort, extended thinking and max tokens for ``model``."""
    ss = st.session_state
    p = profile(model)
    thinking_on = provider == "anthropic" and p.thinking and bool(ss.get(THINKING))
    _render_temperature(provider, model, disabled=disabled, thinking=thinking_on)
    if p.reasoning_efforts and provider in ("openai", "openai-compatible"):
        stored = ss.get(REASONING_EFFORT)
        ss["w_reasoning_effort"] = stored if stored in p.reasoning_efforts else PROVIDER_DEFAULT
        st.selectbox(
            "Reasoning effort",
            (PROVIDER_DEFAULT, *p.reasoning_efforts),
            help="How long the model thinks before answering (sent as reasoning_effort). "
            "More effort is slower and uses more tokens.",
            disabled=disabled,
            key="w_reasoning_effort",
            on_change=_store_effort,
        )
    if provider == "anthropic" and p.thinking:
        st.toggle(
            "Extended thinking",
            help="Claude thinks step by step before answering, within a budget of tokens. "
            "Needs the default temperature; max tokens is raised above the budget if needed.",
            disabled=disabled,
            **bind(THINKING),
        )
        if thinking_on:
            most = (p.max_output_tokens or MAX_TOKENS_LIMIT) - 1
            # A budget set for a roomier model must not exceed this one's bound (the widget
            # would refuse the value).
            ss[THINKING_BUDGET] = max(MIN_THINKING_BUDGET, min(int(ss[THINKING_BUDGET]), most))
            st.number_input(
                "Thinking budget (tokens)",
                min_value=MIN_THINKING_BUDGET,
                max_value=most,
                step=1024,
                help="The most tokens Claude may spend thinking (at least 1024).",
                disabled=disabled,
                **bind(THINKING_BUDGET),
            )
    render_max_tokens(disabled=disabled)
    if p.max_output_tokens is not None and int(ss[MAX_TOKENS]) > p.max_output_tokens:
        st.caption(f"{model} writes at most {p.max_output_tokens:,} tokens; that is what is asked.")


def render_temperature_choice(value: Any, *, help: str, disabled: bool) -> None:
    """The temperature control of the chat and compare pages: "provider default" (none is
    sent) or a value; choosing one sets ``TEMPERATURE`` and ``TEMPERATURE_SET``. ``value``: what
    it shows (``PROVIDER_DEFAULT`` or one of its steps)."""
    st.session_state["w_temperature_choice"] = value
    st.select_slider(
        "Temperature",
        options=(PROVIDER_DEFAULT, *_STEPS),
        format_func=lambda v: PROVIDER_DEFAULT if v == PROVIDER_DEFAULT else f"{v:.2f}",
        help=help,
        disabled=disabled,
        key="w_temperature_choice",
        on_change=_store_temperature,
    )


def temperature_shown() -> Any:
    """What the temperature control shows: the nearest step to the temperature set, or
    ``PROVIDER_DEFAULT`` while none is set."""
    ss = st.session_state
    if not ss.get(TEMPERATURE_SET):
        return PROVIDER_DEFAULT
    return min(_STEPS, key=lambda step: abs(step - float(ss[TEMPERATURE])))


def render_max_tokens(*, disabled: bool = False) -> None:
    st.number_input(
        "Max tokens",
        min_value=1,
        max_value=MAX_TOKENS_LIMIT,
        step=256,
        help="Upper bound on the answer's length. An answer that reaches it is marked “cut off”.",
        disabled=disabled,
        **bind(MAX_TOKENS),
    )


def _render_temperature(provider: str, model: str, *, disabled: bool, thinking: bool) -> None:
    ss = st.session_state
    p = profile(model)
    low, high = temperature_range(provider, model)
    accepted = p.temperature and not thinking
    value = temperature_shown() if accepted else PROVIDER_DEFAULT
    if not p.temperature:
        why = f"{model} only accepts its default temperature, so none is sent."
    elif thinking:
        why = "Extended thinking needs the default temperature, so none is sent."
    else:
        why = (
            f"“{PROVIDER_DEFAULT}” sends none. Higher is more varied; {model or provider} "
            f"accepts {low:g} to {high:g}."
        )
    render_temperature_choice(value, help=why, disabled=disabled or not accepted)
    if accepted and ss.get(TEMPERATURE_SET) and not low <= float(ss[TEMPERATURE]) <= high:
        st.warning(
            f"Temperature {float(ss[TEMPERATURE]):g} is out of range for {model} "
            f"({low:g} to {high:g}).",
            icon=":material/thermostat:",
        )
