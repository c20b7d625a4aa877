"""Metrics: one row per answer (this session's, or every stored one), charts, medians per model,
CSV download."""

from __future__ import annotations

import time

import streamlit as st

from chat_core.conversation import Turn
from chat_core.store_convert import stored_answers
from chat_core.store_types import StoreUnavailable
from ui import chat_list, navigation, state
from ui.chat_list import SESSION_KEY, ChatSession
from ui.errors import page_guard
from ui.messages import metrics_parts
from ui.metrics_view import (
    answers_frame,
    measured,
    medians_by_model,
    per_answer_chart,
    spend_chart,
    timeline_chart,
)
from ui.session import begin_run

NUMBER_FORMATS = {
    "TTFT (s)": st.column_config.NumberColumn(format="%.3f"),
    "first answer token (s)": st.column_config.NumberColumn(format="%.3f"),
    "total (s)": st.column_config.NumberColumn(format="%.3f"),
    "streaming (s)": st.column_config.NumberColumn(format="%.3f"),
    "chars/s": st.column_config.NumberColumn(format="%.0f"),
    "tokens/s": st.column_config.NumberColumn(format="%.1f"),
    "cost ($)": st.column_config.NumberColumn(format="%.6f"),
    "#": st.column_config.NumberColumn(width="small"),
}


SCOPES = ("This session", "All stored answers")


def _answers() -> tuple[list[Turn], str]:
    """The rows' turns and what they cover. With the chat store in use the person may choose
    every stored answer of theirs (``stored_answers``, newest 1,000), plus this session's
    answers not stored (e.g. "Don't save this chat"); a database that is unavailable falls back
    to this session's answers with a warning."""
    session_turns = state.answers()
    store_session: ChatSession | None = st.session_state.get(SESSION_KEY)
    if store_session is None:
        # The session's first page (a bookmark of /metrics): open the store view the chat page
        # would have opened, so the stored answers are there without visiting it first.
        store_session = chat_list.begin()
    if store_session is None or not store_session.listing:
        # Without a chat list (a visitor who is not signed in) "every stored answer" would be
        # every visitor's: this session's answers only.
        return session_turns, "in this browser session"
    scope = st.segmented_control(
        "Answers", SCOPES, default=SCOPES[0], key="metrics_scope", label_visibility="collapsed"
    )
    if scope != SCOPES[1]:
        return session_turns, "in this browser session"
    store_session.writer.flush(1.0)  # this session's latest answers first
    try:
        stored = stored_answers(store_session.store, store_session.owner)
    except StoreUnavailable as exc:
        st.warning(
            f"{exc.user_message} Showing this session's answers.", icon=":material/cloud_off:"
        )
        return session_turns, "in this browser session"
    known = {turn.id for turn in stored}
    extra = [turn for turn in session_turns if turn.id not in known]
    return sorted(stored + extra, key=_started), "stored (yours) and in this session"


def _started(turn: Turn) -> float:
    return turn.metrics.started_at if turn.metrics is not None else turn.created_at


def metrics_page() -> None:
    st.title("Metrics", anchor=False)
    turns, scope = _answers()
    rows = measured(turns)
    if not rows:
        st.info(
            "No answers yet. Every answer of this session — finished, stopped or failed — "
            "gets a row here with its time to first token, speed and token counts, plus charts "
            "of how its text arrived.",
            icon=":material/monitoring:",
        )
        st.page_link(
            navigation.chat_page(), label="Ask something in the chat", icon=":material/chat:"
        )
        return

    frame = answers_frame(turns)
    st.caption(f"{len(frame)} answer{'s' if len(frame) != 1 else ''} {scope}.")
    # Issue 13: filter by the thumbs given under the answers.
    shown = st.segmented_control(
        "Feedback",
        ["all", "thumbs up", "thumbs down", "not rated"],
        default="all",
        key="feedback_filter",
    )
    if shown and shown != "all":
        frame = frame[frame["feedback"] == ("" if shown == "not rated" else shown)]
    st.dataframe(frame, hide_index=True, column_config=NUMBER_FORMATS, key="answers_table")
    st.download_button(
        "Download CSV",
        data=frame.to_csv(index=False),
        file_name=f"streamchat-metrics-{time.strftime('%Y-%m-%d-%H%M')}.csv",
        mime="text/csv",
        key="download_csv",
        icon=":material/download:",
        on_click="ignore",
    )

    left, right = st.columns(2)
    left.altair_chart(
        per_answer_chart(frame, "TTFT (s)", "Time to first token (s)"), width="stretch"
    )
    # tokens/s needs the provider's usage report; without any, chars/s is the honest speed.
    rate_column = "tokens/s" if frame["tokens/s"].notna().any() else "chars/s"
    right.altair_chart(
        per_answer_chart(frame, rate_column, f"Speed ({rate_column})"), width="stretch"
    )
    missing = int(frame[rate_column].isna().sum())
    if missing:
        right.caption(
            f"{missing} answer{'s' if missing != 1 else ''} without a {rate_column} value "
            "(no usage report, or no text) — see chars/s in the table."
        )

    if frame["cost ($)"].notna().any():
        st.altair_chart(spend_chart(frame), width="stretch")

    st.subheader("How an answer arrived", anchor=False)
    labels = {
        number: f"#{number} · {m.model} · {time.strftime('%H:%M:%S', time.localtime(m.started_at))}"
        for number, _turn, m in rows
    }
    chosen = st.selectbox(
        "Answer",
        list(labels),
        index=len(labels) - 1,
        format_func=labels.__getitem__,
        key="timeline_answer",
    )
    number, turn, m = rows[chosen - 1]
    st.caption(" · ".join([f"status {turn.status}", *metrics_parts(m)]))
    if m.timeline:
        st.altair_chart(timeline_chart(m), width="stretch")
    else:
        st.caption("No text arrived for this answer, so there is no timeline.")

    st.subheader("Medians per model", anchor=False)
    st.dataframe(
        medians_by_model(frame), hide_index=True, column_config=NUMBER_FORMATS, key="medians_table"
    )


st.set_page_config(page_title="Metrics · Streamchat", layout="wide")
with page_guard("drawing the metrics page"):
    begin_run()
    metrics_page()
