"""Chat settings: where keys come from, the plain session keys that hold the settings, and the
sidebar widgets that edit them.

Settings live in plain ``st.session_state`` keys (``provider``, ``system``, ...), not only in
widget keys, because Streamlit drops a widget's state in any run that does not draw it, e.g.
after visiting another page (STREAMLIT_NOTES 9). Each widget is seeded from its plain key
before it is drawn and copies its value back in ``on_change``.

API keys typed in the sidebar are kept for this browser session only (``api_key_<provider>``),
never pre-filled into a widget (that would send the key back to the browser), never logged.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Hashable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from chat_core import DEFAULT_SYSTEM_PROMPT, ChatStream, Message, start_chat
from chat_core.config import (
    BASE_URL_VARS,
    DEFAULT_COMPATIBLE_BASE_URL,
    KEY_VARS,
    MODELS,
    PROVIDER_LABELS,
    PROVIDERS,
    TEMPERATURE_RANGE,
    ProviderSettings,
    check_temperature,
    default_provider,
    resolve,
)
from chat_core.errors import ConfigurationError
from chat_core.providers import Provider, make_provider
from chat_core.stream import ErrorCallback, ResultCallback
from chat_core.url_policy import check_base_url, private_urls_allowed
from ui.secrets import read_secrets

__all__ = ["read_secrets"]  # the one reader of secrets lives in ui/secrets.py

log = logging.getLogger(__name__)

DEFAULT_TEMPERATURE = 0.7
DEFAULT_MAX_TOKENS = 1024
MAX_TOKENS_LIMIT = 64_000
TIMEOUT_S = 60.0

PROVIDER = "provider"
SYSTEM = "system"
TEMPERATURE = "temperature"
MAX_TOKENS = "max_tokens"
BASE_URL = "base_url_openai-compatible"
SMOOTH_TYPING = "smooth_typing"
SESSION_PROVIDERS = "session_providers"


def model_key(provider: str) -> str:
    return f"model_{provider}"


def api_key_key(provider: str) -> str:
    return f"api_key_{provider}"


# -- secrets ---------------------------------------------------------------------------------


def key_source(provider: str, secrets: Mapping[str, str]) -> str | None:
    """Where a configured key for ``provider`` comes from ("secrets"/"environment"), if any."""
    if provider == "demo":
        return None
    try:
        return resolve(provider, secrets=secrets).key_source
    except ConfigurationError:  # a malformed base URL: the key may still be there
        return "secrets" if KEY_VARS[provider] in secrets else None


# -- the settings in effect --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """Everything one answer needs, read from the plain session keys at the start of a run."""

    provider: str
    model: str
    system: str
    temperature: float
    max_tokens: int
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    smooth_typing: bool = False
    """Show the answer at an even pace (ui/typing.py) instead of as it arrives."""
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    private_urls: bool = True
    """Whether a base URL typed here may point at loopback/private addresses
    (``chat_core.url_policy.private_urls_allowed``)."""
    providers: MutableMapping[Hashable, Provider] = field(
        default_factory=dict, repr=False, compare=False
    )
    """This session's clients for keys typed in the sidebar (gone with the session)."""

    @property
    def label(self) -> str:
        return PROVIDER_LABELS.get(self.provider, self.provider)

    @property
    def is_demo(self) -> bool:
        return self.provider == "demo"

    def open_stream(
        self,
        messages: Sequence[Message],
        *,
        on_complete: ResultCallback | None = None,
        on_error: ErrorCallback | None = None,
    ) -> ChatStream:
        """A started-later ``ChatStream`` for ``messages``; raises ``ChatError`` for a setting
        the provider would refuse anyway (temperature out of range, no key, bad base URL)."""
        check_temperature(self.provider, self.temperature)
        return start_chat(
            messages,
            provider=make_provider(self.resolved(), session_cache=self.providers),
            model=self.model,
            system=self.system.strip() or None,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            timeout_s=TIMEOUT_S,
            on_complete=on_complete,
            on_error=on_error,
        )

    def resolved(self) -> ProviderSettings:
        """Key and base URL for this answer; raises ``ConfigurationError`` (bad or refused base
        URL). A base URL typed here never gets the server's key (``chat_core.config.resolve``)."""
        return resolve(
            self.provider,
            api_key=self.api_key,
            base_url=self.base_url,
            secrets=self.secrets,
            private_urls=self.private_urls,
        )


def init_settings(secrets: Mapping[str, str]) -> None:
    """Give every plain settings key its default once per session."""
    ss = st.session_state
    if PROVIDER not in ss:
        ss[PROVIDER] = _default_provider(secrets)
    for name in PROVIDERS:
        ss.setdefault(model_key(name), MODELS[name][0])
    ss.setdefault(SYSTEM, DEFAULT_SYSTEM_PROMPT)
    ss.setdefault(TEMPERATURE, DEFAULT_TEMPERATURE)
    ss.setdefault(MAX_TOKENS, DEFAULT_MAX_TOKENS)
    ss.setdefault(SMOOTH_TYPING, False)
    if BASE_URL not in ss:
        ss[BASE_URL] = secrets.get(BASE_URL_VARS["openai-compatible"]) or _env_compatible_url()


def _default_provider(secrets: Mapping[str, str]) -> str:
    try:
        return default_provider(secrets=secrets)
    except ConfigurationError:
        # A malformed base URL next to a key: start on that provider anyway, so the person
        # sees the base URL problem when sending instead of a silent demo.
        for name in ("openai", "anthropic"):
            if secrets.get(KEY_VARS[name]) or os.environ.get(KEY_VARS[name], "").strip():
                return name
        return "demo"


def _env_compatible_url() -> str:
    return (
        os.environ.get(BASE_URL_VARS["openai-compatible"], "").strip()
        or DEFAULT_COMPATIBLE_BASE_URL
    )


def provider_settings(settings: ChatSettings) -> ProviderSettings | None:
    """The provider settings ``settings`` resolve to, for the warm-up: None when they are
    invalid (the person is told when sending) or name a visitor's base URL (its client is not
    shared, so warming it helps nobody, and its address check would look up DNS every run)."""
    try:
        resolved = dataclasses.replace(settings, private_urls=True).resolved()
    except ConfigurationError:
        return None
    return None if resolved.custom_base_url else resolved


def current_settings(secrets: Mapping[str, str]) -> ChatSettings:
    ss = st.session_state
    provider: str = ss[PROVIDER]
    return ChatSettings(
        provider=provider,
        model=str(ss[model_key(provider)]).strip() or MODELS[provider][0],
        system=str(ss[SYSTEM]),
        temperature=float(ss[TEMPERATURE]),
        max_tokens=int(ss[MAX_TOKENS]),
        base_url=str(ss[BASE_URL]).strip() or None if provider == "openai-compatible" else None,
        api_key=ss.get(api_key_key(provider)),
        smooth_typing=bool(ss.get(SMOOTH_TYPING, False)),
        secrets=secrets,
        private_urls=private_urls_allowed(
            bind_address=st.get_option("server.address"), settings=secrets, environ=os.environ
        ),
        providers=ss.setdefault(SESSION_PROVIDERS, {}),
    )


# -- sidebar widgets -----------------------------------------------------------------------------


def _bind(name: str) -> dict[str, Any]:
    """Widget kwargs that seed the widget from the plain key ``name`` and copy changes back."""
    widget_key = f"w_{name}"
    st.session_state[widget_key] = st.session_state[name]
    return {"key": widget_key, "on_change": _copy_back, "args": (name,)}


def _copy_back(name: str) -> None:
    st.session_state[name] = st.session_state[f"w_{name}"]


def _store_api_key(provider: str) -> None:
    widget_key = f"w_{api_key_key(provider)}"
    typed = str(st.session_state.get(widget_key) or "").strip()
    # Forget the widget's copy: the field is not drawn again while a session key exists.
    st.session_state.pop(widget_key, None)
    if typed:
        st.session_state[api_key_key(provider)] = typed


def _forget_api_key(provider: str) -> None:
    st.session_state.pop(api_key_key(provider), None)


def render_settings(secrets: Mapping[str, str], *, disabled: bool = False) -> None:
    """Provider, model, key, base URL, system prompt, temperature and max tokens."""
    ss = st.session_state
    st.selectbox(
        "Provider",
        PROVIDERS,
        format_func=lambda name: PROVIDER_LABELS.get(name, name),
        disabled=disabled,
        **_bind(PROVIDER),
    )
    provider: str = ss[PROVIDER]
    current = str(ss[model_key(provider)])
    options = list(MODELS[provider])
    if current and current not in options:
        options.append(current)
    st.selectbox(
        "Model",
        options,
        accept_new_options=provider != "demo",
        help="Pick a suggestion or type any model name your provider offers.",
        disabled=disabled or provider == "demo",
        **_bind(model_key(provider)),
    )
    if provider == "openai-compatible":
        st.text_input(
            "Base URL",
            placeholder=DEFAULT_COMPATIBLE_BASE_URL,
            help="The server's OpenAI-style endpoint, e.g. Ollama at http://localhost:11434/v1, "
            "vLLM or LM Studio.",
            disabled=disabled,
            **_bind(BASE_URL),
        )
        url = str(ss[BASE_URL]).strip()
        if url:
            try:
                check_base_url(url)
            except ConfigurationError as exc:
                st.warning(exc.user_message, icon=":material/link_off:")
    if provider != "demo":
        _render_key_field(provider, secrets)

    st.text_area(
        "System prompt",
        height=90,
        help="Sent with every request as the model's instructions.",
        disabled=disabled,
        **_bind(SYSTEM),
    )
    low, high = TEMPERATURE_RANGE.get(provider, (0.0, 2.0))
    st.slider(
        "Temperature",
        min_value=0.0,
        max_value=2.0,
        step=0.05,
        help=f"Higher is more varied. {PROVIDER_LABELS.get(provider, provider)} accepts "
        f"{low:g} to {high:g}.",
        disabled=disabled,
        **_bind(TEMPERATURE),
    )
    try:
        check_temperature(provider, float(ss[TEMPERATURE]))
    except ConfigurationError as exc:
        st.warning(exc.user_message, icon=":material/thermostat:")
    st.number_input(
        "Max tokens",
        min_value=1,
        max_value=MAX_TOKENS_LIMIT,
        step=256,
        help="Upper bound on the answer's length. An answer that reaches it is marked “cut off”.",
        disabled=disabled,
        **_bind(MAX_TOKENS),
    )
    st.toggle(
        "Smooth typing",
        help="Type the answer out at an even pace instead of in bursts as it arrives; "
        "never more than about a second behind the model.",
        disabled=disabled,
        **_bind(SMOOTH_TYPING),
    )


def _render_key_field(provider: str, secrets: Mapping[str, str]) -> None:
    label = PROVIDER_LABELS.get(provider, provider)
    source = key_source(provider, secrets)
    session_key = st.session_state.get(api_key_key(provider))
    if session_key:
        cols = st.columns([3, 2], vertical_alignment="center")
        cols[0].caption(
            ":material/key: Using the key you entered",
            help="Kept for this browser session only; never saved or shown.",
        )
        cols[1].button(
            "Forget key",
            key=f"forget_key_{provider}",
            on_click=_forget_api_key,
            args=(provider,),
            width="stretch",
        )
        return
    if source is not None:
        where = ".streamlit/secrets.toml" if source == "secrets" else "the environment"
        st.caption(f":material/key: {label} key found in {where}.")
        return
    optional = provider == "openai-compatible"
    st.text_input(
        f"{label} API key" + (" (optional)" if optional else ""),
        type="password",
        key=f"w_{api_key_key(provider)}",
        on_change=_store_api_key,
        args=(provider,),
        placeholder="sk-…" if provider != "anthropic" else "sk-ant-…",
        help="Kept in memory for this browser session only: never saved, logged or shown. "
        f"To configure it permanently set {KEY_VARS[provider]} in .streamlit/secrets.toml "
        "or the environment.",
        autocomplete="off",
    )
