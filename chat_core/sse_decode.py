"""Reading server-sent events: the lines of an SSE body into (event, data) pairs.

The providers read the model's stream with this instead of the SDKs' per-chunk objects: the
SDK still builds and sends the request, raises its status errors and owns the connection,
but building a pydantic model for every 4-character chunk cost ~95 us of CPU per chunk
against ~16 us for this and ``json.loads`` (bench/core_overhead.py, bench/load.py). On a
Streamlit server every session's stream shares one GIL, so that was most of its CPU.

Follows the SSE format (https://html.spec.whatwg.org/multipage/server-sent-events.html):
``field: value`` lines with one optional space after the colon, ``data`` lines joined with
``\\n``, comment lines starting with ``:``, an event dispatched at each blank line. An event
without a blank line at the end of the body is dispatched too (the SDKs do the same).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SSEEvent:
    event: str | None
    """The ``event:`` field (Anthropic's event types), None when absent (OpenAI)."""
    data: str


def decode_events(lines: Iterable[str]) -> Iterator[SSEEvent]:
    """The events of an SSE body given as lines without their line endings."""
    event: str | None = None
    data: list[str] = []
    for line in lines:
        if not line:
            if data:
                yield SSEEvent(event, "\n".join(data))
            event, data = None, []
            continue
        if line.startswith("data:"):  # the hot path: one per chunk
            data.append(line[6:] if line.startswith("data: ") else line[5:])
            continue
        if line[0] == ":":
            continue
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "event":
            event = value
    if data:
        yield SSEEvent(event, "\n".join(data))
