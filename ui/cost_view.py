"""Cost in the page: the part of an answer's caption, the chat and session totals, the budget.

The prices come from chat_core/cost.py (genai-prices, or ``[prices."model"]`` overrides in
secrets.toml). An answer without a known price shows nothing, never $0.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import streamlit as st

from chat_core.config import resolve
from chat_core.conversation import Turn
from chat_core.cost import (
    Cost,
    CostTotal,
    Price,
    budget_warning,
    format_usd,
    metrics_cost,
    price_overrides,
    session_budget,
    total_cost,
)
from chat_core.errors import ConfigurationError

log = logging.getLogger(__name__)


def read_price_settings(*, quiet: bool = False) -> tuple[dict[str, Price], Decimal | None]:
    """Price overrides and the session budget from ``st.secrets`` / the environment. A
    missing secrets file means none; a malformed entry is ignored (prices then come from
    genai-prices only) and, unless ``quiet``, explained in the page."""
    secrets: Mapping[str, Any] = {}
    try:
        secrets = {
            name: st.secrets.get(name) for name in ("prices", "STREAMCHAT_SESSION_BUDGET_USD")
        }
    except FileNotFoundError:  # includes StreamlitSecretNotFoundError: no or unparsable file
        secrets = {}
    except OSError:
        log.warning("could not read the Streamlit secrets file for prices")
    secrets = {k: v for k, v in secrets.items() if v is not None}
    overrides: dict[str, Price] = {}
    budget: Decimal | None = None
    try:
        overrides = price_overrides(secrets)
    except ConfigurationError as exc:
        if not quiet:
            st.warning(exc.user_message, icon=":material/payments:")
    try:
        budget = session_budget(secrets)
    except ConfigurationError as exc:
        if not quiet:
            st.warning(exc.user_message, icon=":material/payments:")
    return overrides, budget


def price_answer(
    turn: Turn, *, base_url: str | None, secrets: Mapping[str, str] | None = None
) -> None:
    """Price a finished answer once, with the base URL it was sent to (the sidebar's, else
    the one secrets or the environment configure), and keep the cost on the turn (captions,
    totals, exports and the store read it from there)."""
    if turn.role != "assistant" or turn.metrics is None:
        return
    try:
        sent_to = resolve(turn.metrics.provider, base_url=base_url, secrets=secrets).base_url
    except ConfigurationError:
        return
    overrides, _ = read_price_settings(quiet=True)
    turn.cost = metrics_cost(turn.metrics, base_url=sent_to, overrides=overrides)


def cost_part(turn: Turn) -> str | None:
    """ "$0.0012" for the caption under an answer; ``None`` when it has no price."""
    return None if turn.cost is None else format_usd(turn.cost.total_usd)


def answers_total(turns: Iterable[Turn]) -> CostTotal:
    """Total over finished assistant turns, every version of each answer included (each one
    was paid for), each turn counted once."""
    seen: set[str] = set()
    costs: list[Cost | None] = []
    for turn in turns:
        for answer in turn.versions or [turn]:
            if answer.role == "assistant" and answer.metrics is not None and answer.id not in seen:
                seen.add(answer.id)
                costs.append(answer.cost)
    return total_cost(costs)


def totals_caption(chat: CostTotal, session: CostTotal) -> str:
    """ "Cost: this chat $0.0042 · this session $0.013", or "" when nothing had a price."""
    if not session.priced:
        return ""
    return f"Cost: this chat {chat.describe() or '$0.00'} · this session {session.describe()}"


BUDGET_CONFIRMED = "budget_confirmed"
"""Session key: the budget (as text) the person chose to go past."""


def _confirm_budget(budget: Decimal) -> None:
    st.session_state[BUDGET_CONFIRMED] = str(budget)


def budget_gate(session_answers: Iterable[Turn]) -> bool:
    """Whether the chat box may send. Once this session's priced answers reach the budget
    (``STREAMCHAT_SESSION_BUDGET_USD``), a warning with "Continue anyway" shows and the chat
    box stays disabled until it is pressed, so no typed message is lost to the question."""
    _, budget = read_price_settings(quiet=True)
    question = budget_warning(answers_total(session_answers), budget)
    if question is None or budget is None:
        return True
    if st.session_state.get(BUDGET_CONFIRMED) == str(budget):
        return True
    st.warning(question.replace(" Send anyway?", ""), icon=":material/savings:")
    st.button(
        "Continue anyway",
        key="budget_continue",
        icon=":material/check:",
        on_click=_confirm_budget,
        args=(budget,),
    )
    return False
