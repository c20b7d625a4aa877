from __future__ import annotations

import re

import pytest

from chat_core.markdown import DisplayTransformer, to_display
from tests.unit.markdown_samples import DOCUMENTS, chunkings


def streamed(pieces: list[str]) -> list[str]:
    transformer = DisplayTransformer()
    out = [transformer.feed(piece) for piece in pieces]
    out.append(transformer.flush())
    return out


@pytest.mark.parametrize("name", sorted(DOCUMENTS))
def test_markdown_stream_concatenates_to_to_display_for_any_chunking(name: str) -> None:
    text = DOCUMENTS[name]
    expected = to_display(text)
    for pieces in chunkings(text, count=80):
        assert "".join(streamed(pieces)) == expected


TRICKY = [
    "costs $5 and $x^2$ and \\(a\\) and \\[b\\] and `$5 \\(c\\)` done $",
    "\\[ x \\]\n\n> \\[ y \\] tail\n\n1. \\[\n   z\n   \\]\n\n\\[\nunclosed\n\nafter $1",
    "```\n$5 \\(x\\)\n```\n~~~ ~~~\n$5\n~~~\n```x``` $5\n\n    code $5\n\n\\\\[2pt] \\$5 \\",
    "\\( spaced \\) \\(\\) \\(a\\\\)b\\) \\(x \\y\\) $$5 $$$5 `` ` `` $7",
]


@pytest.mark.parametrize("text", TRICKY)
def test_markdown_stream_of_tricky_text_matches_to_display(text: str) -> None:
    expected = to_display(text)
    for pieces in chunkings(text, count=200, seed=3):
        assert "".join(streamed(pieces)) == expected


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("It costs $5.", "It costs \\$5."),
        ("$10 and $20", "\\$10 and \\$20"),
        ("total $1,000.50", "total \\$1,000.50"),
        ("US$5", "US\\$5"),
        ("It costs $5 and $x^2$ holds", "It costs \\$5 and $x^2$ holds"),
    ],
)
def test_a_dollar_before_a_digit_is_escaped(text: str, shown: str) -> None:
    assert to_display(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "Let $x$ and $y^2$ be real.",
        "$$x^2$$ inline",
        "$$\nE = mc^2\n$$",
        "$HOME and $ 5 and 5$",
        "Already escaped \\$5",
        "a backslash pair \\\\[2pt] stays",
        "<script>alert(1)</script> <img src=x onerror=alert(1)> <b>b</b>",
        "[x](javascript:alert(1))",
        "plain text, *emphasis*, **bold**, ~~strike~~ and a [link](https://example.com)",
    ],
)
def test_other_text_is_left_alone(text: str) -> None:
    assert to_display(text) == text


def test_paren_latex_becomes_dollar_math_with_inner_spaces_trimmed() -> None:
    assert to_display("so \\(a+b\\) and \\( x^2 \\).") == "so $a+b$ and $x^2$."
    assert to_display("\\(\\frac{1}{2}\\)") == "$\\frac{1}{2}$"
    assert to_display("\\(a \\\\ b\\)") == "$a \\\\ b$"


def test_bracket_latex_becomes_double_dollar_math() -> None:
    assert to_display("inline \\[x\\] here") == "inline $$x$$ here"
    assert to_display("\\[\nE = mc^2\n\\]") == "$$\nE = mc^2\n$$"


def test_bracket_latex_on_one_line_becomes_a_math_block() -> None:
    # "$$ x $$" renders inline and "$$\nx $$" leaves the block open: fence lines instead
    assert to_display("\\[ x = 1 \\]\n\nNext") == "$$\nx = 1 \n$$\n\nNext"
    assert to_display("\\[ x \\] where x") == "$$\nx \n$$\nwhere x"


def test_bracket_latex_inside_a_list_or_quote_keeps_the_container() -> None:
    assert to_display("1. \\[ x \\]") == "1. $$\n   x \n   $$"
    assert to_display("> \\[ y \\]") == "> $$\n> y \n> $$"
    assert to_display("- a\n  \\[\n  z\n  \\]") == "- a\n  $$\n  z\n  $$"


def test_an_unclosed_bracket_math_block_ends_at_a_blank_line_or_the_end() -> None:
    assert to_display("\\[\nx\n\nText $5") == "$$\nx\n\n$$\nText \\$5"
    assert to_display("\\[\nx") == "$$\nx\n$$"
    assert to_display("\\[ x") == "$$\nx\n$$"


@pytest.mark.parametrize(
    "code",
    [
        "`$5 \\(x\\) \\[y\\]`",
        "`` `$5` ``",
        "```\nprice = $5 \\(x\\)\n\n\\[y\\]\n```",
        "````md\n```\n$5\n```\n````",
        "~~~\n$5 ``` \\(x\\)\n~~~",
        "- item\n\n  ```sh\n  echo $5 \\(x\\)\n  ```",
        "> ```\n> $5\n> ```",
    ],
)
def test_code_is_left_byte_identical(code: str) -> None:
    text = f"Before $1.\n\n{code}\n\nAfter $2."
    assert to_display(text) == f"Before \\$1.\n\n{code}\n\nAfter \\$2."


def test_indented_code_is_left_alone_but_list_continuations_are_not_code() -> None:
    assert to_display("Para\n\n    x = $5 \\(y\\)\n\nEnd $1") == (
        "Para\n\n    x = $5 \\(y\\)\n\nEnd \\$1"
    )
    assert to_display("1. a\n\n    $5 more\n\n2. b") == "1. a\n\n    \\$5 more\n\n2. b"


def test_three_backticks_mid_line_or_closed_on_the_line_are_inline_code() -> None:
    assert to_display("```x``` then $5") == "```x``` then \\$5"
    assert to_display("say ```a $5``` then $5") == "say ```a $5``` then \\$5"


def test_an_unclosed_code_span_ends_at_the_paragraph() -> None:
    assert to_display("a ` b $5\n\nc $5") == "a ` b $5\n\nc \\$5"


def test_fenced_code_in_the_samples_is_unchanged() -> None:
    for text in DOCUMENTS.values():
        shown = to_display(text)
        for block in re.findall(r"^ *(```|~~~).*?^ *\1", text, re.MULTILINE | re.DOTALL):
            assert block in shown


def test_only_undecided_characters_are_held_back() -> None:
    transformer = DisplayTransformer()
    assert transformer.feed("Plain words ") == "Plain words "
    assert transformer.feed("cost $") == "cost "
    assert transformer.feed("5") == "\\$5"
    assert transformer.feed(" and \\") == " and "
    assert transformer.feed("(") == "$"
    assert transformer.feed("x ") == "x"
    assert transformer.feed("\\") == ""
    assert transformer.feed(")") == "$"
    assert transformer.feed("\n- item\n") == "\n- item\n"
    assert transformer.flush() == ""


def test_html_is_passed_through_for_streamlit_to_escape() -> None:
    # Checked in Chromium: st.markdown without unsafe_allow_html shows raw HTML as text.
    text = "<script>alert(1)</script>\n\n<div onclick=x>y</div>"
    assert to_display(text) == text


def test_a_long_answer_transforms_in_linear_time() -> None:
    # Smoke only (no timing assert).
    text = "\n\n".join(DOCUMENTS.values()) * 50
    pieces = [text[i : i + 5] for i in range(0, len(text), 5)]
    assert "".join(streamed(pieces)) == to_display(text)
