"""The chat page's sidebar: actions (New chat, Stop, Regenerate), settings, download/import."""

from __future__ import annotations

import time
from collections.abc import Mapping

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from chat_core.conversation import Conversation
from ui import actions
from ui.settings import render_settings


class StopButton:
    """The sidebar Stop button: enabled while an answer streams in this run, then greyed out
    again once it has finished (same place, different key)."""

    def __init__(self, slot: DeltaGenerator) -> None:
        self._slot = slot

    def show(self, *, streaming: bool) -> None:
        self._slot.button(
            "Stop",
            key="stop" if streaming else "stop-idle",
            icon=":material/stop_circle:",
            on_click=actions.stop,
            disabled=not streaming,
            help="Stop the answer that is streaming; the text so far is kept.",
            width="stretch",
        )


def render_chat_sidebar(
    conv: Conversation, secrets: Mapping[str, str], *, streaming: bool
) -> StopButton:
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
        stop = StopButton(right.empty())
        stop.show(streaming=streaming)
        st.button(
            "Regenerate last answer",
            key="regenerate",
            icon=":material/refresh:",
            on_click=actions.regenerate,
            disabled=not conv.turns and not streaming,
            width="stretch",
        )

        st.subheader("Model", divider="gray")
        render_settings(secrets)

        st.subheader("This chat", divider="gray")
        _render_downloads(conv, disabled=not conv.turns and not streaming)
        with st.expander("Import a chat (JSON)", icon=":material/upload_file:"):
            st.file_uploader(
                "A file saved with “Download JSON”",
                type=["json"],
                key=actions.import_uploader_key(),
                on_change=actions.import_chat,
                help="Replaces the current conversation. An invalid file changes nothing.",
            )
    return stop


def _render_downloads(conv: Conversation, *, disabled: bool) -> None:
    stamp = time.strftime("%Y-%m-%d-%H%M")
    left, right = st.columns(2)
    # Callables are evaluated at click time, so the download includes an answer that was still
    # streaming when the sidebar was drawn; "ignore" keeps the click from rerunning the page.
    left.download_button(
        "Markdown",
        data=conv.to_markdown,
        file_name=f"streamchat-{stamp}.md",
        mime="text/markdown",
        key="download_md",
        icon=":material/download:",
        on_click="ignore",
        disabled=disabled,
        width="stretch",
    )
    right.download_button(
        "JSON",
        data=conv.to_json,
        file_name=f"streamchat-{stamp}.json",
        mime="application/json",
        key="download_json",
        icon=":material/download:",
        on_click="ignore",
        disabled=disabled,
        width="stretch",
    )
