"""JSON from strangers (API bodies, imported chats), read so that bad input is refused in words.

``json.loads`` alone accepts ``NaN``/``Infinity`` (not JSON, and ``float("inf")`` breaks
metrics later), recurses once per ``[`` (200,000 of them raise ``RecursionError``, a traceback)
and turns ``"\\ud800"`` into a lone surrogate that cannot be encoded again (an internal error
once the text is sent on). ``load_json`` checks all three before anything uses the value.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 64
"""Nesting deeper than this is refused; real chats and API bodies need 4 or 5 levels."""

_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[{]|[\]}]')


class UnsafeJson(ValueError):
    """The text is not JSON this program accepts; ``str(exc)`` is a message for people."""


def load_json(raw: str | bytes, *, max_depth: int = MAX_DEPTH) -> Any:
    """The parsed value of ``raw`` (UTF-8 bytes or text).

    Raises ``UnsafeJson`` for invalid UTF-8, invalid JSON, ``NaN``/``Infinity``, nesting
    deeper than ``max_depth`` and strings holding lone surrogates (``"\\ud800"``).
    """
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise UnsafeJson("The file or body is not valid JSON: it is not UTF-8 text.") from None
    else:
        text = raw
    depth = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > max_depth:
                raise UnsafeJson(f"The JSON is nested more than {max_depth} levels deep.")
        elif token in "]}":
            depth -= 1
    try:
        value = json.loads(text, parse_constant=_no_constant)
    except UnsafeJson:
        raise
    except (ValueError, RecursionError):
        raise UnsafeJson("That file or body is not valid JSON.") from None
    check_text(value)
    return value


def check_text(value: Any) -> None:
    """Raise ``UnsafeJson`` if any string (or key) in ``value`` cannot be encoded as UTF-8
    (lone surrogates). ``value`` must be at most ``MAX_DEPTH`` deep (``load_json`` checks)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if not is_encodable(item):
                raise UnsafeJson("The text holds an invalid character (a lone surrogate).")
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def is_encodable(text: str) -> bool:
    """Whether ``text`` can be sent as UTF-8 (no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _no_constant(name: str) -> Any:
    raise UnsafeJson(f"The JSON holds {name}, which is not a number JSON allows.")
