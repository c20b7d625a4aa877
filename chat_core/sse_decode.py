"""Reading server-sent events: the bytes of an SSE body into (event, data) pairs.

The providers read the model's stream with this instead of the SDKs' per-chunk objects: the
SDK still builds and sends the request, raises its status errors and owns the connection,
but building a pydantic model for every 4-character chunk cost ~95 us of CPU per chunk
against ~16 us for this and ``json.loads`` (bench/core_overhead.py, bench/load.py). On a
Streamlit server every session's stream shares one GIL, so that was most of its CPU.

Follows the SSE format (https://html.spec.whatwg.org/multipage/server-sent-events.html) the
way openai 3.x and anthropic 2.x decode it (their ``_streaming.SSEDecoder``):

- lines end at CR, LF or CRLF only. U+2028, U+2029 and U+0085 are text: they may stand raw
  inside a JSON string (``str.splitlines`` and httpx's ``iter_lines`` would split there);
- ``field: value`` lines with one optional space after the colon, ``data`` lines joined with
  ``\\n``, comment lines starting with ``:``; an event is dispatched at each blank line;
- an event still open when the body ends (no blank line after it) is dropped, as the spec and
  the SDKs do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SSEEvent:
    event: str | None
    """The ``event:`` field (Anthropic's event types), None when absent (OpenAI)."""
    data: str


def iter_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """The lines of a body given as byte chunks, without their endings (CR, LF or CRLF).

    Split on bytes before decoding: in UTF-8 no multi-byte character contains a CR or LF byte,
    so a character cut between two chunks waits in the pending part. Raises
    ``UnicodeDecodeError`` for a line that is not UTF-8."""
    pending = b""
    skip_lf = False  # the previous chunk ended with CR: a LF starting this one belongs to it
    for chunk in chunks:
        if not chunk:
            continue
        if skip_lf:
            skip_lf = False
            if chunk[0] == 10:
                chunk = chunk[1:]
        if pending:
            chunk = pending + chunk
        if b"\r" in chunk:  # rare: most servers send LF only
            skip_lf = chunk.endswith(b"\r")
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = chunk.split(b"\n")
        pending = lines.pop()
        for line in lines:
            yield line.decode()
    if pending:
        yield pending.decode()


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
        elif name == "data":  # a bare "data" line: an empty data line
            data.append("")
