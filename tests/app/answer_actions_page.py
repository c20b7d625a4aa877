"""A tiny page for the AppTests of ui/answer_actions.py: a two-turn chat (seeded in session
state) drawn with the action row under the answer and Edit on the prompt."""

from __future__ import annotations

import streamlit as st

from chat_core.conversation import Conversation
from chat_core.types import StreamStatus
from chat_core.versions import edit_last_prompt, start_new_version
from ui.answer_actions import edit_button, render_answer_actions

if "conv" not in st.session_state:
    conv = Conversation()
    conv.add_user("What is SSE?")
    answer = conv.add_assistant(provider="demo", model="demo-1")
    answer.content, answer.status = "Server-sent events.", StreamStatus.COMPLETE
    st.session_state.conv = conv
    st.session_state.answers = 1
conv: Conversation = st.session_state.conv


def regenerate() -> None:
    st.session_state.answers += 1
    turn = start_new_version(conv, provider="demo", model="demo-1")
    turn.content, turn.status = f"Answer number {st.session_state.answers}.", StreamStatus.COMPLETE


def edit(text: str) -> None:
    st.session_state.answers += 1
    edit_last_prompt(conv, text)
    turn = start_new_version(conv, provider="demo", model="demo-1")
    turn.content, turn.status = f"Answer to: {text}", StreamStatus.COMPLETE


last = len(conv.turns) - 1
for index, turn in enumerate(conv.turns):
    with st.chat_message(turn.role):
        st.markdown(turn.content)
        if turn.role == "user" and index == last - 1:
            edit_button(turn, on_send=edit)
        if not st.session_state.get("hide_actions"):  # a run without them drops widget state
            render_answer_actions(conv, turn, last=index == last, on_regenerate=regenerate)
