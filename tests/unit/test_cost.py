"""Cost of an answer from the real genai-prices data (no prices are mocked)."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from chat_core.cost import (
    Cost,
    CostTotal,
    Price,
    answer_cost,
    budget_warning,
    format_usd,
    metrics_cost,
    price_overrides,
    session_budget,
    total_cost,
)
from chat_core.errors import ConfigurationError
from chat_core.metrics import StreamMetrics
from chat_core.types import StreamStatus


def test_gpt_4o_mini_is_priced_at_its_published_rate() -> None:
    # $0.15 / M input, $0.60 / M output (OpenAI's price list, as genai-prices carries it).
    cost = answer_cost("openai", "gpt-4o-mini", input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost is not None
    assert cost.input_usd == Decimal("0.15")
    assert cost.output_usd == Decimal("0.6")
    assert cost.total_usd == Decimal("0.75")
    assert cost.source == "genai-prices: openai"


def test_dated_model_names_find_their_family() -> None:
    plain = answer_cost("anthropic", "claude-sonnet-4-5", input_tokens=100, output_tokens=100)
    dated = answer_cost(
        "anthropic", "claude-sonnet-4-5-20250929", input_tokens=100, output_tokens=100
    )
    assert plain is not None and dated is not None
    assert plain.total_usd == dated.total_usd == Decimal("0.0018")  # $3 in + $15 out per M


def test_reasoning_tokens_are_billed_once_as_output() -> None:
    without = answer_cost("openai", "o4-mini", input_tokens=100, output_tokens=500)
    with_reasoning = answer_cost(
        "openai", "o4-mini", input_tokens=100, output_tokens=500, reasoning_tokens=400
    )
    assert without is not None and with_reasoning is not None
    assert with_reasoning.total_usd == without.total_usd


@pytest.mark.parametrize(
    ("provider", "model", "base_url"),
    [
        ("openai", "my-fine-tune-that-does-not-exist", None),
        ("openai-compatible", "llama3.2", "http://localhost:11434/v1"),
        ("openai-compatible", "gpt-4o-mini", "http://127.0.0.1:8000/v1"),  # a local proxy
        ("openai", "gpt-4o-mini", "https://gateway.example.com/v1"),  # unknown gateway
        ("openai-compatible", "gpt-4o-mini", None),
        ("demo", "demo-1", None),
    ],
)
def test_unknown_models_and_local_servers_have_no_cost(
    provider: str, model: str, base_url: str | None
) -> None:
    cost = answer_cost(provider, model, input_tokens=10, output_tokens=10, base_url=base_url)
    assert cost is None


def test_a_known_gateway_is_priced_from_its_own_list() -> None:
    cost = answer_cost(
        "openai",
        "gpt-4o-mini",
        input_tokens=1000,
        output_tokens=1000,
        base_url="https://api.openai.com/v1",
    )
    assert cost is not None and cost.total_usd == Decimal("0.00075")


def test_missing_usage_gives_no_cost_rather_than_a_wrong_one() -> None:
    assert answer_cost("openai", "gpt-4o", input_tokens=120, output_tokens=None) is None
    assert answer_cost("openai", "gpt-4o", input_tokens=None, output_tokens=40) is None


def test_overrides_from_secrets_win_over_the_library() -> None:
    overrides = price_overrides(
        {
            "prices": {
                "gpt-4o-mini": {"input": 1, "output": "2.5"},
                "llama3.2": {"input": 0.1, "output": 0.2},
            }
        }
    )
    assert overrides["gpt-4o-mini"] == Price(Decimal(1), Decimal("2.5"))
    gateway = answer_cost(
        "openai",
        "gpt-4o-mini",
        input_tokens=2_000_000,
        output_tokens=1_000_000,
        overrides=overrides,
    )
    assert gateway == Cost(Decimal(2), Decimal("2.5"), "secrets.toml")
    local = answer_cost(
        "openai-compatible",
        "llama3.2",
        input_tokens=1_000_000,
        output_tokens=0,
        base_url="http://localhost:11434/v1",
        overrides=overrides,
    )
    assert local is not None and local.total_usd == Decimal("0.1")


@pytest.mark.parametrize(
    "secrets",
    [
        {"prices": "cheap"},
        {"prices": {"gpt-4o": 3}},
        {"prices": {"gpt-4o": {"input": 1}}},
        {"prices": {"gpt-4o": {"input": -1, "output": 1}}},
        {"prices": {"gpt-4o": {"input": "one", "output": 1}}},
        {"prices": {"gpt-4o": {"input": True, "output": 1}}},
    ],
)
def test_malformed_price_overrides_are_refused_in_plain_words(secrets: dict[str, object]) -> None:
    with pytest.raises(ConfigurationError) as caught:
        price_overrides(secrets)
    assert "prices" in caught.value.user_message


def test_no_price_table_means_no_overrides() -> None:
    assert price_overrides({"OPENAI_API_KEY": "sk-x"}) == {}


def _metrics(
    provider: str, model: str, tokens_in: int | None, tokens_out: int | None
) -> StreamMetrics:
    return StreamMetrics(
        provider=provider,
        model=model,
        status=StreamStatus.COMPLETE,
        started_at=time.time(),
        total_s=1.0,
        ttft_s=0.2,
        streaming_s=0.8,
        chunk_count=10,
        char_count=40,
        input_tokens=tokens_in,
        output_tokens=tokens_out,
    )


def test_chat_total_counts_answers_without_a_price() -> None:
    answers = [
        _metrics("openai", "gpt-4o-mini", 1_000_000, 0),
        _metrics("openai", "gpt-4o-mini", None, None),  # stopped: no usage
        _metrics("openai", "gpt-4o-mini", 0, 1_000_000),
    ]
    total = total_cost(metrics_cost(m) for m in answers)
    assert total == CostTotal(Decimal("0.75"), priced=2, unpriced=1)
    assert total.describe() == "$0.75 (1 answer without a price)"
    assert total_cost([None, None]).describe() == ""


def test_budget_asks_before_sending_past_the_limit() -> None:
    spent = CostTotal(Decimal("4.90"), priced=3)
    assert budget_warning(spent, None) is None
    assert budget_warning(spent, Decimal(5)) is None
    next_input = answer_cost("openai", "gpt-4o", input_tokens=100_000, output_tokens=0)
    assert next_input is not None  # $0.25 of input alone
    warning = budget_warning(spent, Decimal(5), next_input)
    assert warning is not None and "would exceed your $5.00 budget" in warning
    reached = budget_warning(CostTotal(Decimal("5.01"), priced=4), Decimal(5))
    assert reached is not None and "reaches your $5.00 budget" in reached


def test_session_budget_comes_from_secrets_then_environment() -> None:
    assert session_budget({}, {}) is None
    assert session_budget({"STREAMCHAT_SESSION_BUDGET_USD": 2.5}, {}) == Decimal("2.5")
    assert session_budget({}, {"STREAMCHAT_SESSION_BUDGET_USD": "0.50"}) == Decimal("0.50")
    for bad in ("-1", "0", "lots", "nan"):
        with pytest.raises(ConfigurationError):
            session_budget({}, {"STREAMCHAT_SESSION_BUDGET_USD": bad})


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("0", "$0.00"),
        ("0.000075", "$0.000075"),
        ("0.00421", "$0.0042"),
        ("12.4", "$12.40"),
        ("1234.567", "$1,234.57"),
    ],
)
def test_amounts_read_as_dollars(amount: str, shown: str) -> None:
    assert format_usd(Decimal(amount)) == shown
