"""The page list, explicit: Chat, Compare, Metrics.

The page scripts live in ``app_pages/``, not ``pages/``: Streamlit 1.67 treats an app with a
``pages/`` folder as a v1 multipage app until ``st.navigation`` has run once in the process, so
the first visitor of a fresh server who opened ``/compare`` got that script run directly with
labels from file names ("app / compare / metrics"). With no ``pages/`` folder every URL runs
``app.py``, which declares the pages (docs/design.md §8).
"""

from __future__ import annotations

import streamlit as st
from streamlit.navigation.page import StreamlitPage


def chat_page() -> StreamlitPage:
    """The chat page, e.g. for ``st.page_link`` from another page."""
    return st.Page(
        "app_pages/chat.py", title="Chat", icon=":material/chat:", url_path="chat", default=True
    )


def all_pages() -> list[StreamlitPage]:
    return [
        chat_page(),
        st.Page(
            "app_pages/compare.py",
            title="Compare",
            icon=":material/compare_arrows:",
            url_path="compare",
        ),
        st.Page(
            "app_pages/metrics.py",
            title="Metrics",
            icon=":material/monitoring:",
            url_path="metrics",
        ),
    ]
