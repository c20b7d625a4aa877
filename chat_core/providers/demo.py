"""The offline demo provider: no network, no key, deterministic markdown answers.

It is what a newcomer gets when no key is configured, and what UI tests use. Answers
reflect the prompt and contain a heading, a list, code and a table, so every rendering
path is exercised. Time to first token and chunk rate are configurable; ``close()`` wakes
a sleeping stream at once. The model ``demo-reasoning`` thinks first: about a second of
reasoning (``ReasoningDelta``), then the answer, as reasoning models stream it.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import threading
from collections.abc import Iterator, Mapping, Sequence

from chat_core.parts import Attachment
from chat_core.types import (
    ChatRequest,
    FinishReport,
    ReasoningDelta,
    StreamStatus,
    TextDelta,
    UpstreamEvent,
    UsageReport,
)

CHARS_PER_TOKEN = 4
REASONING_MODEL = "demo-reasoning"
REASONING_S = 1.0
"""How long ``demo-reasoning`` thinks before answering (when the demo is paced at all)."""


class DemoProvider:
    name = "demo"
    label = "Demo"
    default_model = "demo-1"

    def __init__(self, *, ttft_s: float = 0.35, chunks_per_s: float = 60.0) -> None:
        self.ttft_s = ttft_s
        self.chunks_per_s = chunks_per_s

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DemoProvider:
        """Speed from ``STREAMCHAT_DEMO_TTFT_S`` and ``STREAMCHAT_DEMO_CHUNKS_PER_S`` (0 = no
        pacing), e.g. for fast subprocess tests; unset or invalid values keep the defaults."""
        env = os.environ if environ is None else environ
        demo = cls()
        ttft = _env_float(env, "STREAMCHAT_DEMO_TTFT_S")
        rate = _env_float(env, "STREAMCHAT_DEMO_CHUNKS_PER_S")
        if ttft is not None:
            demo.ttft_s = ttft
        if rate is not None:
            demo.chunks_per_s = rate
        return demo

    def open(self, request: ChatRequest) -> DemoUpstream:
        prompt = request.messages[-1].content if request.messages else ""
        turn = sum(1 for m in request.messages if m.role == "user")
        answer = demo_answer(prompt, turn=turn, system=request.system)
        if request.messages and request.messages[-1].attachments:
            answer = acknowledge(request.messages[-1].attachments) + "\n\n" + answer
        prompt_chars = sum(len(m.content) for m in request.messages) + len(request.system or "")
        return DemoUpstream(
            answer,
            input_tokens=max(1, prompt_chars // CHARS_PER_TOKEN),
            max_tokens=request.max_tokens,
            ttft_s=self.ttft_s,
            chunks_per_s=self.chunks_per_s,
            reasoning=demo_reasoning(prompt) if request.model == REASONING_MODEL else "",
        )


class DemoUpstream:
    def __init__(
        self,
        answer: str,
        *,
        input_tokens: int,
        max_tokens: int | None,
        ttft_s: float,
        chunks_per_s: float,
        reasoning: str = "",
    ) -> None:
        self._answer = answer
        self._reasoning = reasoning
        self._reasoning_interval_s = (
            REASONING_S / max(1, sum(1 for _ in chunk_text(reasoning))) if chunks_per_s > 0 else 0.0
        )
        self._input_tokens = input_tokens
        self._max_tokens = max_tokens
        self._ttft_s = ttft_s
        self._interval_s = 1.0 / chunks_per_s if chunks_per_s > 0 else 0.0
        self._closed = threading.Event()

    def __iter__(self) -> Iterator[UpstreamEvent]:
        yield UsageReport(input_tokens=self._input_tokens)
        if self._closed.wait(self._ttft_s):
            return
        limit = None if self._max_tokens is None else self._max_tokens * CHARS_PER_TOKEN
        sent = 0
        for piece in chunk_text(self._reasoning):  # thinking counts against max_tokens too
            if limit is not None and sent + len(piece) > limit:
                yield UsageReport(output_tokens=_tokens(sent), reasoning_tokens=_tokens(sent))
                yield FinishReport("length", StreamStatus.LENGTH)
                return
            sent += len(piece)
            yield ReasoningDelta(piece)
            if self._reasoning_interval_s and self._closed.wait(self._reasoning_interval_s):
                return
        reasoning_tokens = _tokens(sent) if self._reasoning else None
        for piece in chunk_text(self._answer):
            if limit is not None and sent + len(piece) > limit:
                piece = piece[: max(0, limit - sent)]
                if piece:
                    sent += len(piece)
                    yield TextDelta(piece)
                yield UsageReport(output_tokens=_tokens(sent), reasoning_tokens=reasoning_tokens)
                yield FinishReport("length", StreamStatus.LENGTH)
                return
            sent += len(piece)
            yield TextDelta(piece)
            if self._interval_s and self._closed.wait(self._interval_s):
                return
        yield UsageReport(output_tokens=_tokens(sent), reasoning_tokens=reasoning_tokens)
        yield FinishReport("stop")

    def close(self) -> None:
        self._closed.set()


def acknowledge(attachments: Sequence[Attachment]) -> str:
    """The demo's note on what was attached: "You attached 2 files: photo.png (image,
    800×600, 120 KB), notes.md (text, 2 KB)." (names, sizes, image dimensions)."""
    count = len(attachments)
    files = ", ".join(a.describe() for a in attachments)
    return f"You attached {count} file{'s' if count != 1 else ''}: {files}."


def _env_float(env: Mapping[str, str], name: str) -> float | None:
    try:
        value = float(env.get(name, ""))
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _tokens(chars: int) -> int:
    return max(1, -(-chars // CHARS_PER_TOKEN))


_PIECE = re.compile(r"\s*\S{1,6}|\s+")


def chunk_text(text: str) -> Iterator[str]:
    """Token-like pieces: leading white space plus up to six characters."""
    for match in _PIECE.finditer(text):
        yield match.group(0)


def demo_reasoning(prompt: str) -> str:
    """What ``demo-reasoning`` thinks before answering ``prompt`` (deterministic)."""
    topic = _topic(" ".join(prompt.split()))
    return (
        f"The person asks about {topic}. First, what do they most likely need: an overview, "
        "an example or a decision? An overview with one small example covers the common case. "
        "I should keep each point short, show a few lines of code and a table of the steps, "
        "and say plainly that this is a simulated answer."
    )


def _topic(prompt: str) -> str:
    """The prompt's first words, cut at a word boundary (for the answer's heading)."""
    words = re.findall(r"[\w'-]+", prompt)
    if not words:
        return "your message"
    topic = ""
    for word in words:
        if len(topic) + len(word) + 1 > 48:
            return topic + "…"
        topic = f"{topic} {word}".strip()
    return topic


def demo_answer(prompt: str, *, turn: int = 1, system: str | None = None) -> str:
    """A realistic markdown answer that reflects ``prompt``; the same input gives the same text."""
    clean = " ".join(prompt.split())
    topic = _topic(clean)
    digest = int(hashlib.sha256(f"{clean}|{turn}".encode()).hexdigest(), 16)
    tips = [
        "Start with the smallest version that works, then measure.",
        "Write the failing case down before changing anything.",
        "Keep one idea per step so each can be undone.",
        "Name things for what they hold, not how they are computed.",
        "Check the edge cases: empty input, huge input, bad input.",
        "Prefer plain data that can be printed and compared.",
    ]
    first = digest % len(tips)
    picked = [tips[(first + i) % len(tips)] for i in range(3)]
    quoted = clean if len(clean) <= 120 else clean[:117] + "..."
    persona = ""
    if system and system.strip() and system.strip() != "You are a helpful assistant.":
        persona = f"\n\n*(Answering as instructed: \u201c{system.strip()[:80]}\u201d.)*"
    lines = [
        f"### About: {topic}",
        "",
        f"This is a **simulated answer** from Streamchat's offline demo (turn {turn}). "
        f"You asked: \u201c{quoted}\u201d{'' if quoted[-1:] in '.?!' else '.'}{persona}",
        "",
        "A few points worth keeping in mind:",
        "",
        *[f"- {tip}" for tip in picked],
        "",
        "Here is a tiny example in Python:",
        "",
        "```python",
        "def answer(question: str) -> str:",
        f'    return "Thinking about {topic.replace(chr(34), "")}"',
        "```",
        "",
        "| Step | What happens | Time |",
        "| --- | --- | --- |",
        "| 1 | Your prompt is sent | instant |",
        f"| 2 | The model streams {len(clean.split())} words back | a few seconds |",
        "| 3 | Metrics are recorded | instant |",
        "",
        "*That was a simulated answer — configure an API key to talk to a real model.*",
    ]
    return "\n".join(lines)
