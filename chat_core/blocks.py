"""Markdown answers cut into blocks while they stream: ``BlockSplitter`` and ``split_blocks``.

``st.write_stream`` re-renders the whole accumulated text on every chunk, so one long answer
costs O(n²). Cutting the answer at markdown block boundaries lets the page freeze finished
blocks in their own elements and stream only the live tail block (docs/design.md §19, §22-24).

Where the text is cut
    At a blank line outside a code fence (```` ``` ```` / ``~~~``, or a ``$$`` math block),
    unless the next line continues the block: a line that starts indented (list item content,
    indented code) or with a list marker (``-`` / ``*`` / ``+`` / ``1.`` / ``1)`` and a space),
    so whole lists stay one block with their numbering and looseness; or a line opening a
    block quote (``>``), a thematic break (``---``, ``***``, ``___``) or a ``$$`` math block.
    Checked in Chromium: those elements (and lists) have a top margin that collapses with the
    previous element's inside one markdown element but not across two (+16 px, lists +3 px),
    so they stay with the block before them. With these rules the blocks rendered one element
    each show the same HTML as the whole text, with the same spacing.

How the raw text maps onto blocks
    Concatenating the blocks gives back the input exactly. The blank lines that separate two
    blocks (and any trailing whitespace before them) end the *earlier* block; only the first
    block can start with blank lines. Markdown ignores leading and trailing blank lines, so a
    block rendered on its own element shows the same as the same lines inside the whole text.

What is held back while streaming
    Trailing whitespace is held until the next non-blank character arrives, so a piece never
    ends in a newline that might become a block separator; text after a blank line is held
    until it is known whether that line continues the block or starts the next one (a few
    characters: the indentation or a list marker). ``st.write_stream`` can only append, so a
    cut must be decided before anything after it is shown (docs/design.md §24).

Known limits: a link reference definition (``[id]: url``) or footnote definition only
applies inside its own block. Wrongly *not* cutting is always safe (the page then re-renders
a longer tail); the rules above err that way wherever markdown is ambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "BlockSplitter",
    "Fence",
    "closes_fence",
    "fence_opening",
    "list_marker",
    "split_blocks",
]

_CONTAINERS = re.compile(r"[ \t]*(?:(?:>|[-+*][ \t]|\d{1,9}[.)][ \t])[ \t]*)*")
"""Indentation, block-quote markers and list markers in front of a line's content."""
_QUOTES = re.compile(r"[ \t]*(?:>[ \t]*)*")
_FENCE_RUN = re.compile(r"`{3,}|~{3,}|\${2,}")
_LIST_MARKER = re.compile(r"[ \t]*([-+*]|\d{1,9}([.)]))(?=[ \t\r\n]|$)")
_WHITESPACE = " \t\r\n"
_HEAD_CHARS = 16
"""Characters of a line kept for deciding a cut: 9 digits, a delimiter and a space fit."""


@dataclass(frozen=True, slots=True)
class Fence:
    """An open fenced block: code (backticks or tildes) or display math (``$$``)."""

    char: str
    length: int
    column: int
    """Where the fence run starts in its line; a closing run may start at most 3 further in."""


def fence_opening(line: str) -> Fence | None:
    """The fence that ``line`` opens, looking through block quote and list markers.

    A backtick fence's info string cannot contain a backtick (```` ```x``` ```` is inline code)
    and a ``$$`` math fence's cannot contain ``$`` (``$$x$$`` is inline math).
    """
    start = _CONTAINERS.match(line)
    column = start.end() if start else 0
    run = _FENCE_RUN.match(line, column)
    if run is None:
        return None
    char = run.group()[0]
    info = line[run.end() :]
    if char != "~" and char in info:
        return None
    return Fence(char, len(run.group()), column)


def closes_fence(line: str, fence: Fence) -> bool:
    """Whether ``line`` closes ``fence``: the same character, at least as long, nothing after."""
    start = _QUOTES.match(line)
    column = start.end() if start else 0
    rest = line[column:].rstrip(_WHITESPACE)
    return (
        column < fence.column + 4 and len(rest) >= fence.length and rest == fence.char * len(rest)
    )


def list_marker(line: str) -> str | None:
    """The list marker kind that starts ``line`` (``-``, ``*``, ``+``, ``.`` or ``)``), if any."""
    match = _LIST_MARKER.match(line)
    if match is None:
        return None
    return match.group(2) or match.group(1)


class BlockSplitter:
    """Incremental block splitter. Mutable; feed one answer through it, then ``flush()`` once.

    ``feed`` and ``flush`` return *segments*: the first continues the current block and each
    further segment starts a new block. Segments may be empty. Concatenating every segment of
    every call gives back the input; the work is linear in the input length.
    """

    def __init__(self) -> None:
        self._line: list[str] = []
        """Pieces of the current line (classified once it is complete)."""
        self._line_len = 0
        self._line_head = ""
        """The first ``_HEAD_CHARS`` characters of the current line."""
        self._line_blank = True
        self._held: list[str] = []
        """Received but not yet emitted: trailing whitespace, or while deciding also the line."""
        self._deciding = False
        """A blank line followed content outside a fence: the next content line decides a cut."""
        self._has_content = False
        self._fence: Fence | None = None

    def feed(self, text: str) -> list[str]:
        """Add ``text``; return the segments that are now safe to show."""
        out: list[list[str]] = [[]]
        start = 0
        while start < len(text):
            newline = text.find("\n", start)
            end = len(text) if newline < 0 else newline + 1
            self._add_line_part(text[start:end], out)
            if newline >= 0:
                self._end_line()
            start = end
        return ["".join(segment) for segment in out]

    def flush(self) -> list[str]:
        """The end of the text: return the segments still held back."""
        out: list[list[str]] = [[]]
        if self._deciding and not self._line_blank:
            self._decide(self._verdict(self._line_head + "\n", final=True), out)
        out[-1].extend(self._held)
        self._held.clear()
        return ["".join(segment) for segment in out]

    # -- lines -----------------------------------------------------------------------------------

    def _add_line_part(self, part: str, out: list[list[str]]) -> None:
        self._line.append(part)
        self._line_len += len(part)
        if len(self._line_head) < _HEAD_CHARS:
            self._line_head += part[: _HEAD_CHARS - len(self._line_head)]
        if self._line_blank and part.strip(_WHITESPACE):
            self._line_blank = False
        if not self._deciding:
            self._emit(part, out)
            return
        self._held.append(part)
        if self._line_blank:
            return
        self._decide(self._verdict(self._line_head, final=False), out)

    def _end_line(self) -> None:
        line = "".join(self._line)
        blank = self._line_blank
        self._line.clear()
        self._line_len = 0
        self._line_head = ""
        self._line_blank = True
        if self._fence is not None:
            if closes_fence(line, self._fence):
                self._fence = None
            return
        if blank:
            if self._has_content:
                self._deciding = True
            return
        self._has_content = True
        self._fence = fence_opening(line)

    # -- cutting ---------------------------------------------------------------------------------

    def _verdict(self, head: str, *, final: bool) -> bool | None:
        """Whether a content line starting with ``head`` after a blank line starts a new block.

        ``None``: not decidable from these characters yet (``final``: the line ends here).
        Lines that continue the block: indented ones (list item content, indented code), list
        items, and lines opening a block quote, a thematic break or a ``$$`` math block.
        Those last three, and lists, have a top margin that collapses with the previous
        element's inside one markdown element but not across two (+16 px, lists +3 px).
        """
        first = head[0]
        if first in " \t>":
            return False
        if first in "-*+":
            if len(head) < 2:
                return None if not final else False
            if head[1] in _WHITESPACE:
                return False
        if first in "$-*_":
            run = "$$" if first == "$" else first * 3
            if head.startswith(run):
                return False
            if not final and run.startswith(head):
                return None
            return True
        digits = len(head) - len(head.lstrip("0123456789"))
        if digits == 0 or digits > 9:
            return True
        marker = head[digits:]
        if not final and (marker == "" or marker in (".", ")")):
            return None
        return not (marker[:1] in (".", ")") and marker[1:2] in (" ", "\t", "\r", "\n"))

    def _decide(self, cut: bool | None, out: list[list[str]]) -> None:
        if cut is None:
            return
        held = "".join(self._held)
        self._held.clear()
        line_start = len(held) - self._line_len
        out[-1].append(held[:line_start])
        if cut:
            out.append([])
            self._has_content = False
        self._deciding = False
        self._emit(held[line_start:], out)

    def _emit(self, text: str, out: list[list[str]]) -> None:
        """Emit ``text`` after anything held, holding back its trailing whitespace."""
        shown = len(text.rstrip(_WHITESPACE))
        if shown == 0:
            if text:
                self._held.append(text)
            return
        if self._held:
            out[-1].extend(self._held)
            self._held.clear()
        out[-1].append(text[:shown])
        if shown < len(text):
            self._held.append(text[shown:])


def split_blocks(text: str) -> list[str]:
    """``text`` cut into blocks exactly as a ``BlockSplitter`` fed in pieces cuts it; no empty
    blocks."""
    splitter = BlockSplitter()
    segments = splitter.feed(text)
    tail = splitter.flush()
    segments[-1] += tail[0]
    segments.extend(tail[1:])
    return [segment for segment in segments if segment]
