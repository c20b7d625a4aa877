"""What the chat page renders for an answer: display text (markdown.py) cut into blocks (blocks.py).

Streaming, inside the assistant's ``st.chat_message``::

    with st.container():                   # one inner container (docs/design.md §23)
        for block in display_blocks(frames):
            st.write_stream(block)         # one element per block; only the tail re-renders

Each finished block is written once and the live tail block streams through its own
``st.write_stream``, so the work per answer is linear. ``frames`` is the raw answer text in
pieces (e.g. coalesced frames); keep the raw text from them for the history, not the return
value of ``st.write_stream`` (that is display text). A finished message re-renders as one
``st.markdown(to_display(text))`` in place of that inner container (an element replacing a
block leaves no stale children), which is the same markdown; ``display_history_blocks`` says
which blocks the stream leaves behind for a finished text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from chat_core.blocks import iter_blocks, split_blocks
from chat_core.frame_cost import FrameCost
from chat_core.markdown import DisplayTransformer, to_display

__all__ = ["display_blocks", "display_frames", "display_history_blocks"]

_DEFINITION = re.compile(r"^ {0,3}\[[^\]\n]+\]:", re.MULTILINE)
"""A link reference or footnote definition: it only applies within its own block."""


def display_frames(frames: Iterable[str]) -> Iterator[str]:
    """``frames`` transformed for display; empty results are skipped, the end is flushed."""
    transformer = DisplayTransformer()
    for frame in frames:
        shown = transformer.feed(frame)
        if shown:
            yield shown
    tail = transformer.flush()
    if tail:
        yield tail


def display_blocks(frames: Iterable[str], cost: FrameCost | None = None) -> Iterator[Iterator[str]]:
    """The streamed answer as display blocks: ``iter_blocks(display_frames(frames))``.

    Consume the inner iterators in order, one ``st.write_stream`` each; their pieces
    concatenate to ``to_display`` of the whole raw text.
    """
    return iter_blocks(display_frames(frames), cost)


def display_history_blocks(text: str) -> list[str]:
    """A finished answer as display blocks, cut where ``display_blocks`` cuts it.

    An answer with link reference or footnote definitions stays one block, so that its
    references resolve (while streaming they cannot be known in advance).
    """
    shown = to_display(text)
    if _DEFINITION.search(shown):
        return [shown] if shown else []
    return split_blocks(shown)
