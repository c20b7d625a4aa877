"""Compare: one prompt sent to 2–4 provider/model choices at once, answers side by side.

The streaming run draws its final state in place (no ``st.rerun()`` after streaming), and
Stop is a button, whose click reruns the page at once (the chat input's own stop button
would end the run without a rerun).
"""

from __future__ import annotations

import streamlit as st

from ui import compare_view as view
from ui import compare_widgets as widgets
from ui import comparisons as compare
from ui.errors import page_guard
from ui.messages import example_buttons
from ui.session import begin_run
from ui.settings import current_settings, read_secrets

EXAMPLES = (
    ("Explain streaming", "Explain in two short paragraphs why chat apps stream their answers."),
    ("Haiku about latency", "Write a haiku about waiting for the first token."),
    ("SQL vs NoSQL", "Compare SQL and NoSQL databases in a small table."),
)


def compare_page() -> None:
    secrets = read_secrets()
    compare.init(secrets)

    prompt = st.chat_input(
        "Send one prompt to every column…",
        key="compare_prompt",
        submit_mode="disable",
        max_chars=compare.MAX_PROMPT_CHARS + 1,
    )
    if prompt is None:
        prompt = compare.take_pending()
    too_long = prompt is not None and len(prompt) > compare.MAX_PROMPT_CHARS
    if prompt is not None and (too_long or not prompt.strip()):
        prompt = None
    picked = compare.choices()

    with st.sidebar:
        stop_button = view.StopButton(st.empty())
        stop_button.show(streaming=prompt is not None)
        widgets.render_shared_settings(secrets, picked)
        st.divider()
        st.button(
            "Clear comparisons",
            key="compare_clear",
            icon=":material/delete_sweep:",
            on_click=compare.clear_runs,
            disabled=not compare.runs() and prompt is None,
            help="Remove the comparisons from this page (the metrics page keeps their rows).",
            width="stretch",
        )

    title, count = st.columns([3, 1], vertical_alignment="bottom")
    title.title("Compare", anchor=False)
    with count:
        widgets.render_count()
    widgets.render_choices()
    if too_long:
        st.warning(
            f"That message is longer than {compare.MAX_PROMPT_CHARS:,} characters, so it was not "
            "sent. Shorten it or send it in parts.",
            icon=":material/short_text:",
        )

    # Fixed top-level layout: the newest comparison, then the earlier ones, each in a pair of
    # places that take turns (docs/design.md §23, §36).
    latest, earlier = view.SlotPair("latest"), view.SlotPair("earlier")
    runs = compare.runs()
    fresh = prompt is not None
    if prompt is not None:
        run = compare.new_run(prompt, picked)
        with earlier.container(fresh=fresh):
            _earlier(runs[:-1])
        with latest.container(fresh=fresh):
            view.stream_run(run, current_settings(secrets), stop_button)
    elif runs:
        with latest.container(fresh=fresh):
            view.render_run(runs[-1])
        with earlier.container(fresh=fresh):
            _earlier(runs[:-1])
    else:
        with latest.container(fresh=fresh):
            _empty_state()


def _earlier(runs: list[compare.CompareRun]) -> None:
    if not runs:
        return
    st.subheader("Earlier comparisons", anchor=False, divider="gray")
    for run in reversed(runs):
        preview = " ".join(run.prompt.split())
        preview = preview if len(preview) <= 80 else preview[:79] + "…"
        who = " vs ".join(dict.fromkeys(choice.title for choice in run.choices))
        with st.expander(f"{preview} — {who}", icon=":material/history:"):
            view.render_run(run)


def _empty_state() -> None:
    st.info(
        "**Send one prompt to several models and watch them answer side by side.** Pick 2–4 "
        "provider and model choices above (the same provider twice with different models works "
        "too), then type a prompt below. Each column shows its time to first token and speed "
        "while it streams; when all are done, the fastest first token and the fastest "
        "throughput are named. **Stop all** stops every column and keeps what each has written. "
        "Every answer also gets a row on the Metrics page. The system prompt, temperature and "
        "max tokens in the sidebar apply to every column.",
        icon=":material/compare_arrows:",
    )
    st.caption("Or start with an example:")
    example_buttons(EXAMPLES, key="compare-example", on_click=compare.ask)


st.set_page_config(page_title="Compare · Streamchat", layout="wide")
with page_guard("drawing the compare page"):
    begin_run()
    compare_page()
