"""A minimal chat page around ``ui.chat_list`` for AppTests: the database URL comes from the
test's ``at.secrets``, an answer is an instant echo (no provider, no streaming)."""

from __future__ import annotations

import streamlit as st

from chat_core.types import StreamStatus
from ui import chat_list, chat_list_sidebar, state

session = chat_list.begin()
if session is not None:
    with st.sidebar:
        chat_list_sidebar.render_sidebar(session)
for kind, text in state.take_flashes():
    getattr(st, kind)(text)
conversation = state.conversation()
for turn in conversation.turns:
    st.chat_message(turn.role).write(turn.content)
prompt = st.chat_input("Ask")
if prompt:
    conversation.add_user(prompt)
    answer = conversation.add_assistant(provider="demo", model="demo-1")
    answer.content = f"echo: {prompt}"
    answer.status = StreamStatus.COMPLETE
    if session is not None:
        chat_list.sync(session)
    st.rerun()
