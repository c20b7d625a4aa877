"""Splitting an SSE body into lines and events the way the SDKs do."""

from __future__ import annotations

import pytest

from chat_core.sse_decode import SSEEvent, decode_events, iter_lines

BODY = "data: a\u2028b\r\n\r\ndata: c\rdata: d\r\rdata: \u00e9\u0085\n\n: comment\n\ndata: e\n"


@pytest.mark.parametrize("size", [1, 2, 3, 5, 64])
def test_lines_end_only_at_cr_lf_or_crlf_wherever_the_chunks_are_cut(size: int) -> None:
    raw = BODY.encode()
    chunks = [raw[i : i + size] for i in range(0, len(raw), size)]
    assert list(iter_lines(chunks)) == [
        "data: a\u2028b",
        "",
        "data: c",
        "data: d",
        "",
        "data: \u00e9\u0085",
        "",
        ": comment",
        "",
        "data: e",
    ]


def test_events_are_dispatched_at_blank_lines_only() -> None:
    events = list(decode_events(iter_lines([BODY.encode()])))
    # The last event has no blank line after it: dropped, as the SDKs and the spec do.
    assert events == [
        SSEEvent(None, "a\u2028b"),
        SSEEvent(None, "c\nd"),
        SSEEvent(None, "\u00e9\u0085"),
    ]
