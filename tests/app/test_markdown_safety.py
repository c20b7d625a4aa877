"""Answers render as markdown without HTML: markup stays inert, ``$`` prices stay text, and
``\\(...\\)`` / ``\\[...\\]`` become math — while streaming and when redrawn later."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

from tests.app.conftest import all_protos, send
from tests.wire_server import Scenario, WireServer
from ui.chat_list_sidebar import ENTRY_STYLE


def answer_markdown(at: AppTest) -> list[str]:
    return [str(m.value) for m in at.chat_message[-1].markdown]


def assert_no_html_rendering(at: AppTest) -> None:
    # No HTML element but the chat list's stylesheet (ui/chat_list_sidebar.py), if listed.
    assert all(html.proto.body == ENTRY_STYLE for html in at.get("html"))
    for proto in all_protos(at):
        if proto.DESCRIPTOR.name == "Markdown":
            assert not proto.allow_html


def test_html_in_an_answer_is_never_rendered_as_html(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = send(app().run(), "#wire:html")
    shown = "\n\n".join(answer_markdown(at))
    assert "alert(1)" in shown  # shown as text, not dropped
    assert_no_html_rendering(at)
    at.run()  # redrawn from history
    assert "alert(1)" in "\n\n".join(answer_markdown(at))
    assert_no_html_rendering(at)


def test_dollar_prices_stay_text_and_latex_delimiters_become_math(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    openai_wire.enqueue(
        Scenario.text(r"Lunch is $5 and dinner $10. Inline \(x^2\) and display \[y = 2\]")
    )
    at = send(app().run(), "prices?")
    (shown,) = answer_markdown(at)
    assert r"\$5" in shown and r"\$10" in shown
    assert "$x^2$" in shown and "$$y = 2$$" in shown
    turn = at.session_state["conversation"].turns[-1]
    assert turn.content.startswith("Lunch is $5")  # the history keeps the raw text
    at.run()
    assert answer_markdown(at) == [shown]


def test_a_long_answer_streams_as_blocks_and_is_redrawn_as_one_element(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    # A new chat's first answer: listing the chat does not redraw it (docs/design.md §34).
    at = send(app().run(), "#wire:slow:600:600")  # 1 s: about ten frames
    streamed = answer_markdown(at)
    assert len(streamed) > 3  # finished blocks frozen, only the tail re-rendered
    at.run()
    (redrawn,) = answer_markdown(at)  # a finished answer costs the page one element
    assert redrawn.split() == "\n\n".join(streamed).split()
