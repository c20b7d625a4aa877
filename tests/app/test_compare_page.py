"""The compare page: one prompt to several provider/model columns, answers side by side.

The demo provider answers at once (``clean_env``); OpenAI and Anthropic columns talk to the
local wire server through the real SDKs. What a Stop does in the browser is covered by
tests/e2e/test_compare.py; here a comparison left streaming is settled by the next run.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from chat_core import StreamStatus, start_chat
from chat_core.blocks import split_blocks
from chat_core.conversation import Turn
from chat_core.markdown import to_display
from chat_core.merge import merge_streams
from chat_core.providers.demo import DemoProvider, demo_answer
from chat_core.render import BlockFeed
from tests.app.conftest import all_protos
from tests.wire_server import Scenario, WireServer, long_markdown_text
from ui.compare_view import escape_markdown
from ui.comparisons import Choice, CompareRun
from ui.state import ActiveAnswer

PAGE = "app_pages/compare.py"
HEADER = re.compile(r"^\*\*(?P<provider>.+?)\*\* · `(?P<model>[^`]*)`")


def open_compare(at: AppTest) -> AppTest:
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def compare(at: AppTest, prompt: str) -> AppTest:
    at.chat_input(key="compare_prompt").set_value(prompt).run()
    assert not at.exception, at.exception
    return at


def latest_run(at: AppTest) -> CompareRun:
    run: CompareRun = at.session_state["compare_runs"][-1]
    return run


def answer_columns(at: AppTest) -> list[Any]:
    """The bordered answer columns of the newest comparison, in order."""
    found = [c for c in at.columns if c.markdown and HEADER.match(c.markdown[0].value)]
    return found[: len(latest_run(at).turns)]


def column_view(column: Any) -> dict[str, Any]:
    header = column.markdown[0].value
    return {
        "header": header,
        "text": "\n\n".join(m.value for m in column.markdown[1:]),
        "errors": [e.value for e in column.error],
        "captions": [c.value for c in column.caption],
    }


def choose(at: AppTest, *choices: Choice) -> AppTest:
    """Pick the columns' providers and models through the page's widgets."""
    at.button_group(key="compare_w_count").set_value(len(choices)).run()
    for index, choice in enumerate(choices):
        at.selectbox(key=f"compare_w_provider_{index}").set_value(choice.provider).run()
        if choice.provider != "demo":
            at.selectbox(key=f"compare_w_model_{index}").set_value(choice.model).run()
    assert not at.exception, at.exception
    return at


# -- the page -----------------------------------------------------------------------------------


def test_compare_page_smoke_explains_itself(app: Callable[..., AppTest]) -> None:
    at = open_compare(app())
    assert at.title[0].value == "Compare"
    assert "side by side" in at.info[0].value
    assert "Metrics page" in at.info[0].value
    assert at.button_group(key="compare_w_count").value == 2
    assert [at.selectbox(key=f"compare_w_provider_{i}").value for i in (0, 1)] == ["demo", "demo"]
    examples = [b for b in at.button if b.key and b.key.startswith("compare-example-")]
    assert len(examples) == 3
    assert at.button(key="compare_stop_idle").disabled
    assert at.chat_input(key="compare_prompt").proto.max_chars > 0


def test_two_demo_columns_stream_both_answers_and_name_the_fastest(
    app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long enough to have a rate (chat_core.metrics.MIN_RATE_WINDOW_S).
    monkeypatch.setenv("STREAMCHAT_DEMO_CHUNKS_PER_S", "300")
    at = compare(open_compare(app()), "How do chat apps stream?")
    run = latest_run(at)
    expected = demo_answer("How do chat apps stream?")
    assert [t.status for t in run.turns] == [StreamStatus.COMPLETE, StreamStatus.COMPLETE]
    assert [t.content for t in run.turns] == [expected, expected]
    assert all(t.metrics is not None and t.metrics.ttft_s is not None for t in run.turns)
    assert at.session_state["active_answer"] == []

    views = [column_view(c) for c in answer_columns(at)]
    assert len(views) == 2
    for view in views:
        assert view["header"].startswith("**Demo (offline)** · `demo-1`")
        assert "simulated answer" in view["text"] and "How do chat apps stream?" in view["text"]
        assert "TTFT " in view["captions"][-1] and "tokens/s" in view["captions"][-1]
        assert not view["errors"]

    labels = [m.label for m in at.metric]
    assert labels == [":material/bolt: Fastest first token", ":material/speed: Fastest throughput"]
    for metric in at.metric:
        assert "Demo (offline) · demo-1 (column" in metric.proto.delta
    badges = " ".join(v["header"] for v in views)
    assert "Fastest first token" in badges and "Fastest throughput" in badges
    assert at.button(key="compare_stop_idle").disabled


def test_an_example_button_compares_its_prompt(app: Callable[..., AppTest]) -> None:
    at = open_compare(app())
    at.button(key="compare-example-1").click().run()
    assert not at.exception
    assert latest_run(at).prompt == "Write a haiku about waiting for the first token."
    assert all(t.status == StreamStatus.COMPLETE for t in latest_run(at).turns)


def test_openai_and_anthropic_columns_stream_with_the_sidebar_settings(
    app: Callable[..., AppTest], openai_wire: WireServer, anthropic_wire: WireServer
) -> None:
    # Models that take a temperature (the defaults are reasoning models, which do not).
    at = open_compare(app(model_openai="gpt-4o-mini"))
    # With both keys configured the suggestions are the chat's provider and the other one.
    assert at.selectbox(key="compare_w_provider_0").value == "openai"
    assert at.selectbox(key="compare_w_provider_1").value == "anthropic"
    at.selectbox(key="compare_w_model_1").set_value("claude-haiku-4-5").run()
    at.text_area(key="w_system").input("Answer in one line.").run()
    at.select_slider(key="w_temperature_choice").set_value(0.4).run()
    at.number_input(key="w_max_tokens").set_value(300).run()
    # Paced, so that each answer streams long enough to have a rate (MIN_RATE_WINDOW_S).
    paced = Scenario.echo("same prompt for both", rate=40)
    openai_wire.enqueue(paced, paced)
    at = compare(at, "same prompt for both")

    records = openai_wire.requests
    assert sorted(r.provider or "" for r in records) == ["anthropic", "openai"]
    by_provider = {r.provider: r.json for r in records}
    assert by_provider["openai"]["messages"][0] == {
        "role": "system",
        "content": "Answer in one line.",
    }
    assert by_provider["anthropic"]["system"] == "Answer in one line."
    for body in by_provider.values():
        assert body["temperature"] == pytest.approx(0.4)
        assert body.get("max_tokens", body.get("max_completion_tokens")) == 300

    run = latest_run(at)
    assert [t.provider for t in run.turns] == ["openai", "anthropic"]
    assert all(t.content.startswith("You said: same prompt for both") for t in run.turns)
    assert all(t.metrics is not None and t.metrics.tokens_per_s is not None for t in run.turns)
    views = [column_view(c) for c in answer_columns(at)]
    assert views[0]["header"].startswith("**OpenAI** · `gpt-4o-mini`")
    assert views[1]["header"].startswith("**Anthropic** · `claude-haiku-4-5`")
    assert all("You said: same prompt for both" in v["text"] for v in views)
    assert [m.value.split()[-1] for m in at.metric] == ["s", "tokens/s"]
    # The settings are the chat page's: the chat sees them too.
    assert at.session_state["system"] == "Answer in one line."


def test_the_temperature_reads_provider_default_and_none_is_sent_until_one_is_chosen(
    app: Callable[..., AppTest], openai_wire: WireServer, anthropic_wire: WireServer
) -> None:
    # As on the chat page: the control says what is sent. A model that takes a temperature.
    at = open_compare(app(model_openai="gpt-4o-mini"))
    at.selectbox(key="compare_w_model_1").set_value("claude-haiku-4-5").run()
    assert at.select_slider(key="w_temperature_choice").value == "provider default"
    at = compare(at, "no temperature yet")
    assert [r.json.get("temperature") for r in openai_wire.requests] == [None, None]
    assert at.select_slider(key="w_temperature_choice").value == "provider default"


def test_an_error_in_one_column_shows_there_and_the_other_answer_completes(
    app: Callable[..., AppTest], openai_wire: WireServer, anthropic_wire: WireServer
) -> None:
    # Whichever request arrives first is refused; the other one answers.
    openai_wire.enqueue(Scenario.http_error(401), Scenario.text("The other column answers."))
    at = compare(open_compare(app()), "one of you fails")
    refused = next(r.provider for r in openai_wire.requests if r.status == 401)
    index = {"openai": 0, "anthropic": 1}[refused or ""]
    failed, answered = latest_run(at).turns[index], latest_run(at).turns[1 - index]

    assert failed.status == StreamStatus.ERROR
    assert failed.error is not None and "rejected the API key" in failed.error
    assert answered.status == StreamStatus.COMPLETE
    assert answered.content == "The other column answers."

    views = [column_view(c) for c in answer_columns(at)]
    assert views[index]["errors"] == [failed.error]
    assert any(
        c.startswith(":red-badge[:material/error: Failed]") for c in views[index]["captions"]
    )
    # The provider's request id is there to quote to its support.
    assert any("req_wire" in c for c in views[index]["captions"])
    assert not views[1 - index]["errors"]
    assert "The other column answers." in views[1 - index]["text"]
    # One answer is not a comparison: the summary says so instead of naming a winner.
    assert not at.metric
    assert any("needs at least two columns" in c.value for c in at.caption)


def test_a_column_without_a_key_fails_alone(app: Callable[..., AppTest]) -> None:
    at = open_compare(app())
    at = choose(at, Choice("demo", "demo-1"), Choice("anthropic", "claude-haiku-4-5"))
    at = compare(at, "hello")
    demo, anthropic = latest_run(at).turns
    assert demo.status == StreamStatus.COMPLETE and demo.content
    assert anthropic.status == StreamStatus.ERROR
    assert anthropic.error is not None and "No Anthropic API key" in anthropic.error
    views = [column_view(c) for c in answer_columns(at)]
    assert views[1]["errors"] == [anthropic.error]
    # The sidebar offers a key field for the provider in use.
    assert at.text_input(key="w_api_key_anthropic").proto.type == 1  # password


def test_a_typed_key_is_used_and_never_shown(
    app: Callable[..., AppTest], wire: WireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = "sk-ant-typed-1234567890"
    monkeypatch.setenv("ANTHROPIC_BASE_URL", wire.anthropic_base_url)
    at = open_compare(app())
    at = choose(at, Choice("demo", "demo-1"), Choice("anthropic", "claude-haiku-4-5"))
    at.text_input(key="w_api_key_anthropic").input(secret).run()
    at = compare(at, "with my key")
    assert wire.last_request is not None
    headers = wire.last_request.headers
    assert (headers.get("x-api-key") or headers.get("authorization", "")).endswith(secret)
    assert wire.last_request.json["model"] == "claude-haiku-4-5"
    assert all(t.status == StreamStatus.COMPLETE for t in latest_run(at).turns)
    assert not any(secret in str(proto) for proto in all_protos(at))


def test_four_columns_and_the_same_provider_twice_with_different_models(
    app: Callable[..., AppTest], openai_wire: WireServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo column streams long enough to have a rate (the wire answers are instant).
    monkeypatch.setenv("STREAMCHAT_DEMO_CHUNKS_PER_S", "300")
    picked = [
        Choice("openai", "gpt-4o-mini"),
        Choice("openai", "gpt-4.1"),
        Choice("demo", "demo-1"),
        Choice("openai", "my-own-model"),  # typed into the model box (not a suggestion)
    ]
    at = open_compare(app(compare_choices=picked, compare_count=4))
    assert at.selectbox(key="compare_w_model_3").value == "my-own-model"
    at = compare(at, "four at once")
    assert sorted(r.json["model"] for r in openai_wire.requests) == [
        "gpt-4.1",
        "gpt-4o-mini",
        "my-own-model",
    ]
    run = latest_run(at)
    assert [t.model for t in run.turns] == ["gpt-4o-mini", "gpt-4.1", "demo-1", "my-own-model"]
    assert all(t.status == StreamStatus.COMPLETE for t in run.turns)
    assert len(answer_columns(at)) == 4
    assert len(at.metric) == 2


def test_every_column_answer_gets_a_metrics_row(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = open_compare(app())
    at = choose(at, Choice("openai", "gpt-4o-mini"), Choice("demo", "demo-1"))
    at = compare(at, "rows please")
    turns = latest_run(at).turns
    at.switch_page("app_pages/metrics.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["#"]) == [1, 2]
    assert sorted(table["provider"]) == ["Demo (offline)", "OpenAI"]
    assert list(table["status"]) == ["complete", "complete"]
    by_model = {row["model"]: row for row in table.to_dict("records")}
    for turn in turns:
        assert turn.metrics is not None
        assert by_model[turn.model]["TTFT (s)"] == pytest.approx(turn.metrics.ttft_s)
        assert by_model[turn.model]["chars"] == len(turn.content)


def test_each_column_answer_is_priced_once_settled(
    app: Callable[..., AppTest], openai_wire: WireServer
) -> None:
    at = app()
    at.secrets["prices"] = {"gpt-4o-mini": {"input": 1000, "output": 2000}}
    at = choose(open_compare(at), Choice("openai", "gpt-4o-mini"), Choice("demo", "demo-1"))
    at = compare(at, "what does it cost")
    priced = {turn.model: turn.cost for turn in latest_run(at).turns}
    assert priced["demo-1"] is None  # the demo has no price, never $0
    openai = next(t for t in latest_run(at).turns if t.model == "gpt-4o-mini")
    assert openai.cost is not None and openai.metrics is not None
    assert openai.metrics.input_tokens and openai.metrics.output_tokens
    expected = (openai.metrics.input_tokens * 1000 + openai.metrics.output_tokens * 2000) / 1e6
    assert abs(float(openai.cost.total_usd) - expected) < 1e-12


def test_comparisons_stay_after_a_page_visit_and_earlier_ones_are_kept(
    app: Callable[..., AppTest],
) -> None:
    at = compare(open_compare(app()), "first question")
    at = compare(at, "second question")
    at.switch_page("app_pages/metrics.py").run()
    assert len(at.dataframe[0].value) == 4
    at.switch_page(PAGE).run()
    assert not at.exception
    views = [column_view(c) for c in answer_columns(at)]
    assert all("second question" in v["text"] for v in views)
    assert at.expander[0].label.startswith("first question — Demo (offline) · demo-1")
    at.button(key="compare_clear").click().run()
    assert not at.exception
    assert at.session_state["compare_runs"] == []
    assert "side by side" in at.info[0].value


def test_a_comparison_left_streaming_is_stopped_with_every_partial_kept(
    app: Callable[..., AppTest],
) -> None:
    """What the next run finds after a Stop click: the streams still running, recorded in
    session state before streaming. It cancels them and shows each partial as stopped."""
    slow = DemoProvider(ttft_s=0.0, chunks_per_s=40)
    streams = {str(i): start_chat("a long one", provider=slow) for i in range(2)}
    turns = [
        Turn("assistant", "", status=StreamStatus.STREAMING, provider="demo", model="demo-1")
        for _ in streams
    ]
    run = CompareRun("a long one", (Choice("demo", "demo-1"),) * 2, turns)
    merged = merge_streams(streams).start()
    deadline = time.monotonic() + 5
    while min(len(s.text) for s in streams.values()) < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    # What the interrupted run had drawn when it was stopped.
    active = [
        ActiveAnswer(s, t, drawn=len(s.text)) for s, t in zip(streams.values(), turns, strict=True)
    ]
    drawn = [a.drawn for a in active]
    at = open_compare(app(compare_runs=[run], active_answer=active))
    assert merged.done
    # The text kept is the text that was on screen.
    assert [len(turn.content) for turn in turns] == drawn
    for turn, stream in zip(turns, streams.values(), strict=True):
        assert turn.status == StreamStatus.STOPPED
        assert len(turn.content) >= 20 and stream.text.startswith(turn.content)
        assert demo_answer("a long one").startswith(turn.content)
    views = [column_view(c) for c in answer_columns(at)]
    assert all(
        v["captions"][0].startswith(":orange-badge[:material/stop_circle: Stopped]") for v in views
    )
    assert any("Stopped before the end" in c.value for c in at.caption)
    assert at.session_state["active_answer"] == []


def test_an_oversize_prompt_is_refused_with_a_message(app: Callable[..., AppTest]) -> None:
    at = compare(open_compare(app()), "x" * 100_001)
    assert "longer than 100,000 characters" in at.warning[0].value
    assert at.session_state["compare_runs"] == []


# -- helpers of the page --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 3, 7, 64])
@pytest.mark.parametrize(
    "text",
    [demo_answer("blocks"), long_markdown_text(600), "Price: $5 and \\(x\\)\n\n1. one\n2. two\n"],
    ids=["demo", "long", "dollars-and-list"],
)
def test_live_blocks_match_the_blocks_a_rerun_draws(text: str, size: int) -> None:
    """An answer streamed frame by frame is cut where ``split_blocks`` cuts the finished text,
    and its pieces add up to the answer's display text."""
    feed = BlockFeed()
    blocks = [""]
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    for segments in [*(feed.feed(p) for p in pieces), feed.finish()]:
        blocks[-1] += segments[0]
        blocks.extend(segments[1:])
    assert "".join(blocks) == to_display(text)
    assert [b for b in blocks if b] == split_blocks(to_display(text))


def test_model_names_are_shown_literally() -> None:
    assert escape_markdown("gpt-*4o*_[x](javascript:y) :red[z]") == (
        "gpt-\\*4o\\*\\_\\[x\\](javascript\\:y) \\:red\\[z\\]"
    )
