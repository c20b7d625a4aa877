"""The row of actions under one finished answer: copy, thumbs up/down, "answer 1 of 2" with
arrows, regenerate; and Edit on the last prompt.

Each is a function the chat page calls for one turn (``render_answer_actions`` draws the
row). The page passes its own callbacks for what needs its streaming machinery (start a new
answer); what only touches the turn (feedback, showing another version) happens here.

- Copy is an ``st.components.v2`` component: its script runs in the page and writes the
  answer's markdown source to the clipboard on click (``navigator.clipboard``, or the older
  ``execCommand("copy")`` on plain-http origins where the Clipboard API is missing). The
  text is passed as component *data* and only ever handled as a string, never as HTML.
  Code blocks keep Streamlit's own copy button.
- Feedback is ``st.feedback("thumbs")``; its value is stored on the turn (1 up, 0 down),
  so it survives page switches (widget state does not) and reaches exports and the store.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from chat_core.conversation import Conversation, Turn
from chat_core.types import StreamStatus
from chat_core.versions import label, last_answer, position, show_version

_COPY_HTML = """<button type="button" class="copy" aria-label="Copy answer"
 title="Copy the answer (markdown)"><svg viewBox="0 0 24 24" width="16" height="16"
 aria-hidden="true"><path fill="currentColor" d="M16 1H4a2 2 0 0 0-2 2v14h2V3h12V1zm3
 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm0 16H8V7h11v14z"/>
 </svg><span class="label"></span></button>"""

_COPY_CSS = """
.copy { display: inline-flex; align-items: center; gap: 0.3rem; padding: 0.15rem 0.4rem;
  border: none; border-radius: 0.4rem; background: transparent; cursor: pointer;
  color: var(--st-text-color, #1F2330); opacity: 0.6; font: inherit; font-size: 0.85rem; }
.copy:hover, .copy:focus-visible { opacity: 1; background: rgba(128, 128, 128, 0.12); }
"""

_COPY_JS = """
export default function (component) {
  const { data, parentElement } = component;
  const button = parentElement.querySelector("button.copy");
  const label = button.querySelector(".label");
  const text = data && typeof data.text === "string" ? data.text : "";
  label.textContent = "";
  button.dataset.copied = "";
  button.onclick = async () => {
    let ok = false;
    try {
      if (navigator.clipboard && window.isSecureContext) {
        await navigator.clipboard.writeText(text);
        ok = true;
      }
    } catch (error) { ok = false; }
    if (!ok) {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      try { ok = document.execCommand("copy"); } catch (error) { ok = false; }
      area.remove();
    }
    button.dataset.copied = ok ? "yes" : "failed";
    label.textContent = ok ? "Copied" : "Copy failed";
    setTimeout(() => { label.textContent = ""; }, 1500);
  };
}
"""

_copy_component = st.components.v2.component(
    "streamchat_copy", html=_COPY_HTML, css=_COPY_CSS, js=_COPY_JS
)


def copy_button(text: str, *, key: str) -> None:
    """A small copy icon that puts ``text`` on the clipboard."""
    _copy_component(key=key, data={"text": text}, width="content")


def feedback_key(turn: Turn) -> str:
    return f"feedback-{turn.id}"


def _store_feedback(turn: Turn, key: str) -> None:
    value = st.session_state.get(key)
    turn.feedback = value if value in (0, 1) else None


def feedback_widget(turn: Turn) -> None:
    """Thumbs up/down, starting from what the turn holds (a redraw after a page switch)."""
    key = feedback_key(turn)
    st.feedback(
        "thumbs",
        key=key,
        default=turn.feedback,
        on_change=_store_feedback,
        args=(turn, key),
    )


def _show(conv: Conversation, number: int) -> None:
    if last_answer(conv) is not None:
        show_version(conv, number)
    # The prompt above may change too (an edited one): redraw the whole page, not only the
    # fragment the arrows may sit in.
    st.rerun(scope="app")


def version_pager(conv: Conversation, turn: Turn, *, last: bool) -> None:
    """ "‹ answer 1 of 2 ›" on the last answer (arrows show the other versions), plain text
    on older ones; nothing while there is only one answer."""
    text = label(turn)
    if not text:
        return
    if not last:
        st.caption(text, width="content")
        return
    number, count = position(turn)
    st.button(
        "",
        key=f"version-prev-{turn.id}",
        icon=":material/chevron_left:",
        help="Previous answer",
        disabled=number <= 1,
        on_click=_show,
        args=(conv, number - 1),
        type="tertiary",
    )
    st.caption(text, width="content")
    st.button(
        "",
        key=f"version-next-{turn.id}",
        icon=":material/chevron_right:",
        help="Next answer",
        disabled=number >= count,
        on_click=_show,
        args=(conv, number + 1),
        type="tertiary",
    )


def render_answer_actions(
    conv: Conversation,
    turn: Turn,
    *,
    last: bool,
    on_regenerate: Callable[[], None] | None = None,
) -> None:
    """The action row under one finished answer (nothing while it streams). An answer without
    text (a refusal, a Stop before the first token) keeps thumbs, versions and regenerate, not
    copy; a failed or interrupted one without text has its own Retry button instead.
    ``on_regenerate`` (the page's: start a new answer to the last prompt) is offered on the last
    answer only."""
    if turn.role != "assistant" or turn.status == StreamStatus.STREAMING:
        return
    has_text = bool(turn.content.strip())
    if not has_text and turn.status in (StreamStatus.ERROR, StreamStatus.INTERRUPTED):
        return
    with st.container(horizontal=True, gap="small", vertical_alignment="center"):
        if has_text:
            copy_button(turn.content, key=f"copy-{turn.id}")
        feedback_widget(turn)
        version_pager(conv, turn, last=last)
        if last and on_regenerate is not None:
            st.button(
                "",
                key=f"regenerate-{turn.id}",
                icon=":material/refresh:",
                help="Regenerate: a new answer to the same prompt (this one stays reachable)",
                on_click=on_regenerate,
                type="tertiary",
            )


EDITING = "editing_prompt"
"""Session key: the id of the prompt whose edit dialog is open (the dialog is drawn from
state, so it survives the reruns its own widgets cause)."""
EDIT_TEXT = "edit_prompt_text"


def _open_editor(turn_id: str) -> None:
    st.session_state[EDITING] = turn_id
    st.session_state.pop(EDIT_TEXT, None)


def _close_editor() -> None:
    st.session_state.pop(EDITING, None)


def _send_edit(on_send: Callable[[str], None]) -> None:
    text = str(st.session_state.get(EDIT_TEXT, ""))
    if text.strip():
        _close_editor()
        on_send(text)
        # The dialog is a fragment: without this only the dialog would rerun, staying open
        # and streaming nothing.
        st.rerun(scope="app")


@st.dialog("Edit your message", on_dismiss=_close_editor)
def _edit_dialog(text: str, on_send: Callable[[str], None]) -> None:
    st.text_area("Message", value=text, height=160, key=EDIT_TEXT)
    st.caption("Sending gives a new answer; the previous one stays reachable with the arrows.")
    st.button(
        "Send",
        type="primary",
        icon=":material/send:",
        key="edit_prompt_send",
        on_click=_send_edit,
        args=(on_send,),
    )


def edit_button(turn: Turn, *, on_send: Callable[[str], None]) -> None:
    """A pencil on the last prompt: opens a dialog with its text; Send calls ``on_send``
    with the new text from a callback (the page then edits the prompt, e.g. with
    ``chat_core.versions.edit_last_prompt``, and streams a new answer); an empty text is
    not sent."""
    st.button(
        "",
        key=f"edit-{turn.id}",
        icon=":material/edit:",
        help="Edit and resend",
        type="tertiary",
        on_click=_open_editor,
        args=(turn.id,),
    )
    if st.session_state.get(EDITING) == turn.id:
        _edit_dialog(turn.content, on_send)
