"""An unexpected exception is logged as one line — its type and where it was raised — never
with its message (it can carry prompt text or a key) and never as a traceback."""

from __future__ import annotations

import logging

import pytest

from chat_core.errors import where_raised
from chat_core.types import StreamStatus
from tests.unit.scripted import ScriptedProvider, Step, make, text_steps

SECRET = "sk-live-should-never-be-logged and the person's prompt"


def _raise_inside() -> None:
    {"a": 1}[SECRET]


def test_where_raised_names_the_type_and_place_not_the_message() -> None:
    try:
        _raise_inside()
    except KeyError as exc:
        line = where_raised(exc)
    assert line.startswith("KeyError at tests/unit/test_unexpected_errors_log.py:")
    assert line.endswith("in _raise_inside")
    assert SECRET not in line and "\n" not in line


def test_a_provider_bug_is_logged_without_message_or_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider = ScriptedProvider([*text_steps("kept "), Step(RuntimeError(SECRET))])
    with caplog.at_level(logging.DEBUG):
        result = make(provider).wait(5)
    assert result.status is StreamStatus.ERROR and result.text == "kept "
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError at tests/unit/scripted.py:" in logged
    assert SECRET not in logged
    assert not any(r.exc_info or r.exc_text for r in caplog.records)
    assert "Traceback" not in caplog.text and 'File "' not in caplog.text
