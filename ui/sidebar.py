"""The chat page's sidebar: actions (New chat, Stop, Regenerate), settings, download/import."""

from __future__ import annotations

import time
from collections.abc import Mapping

import streamlit as st

from chat_core.conversation import Conversation
from ui import actions, state
from ui.settings import render_settings

# A prompt from the chat input reruns only the chat page's live fragment, which cannot redraw
# the sidebar. So the sidebar's buttons are real buttons that are always usable, whatever the
# chat's state when the sidebar was last drawn: Stop with nothing streaming does nothing,
# Regenerate on an empty chat does nothing, a download of an empty chat is an empty export.
# No button merely *looks* disabled (keyboard and screen-reader users could still press it).


def render_chat_sidebar(conv: Conversation, secrets: Mapping[str, str]) -> None:
    with st.sidebar:
        left, right = st.columns(2)
        left.button(
            "New chat",
            key="new_chat",
            icon=":material/add_comment:",
            on_click=actions.new_chat,
            help="Clear the conversation (the metrics page keeps its rows).",
            width="stretch",
        )
        right.button(
            "Stop",
            key="stop",
            icon=":material/stop_circle:",
            on_click=actions.stop,
            help="Stop the answer that is streaming; the text so far is kept.",
            # Esc works even while typing in the chat box (Streamlit lets Escape through).
            shortcut="Esc",
            width="stretch",
        )
        st.button(
            "Regenerate last answer",
            key="regenerate",
            icon=":material/refresh:",
            on_click=actions.regenerate,
            width="stretch",
        )

        st.subheader("Model", divider="gray")
        render_settings(secrets)

        st.subheader("This chat", divider="gray")
        _render_downloads(conv)
        with st.expander("Import a chat (JSON)", icon=":material/upload_file:"):
            st.file_uploader(
                "A file saved with “Download JSON”",
                type=["json"],
                key=actions.import_uploader_key(),
                on_change=actions.import_chat,
                help="Replaces the current conversation. An invalid file changes nothing.",
            )


def _render_downloads(conv: Conversation) -> None:
    stamp = time.strftime("%Y-%m-%d-%H%M")
    export = state.exporter(conv)
    formats = (
        ("Markdown", "md", "text/markdown", lambda: export().to_markdown()),
        ("JSON", "json", "application/json", lambda: export().to_json()),
    )
    # Callables are evaluated at click time, so the download includes an answer that was still
    # streaming when the sidebar was drawn; "ignore" keeps the click from rerunning the page.
    for column, (label, ext, mime, data) in zip(st.columns(2), formats, strict=True):
        column.download_button(
            label,
            data=data,
            file_name=f"streamchat-{stamp}.{ext}",
            mime=mime,
            key=f"download_{ext}",
            icon=":material/download:",
            on_click="ignore",
            width="stretch",
        )
