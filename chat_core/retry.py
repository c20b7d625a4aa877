"""When the engine retries a failed request by itself, and what it tells the person meanwhile."""

from __future__ import annotations

import random
from dataclasses import dataclass

from chat_core.errors import ChatError, ProviderUnavailable, RateLimited


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Automatic retries of what the provider said is temporary, before the first token only;
    never after text (or reasoning) has arrived.

    Retried: answers with an HTTP status the provider marks retryable (408, 409, 429, 5xx,
    529, or any status with ``x-should-retry: true``; ``x-should-retry: false`` wins) and
    overload / rate-limit events inside a stream. A refused connection or a timeout of ours
    is shown at once instead. At most ``max_retries`` times, waiting the provider's
    ``retry-after`` or else ``backoff_s * 2**attempt`` less up to ``jitter`` of it (random, as
    the SDKs do, so many clients do not come back in step), but never longer than
    ``max_wait_s``: a longer wait is reported to the person instead.
    """

    max_retries: int = 2
    backoff_s: float = 1.0
    max_wait_s: float = 20.0
    jitter: float = 0.25

    def delay_for(self, error: ChatError, attempt: int) -> float | None:
        if not error.retryable or attempt >= self.max_retries:
            return None
        if error.status is None and not isinstance(error, RateLimited | ProviderUnavailable):
            return None
        if error.retry_after_s is not None:
            delay = error.retry_after_s
        else:
            delay = self.backoff_s * 2**attempt * (1 - self.jitter * random.random())
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
