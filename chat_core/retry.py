"""When a stream retries by itself: 429 and 5xx answers, before the first token only."""

from __future__ import annotations

from dataclasses import dataclass

from chat_core.errors import ChatError, ProviderUnavailable, RateLimited


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Automatic retries of 429 and 5xx answers, before the first token only; never after text
    has arrived.

    A retryable error is retried at most ``max_retries`` times, waiting the provider's
    ``retry-after`` (or ``backoff_s * 2**attempt``), but never longer than ``max_wait_s``:
    a longer wait is reported to the person instead.
    """

    max_retries: int = 2
    backoff_s: float = 1.0
    max_wait_s: float = 20.0

    def delay_for(self, error: ChatError, attempt: int) -> float | None:
        # Only what the provider said is temporary (429, 5xx, 529, overload events); a refused
        # connection or a timeout is shown at once with a Retry button instead.
        if not isinstance(error, RateLimited | ProviderUnavailable):
            return None
        if not error.retryable or attempt >= self.max_retries:
            return None
        delay = (
            error.retry_after_s if error.retry_after_s is not None else self.backoff_s * 2**attempt
        )
        return delay if delay <= self.max_wait_s else None


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(max_retries=0)


def retry_notice(error: ChatError, delay_s: float) -> str:
    who = error.provider or "the provider"
    if isinstance(error, RateLimited):
        what = f"Rate limited by {who}"
    else:
        what = f"{who} is busy or unreachable"
    return f"{what} — retrying in {_seconds(delay_s)}"


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 1 else f"{value:.1f} s"
