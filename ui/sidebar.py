"""The chat page's sidebar: actions (New chat, Stop, Regenerate), settings, download/import."""

from __future__ import annotations

import time
from collections.abc import Mapping

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from chat_core.conversation import Conversation
from ui import actions
from ui.settings import render_settings

# A prompt from the chat input reruns only the chat page's live fragment, so the sidebar
# (drawn by the last full run) is not redrawn while that answer streams, nor when it adds the
# first turn of a chat. So the sidebar buttons whose state follows the chat are live buttons
# that only *look* disabled, by CSS on what the page shows: the idle Stop unless the chat
# input shows its own stop button (a prompt is being answered; a click on the sidebar
# interrupts it, STREAMLIT_NOTES 3), Regenerate and the downloads while the chat has no
# message (``st-key-msg-*``, ui/messages.py). A keyboard press on them does no harm.
CHAT_EMPTY = ':not(:has([class*="st-key-msg-"]))'
SIDEBAR_STYLE = f"""<style>
.st-key-stop-idle button,
body{CHAT_EMPTY} :is(.st-key-regenerate, .st-key-download_md, .st-key-download_json) button {{
  opacity: 0.4; pointer-events: none;
}}
body:has([data-testid="stChatInputStopButton"]) .st-key-stop-idle button {{
  opacity: 1; pointer-events: auto;
}}
</style>"""


class StopButton:
    """The sidebar Stop: shown enabled while an answer streams in a full run (Regenerate, an
    example, Retry), greyed out otherwise, and enabled by ``SIDEBAR_STYLE`` while a prompt from
    the chat input streams in the live fragment (same place, different key)."""

    def __init__(self, slot: DeltaGenerator) -> None:
        self._slot = slot
        self._shown: bool | None = None

    def show(self, *, streaming: bool) -> None:
        if self._shown == streaming:
            return
        self._shown = streaming
        self._slot.button(
            "Stop",
            key="stop" if streaming else "stop-idle",
            icon=":material/stop_circle:",
            on_click=actions.stop,
            help="Stop the answer that is streaming; the text so far is kept.",
            # Esc works even while typing in the chat box (Streamlit lets Escape through).
            shortcut="Esc",
            width="stretch",
        )


def render_chat_sidebar(
    conv: Conversation, secrets: Mapping[str, str], *, streaming: bool
) -> StopButton:
    st.html(SIDEBAR_STYLE)
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
    return stop


def _render_downloads(conv: Conversation) -> None:
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
        width="stretch",
    )
