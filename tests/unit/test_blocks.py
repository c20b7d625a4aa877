from __future__ import annotations

import pytest

from chat_core.blocks import (
    BlockSplitter,
    Fence,
    closes_fence,
    fence_opening,
    list_marker,
    split_blocks,
)
from tests.unit.markdown_samples import DOCUMENTS, HOWTO, assert_grouped, chunkings


def streamed(pieces: list[str]) -> list[list[str]]:
    """What the page shows, one list of pieces per element: the segments of one frame that
    finish blocks join the current element, the live tail starts the next (ui/live.py
    ``LiveText``, one new element per frame at most)."""
    splitter = BlockSplitter()
    elements: list[list[str]] = [[]]
    for segments in [*(splitter.feed(piece) for piece in pieces), splitter.flush()]:
        if len(segments) > 1:
            head = "".join(segments[:-1])
            if head:
                elements[-1].append(head)
            elements.append([])
        if segments[-1]:
            elements[-1].append(segments[-1])
    return [element for element in elements if element]


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_blocks_concatenate_to_the_input_for_any_chunking(name: str) -> None:
    text = DOCUMENTS[name]
    for pieces in chunkings(text):
        blocks = streamed(pieces)
        assert "".join("".join(block) for block in blocks) == text


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_streamed_blocks_are_cut_where_split_blocks_cuts(name: str) -> None:
    text = DOCUMENTS[name]
    expected = split_blocks(text)
    assert len(expected) > 3
    for pieces in chunkings(text, seed=1):
        assert_grouped(["".join(block) for block in streamed(pieces)], expected)
    # One character per frame: every block is its own element.
    assert ["".join(block) for block in streamed(list(text))] == expected


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_only_the_last_piece_of_a_block_may_end_in_whitespace(name: str) -> None:
    for pieces in chunkings(DOCUMENTS[name], count=20, seed=2):
        for block in streamed(pieces):
            assert all(block), "no empty pieces"
            for piece in block[:-1]:
                assert piece == piece.rstrip(), (piece, block)


def test_split_blocks_cuts_at_blank_lines_between_blocks() -> None:
    blocks = split_blocks(HOWTO)
    assert blocks[0] == "# Deploying the app\n\n"
    # the whole loose ordered list, with code and a nested list inside, is one block, and
    # it stays with the paragraph before it (a list's top margin would not collapse)
    assert blocks[1].startswith("This guide") and "and a shell.\n\n1. Install" in blocks[1]
    assert blocks[1].endswith("streamlit run app.py\n\n")
    assert blocks[2] == "That's all.\n\n"
    assert blocks[3].startswith("```python") and blocks[3].endswith("    main()\n```\n\n")
    assert blocks[4] == "~~~text\ntilde fence\n\nwith a blank line\n~~~\n\n"
    # the table, the quote and the rule stay together, for the same reason
    assert blocks[5].startswith("| Provider") and "> Rotate them often.\n\n---\n\n" in blocks[5]
    assert blocks[6] == "Done — enjoy"
    assert len(blocks) == 7


def test_ordered_list_with_blank_lines_between_items_stays_one_block() -> None:
    text = "Steps:\n\n1. one\n\n2. two\n\n   more about two\n\n3. three\n\nAfter."
    assert split_blocks(text) == [
        "Steps:\n\n1. one\n\n2. two\n\n   more about two\n\n3. three\n\n",
        "After.",
    ]


def test_nested_list_after_a_blank_line_continues_the_block() -> None:
    text = "- a\n\n  - nested\n\n    deeper paragraph\n\n- b\n\nEnd"
    assert split_blocks(text) == ["- a\n\n  - nested\n\n    deeper paragraph\n\n- b\n\n", "End"]


@pytest.mark.parametrize(
    "fence",
    ["```", "````", "~~~", "```python", "~~~ text with `ticks`", "$$"],
)
def test_a_fenced_block_with_blank_lines_is_never_split(fence: str) -> None:
    close = fence.split()[0].rstrip("python")
    text = f"Before.\n\n{fence}\nline 1\n\n\nline 2\n\n{close}\n\nAfter."
    blocks = split_blocks(text)
    assert blocks[-1] == "After."
    assert f"{fence}\nline 1\n\n\nline 2\n\n{close}\n\n" in blocks[-2]


def test_a_fence_inside_a_list_item_or_quote_is_never_split() -> None:
    in_list = "1. Run:\n   ```sh\n   a\n\n   b\n   ```\n\nAfter."
    assert split_blocks(in_list) == [in_list[: -len("After.")], "After."]
    in_quote = "> ```\n> a\n\n> b\n> ```\n\nAfter."
    assert split_blocks(in_quote)[-1] == "After."
    assert len(split_blocks(in_quote)) == 2


def test_inline_triple_backticks_are_not_a_fence() -> None:
    text = "Use ```x``` inline.\n\nNext."
    assert split_blocks(text) == ["Use ```x``` inline.\n\n", "Next."]
    assert split_blocks("```x```\n\nNext.") == ["```x```\n\n", "Next."]


def test_unclosed_fence_keeps_the_rest_in_one_block() -> None:
    text = "Intro.\n\n```\ncode\n\nmore code\n\nstill code"
    assert split_blocks(text) == ["Intro.\n\n", "```\ncode\n\nmore code\n\nstill code"]


def test_paragraphs_headings_and_tables_are_separate_blocks() -> None:
    text = "# H\n\nPara one\nline two.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nPara three."
    assert split_blocks(text) == [
        "# H\n\n",
        "Para one\nline two.\n\n",
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n",
        "Para three.",
    ]


def test_blank_lines_may_hold_spaces_and_separators_end_the_earlier_block() -> None:
    assert split_blocks("\n\nA\n  \t\n\n\nB\n\n") == ["\n\nA\n  \t\n\n\n", "B\n\n"]


def test_empty_and_blank_texts() -> None:
    assert split_blocks("") == []
    assert streamed([]) == []
    assert streamed(["", ""]) == []
    assert split_blocks("\n\n") == ["\n\n"]
    assert streamed(["\n", "\n"]) == [["\n\n"]]


def test_trailing_newlines_are_held_until_the_next_line_decides() -> None:
    splitter = BlockSplitter()
    assert splitter.feed("Para") == ["Para"]
    assert splitter.feed("\n") == [""]
    assert splitter.feed("\n") == [""]
    assert splitter.feed("Next") == ["\n\n", "Next"]
    assert splitter.flush() == [""]


def test_a_list_marker_after_a_blank_line_is_decided_before_it_is_shown() -> None:
    splitter = BlockSplitter()
    assert splitter.feed("- a\n\n-") == ["- a"]
    assert splitter.feed(" b") == ["\n\n- b"]
    splitter = BlockSplitter()
    assert splitter.feed("- a\n\n-") == ["- a"]
    assert splitter.feed("5 degrees") == ["\n\n", "-5 degrees"]


def test_an_ordered_marker_may_need_several_characters() -> None:
    splitter = BlockSplitter()
    assert splitter.feed("1. a\n\n12") == ["1. a"]
    assert splitter.feed(".") == [""]
    assert splitter.feed(" b") == ["\n\n12. b"]
    splitter = BlockSplitter()
    assert splitter.feed("1. a\n\n2024") == ["1. a"]
    assert splitter.feed(" was") == ["\n\n", "2024 was"]


def test_a_thematic_break_or_quote_after_a_blank_line_stays_with_the_block() -> None:
    assert split_blocks("Para\n\n---\n\nNext") == ["Para\n\n---\n\n", "Next"]
    assert split_blocks("Para\n\n> quote\n\nNext") == ["Para\n\n> quote\n\n", "Next"]
    assert split_blocks("Para\n\n**bold** text") == ["Para\n\n", "**bold** text"]
    assert split_blocks("Para\n\n_it_") == ["Para\n\n", "_it_"]
    assert split_blocks("Para\n\n$5 is cheap") == ["Para\n\n", "$5 is cheap"]


def test_the_end_of_the_text_decides_a_held_line() -> None:
    assert split_blocks("- a\n\n-") == ["- a\n\n-"]
    assert split_blocks("- a\n\n12") == ["- a\n\n", "12"]
    assert split_blocks("Para\n\n--") == ["Para\n\n", "--"]


def test_text_without_a_final_newline_is_flushed_into_the_last_block() -> None:
    assert streamed(["Hello ", "wor", "ld"]) == [["Hello", " wor", "ld"]]


def test_blocks_finished_within_one_frame_share_an_element_before_the_live_tail() -> None:
    # One element per frame at most, not per block: each new element costs a render pass.
    assert streamed(["# A\n\nB\n\nC"]) == [["# A\n\nB\n\n"], ["C"]]
    assert streamed(["# A\n\nB", "\n\nC\n\nD"]) == [["# A\n\n"], ["B", "\n\nC\n\n"], ["D"]]


def test_a_long_answer_streams_in_linear_time() -> None:
    # Smoke only (no timing assert): 200 KB in small frames must finish quickly.
    text = "\n\n".join(DOCUMENTS.values())
    text = (text + "\n\n") * (200_000 // len(text) + 1)
    pieces = [text[i : i + 7] for i in range(0, len(text), 7)]
    elements = streamed(pieces)
    assert sum(len(piece) for element in elements for piece in element) == len(text)
    assert len(elements) > 100
    one_line = "word " * 40_000
    assert split_blocks(one_line) == [one_line]


def test_fence_helpers() -> None:
    assert fence_opening("```python\n") == Fence("`", 3, 0)
    assert fence_opening("   ~~~~ any `info`\n") == Fence("~", 4, 3)
    assert fence_opening("- ```\n") == Fence("`", 3, 2)
    assert fence_opening("> 1. ```js\n") == Fence("`", 3, 5)
    assert fence_opening("$$\n") == Fence("$", 2, 0)
    assert fence_opening("```x```\n") is None
    assert fence_opening("$$x$$\n") is None
    assert fence_opening("``\n") is None
    assert fence_opening("text ```\n") is None
    fence = Fence("`", 3, 0)
    assert closes_fence("```\n", fence)
    assert closes_fence("`````  \n", fence)
    assert closes_fence("> ```\n", fence)
    assert not closes_fence("```js\n", fence)
    assert not closes_fence("~~~\n", fence)
    assert not closes_fence("    ```\n", fence)
    assert not closes_fence("``\n", fence)
    assert list_marker("- a") == "-"
    assert list_marker("  12) a") == ")"
    assert list_marker("3.\n") == "."
    assert list_marker("-5") is None
    assert list_marker("**b**") is None
