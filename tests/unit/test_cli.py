"""The terminal chat (``python -m chat_core``) driven as a subprocess with piped stdin."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from tests.servers import REPO_ROOT, server_env
from tests.wire_server import Scenario, WireServer

FAST_DEMO = {"STREAMCHAT_DEMO_TTFT_S": "0", "STREAMCHAT_DEMO_CHUNKS_PER_S": "0"}


def chat_env(wire: WireServer | None = None, **extra: str) -> dict[str, str]:
    values = dict(FAST_DEMO)
    if wire is not None:
        values.update(OPENAI_API_KEY="sk-test-cli-secret", OPENAI_BASE_URL=wire.openai_base_url)
    values.update(extra)
    return server_env(**values)


def run_chat(
    stdin: str, *args: str, env: dict[str, str] | None = None, timeout_s: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chat_core", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=REPO_ROOT,
        env=env or chat_env(),
        timeout=timeout_s,
    )


class LiveChat:
    """A running terminal chat: write lines, wait for output."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chat_core", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO_ROOT,
            env=env,
        )
        self._out = bytearray()
        self._err = bytearray()
        self._cond = threading.Condition()
        for pipe, buffer in ((self.process.stdout, self._out), (self.process.stderr, self._err)):
            threading.Thread(target=self._drain, args=(pipe, buffer), daemon=True).start()

    def _drain(self, pipe: object, buffer: bytearray) -> None:
        read = pipe.read1  # type: ignore[attr-defined]
        while chunk := read(4096):
            with self._cond:
                buffer.extend(chunk)
                self._cond.notify_all()

    @property
    def out(self) -> str:
        with self._cond:
            return self._out.decode("utf-8", errors="replace")

    @property
    def err(self) -> str:
        with self._cond:
            return self._err.decode("utf-8", errors="replace")

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()

    def wait_for(
        self,
        predicate: str | None = None,
        *,
        count: int = 1,
        after: int = 0,
        min_chars: int = 0,
        timeout_s: float = 20,
    ) -> str:
        """Wait until stdout (from offset ``after``) holds ``predicate`` ``count`` times and at
        least ``min_chars`` characters; return that part of stdout."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                text = self._out.decode("utf-8", errors="replace")[after:]
                if (predicate is None or text.count(predicate) >= count) and len(text) >= min_chars:
                    return text
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.process.poll() is not None:
                    raise AssertionError(
                        f"waited for {predicate!r}; stdout:\n{text}\nstderr:\n{self.err}"
                    )
                self._cond.wait(min(remaining, 0.1))

    def finish(self, timeout_s: float = 20) -> int:
        assert self.process.stdin is not None
        if not self.process.stdin.closed:
            self.process.stdin.close()
        return self.process.wait(timeout_s)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def live_chats() -> Iterator[list[LiveChat]]:
    started: list[LiveChat] = []
    yield started
    for chat in started:
        chat.kill()


def test_help_explains_providers_environment_and_examples() -> None:
    result = run_chat("", "--help")
    assert result.returncode == 0
    for words in (
        "--provider", "--model", "--system", "--metrics", "--base-url", "--temperature",
        "--max-tokens", "demo", "openai-compatible", "OPENAI_API_KEY", "ANTHROPIC_API_KEY",
        "OPENAI_BASE_URL", "clear", "quit", "Ctrl-C", "examples",
    ):  # fmt: skip
        assert words in result.stdout


def test_piped_prompts_are_answered_in_turn_without_prompts_echoed() -> None:
    result = run_chat("first question\n\n   \nsecond question\n", "--provider", "demo")

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "You:" not in result.stdout
    answers = result.stdout.split("Assistant: ")[1:]
    assert len(answers) == 2
    assert "first question" in answers[0] and "(turn 1)" in answers[0]
    assert "second question" in answers[1] and "(turn 2)" in answers[1]  # history kept


def test_clear_starts_a_new_conversation_and_quit_leaves() -> None:
    result = run_chat("one\ntwo\nclear\nthree\nquit\nnever answered\n", "--provider", "demo")

    assert result.returncode == 0
    answers = result.stdout.split("Assistant: ")[1:]
    assert [("(turn 1)" in a, "(turn 2)" in a) for a in answers] == [
        (True, False),
        (False, True),
        (True, False),
    ]
    assert "never answered" not in result.stdout


def test_help_lists_the_commands_and_sends_nothing_to_the_model() -> None:
    result = run_chat("/help\nhello\n", "--provider", "demo")

    assert result.returncode == 0
    before_answer = result.stdout.split("Assistant: ")[0]
    for command in ("/help", "clear", "/attach PATH", "quit, exit", "/quit", "Ctrl-C"):
        assert command in before_answer
    answers = result.stdout.split("Assistant: ")[1:]
    assert len(answers) == 1  # only "hello" was asked
    assert "(turn 1)" in answers[0] and "/help" not in answers[0]


def test_the_slash_forms_of_clear_and_quit_are_commands_too() -> None:
    """After ``/help`` people type ``/clear`` and ``/quit``: neither goes to the model."""
    result = run_chat("one\n/clear\ntwo\n/quit\nnever answered\n", "--provider", "demo")

    assert result.returncode == 0
    answers = result.stdout.split("Assistant: ")[1:]
    assert len(answers) == 2
    assert all("(turn 1)" in a for a in answers)  # /clear started over
    assert "/clear" not in result.stdout.split("Assistant: ", 1)[1]
    assert "never answered" not in result.stdout and "/quit" not in answers[-1]


def test_metrics_are_printed_after_each_answer() -> None:
    result = run_chat("a\nb\n", "--provider", "demo", "--metrics")

    lines = [line for line in result.stdout.splitlines() if line.startswith("[metrics]")]
    assert len(lines) == 2
    for line in lines:
        for words in ("TTFT", "total", "chunks", "chars/s", "tokens in", "out", "tokens/s"):
            assert words in line


def test_history_system_and_settings_reach_the_provider(wire: WireServer) -> None:
    result = run_chat(
        "hello wire\nand again\n",
        "--provider", "openai", "--model", "test-model", "--system", "Be terse.",
        "--temperature", "0.2", "--max-tokens", "50",
        env=chat_env(wire),
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Assistant: You said: hello wire") == 1
    assert "Assistant: You said: and again" in result.stdout
    first, second = wire.requests
    assert second.body["model"] == "test-model"
    assert second.body["temperature"] == 0.2
    assert second.body["messages"][0] == {"role": "system", "content": "Be terse."}
    assert [m["role"] for m in second.body["messages"]] == ["system", "user", "assistant", "user"]
    assert second.body["messages"][2]["content"].startswith("You said: hello wire")


def test_base_url_option_points_the_provider_at_a_server(wire: WireServer) -> None:
    env = chat_env(OPENAI_API_KEY="sk-test")
    result = run_chat(
        "via flag\n", "--provider", "openai", "--base-url", wire.openai_base_url, env=env
    )
    assert "Assistant: You said: via flag" in result.stdout
    assert len(wire.requests) == 1


def test_an_error_prints_the_plain_message_and_the_chat_goes_on(wire: WireServer) -> None:
    wire.enqueue(Scenario.http_error(401))
    result = run_chat("first try\nstill here?\n", "--provider", "openai", env=chat_env(wire))

    assert result.returncode == 0
    assert "Traceback" not in result.stderr + result.stdout
    assert "Error: OpenAI rejected the API key" in result.stderr
    first, second = result.stdout.split("Assistant: ")[1:]
    assert first.strip() == ""
    assert second.startswith("You said:") and "still here?" in second
    assert "sk-test-cli-secret" not in result.stdout + result.stderr


def test_a_missing_key_is_explained_without_a_traceback() -> None:
    result = run_chat("hi\n", "--provider", "anthropic")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "ANTHROPIC_API_KEY" in result.stderr


def test_a_bad_temperature_is_refused_before_chatting() -> None:
    result = run_chat("hi\n", "--provider", "demo", "--temperature", "7")
    assert result.returncode == 2
    assert "out of range" in result.stderr


def test_without_keys_the_default_provider_is_demo() -> None:
    result = run_chat("who answers?\n")
    assert "simulated answer" in result.stdout


def test_ctrl_c_stops_the_answer_keeps_the_partial_and_the_chat_goes_on(
    wire: WireServer, live_chats: list[LiveChat]
) -> None:
    chat = LiveChat("--provider", "openai", env=chat_env(wire))
    live_chats.append(chat)
    chat.send("#wire:slow:2000:50")
    chat.wait_for("Assistant: ", min_chars=len("Assistant: ") + 40)

    chat.process.send_signal(signal.SIGINT)

    stopped = chat.wait_for("[stopped]")
    assert wire.wait_for_disconnect(2) is not None, "the provider kept generating"
    partial = stopped.split("Assistant: ", 1)[1].split(" [stopped]", 1)[0]
    assert len(partial) >= 40
    assert not wire.requests[0].completed

    mark = len(chat.out)
    chat.send("hello again")
    chat.wait_for("You said: hello again", after=mark)
    assert chat.finish() == 0
    assert "Traceback" not in chat.err
    # the partial answer stayed in the history that was sent with the next prompt
    history = wire.requests[1].body["messages"]
    assert [m["role"] for m in history][-3:] == ["user", "assistant", "user"]
    assert history[-2]["content"] == partial


def test_ctrl_c_at_the_prompt_exits_cleanly(live_chats: list[LiveChat]) -> None:
    chat = LiveChat("--provider", "demo", "--metrics", env=chat_env())
    live_chats.append(chat)
    chat.send("warm up")
    chat.wait_for("[metrics]")  # the answer is over: the chat waits at the prompt

    chat.process.send_signal(signal.SIGINT)

    assert chat.process.wait(10) == 0
    assert "Traceback" not in chat.err
    assert "KeyboardInterrupt" not in chat.err


def test_a_slow_provider_answer_can_be_stopped_with_the_demo_too(
    live_chats: list[LiveChat],
) -> None:
    chat = LiveChat("--provider", "demo", env=chat_env(STREAMCHAT_DEMO_CHUNKS_PER_S="20"))
    live_chats.append(chat)
    chat.send("take your time")
    chat.wait_for("Assistant: ", min_chars=len("Assistant: ") + 10)
    chat.process.send_signal(signal.SIGINT)
    chat.wait_for("[stopped]")
    chat.send("quit")
    assert chat.process.wait(10) == 0


def test_end_of_input_during_nothing_exits_zero(wire: WireServer) -> None:
    wire.enqueue(Scenario.text("ok"))
    result = run_chat("", "--provider", "openai", env=chat_env(wire))
    assert result.returncode == 0
    assert result.stdout == ""
    assert wire.requests == []


def test_each_ending_is_marked_after_the_answer(wire: WireServer) -> None:
    done = run_chat(
        "#wire:filter\n#wire:refusal\n#wire:truncated\n",
        "--provider",
        "openai",
        env=chat_env(wire),
    )
    assert "Here is how to [filtered by the provider]" in done.stdout
    assert "The model declined to answer. [filtered by the provider]" in done.stdout
    assert "One, two, three [interrupted:" in done.stdout


def test_reasoning_is_printed_only_with_show_reasoning(wire: WireServer) -> None:
    hidden = run_chat("#wire:reasoning:0.2\n", "--provider", "openai", env=chat_env(wire))
    assert "The person wants" not in hidden.stdout
    assert "--show-reasoning prints them" in hidden.stdout
    shown = run_chat(
        "#wire:reasoning:0.2\n", "--provider", "openai", "--show-reasoning", env=chat_env(wire)
    )
    thinking = shown.stdout.index("The person wants a short answer.")
    assert thinking < shown.stdout.index("You said: #wire:reasoning")


def test_an_error_shows_the_providers_request_id(wire: WireServer) -> None:
    done = run_chat("#wire:400\n", "--provider", "openai", env=chat_env(wire))
    assert "request id: req_wire" in done.stderr
    assert "sidebar" not in done.stderr
