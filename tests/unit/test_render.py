from __future__ import annotations

import pytest

from chat_core.blocks import split_blocks
from chat_core.markdown import DisplayTransformer, to_display
from chat_core.render import BlockFeed
from tests.unit.markdown_samples import DOCUMENTS, MATH, assert_grouped, chunkings


def page(pieces: list[str]) -> list[str]:
    """What the page writes: one element per block, in order (ui/live.py ``LiveText``)."""
    feed = BlockFeed()
    elements = [""]
    for segments in [*(feed.feed(p) for p in pieces), feed.finish()]:
        elements[-1] += segments[0]
        elements.extend(segments[1:])
    return [e for e in elements if e]


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_render_streamed_blocks_concatenate_to_the_display_text(name: str) -> None:
    text = DOCUMENTS[name]
    expected = to_display(text)
    for pieces in chunkings(text, count=40, seed=4):
        assert "".join(page(pieces)) == expected


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_render_streamed_blocks_are_the_blocks_of_the_finished_text(name: str) -> None:
    text = DOCUMENTS[name]
    history = split_blocks(to_display(text))
    for pieces in chunkings(text, count=20, seed=5):
        assert_grouped(page(pieces), history)


def test_render_blocks_carry_display_text() -> None:
    blocks = split_blocks(to_display(MATH))
    assert "\\$5 a month" in blocks[1] and "$a^2 + b^2 = c^2$" in blocks[1]
    # a math block stays with the paragraph before it (its top margin would not collapse)
    assert "The energy is\n\n$$\nE = mc^2\n$$\n\n" in blocks
    assert not any("\\[" in block and "\\]" in block for block in blocks if "```" not in block)


def shown(frames: list[str]) -> list[str]:
    """What the display transform lets out per frame (empty ones left out), then its flush."""
    transformer = DisplayTransformer()
    out = [transformer.feed(frame) for frame in frames] + [transformer.flush()]
    return [piece for piece in out if piece]


def test_render_display_transform_holds_back_undecided_output_and_flushes_the_end() -> None:
    assert shown(["costs $", "5", " \\", "(x\\", ")", " end \\"]) == [
        "costs ",
        "\\$5",
        " ",
        "$x",
        "$",
        " end ",
        "\\",
    ]
    assert shown([]) == []
