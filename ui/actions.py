"""Button callbacks of the chat page. They run at the start of the next run, before the page
script, so each first settles an answer that may still be streaming."""

from __future__ import annotations

import logging

import streamlit as st

from chat_core.errors import ConversationFormatError
from chat_core.versions import edit_last_prompt, set_aside_last_answer
from ui import state
from ui.settings import SYSTEM

log = logging.getLogger(__name__)

IMPORT_UPLOADER = "import_chat_file"
IMPORT_GENERATION = "import_chat_generation"


def import_uploader_key() -> str:
    """The uploader's key; it changes after each successful import so the field empties."""
    generation = int(st.session_state.get(IMPORT_GENERATION, 0))
    return IMPORT_UPLOADER if generation == 0 else f"{IMPORT_UPLOADER}_{generation}"


MAX_IMPORT_BYTES = 5 * 1024 * 1024


def new_chat() -> None:
    """An empty chat. With the chat store in use the stored chat is set aside in one step (a new
    conversation, no ``?chat=``): clearing it in place raced the store's ticker, which could
    drop the chat id before the URL did, so the next run reopened the old chat."""
    from ui import chat_list  # the chat list imports this module's neighbours, not this one

    session = st.session_state.get(chat_list.SESSION_KEY)
    if session is not None:
        chat_list.new_chat(session)
        return
    state.settle()
    state.conversation().clear()
    state.reset_earlier()


def stop() -> None:
    """The sidebar Stop: the click already interrupted the streaming run; cancel its upstream
    and keep the partial answer, marked "stopped"."""
    state.settle()


def regenerate() -> None:
    """Answer the last prompt again; the last answer (stopped, failed or complete) is set
    aside and stays reachable as "answer 1 of 2" (chat_core/versions.py)."""
    state.settle()
    conv = state.conversation()
    set_aside_last_answer(conv)
    if conv.turns:
        state.request(state.Pending("answer"))


def edit_prompt(text: str) -> None:
    """Edit dialog's Send: the last prompt gets ``text`` and a new answer; the previous
    answer (with its prompt) stays reachable with the arrows."""
    state.settle()
    conv = state.conversation()
    if conv.last_user_index() is None:
        return
    edit_last_prompt(conv, text)
    state.request(state.Pending("answer"))


def retry(turn_id: str) -> None:
    """Retry under a failed answer: answer its prompt again, if it is still the last answer.

    A Retry drawn by an earlier run can still be on the page after newer turns (the chat
    input reruns only the live part), so it checks rather than regenerating the newest one.
    """
    turns = state.conversation().turns
    if turns and turns[-1].id == turn_id:
        regenerate()
    else:
        state.flash("info", "Only the last answer can be retried. Ask the question again instead.")
    st.rerun(scope="app")


def ask(prompt: str) -> None:
    """An example prompt: a full run, so the sidebar shows Stop while it is answered."""
    state.request(state.Pending("prompt", prompt))
    st.rerun(scope="app")


def import_chat() -> None:
    """Replace the conversation with an uploaded Streamchat JSON export; on any problem keep
    the current chat and say why."""
    uploaded = st.session_state.get(import_uploader_key())
    if uploaded is None:
        return
    if uploaded.size > MAX_IMPORT_BYTES:
        state.flash("error", "That file is larger than 5 MB, so nothing was imported.")
        return
    state.settle()
    conv = state.conversation()
    try:
        conv.load_json(uploaded.getvalue())
    except ConversationFormatError as exc:
        state.flash("error", exc.user_message)
        return
    st.session_state[SYSTEM] = conv.system
    state.reset_earlier()
    st.session_state[IMPORT_GENERATION] = int(st.session_state.get(IMPORT_GENERATION, 0)) + 1
    count = len(conv.turns)
    state.flash(
        "success", f"Imported {count} message{'s' if count != 1 else ''} from {uploaded.name}."
    )
