from __future__ import annotations

import pytest

from chat_core.blocks import split_blocks
from chat_core.markdown import to_display
from chat_core.render import display_blocks, display_frames, display_history_blocks
from tests.unit.markdown_samples import DOCUMENTS, MATH, assert_grouped, chunkings


def page(pieces: list[str]) -> list[str]:
    """What the chat page writes: one element per block, in order (the app's loop)."""
    elements = []
    for block in display_blocks(pieces):
        elements.append("".join(block))
    return elements


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_render_streamed_blocks_concatenate_to_the_display_text(name: str) -> None:
    text = DOCUMENTS[name]
    expected = to_display(text)
    for pieces in chunkings(text, count=40, seed=4):
        assert "".join(page(pieces)) == expected


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_render_history_shows_the_same_blocks_the_stream_left(name: str) -> None:
    text = DOCUMENTS[name]
    history = display_history_blocks(text)
    assert history == split_blocks(to_display(text))
    for pieces in chunkings(text, count=20, seed=5):
        assert_grouped(page(pieces), history)


def test_render_blocks_carry_display_text() -> None:
    blocks = display_history_blocks(MATH)
    assert "\\$5 a month" in blocks[1] and "$a^2 + b^2 = c^2$" in blocks[1]
    # a math block stays with the paragraph before it (its top margin would not collapse)
    assert "The energy is\n\n$$\nE = mc^2\n$$\n\n" in blocks
    assert not any("\\[" in block and "\\]" in block for block in blocks if "```" not in block)


def test_render_answer_with_reference_definitions_is_one_history_block() -> None:
    text = "See [the docs][d] and a note[^1].\n\nMore.\n\n[d]: https://example.com\n[^1]: A note."
    assert display_history_blocks(text) == [text]
    assert display_history_blocks("") == []


def test_render_display_frames_skip_held_back_output_and_flush_the_end() -> None:
    assert list(display_frames(["costs $", "5", " \\", "(x\\", ")", " end \\"])) == [
        "costs ",
        "\\$5",
        " ",
        "$x",
        "$",
        " end ",
        "\\",
    ]
    assert list(display_frames([])) == []
