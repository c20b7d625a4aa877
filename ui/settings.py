"""Chat settings: where keys come from, the plain session keys that hold the settings, and the
sidebar widgets that edit them.

Settings live in plain ``st.session_state`` keys (``provider``, ``system``, ...), not only in
widget keys, because Streamlit drops a widget's state in any run that does not draw it, e.g.
after visiting another page (docs/design.md §9). Each widget is seeded from its plain key
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

import streamlit as st

from chat_core import DEFAULT_SYSTEM_PROMPT, ChatStream, Message, start_chat
from chat_core.config import (
    BASE_URL_VARS,
    DEFAULT_COMPATIBLE_BASE_URL,
    KEY_VARS,
    MODELS,
    PROVIDER_LABELS,
    PROVIDERS,
    ProviderSettings,
    check_temperature,
    default_provider,
    resolve,
)
from chat_core.errors import ConfigurationError
from chat_core.models import temperature_range
from chat_core.providers import Provider, make_provider
from chat_core.stream import ErrorCallback, ResultCallback
from chat_core.url_policy import check_base_url, private_urls_allowed
from ui.model_settings import (  # the parameter keys, re-exported for the compare page
    DEFAULT_MAX_TOKENS as DEFAULT_MAX_TOKENS,
)
from ui.model_settings import DEFAULT_TEMPERATURE as DEFAULT_TEMPERATURE
from ui.model_settings import MAX_TOKENS as MAX_TOKENS
from ui.model_settings import MAX_TOKENS_LIMIT as MAX_TOKENS_LIMIT
from ui.model_settings import (
    PROVIDER_DEFAULT,
    TEMPERATURE_SET,
    bind,
    chosen_parameters,
    copy_back,
    init_parameters,
    render_model_picker,
    render_parameters,
    render_temperature_choice,
    temperature_shown,
)
from ui.model_settings import TEMPERATURE as TEMPERATURE
from ui.model_settings import (
    model_key as model_key,
)
from ui.model_settings import render_max_tokens as render_max_tokens
from ui.secrets import read_secrets
from ui.visitor import is_local

__all__ = ["read_secrets"]  # the one reader of secrets lives in ui/secrets.py

log = logging.getLogger(__name__)

TIMEOUT_S = 60.0

PROVIDER = "provider"
SYSTEM = "system"
BASE_URL = "base_url_openai-compatible"
SMOOTH_TYPING = "smooth_typing"
SESSION_PROVIDERS = "session_providers"


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
    temperature: float | None
    """None: the provider's default (nothing is sent)."""
    max_tokens: int
    reasoning_effort: str | None = None
    thinking_budget_tokens: int | None = None
    """Anthropic extended thinking's budget; None: off."""
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
        the provider would refuse anyway (temperature out of range, no key, bad base URL).
        Only what the model accepts is sent (``chat_core.models.fit_request``)."""
        return start_chat(
            messages,
            provider=make_provider(self.resolved(), session_cache=self.providers),
            model=self.model,
            system=self.system.strip() or None,
            temperature=self.temperature,
            max_tokens=self.max_tokens,
            reasoning_effort=self.reasoning_effort,
            thinking_budget_tokens=self.thinking_budget_tokens,
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
    init_parameters()
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
        **chosen_parameters(),
        base_url=str(ss[BASE_URL]).strip() or None if provider == "openai-compatible" else None,
        api_key=ss.get(api_key_key(provider)),
        smooth_typing=bool(ss.get(SMOOTH_TYPING, False)),
        secrets=secrets,
        private_urls=private_urls_allowed(
            local_visitor=is_local(), settings=secrets, environ=os.environ
        ),
        providers=ss.setdefault(SESSION_PROVIDERS, {}),
    )


# -- sidebar widgets -----------------------------------------------------------------------------


_bind = bind
_copy_back = copy_back


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
    compatible_url = str(ss[BASE_URL]).strip() or None if provider == "openai-compatible" else None
    render_model_picker(
        provider,
        secrets,
        api_key=ss.get(api_key_key(provider)),
        base_url=compatible_url,
        disabled=disabled,
    )
    if provider == "openai-compatible":
        render_base_url(disabled=disabled)
    if provider != "demo":
        render_key_field(provider, secrets)
    render_system_prompt(disabled=disabled)
    render_parameters(provider, str(ss[model_key(provider)]).strip(), disabled=disabled)
    st.toggle(
        "Smooth typing",
        help="Type the answer out at an even pace instead of in bursts as it arrives; "
        "never more than about a second behind the model.",
        disabled=disabled,
        **_bind(SMOOTH_TYPING),
    )


# The widgets below are shared by the chat page's sidebar and the compare page's.


def render_base_url(*, disabled: bool = False) -> None:
    """The OpenAI-compatible server's base URL, with a warning when it looks wrong."""
    ss = st.session_state
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


def render_system_prompt(*, disabled: bool = False) -> None:
    st.text_area(
        "System prompt",
        height=90,
        help="Sent with every request as the model's instructions.",
        disabled=disabled,
        **_bind(SYSTEM),
    )


def render_temperature(providers: Sequence[str], *, disabled: bool = False) -> None:
    """The chat page's temperature control for several providers at once (the compare page):
    "provider default" until a value is chosen, then a warning for each provider that would
    refuse it."""
    ss = st.session_state
    ranges = []
    for provider in providers:
        low, high = temperature_range(provider)
        ranges.append(f"{PROVIDER_LABELS.get(provider, provider)} accepts {low:g} to {high:g}")
    render_temperature_choice(
        temperature_shown(),
        help=f"“{PROVIDER_DEFAULT}” sends none (each provider's default). Higher is more "
        "varied; " + "; ".join(ranges) + ".",
        disabled=disabled,
    )
    if not ss.get(TEMPERATURE_SET):
        return
    for provider in providers:
        try:
            check_temperature(provider, float(ss[TEMPERATURE]))
        except ConfigurationError as exc:
            st.warning(exc.user_message, icon=":material/thermostat:")


def render_key_field(provider: str, secrets: Mapping[str, str]) -> None:
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
