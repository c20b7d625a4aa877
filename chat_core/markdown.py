"""Answer text made safe to show with ``st.markdown`` / ``st.write_stream``: ``to_display``.

Answers are rendered as markdown *without* ``unsafe_allow_html``. What Streamlit 1.67 does
with model text there was checked in headless Chromium (docs/design.md §22-24):

- Raw HTML is already inert: ``<script>alert(1)</script>``, ``<img src=x onerror=...>`` and
  ``<b>bold</b>`` are shown as their literal text (HTML-escaped, nothing runs) and a
  ``[x](javascript:alert(1))`` link gets ``href="#"``. HTML is therefore left untouched.
- ``$`` is parsed as inline LaTeX with pandoc-like rules (an opening ``$`` must be followed by
  a non-space, a closing ``$`` must follow a non-space and not precede a digit). Plain prices
  ("$5, or $10 and $20") survive, but a price in the same paragraph as real math does not:
  "It costs $5 and the formula $x^2$ holds" renders "5 and the formula" as math. So a single
  ``$`` directly followed by a digit is escaped as ``\\$`` (displayed as ``$``); other ``$``
  and ``$$`` are kept, so ``$x^2$`` and ``$$...$$`` still render as math.
- ``\\(...\\)`` and ``\\[...\\]`` (how OpenAI models write LaTeX) are plain escaped brackets in
  markdown. They become ``$...$`` (inner spaces trimmed, since ``$ x $`` is not math) and
  ``$$...$$``. A ``\\[`` that starts a line becomes a ``$$`` line of its own and its ``\\]`` a
  closing ``$$`` line (``$$\\nx $$`` would leave the math block open and turn the rest of the
  answer into a KaTeX error); a blank line closes such a block if ``\\]`` never came.

Code spans, fenced code blocks and indented code blocks are left byte-identical, and so is
everything else. ``DisplayTransformer`` does the same incrementally for a stream, holding back
only an undecided ``$`` or ``\\``, or whitespace inside ``\\(...\\)``.
"""

from __future__ import annotations

import enum
import re

from chat_core.blocks import Fence, closes_fence, list_marker

__all__ = ["DisplayTransformer", "to_display"]

_HEAD_CHARS = frozenset(" \t\r>-+*.)0123456789")
"""Characters that may belong to a line's indentation, block quote or list markers."""
_MAX_HEAD = 64
_CONTAINERS = re.compile(r"[ \t]*(?:(?:>|[-+*][ \t]|\d{1,9}[.)][ \t])[ \t]*)*")
_MARKER = re.compile(r"[-+*]|\d{1,9}[.)]")
_TEXT_RUN = re.compile(r"[^\\$`\n]+")
_CODE_RUN = re.compile(r"[^`\n]+")
_MATH_RUN = re.compile(r"[^\\ \t\n]+")
_DISPLAY_RUN = re.compile(r"[^\\\n]+")
_SPACES = " \t"
_NEED_MORE = -1


class _Mode(enum.Enum):
    TEXT = enum.auto()
    CODE_SPAN = enum.auto()
    FENCE_INFO = enum.auto()
    """After ```` ``` ```` at a line start: a fence if the line ends without another backtick."""
    FENCE = enum.auto()
    CODE_LINE = enum.auto()
    """A line of an indented code block."""
    MATH = enum.auto()
    """Inside ``\\(...\\)``."""
    DISPLAY = enum.auto()
    """Inside ``\\[...\\]``."""


def to_display(text: str) -> str:
    """``text`` as it should be given to ``st.markdown`` (see the module docstring)."""
    transformer = DisplayTransformer()
    return transformer.feed(text) + transformer.flush()


class DisplayTransformer:
    """Incremental ``to_display``. Mutable; feed one answer through it, then ``flush()`` once.

    For any chunking, the outputs of ``feed`` and ``flush`` concatenate to ``to_display`` of
    the whole text. Held back at any time: at most a ``$`` or ``\\`` whose next character
    decides it, or whitespace inside ``\\(...\\)`` / after ``\\[`` and ``\\]``. Linear time.
    """

    def __init__(self) -> None:
        self._pending = ""
        """Received, not yet consumed: needs more characters to decide."""
        self._out: list[str] = []
        self._mode = _Mode.TEXT
        self._at_head = True
        self._head = ""
        self._head_len = 0
        self._content_start = False
        """The next character is the first after the line's indentation and container markers."""
        self._line_blank = True
        self._line_text = False
        """The current line holds more than indentation and ``>`` (display math closing)."""
        self._prev_blank = True
        self._prev_code_line = False
        self._in_list = False
        self._fence: Fence | None = None
        self._fence_line: list[str] = []
        self._span = 0
        self._math_start = False
        self._flow = False
        self._cont = ""
        """Indentation (and ``>``) that a line inserted into the current display math needs."""

    def feed(self, piece: str) -> str:
        """Add ``piece``; return the display text that is decided now."""
        self._pending += piece
        return self._run(final=False)

    def flush(self) -> str:
        """The end of the answer: return the rest of the display text."""
        text = self._run(final=True)
        if self._mode is _Mode.DISPLAY and self._flow:
            text += ("\n" + self._cont if self._line_text else "") + "$$"
            self._mode = _Mode.TEXT
        return text

    # -- driver ----------------------------------------------------------------------------------

    def _run(self, *, final: bool) -> str:
        s = self._pending
        i = 0
        while i < len(s):
            if self._at_head and self._mode not in (_Mode.FENCE, _Mode.CODE_LINE):
                c = s[i]
                if c in _HEAD_CHARS:
                    self._out.append(c)
                    self._head_len += 1
                    if self._head_len <= _MAX_HEAD:
                        self._head += c
                    i += 1
                    continue
                self._end_head(c)
            step = self._step(s, i, final)
            if step == _NEED_MORE:
                break
            self._content_start = False
            i = step
        self._pending = s[i:]
        text = "".join(self._out)
        self._out.clear()
        return text

    def _step(self, s: str, i: int, final: bool) -> int:
        """Consume from ``s[i]``; return the next index, or ``_NEED_MORE``."""
        c = s[i]
        if c == "\n" and self._mode is not _Mode.FENCE:
            return self._newline(i)
        mode = self._mode
        if mode is _Mode.TEXT:
            return self._text(s, i, final)
        if mode is _Mode.CODE_SPAN:
            if c == "`":
                return self._backticks(s, i, final)
            return self._copy(_CODE_RUN, s, i)
        if mode is _Mode.FENCE_INFO:
            return self._fence_info(s, i, final)
        if mode is _Mode.FENCE:
            return self._fenced(s, i)
        if mode is _Mode.CODE_LINE:
            end = s.find("\n", i)
            end = len(s) if end < 0 else end
            self._out.append(s[i:end])
            return end
        if mode is _Mode.MATH:
            return self._math(s, i, final)
        return self._display(s, i, final)

    def _fence_info(self, s: str, i: int, final: bool) -> int:
        """The rest of a fence's opening line: its info string."""
        assert self._fence is not None
        if self._fence.char == "~":
            end = s.find("\n", i)
            end = len(s) if end < 0 else end
            self._out.append(s[i:end])
            return end
        if s[i] != "`":
            return self._copy(_CODE_RUN, s, i)
        # A backtick here: the line was no fence but a code span opened by that run.
        if _run_end(s, i, "`") == len(s) and not final:
            return _NEED_MORE
        self._mode = _Mode.CODE_SPAN
        return self._backticks(s, i, final)

    def _copy(self, run: re.Pattern[str], s: str, i: int) -> int:
        match = run.match(s, i)
        assert match is not None
        self._out.append(match.group())
        return match.end()

    # -- lines -----------------------------------------------------------------------------------

    def _end_head(self, c: str) -> None:
        """The line's leading markers end before ``c``: classify the line."""
        self._at_head = False
        head = self._head
        if c == "\n" and not head.strip(" \t\r"):
            self._blank_line()
            return
        self._line_blank = False
        self._line_text = bool(head.strip(" \t\r>"))
        indent = len(head.expandtabs(4)) - len(head.expandtabs(4).lstrip(" "))
        if (
            self._mode is _Mode.TEXT
            and not self._in_list
            and (self._prev_blank or self._prev_code_line)
            and indent >= 4
        ):
            self._mode = _Mode.CODE_LINE
            return
        if list_marker(head + c) is not None:
            self._in_list = True
        elif self._prev_blank and indent == 0:
            self._in_list = False
        containers = _CONTAINERS.match(head)
        self._content_start = (
            self._head_len <= _MAX_HEAD and containers is not None and containers.end() == len(head)
        )

    def _blank_line(self) -> None:
        if self._mode is _Mode.DISPLAY and self._flow:
            # LaTeX display math never holds a blank line: \] is missing. Close the block here
            # so the rest of the answer does not become one long KaTeX error.
            self._out.append("\n" + self._cont + "$$")
            self._flow = False
            self._mode = _Mode.TEXT
        elif self._mode in (_Mode.CODE_SPAN, _Mode.MATH, _Mode.DISPLAY):
            self._mode = _Mode.TEXT

    def _newline(self, i: int) -> int:
        self._out.append("\n")
        self._prev_code_line = self._mode is _Mode.CODE_LINE
        self._prev_blank = self._line_blank
        if self._mode is _Mode.CODE_LINE:
            self._mode = _Mode.TEXT
        elif self._mode is _Mode.FENCE_INFO:
            self._mode = _Mode.FENCE
            self._fence_line.clear()
        self._start_line()
        return i + 1

    def _start_line(self) -> None:
        self._at_head = True
        self._head = ""
        self._head_len = 0
        self._line_blank = True
        self._line_text = False

    def _fenced(self, s: str, i: int) -> int:
        end = s.find("\n", i)
        if end < 0:
            self._out.append(s[i:])
            self._fence_line.append(s[i:])
            return len(s)
        part = s[i : end + 1]
        self._out.append(part)
        self._fence_line.append(part)
        line = "".join(self._fence_line)
        self._fence_line.clear()
        assert self._fence is not None
        if closes_fence(line, self._fence):
            self._fence = None
            self._mode = _Mode.TEXT
            self._prev_blank = False
            self._prev_code_line = False
            self._start_line()
        return end + 1

    # -- inline ----------------------------------------------------------------------------------

    def _text(self, s: str, i: int, final: bool) -> int:
        c = s[i]
        if c == "`":
            return self._backticks(s, i, final)
        if c == "~" and self._content_start:
            end = _run_end(s, i, "~")
            if end == len(s) and not final:
                return _NEED_MORE
            self._out.append(s[i:end])
            if end - i >= 3:
                self._open_fence("~", end - i)
            return end
        if c == "$":
            end = _run_end(s, i, "$")
            if end == len(s) and not final:
                return _NEED_MORE
            if end - i == 1 and end < len(s) and s[end].isdigit():
                self._out.append("\\$")
            else:
                self._out.append(s[i:end])
            return end
        if c == "\\":
            return self._backslash(s, i, final)
        return self._copy(_TEXT_RUN, s, i)

    def _backticks(self, s: str, i: int, final: bool) -> int:
        end = _run_end(s, i, "`")
        if end == len(s) and not final:
            return _NEED_MORE
        run = end - i
        self._out.append(s[i:end])
        if self._mode is _Mode.CODE_SPAN and run == self._span:
            self._mode = _Mode.TEXT
        elif self._content_start and run >= 3:
            self._open_fence("`", run)
        elif self._mode is _Mode.TEXT:
            self._mode = _Mode.CODE_SPAN
            self._span = run
        return end

    def _open_fence(self, char: str, run: int) -> None:
        self._fence = Fence(char, run, len(self._head))
        self._span = run
        self._mode = _Mode.FENCE_INFO

    def _backslash(self, s: str, i: int, final: bool) -> int:
        if i + 1 == len(s):
            if not final:
                return _NEED_MORE
            self._out.append("\\")
            return i + 1
        d = s[i + 1]
        if d in "\\$`":
            self._out.append(s[i : i + 2])
            return i + 2
        if d == "(":
            self._out.append("$")
            self._mode = _Mode.MATH
            self._math_start = True
            return i + 2
        if d == "[":
            if not self._content_start:
                self._out.append("$$")
                self._mode = _Mode.DISPLAY
                self._flow = False
                return i + 2
            after = _skip_spaces(s, i + 2)
            if after == len(s) and not final:
                return _NEED_MORE
            self._flow = True
            self._mode = _Mode.DISPLAY
            self._cont = _MARKER.sub(lambda m: " " * len(m.group()), self._head)
            self._out.append("$$")
            if after < len(s) and s[after] not in "\r\n":
                # "$$ x" would make x the block's (ignored) info string: start a new line.
                self._out.append("\n" + self._cont)
                return after
            return i + 2
        self._out.append("\\")
        return i + 1

    def _math(self, s: str, i: int, final: bool) -> int:
        c = s[i]
        if c in _SPACES:
            after = _skip_spaces(s, i)
            if self._math_start:
                return after
            if after + 2 > len(s) and not final and "\\)".startswith(s[after:]):
                return _NEED_MORE
            if not s.startswith("\\)", after):
                self._out.append(s[i:after])
            return after
        self._math_start = False
        if c == "\\":
            if i + 1 == len(s) and not final:
                return _NEED_MORE
            d = s[i + 1 : i + 2]
            if d == ")":
                self._out.append("$")
                self._mode = _Mode.TEXT
                return i + 2
            if d == "\\":
                self._out.append("\\\\")
                return i + 2
            self._out.append("\\")
            return i + 1
        return self._copy(_MATH_RUN, s, i)

    def _display(self, s: str, i: int, final: bool) -> int:
        if s[i] != "\\":
            end = self._copy(_DISPLAY_RUN, s, i)
            if not self._line_text and s[i:end].strip(" \t\r>"):
                self._line_text = True
            return end
        if i + 1 == len(s) and not final:
            return _NEED_MORE
        d = s[i + 1 : i + 2]
        if d == "\\":
            self._out.append("\\\\")
            self._line_text = True
            return i + 2
        if d != "]":
            self._out.append("\\")
            self._line_text = True
            return i + 1
        if not self._flow:
            self._out.append("$$")
            self._mode = _Mode.TEXT
            return i + 2
        after = _skip_spaces(s, i + 2)
        if after == len(s) and not final:
            return _NEED_MORE
        self._out.append(("\n" + self._cont if self._line_text else "") + "$$")
        self._mode = _Mode.TEXT
        self._flow = False
        if after < len(s) and s[after] not in "\r\n":
            # A closing $$ line must hold nothing else: the rest goes on a line of its own.
            self._out.append("\n" + self._cont)
            self._start_line()
            self._at_head = False
            self._line_blank = False
            return after
        return i + 2


def _run_end(s: str, i: int, char: str) -> int:
    end = i
    while end < len(s) and s[end] == char:
        end += 1
    return end


def _skip_spaces(s: str, i: int) -> int:
    while i < len(s) and s[i] in _SPACES:
        i += 1
    return i
