"""Answer text made safe to show with ``st.markdown`` / ``st.write_stream``: ``to_display``.

Answers are rendered as markdown without ``unsafe_allow_html`` (checked in headless Chromium;
docs/design.md §22-24):

- Raw HTML is already inert (shown as literal text) and ``javascript:`` links get
  ``href="#"``, so HTML is left untouched.
- Remote images would be fetched as soon as they are drawn (a prompt-injected model could send
  the chat anywhere): they become links naming alt text and host (``chat_core.md_images``)
  unless ``images=True``.
- ``$`` is inline LaTeX, so a price next to real math breaks ("costs $5 and $x^2$ holds"): a
  single ``$`` before a digit is escaped as ``\\$``; other ``$`` and ``$$`` stay math.
- A single ``~`` strikes through (GFM: "20~25°C and 15~18°C" would strike "25°C and 15"): a
  lone ``~`` is escaped; ``~~x~~`` and ``~~~`` fences stay.
- ``\\(...\\)`` / ``\\[...\\]`` (OpenAI's LaTeX) become ``$...$`` (inner spaces trimmed) and
  ``$$...$$``; a ``\\[`` starting a line becomes its own ``$$`` line, closed by its ``\\]`` or
  by a blank line (else the rest of the answer would be one KaTeX error).

Code spans and code blocks are left byte-identical, and so is everything else.
``DisplayTransformer`` does the same incrementally, holding back only what the next characters
decide (a ``$``, ``\\``, ``~`` or ``!``, an unclosed image, whitespace inside ``\\(...\\)``).
"""

from __future__ import annotations

import re

from chat_core import md_syntax as syn
from chat_core.blocks import Fence, closes_fence, list_marker
from chat_core.md_images import image_at
from chat_core.md_syntax import NEED_MORE, Mode, run_end, skip_spaces

__all__ = ["DisplayTransformer", "to_display"]


def to_display(text: str, *, images: bool = False) -> str:
    """``text`` as it should be given to ``st.markdown`` (see the module docstring); remote
    images stay images only with ``images=True`` (the person asked to see them)."""
    transformer = DisplayTransformer(images=images)
    return transformer.feed(text) + transformer.flush()


class DisplayTransformer:
    """Incremental ``to_display``. Mutable; feed one answer through it, then ``flush()`` once.

    For any chunking, the outputs of ``feed`` and ``flush`` concatenate to ``to_display`` of
    the whole text. Held back at any time: at most a ``$`` or ``\\`` whose next character
    decides it, or whitespace inside ``\\(...\\)`` / after ``\\[`` and ``\\]``. Linear time.
    """

    def __init__(self, *, images: bool = False) -> None:
        self._images = images
        self._pending = ""
        """Received, not yet consumed: needs more characters to decide."""
        self._out: list[str] = []
        self._mode = Mode.TEXT
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
        if self._mode is Mode.DISPLAY and self._flow:
            text += ("\n" + self._cont if self._line_text else "") + "$$"
            self._mode = Mode.TEXT
        return text

    # -- driver ----------------------------------------------------------------------------------

    def _run(self, *, final: bool) -> str:
        s = self._pending
        i = 0
        while i < len(s):
            if self._at_head and self._mode not in (Mode.FENCE, Mode.CODE_LINE):
                c = s[i]
                if c in syn.HEAD_CHARS:
                    self._out.append(c)
                    self._head_len += 1
                    if self._head_len <= syn.MAX_HEAD:
                        self._head += c
                    i += 1
                    continue
                self._end_head(c)
            step = self._step(s, i, final)
            if step == NEED_MORE:
                break
            self._content_start = False
            i = step
        self._pending = s[i:]
        text = "".join(self._out)
        self._out.clear()
        return text

    def _step(self, s: str, i: int, final: bool) -> int:
        """Consume from ``s[i]``; return the next index, or ``NEED_MORE``."""
        c = s[i]
        if c == "\n" and self._mode is not Mode.FENCE:
            return self._newline(i)
        mode = self._mode
        if mode is Mode.TEXT:
            return self._text(s, i, final)
        if mode is Mode.CODE_SPAN:
            if c == "`":
                return self._backticks(s, i, final)
            return self._copy(syn.CODE_RUN, s, i)
        if mode is Mode.FENCE_INFO:
            return self._fence_info(s, i, final)
        if mode is Mode.FENCE:
            return self._fenced(s, i)
        if mode is Mode.CODE_LINE:
            end = s.find("\n", i)
            end = len(s) if end < 0 else end
            self._out.append(s[i:end])
            return end
        if mode is Mode.MATH:
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
            return self._copy(syn.CODE_RUN, s, i)
        # A backtick here: the line was no fence but a code span opened by that run.
        if run_end(s, i, "`") == len(s) and not final:
            return NEED_MORE
        self._mode = Mode.CODE_SPAN
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
            self._mode is Mode.TEXT
            and not self._in_list
            and (self._prev_blank or self._prev_code_line)
            and indent >= 4
        ):
            self._mode = Mode.CODE_LINE
            return
        if list_marker(head + c) is not None:
            self._in_list = True
        elif self._prev_blank and indent == 0:
            self._in_list = False
        containers = syn.CONTAINERS.match(head)
        self._content_start = (
            self._head_len <= syn.MAX_HEAD
            and containers is not None
            and containers.end() == len(head)
        )

    def _blank_line(self) -> None:
        if self._mode is Mode.DISPLAY and self._flow:
            # LaTeX display math never holds a blank line: \] is missing. Close the block here
            # so the rest of the answer does not become one long KaTeX error.
            self._out.append("\n" + self._cont + "$$")
            self._flow = False
            self._mode = Mode.TEXT
        elif self._mode in (Mode.CODE_SPAN, Mode.MATH, Mode.DISPLAY):
            self._mode = Mode.TEXT

    def _newline(self, i: int) -> int:
        self._out.append("\n")
        self._prev_code_line = self._mode is Mode.CODE_LINE
        self._prev_blank = self._line_blank
        if self._mode is Mode.CODE_LINE:
            self._mode = Mode.TEXT
        elif self._mode is Mode.FENCE_INFO:
            self._mode = Mode.FENCE
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
            self._mode = Mode.TEXT
            self._prev_blank = False
            self._prev_code_line = False
            self._start_line()
        return end + 1

    # -- inline ----------------------------------------------------------------------------------

    def _text(self, s: str, i: int, final: bool) -> int:
        c = s[i]
        if c == "`":
            return self._backticks(s, i, final)
        if c == "~":
            end = run_end(s, i, "~")
            if end == len(s) and not final:
                return NEED_MORE
            self._out.append("\\~" if end - i == 1 else s[i:end])
            if end - i >= 3 and self._content_start:
                self._open_fence("~", end - i)
            return end
        if c == "!":
            if self._images:
                self._out.append(c)
                return i + 1
            image = image_at(s, i, final)
            if isinstance(image, int):
                return NEED_MORE
            self._out.append(image[0])
            return image[1]
        if c == "$":
            end = run_end(s, i, "$")
            if end == len(s) and not final:
                return NEED_MORE
            if end - i == 1 and end < len(s) and s[end].isdigit():
                self._out.append("\\$")
            else:
                self._out.append(s[i:end])
            return end
        if c == "\\":
            return self._backslash(s, i, final)
        return self._copy(syn.TEXT_RUN, s, i)

    def _backticks(self, s: str, i: int, final: bool) -> int:
        end = run_end(s, i, "`")
        if end == len(s) and not final:
            return NEED_MORE
        run = end - i
        self._out.append(s[i:end])
        if self._mode is Mode.CODE_SPAN and run == self._span:
            self._mode = Mode.TEXT
        elif self._content_start and run >= 3:
            self._open_fence("`", run)
        elif self._mode is Mode.TEXT:
            self._mode = Mode.CODE_SPAN
            self._span = run
        return end

    def _open_fence(self, char: str, run: int) -> None:
        self._fence = Fence(char, run, len(self._head))
        self._span = run
        self._mode = Mode.FENCE_INFO

    def _backslash(self, s: str, i: int, final: bool) -> int:
        if i + 1 == len(s):
            if not final:
                return NEED_MORE
            self._out.append("\\")
            return i + 1
        d = s[i + 1]
        if d in "\\$`!~":
            self._out.append(s[i : i + 2])
            return i + 2
        if d == "(":
            self._out.append("$")
            self._mode = Mode.MATH
            self._math_start = True
            return i + 2
        if d == "[":
            if not self._content_start:
                self._out.append("$$")
                self._mode = Mode.DISPLAY
                self._flow = False
                return i + 2
            after = skip_spaces(s, i + 2)
            if after == len(s) and not final:
                return NEED_MORE
            self._flow = True
            self._mode = Mode.DISPLAY
            self._cont = syn.MARKER.sub(lambda m: " " * len(m.group()), self._head)
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
        if c in syn.SPACES:
            after = skip_spaces(s, i)
            if self._math_start:
                return after
            if after + 2 > len(s) and not final and "\\)".startswith(s[after:]):
                return NEED_MORE
            if not s.startswith("\\)", after):
                self._out.append(s[i:after])
            return after
        self._math_start = False
        if c == "\\":
            if i + 1 == len(s) and not final:
                return NEED_MORE
            d = s[i + 1 : i + 2]
            if d == ")":
                self._out.append("$")
                self._mode = Mode.TEXT
                return i + 2
            if d == "\\":
                self._out.append("\\\\")
                return i + 2
            self._out.append("\\")
            return i + 1
        return self._copy(syn.MATH_RUN, s, i)

    def _display(self, s: str, i: int, final: bool) -> int:
        if s[i] != "\\":
            end = self._copy(syn.DISPLAY_RUN, s, i)
            if not self._line_text and s[i:end].strip(" \t\r>"):
                self._line_text = True
            return end
        if i + 1 == len(s) and not final:
            return NEED_MORE
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
            self._mode = Mode.TEXT
            return i + 2
        after = skip_spaces(s, i + 2)
        if after == len(s) and not final:
            return NEED_MORE
        self._out.append(("\n" + self._cont if self._line_text else "") + "$$")
        self._mode = Mode.TEXT
        self._flow = False
        if after < len(s) and s[after] not in "\r\n":
            # A closing $$ line must hold nothing else: the rest goes on a line of its own.
            self._out.append("\n" + self._cont)
            self._start_line()
            self._at_head = False
            self._line_blank = False
            return after
        return i + 2
