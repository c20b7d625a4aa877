"""The terminal chat: ``python -m chat_core``.

The classic StreamingChat loop on top of the engine: ``You:`` / ``Assistant:``, tokens printed
as they arrive, the history kept in a ``Conversation``. Ctrl-C during an answer stops that
answer (the provider stops generating; the partial text stays in the history, marked
"[stopped]"); Ctrl-C at the prompt, ``quit``, ``exit`` or end of input leave with status 0.
With piped stdin no prompts are printed, and the chat reads until end of input.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import TextIO

from chat_core import cli_store
from chat_core.api import DEFAULT_SYSTEM_PROMPT
from chat_core.attachments import check_turn, read_attachment_file
from chat_core.cli_args import COMMANDS, HELP_COMMAND, STOPPED_MARK, build_parser
from chat_core.config import (
    default_provider,
    resolve,
)
from chat_core.conversation import Conversation
from chat_core.errors import AttachmentRefused, ChatError
from chat_core.metrics import StreamMetrics
from chat_core.models import deprecation_notice, fit_request
from chat_core.parts import Attachment
from chat_core.providers import make_provider
from chat_core.providers.base import Provider
from chat_core.safe_json import is_encodable
from chat_core.stream import ChatStream, StreamResult
from chat_core.types import ChatRequest, StreamStatus

END_MARKS: dict[StreamStatus, str] = {
    StreamStatus.STOPPED: STOPPED_MARK,
    StreamStatus.LENGTH: "[cut off: max tokens reached]",
    StreamStatus.FILTERED: "[filtered by the provider]",
    StreamStatus.INTERRUPTED: "[interrupted: the answer ended before the provider finished]",
}
"""The mark after an answer that did not simply complete (``OTHER`` names its reason)."""
DIM, RESET = "\033[2m", "\033[0m"
QUIT_WORDS = frozenset({"quit", "exit", "/quit", "/exit"})
CLEAR_WORDS = frozenset({"clear", "/clear"})
"""With or without the slash: after ``/help`` people type ``/quit``, which must not be a prompt."""
ATTACH_COMMAND = "/attach"


def format_metrics(metrics: StreamMetrics) -> str:
    """One line: TTFT, total, chunks, chars/s, tokens in/out, tokens/s ("n/a" when unknown)."""

    def num(value: float | int | None, fmt: str) -> str:
        return "n/a" if value is None else format(value, fmt)

    def rate(value: float | None) -> float | None:
        return value if metrics.rate_shown else None  # too short: MIN_RATE_WINDOW_S

    return (
        f"[metrics] TTFT {num(metrics.ttft_s, '.2f')} s | total {metrics.total_s:.2f} s"
        f" | {metrics.chunk_count} chunks | {num(rate(metrics.chars_per_s), '.0f')} chars/s"
        f" | tokens in {num(metrics.input_tokens, 'd')} / out {num(metrics.output_tokens, 'd')}"
        f" | {num(rate(metrics.tokens_per_s), '.1f')} tokens/s"
    )


class TerminalChat:
    """The chat loop. Mutable: holds the conversation and the answer streaming now."""

    def __init__(
        self,
        provider: Provider,
        *,
        model: str | None = None,
        system: str = DEFAULT_SYSTEM_PROMPT,
        temperature: float | None = None,
        max_tokens: int | None = None,
        reasoning_effort: str | None = None,
        thinking_budget_tokens: int | None = None,
        timeout_s: float = 60.0,
        show_metrics: bool = False,
        show_reasoning: bool = False,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
        stderr: TextIO = sys.stderr,
        interactive: bool | None = None,
        sink: cli_store.ChatSink | None = None,
    ) -> None:
        self.provider = provider
        self.model = model or provider.default_model
        self.conversation = Conversation(system=system)
        # Only what the model accepts is sent (raises ChatError for an out-of-range temperature).
        self.params = fit_request(
            provider.name,
            self.model,
            temperature=temperature,
            max_tokens=max_tokens,
            reasoning_effort=reasoning_effort,
            thinking_budget_tokens=thinking_budget_tokens,
        )
        self.timeout_s = timeout_s
        self.show_metrics = show_metrics
        self.show_reasoning = show_reasoning
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
        self.interactive = stdin.isatty() if interactive is None else interactive
        self._lock = threading.Lock()
        self._current: ChatStream | None = None
        self._stop_requested = False
        self.sink = sink
        """Keeps the chat (``chat_core.cli_store.StoreSink``); None keeps it in memory only."""
        self._attachments: list[Attachment] = []
        """Files for the next message (``/attach PATH``)."""

    # -- Ctrl-C ------------------------------------------------------------------------------

    def interrupt(self) -> None:
        """Ctrl-C: stop the answer streaming now; at the prompt (or pressed twice) quit."""
        with self._lock:
            stream = self._current
            if stream is None or self._stop_requested:
                raise KeyboardInterrupt
            self._stop_requested = True
        # Closing the HTTP response can take a moment; keep the signal handler short.
        threading.Thread(target=stream.cancel, name="chat-stop", daemon=True).start()

    def _on_sigint(self, signum: int, frame: FrameType | None) -> None:
        self.interrupt()

    # -- loop -------------------------------------------------------------------------------

    def run(self) -> int:
        """Chat until ``quit``/``exit``, end of input or Ctrl-C at the prompt; returns 0."""
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, self._on_sigint)
        try:
            if self.interactive:
                with contextlib.suppress(ImportError):
                    importlib.import_module("readline")  # line editing and history for input()
                self._say(
                    f"Chatting with {self.provider.label} ({self.model}). "
                    f"Type '{HELP_COMMAND}' for the commands, 'clear' to start over, 'quit' to "
                    "leave; Ctrl-C stops an answer."
                )
            while True:
                line = self._read()
                if line is None:
                    break
                prompt = line.strip()
                if not prompt:
                    continue
                if prompt.lower() in QUIT_WORDS:
                    break
                if prompt.lower() == HELP_COMMAND:
                    self._write(COMMANDS)  # a command, not a question for the model
                    continue
                if prompt.lower() in CLEAR_WORDS:
                    self.conversation.clear()
                    if self.sink is not None:  # store: the next prompt starts a new chat
                        self.sink.reset()
                    self._attachments.clear()
                    self._say("(conversation cleared)")
                    continue
                if not is_encodable(prompt):
                    # Invalid UTF-8 arrives here as lone surrogates (stdin's surrogateescape).
                    self.stderr.write("Error: that line is not valid UTF-8 text; not sent.\n")
                    self.stderr.flush()
                    continue
                if prompt.lower().startswith(ATTACH_COMMAND):
                    self.attach(prompt[len(ATTACH_COMMAND) :].strip())
                    continue
                self.ask(prompt)
        except KeyboardInterrupt:
            self._say("")
        finally:
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
            self._close_current()
        return 0

    def _read(self) -> str | None:
        """The next line, or ``None`` at end of input."""
        if self.interactive:
            try:
                return input("You: ")
            except EOFError:
                self._say("")
                return None
        line = self.stdin.readline()
        return line if line else None

    def attach(self, path: str) -> None:
        """``/attach PATH``: check the file now (alone and with the others, against the
        model); it goes with the next message. A refusal is printed and nothing is kept."""
        try:
            attachment = read_attachment_file(path)
            check_turn([*self._attachments, attachment], self.provider.name, self.model)
        except AttachmentRefused as exc:
            self._error(exc)
            return
        self._attachments.append(attachment)
        self._say(f"(attached {attachment.describe()}; it goes with your next message)")

    def ask(self, prompt: str) -> StreamResult:
        """Stream one answer to ``prompt`` (and the files attached since the last one) into
        the terminal and the history."""
        conversation = self.conversation
        conversation.add_user(prompt, tuple(self._attachments))
        self._attachments.clear()
        turn = conversation.add_assistant(provider=self.provider.name, model=self.model)
        request = ChatRequest(
            messages=conversation.messages(upto=len(conversation.turns) - 1),
            model=self.model,
            system=conversation.system,
            temperature=self.params.temperature,
            max_tokens=self.params.max_tokens,
            timeout_s=self.timeout_s,
            reasoning_effort=self.params.reasoning_effort,
            thinking_budget_tokens=self.params.thinking_budget_tokens,
        )
        stream = ChatStream(self.provider, request)
        with self._lock:
            self._current = stream
            self._stop_requested = False
        shown = 0  # characters of reasoning printed so far

        def show_reasoning() -> None:
            nonlocal shown
            reasoning = stream.reasoning
            if self.show_reasoning and len(reasoning) > shown:
                self._write(self._dim(reasoning[shown:]))
                shown = len(reasoning)

        if self.sink is not None:  # store: save the prompt, then the answer as it streams
            self.sink.started(conversation, turn)
        try:
            self._write("Assistant: ")
            answering = False
            for frame in stream.frames(0.0, on_notice=self._notice, on_idle=show_reasoning):
                if not answering:
                    show_reasoning()
                    if shown:
                        self._write("\n\n")
                    answering = True
                turn.content += frame
                self._write(frame)
                if self.sink is not None:
                    self.sink.progress(turn.content)
            result = stream.wait()
            if not answering:
                show_reasoning()
        finally:
            with self._lock:
                self._current = None
            if not stream.done:
                stream.close()
        turn.content = result.text
        turn.status = result.status
        turn.metrics = result.metrics
        mark = self._end_mark(result)
        if mark:
            self._write(f" {mark}" if result.text or shown else mark)
        self._write("\n")
        if result.reasoning and not self.show_reasoning:
            self._say(
                self._dim(f"(the model also reasoned: {len(result.reasoning)} characters; ")
                + self._dim("--show-reasoning prints them)")
            )
        if result.error is not None:
            turn.error = result.error.user_message
            turn.error_kind = result.error.kind
            self._error(result.error)
        if self.sink is not None:  # store: the final answer with status and metrics
            self.sink.finished(turn, result)
        if self.show_metrics:
            self._say(format_metrics(result.metrics))
        return result

    # -- output -----------------------------------------------------------------------------

    @staticmethod
    def _end_mark(result: StreamResult) -> str:
        """``[cut off …]``, ``[filtered …]``, … or "" for a complete answer or an error."""
        status = result.status
        if status is StreamStatus.LENGTH and not result.text and result.reasoning:
            return "[cut off while thinking: raise max tokens]"
        if status is StreamStatus.FILTERED and not result.text:
            return "The model declined to answer. [filtered by the provider]"
        if status is StreamStatus.OTHER:
            return f"[ended by the provider: {result.finish_reason or 'unknown reason'}]"
        return END_MARKS.get(status, "")

    def _dim(self, text: str) -> str:
        """Dimmed on a terminal; plain when the output is piped."""
        isatty = getattr(self.stdout, "isatty", None)
        return f"{DIM}{text}{RESET}" if callable(isatty) and isatty() else text

    def _close_current(self) -> None:
        with self._lock:
            stream = self._current
        if stream is not None:
            stream.close()

    def _write(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()

    def _say(self, text: str) -> None:
        self._write(text + "\n")

    def _notice(self, notice: str) -> None:
        self.stdout.flush()
        self.stderr.write(f"({notice})\n")
        self.stderr.flush()

    def _error(self, error: ChatError) -> None:
        self.stdout.flush()
        hint = " (trying again may help)" if error.retryable else ""
        self.stderr.write(f"Error: {error.user_message}{hint}\n")
        if error.request_id:  # to quote to the provider's support
            self.stderr.write(f"  request id: {error.request_id}\n")
        self.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m chat_core``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for stream in (sys.stdout, sys.stderr):
        # A terminal that cannot show a character must not end the chat.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    if hasattr(sys.stdin, "reconfigure"):
        # Invalid UTF-8 must not end the chat with a traceback: ``run`` refuses that line.
        sys.stdin.reconfigure(errors="surrogateescape")
    for name_, value in (("--system", args.system), ("--model", args.model)):
        if value is not None and not is_encodable(value):
            parser.error(f"argument {name_}: not valid UTF-8 text")
    # store: --list / --chat ID / saving as it goes (chat_core/cli_store.py)
    sink, history, status = cli_store.prepare(args, sys.stdout, sys.stderr)
    if status is not None:
        return status
    try:
        name = args.provider or default_provider()
        # The person running the terminal chat owns the environment: a --base-url of theirs
        # may use the key from their environment.
        provider = make_provider(resolve(name, base_url=args.base_url, trust_base_url=True))
        chat = TerminalChat(
            provider,
            model=args.model,
            system=args.system,
            temperature=args.temperature,
            max_tokens=args.max_tokens,
            reasoning_effort=args.reasoning_effort,
            thinking_budget_tokens=args.thinking_budget,
            timeout_s=args.timeout,
            show_metrics=args.metrics,
            show_reasoning=args.show_reasoning,
            sink=sink,
        )
    except ChatError as exc:
        sys.stderr.write(f"Error: {exc.user_message}\n")
        if sink is not None:
            sink.close(sys.stderr)
        return 2
    if history is not None:
        chat.conversation = history
    for note in (deprecation_notice(chat.model), *_not_sent(args, chat)):
        if note:
            sys.stderr.write(f"Note: {note}\n")
    try:
        return chat.run()
    finally:
        if sink is not None:
            sink.close(sys.stderr)


def _not_sent(args: argparse.Namespace, chat: TerminalChat) -> list[str]:
    """What the person asked for that the model does not take (so it is not sent)."""
    sent, model = chat.params, chat.model
    notes = []
    if args.temperature is not None and sent.temperature is None:
        why = "extended thinking" if sent.thinking_budget_tokens else f"{model}"
        notes.append(f"{why} takes no temperature but the default; none is sent.")
    if args.reasoning_effort and sent.reasoning_effort is None:
        notes.append(f"{model} does not take reasoning effort '{args.reasoning_effort}'.")
    if args.thinking_budget and sent.thinking_budget_tokens is None:
        notes.append(f"{model} does not offer extended thinking with a budget.")
    return notes
