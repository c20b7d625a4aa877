"""The scanner's vocabulary for ``chat_core.markdown``: modes, character runs and helpers."""

from __future__ import annotations

import enum
import re

HEAD_CHARS = frozenset(" \t\r>-+*.)0123456789")
"""Characters that may belong to a line's indentation, block quote or list markers."""
MAX_HEAD = 64
CONTAINERS = re.compile(r"[ \t]*(?:(?:>|[-+*][ \t]|\d{1,9}[.)][ \t])[ \t]*)*")
MARKER = re.compile(r"[-+*]|\d{1,9}[.)]")
TEXT_RUN = re.compile(r"[^\\$`\n~!]+")
CODE_RUN = re.compile(r"[^`\n]+")
MATH_RUN = re.compile(r"[^\\ \t\n]+")
DISPLAY_RUN = re.compile(r"[^\\\n]+")
SPACES = " \t"
NEED_MORE = -1


class Mode(enum.Enum):
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


def run_end(s: str, i: int, char: str) -> int:
    end = i
    while end < len(s) and s[end] == char:
        end += 1
    return end


def skip_spaces(s: str, i: int) -> int:
    while i < len(s) and s[i] in SPACES:
        i += 1
    return i
