"""The terminal chat's command line: its options and the help text (``python -m chat_core
--help``); the chat loop itself is chat_core/cli.py."""

from __future__ import annotations

import argparse
import math

from chat_core import cli_store
from chat_core.api import DEFAULT_SYSTEM_PROMPT
from chat_core.config import BASE_URL_VARS, DEFAULT_COMPATIBLE_BASE_URL, KEY_VARS, MODELS, PROVIDERS

STOPPED_MARK = "[stopped]"

HELP_COMMAND = "/help"

COMMANDS = f"""\
commands at the You: prompt
  {HELP_COMMAND:<14} list these commands (nothing is sent to the model)
  clear, /clear  start a new conversation (the system prompt stays)
  /attach PATH   attach a file (image, text/source file or PDF) to your next message
  quit, exit     leave, also as /quit, /exit (so do Ctrl-D and Ctrl-C at the prompt)
  Ctrl-C         while an answer streams: stop it; the partial answer is kept,
                 marked {STOPPED_MARK}, and the conversation goes on
"""

EPILOG = f"""\
{COMMANDS}
providers (--provider)
  demo               offline simulated answers: no key, no network
  openai             OpenAI chat completions (default model {MODELS["openai"][0]})
  anthropic          Anthropic messages (default model {MODELS["anthropic"][0]})
  openai-compatible  any OpenAI-compatible server: Ollama, vLLM, LM Studio
                     (default base URL {DEFAULT_COMPATIBLE_BASE_URL})
  Without --provider the first one with a key is used (OpenAI, Anthropic,
  compatible), else demo.

environment
  {KEY_VARS["openai"]:<30}key for openai
  {BASE_URL_VARS["openai"]:<30}base URL for openai (proxies, gateways)
  {KEY_VARS["anthropic"]:<30}key for anthropic
  {BASE_URL_VARS["anthropic"]:<30}base URL for anthropic
  {KEY_VARS["openai-compatible"]:<30}key for openai-compatible (often not needed)
  {BASE_URL_VARS["openai-compatible"]:<30}base URL for openai-compatible
  STREAMCHAT_DEMO_TTFT_S        demo: seconds before the first token (0.35)
  STREAMCHAT_DEMO_CHUNKS_PER_S  demo: chunks per second, 0 = no pacing (60)
  Keys are read from the environment only; they are never printed.

examples
  python -m chat_core                          # demo, or the provider you have a key for
  python -m chat_core --provider openai --model gpt-4o --metrics
  python -m chat_core --provider anthropic --system "Answer in one sentence."
  python -m chat_core --provider openai-compatible --base-url http://localhost:11434/v1 --model llama3.2
  echo "Explain SSE in two lines" | python -m chat_core --provider demo
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chat_core",
        description=(
            "Chat with a language model in the terminal; answers stream token by token. "
            "Reads prompts from the keyboard or from piped stdin."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--provider", choices=PROVIDERS, help="who answers (default: see below)")
    parser.add_argument("--model", help="model name (default: the provider's default model)")
    parser.add_argument(
        "--system",
        default=DEFAULT_SYSTEM_PROMPT,
        help=f"system prompt (default: {DEFAULT_SYSTEM_PROMPT!r})",
    )
    parser.add_argument(
        "--metrics",
        action="store_true",
        help="after each answer print time to first token, total time, chunks, chars/s, "
        "tokens in/out and tokens/s",
    )
    parser.add_argument("--base-url", help="API base URL (overrides the *_BASE_URL variable)")
    parser.add_argument(
        "--temperature",
        type=_finite_float,
        help="sampling temperature (default: none sent, the provider's default; models that "
        "only take their default, e.g. o-series and GPT-5/6, never get one)",
    )
    parser.add_argument(
        "--max-tokens", type=_positive_int, help="upper bound on the answer's tokens"
    )
    parser.add_argument(
        "--reasoning-effort",
        help="OpenAI reasoning effort (none, minimal, low, medium, high, xhigh, max: what the "
        "model offers; default: the model's own)",
    )
    parser.add_argument(
        "--thinking-budget",
        type=_positive_int,
        metavar="TOKENS",
        help="Anthropic extended thinking with this budget (at least 1024; models that "
        "support it, e.g. claude-sonnet-4-6; max tokens is raised above it if needed)",
    )
    parser.add_argument(
        "--timeout",
        type=_timeout,
        default=60.0,
        help=f"seconds to wait for the provider, up to {MAX_TIMEOUT_S:g} (default: 60)",
    )
    parser.add_argument(
        "--show-reasoning",
        action="store_true",
        help="print a reasoning model's thinking (dimmed) before its answer",
    )
    cli_store.add_arguments(parser)  # store: --list, --chat ID, --no-save
    return parser


MAX_TIMEOUT_S = 3600.0


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a positive whole number") from None
    if number <= 0:
        raise argparse.ArgumentTypeError("must be a positive whole number")
    return number


def _finite_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a number") from None
    if not math.isfinite(number):
        raise argparse.ArgumentTypeError("must be a finite number")
    return number


def _timeout(value: str) -> float:
    number = _finite_float(value)
    if not 0 < number <= MAX_TIMEOUT_S:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most {MAX_TIMEOUT_S:g} s")
    return number
