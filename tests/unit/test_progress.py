from __future__ import annotations

import pytest

from chat_core.progress import ProgressEstimator

KEY = ("gpt-test", "Be brief.")


def test_progress_without_history_or_bound_uses_the_default_length() -> None:
    estimator = ProgressEstimator(default_chars=1000)
    assert estimator.expected_chars(KEY, None) == 1000
    assert estimator.estimate(KEY, 250, None) == pytest.approx(0.25)


def test_progress_uses_max_tokens_times_four_characters() -> None:
    estimator = ProgressEstimator()
    assert estimator.expected_chars(KEY, 500) == 2000
    assert estimator.estimate(KEY, 1000, 500) == pytest.approx(0.5)


def test_progress_uses_the_running_average_of_earlier_answers_per_key() -> None:
    estimator = ProgressEstimator()
    estimator.record(KEY, 800)
    estimator.record(KEY, 1200)
    assert estimator.expected_chars(KEY, None) == 1000
    assert estimator.estimate(KEY, 500, None) == pytest.approx(0.5)
    assert estimator.expected_chars(("other-model", "Be brief."), None) == 2000
    stats = estimator.stats(KEY)
    assert stats is not None and stats.count == 2 and stats.average_chars == 1000


def test_progress_takes_the_smaller_of_average_and_token_bound() -> None:
    estimator = ProgressEstimator()
    estimator.record(KEY, 10_000)
    assert estimator.expected_chars(KEY, 1000) == 4000
    estimator.record(KEY, 0)
    estimator.record(KEY, 0)
    estimator.record(KEY, 0)
    assert estimator.expected_chars(KEY, 4000) == 2500


def test_progress_never_reaches_one_before_the_end() -> None:
    estimator = ProgressEstimator(cap=0.97)
    for chars in (0, 10, 1999, 2000, 4000, 10**6, 10**12):
        value = estimator.estimate(KEY, chars, 500)
        assert 0 <= value <= 0.97 < 1.0


def test_progress_past_the_expected_length_creeps_towards_the_cap() -> None:
    estimator = ProgressEstimator(cap=0.97, knee=0.8)
    values = [estimator.estimate(KEY, chars, None) for chars in range(1500, 8000, 250)]
    assert all(later > earlier for earlier, later in zip(values, values[1:], strict=False))
    assert all(value < 0.97 for value in values)
    assert values[-1] > 0.96


def test_progress_is_continuous_at_the_knee() -> None:
    estimator = ProgressEstimator(knee=0.8, default_chars=1000)
    below = estimator.estimate(KEY, 799, None)
    above = estimator.estimate(KEY, 801, None)
    assert above - below == pytest.approx(0.002, abs=1e-4)


def test_progress_tracker_never_goes_back_and_ends_at_one() -> None:
    estimator = ProgressEstimator(default_chars=1000)
    tracker = estimator.tracker(KEY, None)
    assert tracker.value == 0.0
    assert tracker.update(500) == pytest.approx(0.5)
    assert tracker.update(100) == pytest.approx(0.5)
    assert tracker.update(5000) < 1.0
    assert not tracker.is_finished
    assert tracker.finished() == 1.0
    assert tracker.update(10) == 1.0
    assert tracker.is_finished


def test_progress_tracker_keeps_its_expected_length_while_others_are_recorded() -> None:
    estimator = ProgressEstimator(default_chars=1000)
    tracker = estimator.tracker(KEY, None)
    estimator.record(KEY, 100)
    assert tracker.expected_chars == 1000
    assert tracker.update(500) == pytest.approx(0.5)


def test_progress_rejects_nonsense() -> None:
    estimator = ProgressEstimator()
    with pytest.raises(ValueError):
        estimator.record(KEY, -1)
    with pytest.raises(ValueError):
        estimator.estimate(KEY, -1, None)
    with pytest.raises(ValueError):
        estimator.expected_chars(KEY, 0)
    with pytest.raises(ValueError):
        ProgressEstimator(knee=0.98, cap=0.97)
