"""What an answer cost, in US dollars, from the ``genai-prices`` price library.

A cost is only ever a number we can stand behind: an unknown model, a local server (Ollama,
vLLM, the wire server in the tests), the demo provider or an answer without token usage (a
stopped OpenAI stream) has *no* cost (``None``), never a guessed one. Gateways with their own
rates are priced from ``[prices."model-name"]`` tables in secrets.toml (``input`` and
``output`` in $ per million tokens), which win over the library.

Which price list applies (genai-prices 0.2: ``calc_price`` with ``provider_id`` or
``provider_api_url``): the provider's own list when no base URL is set; otherwise the list
whose API pattern matches the base URL (Azure, OpenRouter, Groq, DeepSeek, ... are known to
the library), and none for any other URL. Reasoning tokens are part of the output tokens for
both OpenAI and Anthropic and are billed as output; genai-prices treats
``output_reasoning_tokens`` as a breakdown of ``output_tokens``, so they never count twice.
Prices can change over time; an answer is priced at the moment it started.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from chat_core.errors import ConfigurationError
from chat_core.metrics import StreamMetrics

PRICES_TABLE = "prices"
"""The secrets.toml table with price overrides: ``[prices."model-name"]``."""
BUDGET_VAR = "STREAMCHAT_SESSION_BUDGET_USD"
"""secrets.toml or environment: a session spend limit in US dollars (unset = no limit)."""
MILLION = Decimal(1_000_000)

# Which genai-prices provider id a Streamchat provider bills as when no base URL is set.
# "openai-compatible" has no default: only its base URL can say who bills.
PRICE_LIST = {"openai": "openai", "anthropic": "anthropic"}


@dataclass(frozen=True, slots=True)
class Price:
    """A price override: US dollars per million input and output tokens."""

    input_per_mtok: Decimal
    output_per_mtok: Decimal


@dataclass(frozen=True, slots=True)
class Cost:
    """The price of one answer in US dollars; ``source`` names the price list
    ("genai-prices: openai", "secrets.toml")."""

    input_usd: Decimal
    output_usd: Decimal
    source: str

    @property
    def total_usd(self) -> Decimal:
        return self.input_usd + self.output_usd

    def to_dict(self) -> dict[str, str]:
        """Amounts as decimal strings (exact, unlike JSON floats)."""
        return {"input_usd": str(self.input_usd), "output_usd": str(self.output_usd),
                "source": self.source}  # fmt: skip

    @classmethod
    def from_dict(cls, data: Any) -> Cost:
        """Inverse of ``to_dict``; raises ``ValueError`` on anything malformed."""
        if not isinstance(data, dict):
            raise ValueError("a cost must be an object")
        try:
            amounts = Decimal(str(data["input_usd"])), Decimal(str(data["output_usd"]))
        except (KeyError, InvalidOperation) as exc:
            raise ValueError("a cost needs input_usd and output_usd amounts") from exc
        if not all(a.is_finite() and a >= 0 for a in amounts):
            raise ValueError("cost amounts must be zero or more")
        return cls(amounts[0], amounts[1], str(data.get("source", "")))


@dataclass(frozen=True, slots=True)
class CostTotal:
    """A running total: the sum of the priced answers and how many answers had no price."""

    usd: Decimal = Decimal(0)
    priced: int = 0
    unpriced: int = 0

    def add(self, cost: Cost | None) -> CostTotal:
        if cost is None:
            return CostTotal(self.usd, self.priced, self.unpriced + 1)
        return CostTotal(self.usd + cost.total_usd, self.priced + 1, self.unpriced)

    def describe(self) -> str:
        """ "$0.0123" / "$0.0123 (2 answers without a price)" / "" when nothing was priced."""
        if not self.priced:
            return ""
        text = format_usd(self.usd)
        if self.unpriced:
            plural = "s" if self.unpriced != 1 else ""
            text += f" ({self.unpriced} answer{plural} without a price)"
        return text


def answer_cost(
    provider: str,
    model: str,
    *,
    input_tokens: int | None,
    output_tokens: int | None,
    reasoning_tokens: int | None = None,
    base_url: str | None = None,
    started_at: float | None = None,
    overrides: Mapping[str, Price] | None = None,
) -> Cost | None:
    """The cost of one answer, or ``None`` when it cannot be known (see the module doc).

    ``started_at`` is a ``time.time()`` instant (prices in effect then); ``None`` = now.
    Both token counts must be known: half a usage report gives no price at all.
    """
    if input_tokens is None or output_tokens is None:
        return None
    override = (overrides or {}).get(model)
    if override is not None:
        return Cost(
            Decimal(input_tokens) * override.input_per_mtok / MILLION,
            Decimal(output_tokens) * override.output_per_mtok / MILLION,
            "secrets.toml",
        )
    if provider == "demo":
        return None
    provider_id = None if base_url else PRICE_LIST.get(provider)
    if provider_id is None and not base_url:
        return None
    return _library_cost(
        model,
        input_tokens,
        output_tokens,
        reasoning_tokens,
        provider_id=provider_id,
        base_url=base_url,
        started_at=started_at,
    )


def _library_cost(
    model: str,
    input_tokens: int,
    output_tokens: int,
    reasoning_tokens: int | None,
    *,
    provider_id: str | None,
    base_url: str | None,
    started_at: float | None,
) -> Cost | None:
    from genai_prices import Usage, calc_price  # ~0.2 s to load its data: only when needed

    usage: dict[str, int] = {"input_tokens": input_tokens, "output_tokens": output_tokens}
    if reasoning_tokens is not None and 0 <= reasoning_tokens <= output_tokens:
        usage["output_reasoning_tokens"] = reasoning_tokens
    when = None if started_at is None else datetime.fromtimestamp(started_at, tz=UTC)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the library warns about usage keys it ignores
            if provider_id is not None:
                price = calc_price(
                    Usage(**usage), model, provider_id=provider_id, genai_request_timestamp=when
                )
            else:
                price = calc_price(
                    Usage(**usage), model, provider_api_url=base_url, genai_request_timestamp=when
                )
    except LookupError:  # unknown model, or a URL no price list matches (a local server)
        return None
    return Cost(
        Decimal(price.input_price),
        Decimal(price.output_price),
        f"genai-prices: {price.provider.id}",
    )


def warm() -> None:
    """Load genai-prices and its price data now (~1.1 s the first time here), so the first
    priced answer's caption does not wait for it."""
    answer_cost("openai", "gpt-4o-mini", input_tokens=0, output_tokens=0)


def metrics_cost(
    metrics: StreamMetrics,
    *,
    base_url: str | None = None,
    overrides: Mapping[str, Price] | None = None,
) -> Cost | None:
    """``answer_cost`` for a ``StreamMetrics`` (provider, model, tokens, ``started_at``)."""
    return answer_cost(
        metrics.provider,
        metrics.model,
        input_tokens=metrics.input_tokens,
        output_tokens=metrics.output_tokens,
        reasoning_tokens=getattr(metrics, "reasoning_tokens", None),
        base_url=base_url,
        started_at=metrics.started_at,
        overrides=overrides,
    )


def total_cost(costs: Iterable[Cost | None]) -> CostTotal:
    total = CostTotal()
    for cost in costs:
        total = total.add(cost)
    return total


def price_overrides(secrets: Mapping[str, Any]) -> dict[str, Price]:
    """The ``[prices."model-name"]`` tables of secrets.toml: ``{model: Price}``.

    Each table needs ``input`` and ``output``, non-negative numbers in $ per million tokens;
    anything else raises ``ConfigurationError`` naming the model (a typo must not silently
    fall back to another price list).
    """
    table = secrets.get(PRICES_TABLE)
    if table is None:
        return {}
    if not isinstance(table, Mapping):
        raise ConfigurationError(
            'The [prices] setting in secrets.toml must be tables like [prices."gpt-4o"] '
            "with input and output prices in $ per million tokens."
        )
    found: dict[str, Price] = {}
    for model, entry in table.items():
        if not isinstance(entry, Mapping):
            raise ConfigurationError(
                f'[prices."{model}"] in secrets.toml must have input and output prices '
                "in $ per million tokens, e.g. input = 0.15 and output = 0.60."
            )
        found[str(model)] = Price(
            _usd(entry.get("input"), f'[prices."{model}"] input'),
            _usd(entry.get("output"), f'[prices."{model}"] output'),
        )
    return found


def _usd(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigurationError(
            f"{where} in secrets.toml must be a number ($ per million tokens)."
        )
    try:
        amount = Decimal(str(value))
    except InvalidOperation as exc:
        raise ConfigurationError(
            f"{where} in secrets.toml must be a number ($ per million tokens)."
        ) from exc
    if not amount.is_finite() or amount < 0:
        raise ConfigurationError(f"{where} in secrets.toml must be zero or more.")
    return amount


def session_budget(
    secrets: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Decimal | None:
    """The session spend limit in US dollars (``STREAMCHAT_SESSION_BUDGET_USD`` in secrets,
    then the environment), or ``None``. A value that is not a positive number raises
    ``ConfigurationError``."""
    env = os.environ if environ is None else environ
    value: Any = None
    if secrets is not None:
        value = secrets.get(BUDGET_VAR)
    if value is None or value == "":
        value = env.get(BUDGET_VAR)
    if value is None or value == "":
        return None
    try:
        amount = float(value)
    except (TypeError, ValueError):
        amount = math.nan
    if not math.isfinite(amount) or amount <= 0:
        raise ConfigurationError(
            f"{BUDGET_VAR} must be a positive amount in US dollars, e.g. 5 or 0.50."
        )
    return Decimal(str(value))


def budget_warning(
    spent: CostTotal, budget: Decimal | None, next_cost: Cost | None = None
) -> str | None:
    """The question to ask before sending, or ``None`` when sending stays within ``budget``.

    ``next_cost`` is a lower bound for the next answer (e.g. its input alone, from
    ``answer_cost(..., output_tokens=0)``); answers without a price count as $0.
    """
    if budget is None:
        return None
    if spent.usd >= budget:
        return (
            f"This session has spent {format_usd(spent.usd)}, which reaches your "
            f"{format_usd(budget)} budget. Send anyway?"
        )
    if next_cost is not None and spent.usd + next_cost.total_usd > budget:
        return (
            f"This message would exceed your {format_usd(budget)} budget (spent so far: "
            f"{format_usd(spent.usd)}; this one at least {format_usd(next_cost.total_usd)}). "
            "Send anyway?"
        )
    return None


def format_usd(amount: Decimal) -> str:
    """ "$12.40", "$0.13", and below a cent two significant digits: "$0.0042", "$0.000075"."""
    if amount == 0:
        return "$0.00"
    if abs(amount) >= Decimal("0.01"):
        return f"${amount:,.2f}"
    rounded = amount.quantize(Decimal(1).scaleb(amount.adjusted() - 1))
    return f"${rounded:f}"
