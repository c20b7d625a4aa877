"""What each model accepts: one profile table, end-of-life dates with replacements, and the
request values a model will not refuse (``fit_request``).

Sources (checked 2026-11-29):

- Anthropic end-of-life dates: the anthropic SDK's own table (``anthropic._data.
  DEPRECATED_MODELS``, read as data from the installed SDK's file at import; ``_SDK_EOL``
  below is the copy used when the SDK moves it). Replacements: platform.claude.com/docs/en/about-claude/model-deprecations.
- OpenAI shutdown dates: the ``ChatModel`` docstring of openai 3.57
  (``openai/types/shared/chat_model.py``) and developers.openai.com/api/docs/deprecations,
  which also names the replacements. ``GET /v1/models`` reports ``shutdown_date`` per model;
  a listed date wins over this table (chat_core/model_list.py).
- Temperature: OpenAI reasoning models (o-series, GPT-5 and GPT-6 families) refuse any
  temperature but the default with HTTP 400 (developers.openai.com deployment checklist:
  "When reasoning effort is not none, remove temperature"); Claude Opus 4.7 and later, and
  the Claude 5 generation, answer any temperature with HTTP 400 "`temperature` is deprecated
  for this model." (anthropics/skills claude-api/shared/error-codes.md; user reports).
  Anthropic's range is 0 to 1, OpenAI's 0 to 2.
- Extended thinking (``thinking={"type": "enabled", "budget_tokens": N}``, N >= 1024 and
  < ``max_tokens``, no temperature): platform.claude.com/docs/en/build-with-claude/
  extended-thinking. Claude 4.7 and later refuse it (400) and think adaptively instead;
  Opus 4.6 still takes it but the SDK warns it is deprecated there
  (``anthropic._data.MODELS_TO_WARN_WITH_THINKING_ENABLED``), so it is not offered.
- Max output tokens: the providers' model pages (OpenAI: GPT-4o 16,384, GPT-4.1 32,768,
  GPT-5/6 128,000; Anthropic: Haiku/Sonnet 4.5 64,000, Sonnet 4.6 and later 128,000).
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

from chat_core.config import PROVIDER_LABELS, TEMPERATURE_RANGE
from chat_core.errors import ConfigurationError

EFFORT_O = ("low", "medium", "high")
EFFORT_GPT5 = ("minimal", "low", "medium", "high")
EFFORT_GPT51 = ("none", "low", "medium", "high", "xhigh")
EFFORT_GPT6 = ("none", "low", "medium", "high", "xhigh", "max")
MIN_THINKING_BUDGET = 1024
"""Anthropic's lower bound for ``budget_tokens``."""


@dataclass(frozen=True, slots=True)
class ModelProfile:
    """What a model accepts. ``temperature=False``: only the provider's default, so none is
    sent. ``reasoning_efforts``: the ``reasoning_effort`` values offered (empty: not sent).
    ``thinking``: Anthropic extended thinking with a token budget. ``max_output_tokens``:
    the most ``max_tokens`` may ask for (None: unknown, not bounded here). ``end_of_life``
    with ``replacement``: the provider's shutdown date and its suggested successor.
    ``known=False``: a model the table does not know, treated permissively."""

    temperature: bool = True
    temperature_range: tuple[float, float] = (0.0, 2.0)
    max_output_tokens: int | None = None
    reasoning_efforts: tuple[str, ...] = ()
    thinking: bool = False
    end_of_life: dt.date | None = None
    replacement: str | None = None
    known: bool = True

    def retired(self, today: dt.date) -> bool:
        return self.end_of_life is not None and today >= self.end_of_life


_DATED = r"(-\d{4}-\d{2}-\d{2}|-\d{8}|-latest)?"
_r = dataclasses.replace
_GPT = ModelProfile()
_O = ModelProfile(temperature=False, max_output_tokens=100_000, reasoning_efforts=EFFORT_O)
_GPT5 = _r(_O, max_output_tokens=128_000, reasoning_efforts=EFFORT_GPT5)
_CLAUDE = ModelProfile(temperature_range=(0.0, 1.0), max_output_tokens=64_000)
_CLAUDE_NEW = _r(_CLAUDE, temperature=False, max_output_tokens=128_000)

PROFILES: tuple[tuple[str, ModelProfile], ...] = (
    # OpenAI, most specific first (``re.fullmatch`` on the model id, dated snapshots included).
    (r"gpt-4o-mini" + _DATED, _r(_GPT, max_output_tokens=16_384)),
    (r"(gpt-4o|chatgpt-4o)" + _DATED, _r(_GPT, max_output_tokens=16_384)),
    (r"gpt-4\.1(-mini|-nano)?" + _DATED, _r(_GPT, max_output_tokens=32_768)),
    (r"gpt-(4|3\.5)(-turbo)?.*", _r(_GPT, max_output_tokens=4_096)),
    (r"o\d(-[a-z0-9-]+)?", _O),  # o1, o3-pro, o4-mini-deep-research, snapshots
    (r"gpt-5(-mini|-nano|-pro)?" + _DATED, _GPT5),
    (r"gpt-5\.\d.*", _r(_GPT5, reasoning_efforts=EFFORT_GPT51)),
    # GPT-6 Astra and 6.1 Sol do not take "none" (OpenAI deployment checklist).
    (r"gpt-6(-astra|\.\d-sol|\.\d-astra).*", _r(_GPT5, reasoning_efforts=EFFORT_GPT6[1:])),
    (r"gpt-6.*", _r(_GPT5, reasoning_efforts=EFFORT_GPT6)),
    # Anthropic.
    (r"claude-(sonnet|haiku|opus)-4-5" + _DATED, _r(_CLAUDE, thinking=True)),
    (r"claude-sonnet-4-6" + _DATED, _r(_CLAUDE, max_output_tokens=128_000, thinking=True)),
    (r"claude-opus-4-6" + _DATED, _r(_CLAUDE, max_output_tokens=128_000)),
    (r"claude-(opus-4-[7-9]|[a-z]+-[5-9](-\d+)?|mythos-preview)" + _DATED, _CLAUDE_NEW),
    (r"claude-.*", _r(_CLAUDE, max_output_tokens=None)),
)
"""Capabilities by model-id pattern; the first full match wins, no match is permissive."""

_SDK_EOL: dict[str, str] = {
    "claude-mythos-preview": "June 30th, 2026",
    "claude-opus-4-5": "January 22nd, 2027",
    "claude-opus-4-5-20251101": "January 22nd, 2027",
    "claude-sonnet-4-5": "November 30th, 2026",
    "claude-sonnet-4-5-20250929": "November 30th, 2026",
}
"""anthropic 2.14 ``_data/deprecated_models.py``, used when the SDK no longer ships it."""

LIFECYCLE: dict[str, tuple[str, str]] = {
    # model (and its snapshots) -> (end of life, replacement)
    "claude-sonnet-4-5": ("2026-11-30", "claude-sonnet-4-6"),
    "claude-opus-4-5": ("2027-01-22", "claude-opus-4-8"),
    "claude-sonnet-4-0": ("2026-06-15", "claude-sonnet-4-6"),
    "claude-sonnet-4-20250514": ("2026-06-15", "claude-sonnet-4-6"),
    "claude-opus-4-0": ("2026-06-15", "claude-opus-4-8"),
    "claude-opus-4-20250514": ("2026-06-15", "claude-opus-4-8"),
    "claude-opus-4-1": ("2026-08-05", "claude-opus-4-8"),
    "claude-opus-4-1-20250805": ("2026-08-05", "claude-opus-4-8"),
    "claude-3-7-sonnet-latest": ("2026-02-19", "claude-sonnet-4-6"),
    "claude-3-7-sonnet-20250219": ("2026-02-19", "claude-sonnet-4-6"),
    "claude-3-5-haiku-latest": ("2026-02-19", "claude-haiku-4-5"),
    "claude-3-5-haiku-20241022": ("2026-02-19", "claude-haiku-4-5"),
    "gpt-4o-mini": ("2027-01-14", "gpt-6-luna"),
    "gpt-4o-mini-2024-07-18": ("2027-01-14", "gpt-6-luna"),
    "gpt-4o": ("2027-01-14", "gpt-6.1-sol"),
    "gpt-4o-2024-11-20": ("2027-01-14", "gpt-6.1-sol"),
    "gpt-4o-2024-08-06": ("2027-01-14", "gpt-6.1-sol"),
    "gpt-4.1": ("2027-01-14", "gpt-6.1-sol"),
    "gpt-4.1-2025-04-14": ("2027-01-14", "gpt-6.1-sol"),
    "gpt-4.1-mini": ("2027-01-14", "gpt-6-luna"),
    "gpt-4.1-mini-2025-04-14": ("2027-01-14", "gpt-6-luna"),
    "gpt-5": ("2026-12-11", "gpt-6.1-sol"),
    "gpt-5-2025-08-07": ("2026-12-11", "gpt-6.1-sol"),
    "gpt-5-mini": ("2026-12-11", "gpt-6.1-terra"),
    "gpt-5-mini-2025-08-07": ("2026-12-11", "gpt-6.1-terra"),
    "o3": ("2026-12-11", "gpt-6.1-sol"),
    "o3-2025-04-16": ("2026-12-11", "gpt-6.1-sol"),
    "gpt-5.1": ("2027-04-01", "gpt-6.1-sol"),
    "gpt-4.1-nano": ("2026-10-23", "gpt-6-luna"),
    "o4-mini": ("2026-10-23", "gpt-5.6-terra"),
    "o4-mini-2025-04-16": ("2026-10-23", "gpt-5.6-terra"),
    "o3-mini": ("2026-10-23", "gpt-5.6-sol"),
    "o1": ("2026-10-23", "gpt-5.6-sol"),
    "gpt-4-turbo": ("2026-10-23", "gpt-5.6-sol"),
    "gpt-4": ("2026-10-23", "gpt-5.6-sol"),
    "gpt-3.5-turbo": ("2026-10-23", "gpt-5.6-terra"),
}
"""End of life and the provider's suggested replacement, by exact model id."""


def _sdk_table() -> dict[str, str]:
    """The installed anthropic SDK's ``DEPRECATED_MODELS`` (``anthropic/_data/
    deprecated_models.py``), read as data: importing ``anthropic._data`` would import the whole
    SDK (~1.6 s of CPU) on every first page, also where nobody uses Anthropic. Empty when the
    SDK or the file is missing or changed shape (``_SDK_EOL`` then stands in)."""
    spec = importlib.util.find_spec("anthropic")  # finds the package without importing it
    if spec is None or spec.origin is None:
        return {}
    path = Path(spec.origin).parent / "_data" / "deprecated_models.py"
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    for node in tree.body:
        target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id == "DEPRECATED_MODELS" and value is not None:
            try:
                table = ast.literal_eval(value)
            except ValueError:
                return {}
            if isinstance(table, dict):
                return {str(k): str(v) for k, v in table.items()}
    return {}


def _sdk_dates() -> dict[str, dt.date]:
    """The anthropic SDK's end-of-life dates ("November 30th, 2026") as dates."""
    raw: dict[str, str] = {**_SDK_EOL, **_sdk_table()}  # the SDK's own, refreshed per release
    out: dict[str, dt.date] = {}
    for model, text in raw.items():
        try:
            plain = re.sub(r"(\d+)(st|nd|rd|th)\b", r"\1", text)
            out[model] = dt.datetime.strptime(plain, "%B %d, %Y").date()
        except ValueError:
            continue
    return out


END_OF_LIFE: dict[str, dt.date] = {
    **{m: dt.date.fromisoformat(d) for m, (d, _) in LIFECYCLE.items()},
    **_sdk_dates(),
}


_LEARNED: dict[str, dict[str, object]] = {}


def learn(
    model: str,
    *,
    end_of_life: dt.date | None = None,
    max_output_tokens: int | None = None,
    thinking: bool | None = None,
) -> None:
    """Record what OpenAI's or Anthropic's own model list says about ``model`` (shutdown
    date, max output tokens, extended-thinking support); ``profile`` prefers it to the
    table. None leaves the table's value."""
    facts: dict[str, object] = {
        "end_of_life": end_of_life,
        "max_output_tokens": max_output_tokens,
        "thinking": thinking,
    }
    known = {k: v for k, v in facts.items() if v is not None}
    if known:
        _LEARNED[model.strip().lower()] = known


def profile(model: str) -> ModelProfile:
    """The profile of ``model`` (a provider's model id; case and spaces ignored), with its
    end-of-life date and replacement. Unknown models get a permissive profile
    (``known=False``): any temperature, no effort, no thinking, no bound on max tokens.
    What the provider's model list said (``learn``) wins over the table."""
    name = model.strip().lower()
    found = next((p for pattern, p in PROFILES if re.fullmatch(pattern, name)), None)
    base = found or ModelProfile(known=False)
    eol = END_OF_LIFE.get(name)
    base = dataclasses.replace(base, end_of_life=eol, replacement=replacement_for(name))
    learned = _LEARNED.get(name)
    return dataclasses.replace(base, **learned) if learned else base  # type: ignore[arg-type]


def replacement_for(model: str) -> str | None:
    """The model its provider suggests instead of a deprecated or retired ``model`` (the
    error for a retired model's 404 names it), or None."""
    name = model.strip().lower()
    entry = LIFECYCLE.get(name) or LIFECYCLE.get(re.sub(r"-(\d{8}|\d{4}-\d{2}-\d{2})$", "", name))
    return entry[1] if entry else None


def deprecation_notice(model: str, today: dt.date | None = None) -> str | None:
    """A short sentence for a model with an end-of-life date ("… reaches end-of-life on
    2026-11-30; … recommends claude-sonnet-4-6."), or None for a current model."""
    p = profile(model)
    if p.end_of_life is None:
        return None
    day = today or dt.date.today()
    instead = f" Use {p.replacement} instead." if p.replacement else ""
    if p.retired(day):
        return f"{model} reached its end-of-life date ({p.end_of_life.isoformat()}).{instead}"
    return f"{model} is deprecated and reaches end-of-life on {p.end_of_life.isoformat()}.{instead}"


def current_models(models: tuple[str, ...], today: dt.date | None = None) -> tuple[str, ...]:
    """``models`` without those past their end-of-life date."""
    day = today or dt.date.today()
    return tuple(m for m in models if not profile(m).retired(day))


@dataclass(frozen=True, slots=True)
class RequestParams:
    """The values to send for one answer (None: not sent, the provider's default)."""

    temperature: float | None
    max_tokens: int | None
    reasoning_effort: str | None = None
    thinking_budget_tokens: int | None = None


def fit_request(
    provider: str,
    model: str,
    *,
    temperature: float | None = None,
    max_tokens: int | None = None,
    reasoning_effort: str | None = None,
    thinking_budget_tokens: int | None = None,
) -> RequestParams:
    """What to send so ``model`` does not refuse the request.

    - temperature: dropped for models that only take the default, and with extended
      thinking; outside the model's range raises ``ConfigurationError``.
    - max_tokens: bounded by the model's max output tokens.
    - reasoning_effort: only an effort the model offers, only to OpenAI-style APIs.
    - thinking (Anthropic, models that support it): budget at least 1024 tokens, and
      ``max_tokens`` raised to budget + max_tokens when it would not exceed the budget (the
      budget counts toward ``max_tokens``; the answer keeps the room the person asked for).
    """
    p = profile(model)
    effort = reasoning_effort if reasoning_effort in p.reasoning_efforts else None
    if provider not in ("openai", "openai-compatible"):
        effort = None
    budget: int | None = None
    if provider == "anthropic" and p.thinking and thinking_budget_tokens:
        budget = max(MIN_THINKING_BUDGET, int(thinking_budget_tokens))
    temp = temperature if p.temperature and budget is None else None
    if temp is not None:
        check_temperature(provider, temp, model)
    tokens = max_tokens
    if budget is not None:
        tokens = tokens or 4096
        if tokens <= budget:
            tokens = budget + tokens
    if tokens is not None and p.max_output_tokens is not None:
        tokens = min(tokens, p.max_output_tokens)
    if budget is not None and tokens is not None and budget >= tokens:
        budget = max(MIN_THINKING_BUDGET, tokens - 1)
    return RequestParams(temp, tokens, effort, budget)


def temperature_range(provider: str, model: str | None = None) -> tuple[float, float]:
    """The accepted temperature range: the model's when known, else the provider's."""
    if model:
        p = profile(model)
        if p.known:
            return p.temperature_range
    return TEMPERATURE_RANGE.get(provider, (0.0, 2.0))


def check_temperature(provider: str, temperature: float | None, model: str | None = None) -> None:
    """Raise ``ConfigurationError`` for a temperature the provider (or model) refuses."""
    if temperature is None:
        return
    low, high = temperature_range(provider, model)
    if not low <= temperature <= high:
        known = model is not None and profile(model).known
        who = model if known else PROVIDER_LABELS.get(provider, provider)
        raise ConfigurationError(
            f"Temperature {temperature:g} is out of range for {who} ({low:g} to {high:g})."
        )


def retired_message(provider: str, model: str, replacement: str) -> str:
    """The error for a model the provider no longer serves (its 404), naming the successor."""
    return (
        f"{provider} no longer serves '{model}' (retired or deprecated). Use {replacement} instead."
    )
