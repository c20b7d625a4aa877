"""The page list: the chat page first, then every ``pages/*.py`` file.

The app uses ``st.navigation`` (so the chat page can be called "Chat" rather than "app").
That switches off Streamlit's automatic ``pages/`` discovery, so this module does it: a new
page is a new file in ``pages/`` (``compare.py`` shows as "Compare"), no edit needed here
unless it wants an icon or a place in ``ORDER``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

ROOT = Path(__file__).resolve().parent.parent
PAGES_DIR = ROOT / "pages"
ORDER = ("compare", "metrics")
ICONS = {
    "compare": ":material/compare_arrows:",
    "metrics": ":material/monitoring:",
}


def page_name(path: Path) -> str:
    """``pages/2_compare.py`` -> ``compare``."""
    return re.sub(r"^\d+[_ -]*", "", path.stem).lower()


def file_pages() -> list[StreamlitPage]:
    paths = [p for p in PAGES_DIR.glob("*.py") if not p.name.startswith("_")]

    def rank(path: Path) -> tuple[int, str]:
        name = page_name(path)
        return (ORDER.index(name) if name in ORDER else len(ORDER), path.name)

    return [
        st.Page(
            f"pages/{path.name}",
            title=page_name(path).replace("_", " ").capitalize(),
            icon=ICONS.get(page_name(path)),
            url_path=page_name(path),
        )
        for path in sorted(paths, key=rank)
    ]


_chat: list[Callable[[], None]] = []


def chat_page() -> StreamlitPage:
    """The chat page, e.g. for ``st.page_link`` from another page."""
    # A page script run on its own (AppTest, or before app.py ran in this process) has no
    # chat callable registered: link to the entry script instead.
    target: Callable[[], None] | str = _chat[0] if _chat else "app.py"
    return st.Page(target, title="Chat", icon=":material/chat:", url_path="chat", default=True)


def all_pages(chat: Callable[[], None]) -> list[StreamlitPage]:
    _chat[:] = [chat]
    return [chat_page(), *file_pages()]
