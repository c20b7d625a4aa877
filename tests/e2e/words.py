"""The words a reader sees: markdown source and rendered page text compared word by word."""

from __future__ import annotations

import re

_MD_LINE = [
    (re.compile(r"^\s*#{1,6}\s+"), ""),  # heading markers
    (re.compile(r"^\s*[-*+]\s+"), ""),  # bullets
    (re.compile(r"^\s*\d+\.\s+"), ""),  # ordered list numbers
    (re.compile(r"^\s*```.*$"), ""),  # code fences
    (re.compile(r"^\s*\|?\s*:?-{3,}.*$"), ""),  # table separator rows
]


def markdown_words(md: str) -> list[str]:
    """The words a reader sees once ``md`` is rendered: markup removed, whitespace ignored."""
    lines = []
    for line in md.splitlines():
        for pattern, repl in _MD_LINE:
            if pattern.search(line):
                line = pattern.sub(repl, line, count=1)
                break  # "## 1. Title" loses its "##" only, not the "1."
        lines.append(line)
    text = "\n".join(lines)
    text = re.sub(r"\*\*|\*|`|\|", " ", text)
    return text.split()


def rendered_words(text: str) -> list[str]:
    return re.sub(r"\*\*|\*|`|\|", " ", text).split()


def code_blocks(md: str) -> list[str]:
    """The contents of the fenced code blocks of ``md`` (without the final newline)."""
    return [m.group(1).rstrip("\n") for m in re.finditer(r"```[^\n]*\n(.*?)```", md, re.S)]
