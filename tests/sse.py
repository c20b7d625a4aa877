"""Reading our own SSE API's events in tests."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from chat_core.sse_decode import decode_events


def parse_events(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Decode the ``data:`` events of an SSE body (lines without their newline) as JSON.
    Comments and other fields are skipped; multi-line data is joined."""
    for event in decode_events(lines):
        yield json.loads(event.data)
