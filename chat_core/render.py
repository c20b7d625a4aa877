"""What the page renders for an answer: display text (markdown.py) cut into blocks (blocks.py).

``BlockFeed`` is the one block renderer of the app (chat and compare, docs/design.md §22-24):
push raw answer text in as frames arrive and get *segments* of display text back; the first
segment continues the live tail block, each further one starts a new block. The page writes
finished blocks once, in their own elements, and re-renders only the live tail, so the work
per answer is linear. A finished message is redrawn later as one ``st.markdown(to_display(text))``
in place of the blocks' container, which is the same markdown.
"""

from __future__ import annotations

from chat_core.blocks import BlockSplitter
from chat_core.frame_cost import FrameCost
from chat_core.markdown import DisplayTransformer

__all__ = ["BlockFeed"]


class BlockFeed:
    """Raw answer text in, display segments out (see the module doc). Mutable; one answer,
    ``finish`` once. ``cost.tail_chars`` follows the live tail's length (frame_cost.py)."""

    def __init__(self, cost: FrameCost | None = None) -> None:
        self._display = DisplayTransformer()
        self._splitter = BlockSplitter()
        self._cost = cost

    def feed(self, raw: str) -> list[str]:
        return self._track(self._splitter.feed(self._display.feed(raw)))

    def finish(self) -> list[str]:
        segments = self._splitter.feed(self._display.flush())
        rest = self._splitter.flush()
        segments[-1] += rest[0]
        return self._track(segments + rest[1:])

    def _track(self, segments: list[str]) -> list[str]:
        if self._cost is not None:
            if len(segments) > 1:
                self._cost.tail_chars = 0
            self._cost.tail_chars += len(segments[-1])
        return segments
