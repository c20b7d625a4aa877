"""The chat page: the history, the answer streaming in, the sidebar's actions and settings.

A full run draws the sidebar, the header and the recent turns; everything that changes with a
turn lives in one fragment (``_live``), so a prompt reruns only that (docs/design.md §27).
"""

from __future__ import annotations

import streamlit as st

from chat_core.transcribe import available as voice_available
from chat_core.types import StreamStatus
from ui import actions, background, chat_list, chat_list_sidebar, state
from ui.answer import follow_answer, stream_answer
from ui.attachments_view import CHAT_INPUT_FILES, read_submission, show_refusals
from ui.cost_view import answers_total, budget_gate, totals_caption
from ui.errors import page_guard
from ui.messages import (
    AVATARS,
    HISTORY_PAGE,
    example_buttons,
    first_shown,
    render_history,
    render_turn,
)
from ui.settings import ChatSettings, current_settings, read_secrets
from ui.sidebar import render_chat_sidebar

FOLD_AFTER_TURNS = 4
"""After two exchanges answered in the live fragment, one full run redraws the page."""

# About 25k tokens; longer pastes are refused with a message instead of a failed request.
MAX_PROMPT_CHARS = 100_000

EXAMPLES = (
    ("Explain streaming", "Explain in two short paragraphs why chat apps stream their answers."),
    ("Retry with backoff", "Write a Python function that retries a call with exponential backoff."),
    ("TTFT vs tokens/s", "Compare time to first token and tokens per second in a small table."),
)

DEMO_BANNER = (
    "**Demo mode** — answers are simulated offline, no key needed. To talk to a real model, "
    "choose OpenAI or Anthropic in the sidebar and paste a key (kept for this browser session "
    "only), or set `OPENAI_API_KEY` / `ANTHROPIC_API_KEY` in `.streamlit/secrets.toml` or the "
    "environment."
)


def chat_page() -> None:
    st.set_page_config(layout="centered")
    with page_guard("drawing the chat page"):
        _chat_page()


def _chat_page() -> None:
    """The full run: sidebar, header and the chat's recent turns (``first_shown``), then the
    live part (a fragment).

    A prompt reruns only the fragment (docs/design.md §27), so sending one does
    not re-send the whole history to the browser: in a long chat that was most of the time to
    the first token on screen (bench/history.py)."""
    secrets = read_secrets()
    settings = current_settings(secrets)
    store_session = chat_list.begin()  # the chat store: ?chat=<id>, saving (ui/chat_list.py)
    conv = state.conversation()

    state.begin_full_run()
    render_chat_sidebar(conv, secrets)
    new_entry = None
    if store_session is not None:
        with st.sidebar:
            new_entry = chat_list_sidebar.render_sidebar(store_session, new_chat_button=False)
            background.render_setting()
    # Fixed top-level layout, so the chat messages sit at the same positions in every run and
    # the welcome never leaves stale buttons inside the first message (docs/design.md §23).
    header, notices = st.container(), st.container()
    with header:
        _header(settings)
    with notices:
        for kind, text in state.take_flashes():
            getattr(st, kind)(text)

    # An answer still running for this chat (a reload mid-answer) is drawn live by the fragment.
    # Or one streaming in another process, which the fragment follows from the store.
    following = (
        background.running_answer(conv) is not None or background.stored_answer(conv) is not None
    )
    if not following and conv.turns and conv.turns[-1].status == StreamStatus.STREAMING:
        state.settle()  # it ended here after the chat was read: the final answer, not the partial
    end = len(conv.turns) - following
    start = first_shown(len(conv.turns), state.earlier_pages())
    with st.empty():
        if start:
            st.button(
                f"Show {min(start, HISTORY_PAGE)} earlier messages ({start} not shown)",
                key="show_earlier",
                icon=":material/expand_less:",
                on_click=state.show_earlier,
                type="tertiary",
            )
    with st.container():
        render_history(conv.turns[start:end], on_retry=actions.retry)
    _live(end, new_entry)


@st.fragment
def _live(drawn: int, new_entry: chat_list_sidebar.NewEntrySlot | None) -> None:
    """The chat input, the turns added since the last full run (``drawn`` on), the new turn
    and the welcome. In a fragment-only run (a prompt) nothing outside this is redrawn, so
    everything that changes with a turn lives here, and widgets here that change anything
    else (examples, Retry) ask for a full run in their callbacks. The one exception: a chat
    stored in such a run gets its entry in the sidebar's list through ``new_entry``."""
    full_run = state.is_full_run()
    # Drawn in every run of this fragment, so it stays until a full run lists the chat.
    entry = None if new_entry is None else chat_list_sidebar.show_new_entry(new_entry)
    if not full_run:
        state.settle()  # begin_run() settles on full runs
    secrets = read_secrets()
    settings = current_settings(secrets)
    conv = state.conversation()

    # One character over the limit gets through (Streamlit cuts longer text to max_chars), so
    # an oversize paste is refused with a message instead of being silently truncated.
    # Files attached in the chat box are read and checked before anything is sent, and past
    # the session budget the box waits for a confirmation (issue 13).
    within_budget = budget_gate(state.answers())
    submission = read_submission(
        st.bottom.chat_input(
            "Ask anything…",
            key="prompt",
            submit_mode="stop",
            max_chars=MAX_PROMPT_CHARS + 1,
            disabled=not within_budget,
            # A microphone only when an OpenAI key can transcribe the recording.
            accept_audio=voice_available(secrets),
            **CHAT_INPUT_FILES,
        ),
        provider=settings.provider,
        model=settings.model,
        secrets=secrets,
    )
    prompt = None if submission is None else submission.text
    attachments = () if submission is None else submission.attachments
    refused = submission is not None and bool(submission.refusals)
    pending = state.take_pending()
    if prompt is None and pending is not None and pending.kind == "prompt":
        prompt = pending.prompt
    too_long = prompt is not None and len(prompt) > MAX_PROMPT_CHARS
    if prompt is not None and (too_long or refused or not (prompt.strip() or attachments)):
        prompt = None  # whitespace is ignored; an oversize paste, a refused file: see below
    answer_again = pending is not None and pending.kind == "answer" and bool(conv.turns)
    streaming = prompt is not None or answer_again

    follow = None if streaming else background.running_answer(conv)
    elsewhere = None if streaming or follow is not None else background.stored_answer(conv)
    following = follow is not None or elsewhere is not None
    if not following and conv.turns and conv.turns[-1].status == StreamStatus.STREAMING:
        state.settle()  # the answer the full run saw running ended meanwhile: take its result
    welcome = st.empty()
    render_history(conv.turns[drawn : len(conv.turns) - following], on_retry=actions.retry)
    if too_long:
        st.warning(
            f"That message is longer than {MAX_PROMPT_CHARS:,} characters, so it was not "
            "sent. Shorten it or send it in parts.",
            icon=":material/short_text:",
        )
    if refused and submission is not None:
        show_refusals(submission)
    new_chat = prompt is not None and not conv.turns
    if prompt is not None:
        user_turn = conv.add_user(prompt, attachments)
        if new_chat:
            chat_list.save_new_chat()  # ?chat= names it before anything can stop this run
            if new_entry is not None and entry is not None:
                # Listed now, as the answer starts (docs/design.md §34).
                chat_list_sidebar.fill_new_entry(new_entry, entry)
        # ``last`` on a user turn: the chat's last prompt, which gets Edit.
        render_turn(user_turn, last=True, on_retry=actions.retry)
    if streaming:
        stream_answer(conv, settings, on_retry=actions.retry, on_begin=background.begin_answer)
        chat_list.sync_current()  # store the settled answer now and put the chat in the URL
        if not full_run and len(conv.turns) - drawn >= FOLD_AFTER_TURNS:
            # Turns this fragment drew are redrawn by every later prompt until a full run
            # takes them into the history above; do that now, after the answer, rather than
            # re-sending a growing tail of the chat with each prompt.
            st.rerun(scope="app")
    elif follow is not None:
        follow_answer(conv.turns[-1], follow, on_retry=actions.retry)
    elif elsewhere is not None:
        background.follow_stored(elsewhere)
    elif not conv.turns:
        with welcome.container():
            _welcome()
    # Issue 13: what this chat and this session cost so far, drawn after the new answer so
    # it includes it (empty while no answer had a price).
    st.caption(totals_caption(answers_total(conv.turns), answers_total(state.answers())))


def _header(settings: ChatSettings) -> None:
    st.title("Streamchat", anchor=False)
    if settings.is_demo:
        st.info(DEMO_BANNER, icon=":material/science:")


def _welcome() -> None:
    with st.chat_message("assistant", avatar=AVATARS["assistant"]):
        st.markdown(
            "**Hi!** Ask me anything below — the answer streams in as it is written, with its "
            "time to first token and speed underneath. Or start with an example:"
        )
        example_buttons(EXAMPLES, key="example", on_click=actions.ask)


chat_page()
