"""The metrics page reports the same numbers as the caption under the answer."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.e2e.conftest import ChatPage, playwright_expect
from tests.wire_server import Scenario, WireServer

pytestmark = pytest.mark.e2e
expect = playwright_expect()

TABLE = '[data-testid="stDataFrame"]'


def _ttft(caption: str) -> str:
    m = re.search(r"TTFT (\d+\.\d\d) s", caption)
    assert m, f"no TTFT in {caption!r}"
    return m.group(1)


def _grid_rows(chat: ChatPage, n: int) -> list[dict[str, str]]:
    """The answers table's ``n`` rows, from the data grid's accessibility table (the grid
    itself is drawn on a canvas; its hidden table fills in after the element appears)."""
    grid = chat.page.locator(TABLE).first.locator("table")
    expect(grid.locator("tbody tr")).to_have_count(n)
    headers = [h.strip() for h in grid.locator('thead th, [role="columnheader"]').all_inner_texts()]
    rows = []
    for row in grid.locator("tbody tr").all():
        cells = [c.strip() for c in row.locator('td, [role="gridcell"]').all_inner_texts()]
        rows.append(dict(zip(headers[-len(cells) :], cells, strict=True)))
    return rows


def test_metrics_page_shows_the_ttft_of_the_caption(chat: ChatPage, wire: WireServer) -> None:
    # Distinct time to first token per answer, so a mix-up between rows would show.
    wire.enqueue(
        Scenario.text("A quick answer.", first_byte_delay=0.05),
        Scenario.text("A slower first token, then the rest.", first_byte_delay=0.6),
    )
    chat.send("first")
    chat.send("second")
    captions = [chat.caption(m) for m in chat.assistants().all()]
    ttfts = [_ttft(c) for c in captions]
    assert float(ttfts[1]) >= 0.6 > float(ttfts[0])

    chat.go_to_page("Metrics", ready=TABLE)
    expect(chat.page.get_by_text("2 answers in this browser session.")).to_be_visible()

    rows = _grid_rows(chat, 2)
    assert [r["#"] for r in rows] == ["1", "2"]
    assert [f"{float(r['TTFT (s)']):.2f}" for r in rows] == ttfts
    assert [r["status"] for r in rows] == ["complete", "complete"]
    assert [r["chars"] for r in rows] == ["15", "36"]

    # The selected answer's summary uses the very same words as the chat caption.
    summary = chat.page.get_by_text(re.compile(r"^status complete · TTFT"))
    expect(summary).to_have_count(1)
    # (The caption starts with the answer's status badge, the summary with "status".)
    metrics_words = captions[1].removeprefix("check Complete · ")
    assert summary.inner_text() == f"status complete · {metrics_words}"

    table = list(csv.DictReader(io.StringIO(chat.download("Download CSV", in_sidebar=False))))
    assert [f"{float(r['TTFT (s)']):.2f}" for r in table] == ttfts
    assert [r["tokens out"] for r in table] == [
        str(wire.requests[0].scenario.completion_tokens or len(wire.requests[0].scenario.chunks)),
        str(wire.requests[1].scenario.completion_tokens or len(wire.requests[1].scenario.chunks)),
    ]
