"""How far along a streaming answer probably is: ``ProgressEstimator`` and ``AnswerProgress``.

Nothing in a stream says how long the answer will be, so the estimate divides the characters
so far by an expected length:

- the running average final length of earlier *complete* answers for the same key (e.g.
  ``(model, system_prompt)``), when there is one;
- the ``max_tokens`` bound (about ``chars_per_token`` characters a token), which the answer
  cannot exceed by much; the smaller of the two wins;
- ``default_chars`` when neither is known.

The fraction grows linearly up to ``knee`` and then approaches ``cap`` asymptotically, so an
answer longer than expected keeps creeping forward and never shows 100 % before it ended;
only ``AnswerProgress.finished()`` gives ``1.0``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

__all__ = ["AnswerProgress", "LengthStats", "ProgressEstimator"]


@dataclass(frozen=True, slots=True)
class LengthStats:
    """Final lengths (characters) recorded for one key."""

    count: int
    total_chars: int

    @property
    def average_chars(self) -> float:
        return self.total_chars / self.count


class ProgressEstimator:
    """Expected answer lengths per key. Mutable (``record``); not thread-safe: one per session."""

    def __init__(
        self,
        *,
        chars_per_token: float = 4.0,
        cap: float = 0.97,
        knee: float = 0.8,
        default_chars: int = 2000,
    ) -> None:
        if not 0 < knee < cap < 1:
            raise ValueError("need 0 < knee < cap < 1")
        if chars_per_token <= 0 or default_chars <= 0:
            raise ValueError("chars_per_token and default_chars must be positive")
        self._chars_per_token = chars_per_token
        self._cap = cap
        self._knee = knee
        self._default_chars = default_chars
        self._stats: dict[Hashable, LengthStats] = {}

    @property
    def cap(self) -> float:
        return self._cap

    def record(self, key: Hashable, final_chars: int) -> None:
        """Remember the length of a *complete* answer (not one stopped, failed or cut off)."""
        if final_chars < 0:
            raise ValueError("final_chars must be >= 0")
        stats = self._stats.get(key)
        if stats is None:
            self._stats[key] = LengthStats(1, final_chars)
        else:
            self._stats[key] = LengthStats(stats.count + 1, stats.total_chars + final_chars)

    def stats(self, key: Hashable) -> LengthStats | None:
        return self._stats.get(key)

    def expected_chars(self, key: Hashable, max_tokens: int | None) -> float:
        """The length an answer for ``key`` is expected to reach (always > 0)."""
        if max_tokens is not None and max_tokens <= 0:
            raise ValueError("max_tokens must be positive or None")
        candidates: list[float] = []
        stats = self._stats.get(key)
        if stats is not None and stats.total_chars > 0:
            candidates.append(stats.average_chars)
        if max_tokens is not None:
            candidates.append(max_tokens * self._chars_per_token)
        return min(candidates) if candidates else float(self._default_chars)

    def fraction(self, chars_so_far: int, expected_chars: float) -> float:
        """Estimated completion for ``chars_so_far`` of ``expected_chars``: in [0, cap)."""
        if chars_so_far < 0:
            raise ValueError("chars_so_far must be >= 0")
        share = chars_so_far / expected_chars
        if share <= self._knee:
            return share
        # Continues the line with slope 1 at the knee, then flattens towards the cap.
        room = self._cap - self._knee
        return self._cap - room * math.exp(-(share - self._knee) / room)

    def estimate(self, key: Hashable, chars_so_far: int, max_tokens: int | None) -> float:
        """Completion of an unfinished answer: in [0, cap), never 1.0."""
        return self.fraction(chars_so_far, self.expected_chars(key, max_tokens))

    def tracker(self, key: Hashable, max_tokens: int | None) -> AnswerProgress:
        """A per-answer progress that only moves forward; the expected length is fixed now."""
        return AnswerProgress(self, self.expected_chars(key, max_tokens))


class AnswerProgress:
    """Progress of one streaming answer. Mutable; never decreases; 1.0 only once finished."""

    def __init__(self, estimator: ProgressEstimator, expected_chars: float) -> None:
        self._estimator = estimator
        self._expected_chars = expected_chars
        self._value = 0.0
        self._finished = False

    @property
    def value(self) -> float:
        return self._value

    @property
    def expected_chars(self) -> float:
        return self._expected_chars

    @property
    def is_finished(self) -> bool:
        return self._finished

    def update(self, chars_so_far: int) -> float:
        """The progress after ``chars_so_far`` characters (at least the previous value)."""
        if not self._finished:
            estimate = self._estimator.fraction(chars_so_far, self._expected_chars)
            self._value = max(self._value, estimate)
        return self._value

    def finished(self) -> float:
        """The answer ended (for any reason): progress is 1.0 from now on."""
        self._finished = True
        self._value = 1.0
        return self._value
