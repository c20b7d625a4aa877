"""What one response looks like (``Scenario``) and the ``#wire:`` triggers that pick one."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from tests.wire.texts import HTML_ANSWER, long_markdown_text

OPENAI_PATH = "/v1/chat/completions"
ANTHROPIC_PATH = "/v1/messages"

Provider = Literal["openai", "anthropic"]
FinishReason = Literal["stop", "length", "content_filter", "refusal"]
"""OpenAI's names; ``refusal`` is Anthropic's (OpenAI clients see ``content_filter``)."""

REASONING_TEXT = (
    "The person wants a short answer. Let me check what they asked, recall the relevant "
    "facts, and put the answer in two sentences."
)


def _split(text: str, chunk_size: int) -> tuple[str, ...]:
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    return tuple(text[i : i + chunk_size] for i in range(0, len(text), chunk_size))


@dataclass(frozen=True)
class Scenario:
    """One response. Counts (``*_after``) are numbers of *content* chunks already sent.

    ``status != 200`` makes an error response (JSON body in the provider's format, built
    from ``status``/``error_code``/``error_message`` unless ``error_body`` is given).
    ``rate`` paces content chunks on an absolute schedule (chunk i at t0 + i/rate);
    ``None`` sends them as fast as possible. ``header_delay`` holds back everything (status
    line included); ``first_byte_delay`` holds back the body after the headers.
    ``usage`` only affects OpenAI (the final usage chunk, which is also only sent when the
    request asked for ``stream_options.include_usage``); Anthropic always reports usage.
    """

    chunks: tuple[str, ...] = field(default=(), repr=False)
    rate: float | None = None
    first_byte_delay: float = 0.0
    header_delay: float = 0.0
    status: int = 200
    error_code: str | None = None
    error_message: str | None = None
    error_body: Mapping[str, Any] | None = None
    headers: tuple[tuple[str, str], ...] = ()
    finish_reason: FinishReason = "stop"
    usage: bool = True
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    drop_after: int | None = None
    error_after: int | None = None
    stream_error_type: str | None = None
    stream_error_message: str | None = None
    malformed_after: int | None = None
    reasoning: tuple[str, ...] = field(default=(), repr=False)
    """Reasoning chunks streamed before the answer (OpenAI ``delta.reasoning_content``,
    Anthropic a ``thinking`` block); paced like content chunks."""
    end_marker: bool = True
    """False: the body ends cleanly after the content, with no finish reason, no usage and no
    ``[DONE]`` / ``message_stop`` (a truncated answer)."""
    hold_open_s: float = 0.0
    """After the end marker, keep the body open this long, sending ``: keep-alive`` comments
    every second, before ending it."""
    json_reply: bool = False
    """Answer a streaming request with one non-streaming JSON object (some gateways do)."""
    raw: bytes | None = field(default=None, repr=False)
    """Send exactly these bytes as the streamed body (a recorded transcript), in HTTP chunks of
    ``raw_chunk`` bytes, ignoring the fields that shape a generated stream."""
    raw_chunk: int = 61
    raw_content_type: str = "text/event-stream; charset=utf-8"
    name: str = "custom"

    def __post_init__(self) -> None:
        if isinstance(self.chunks, str):
            raise TypeError("chunks must be a sequence of strings; use Scenario.text(...)")
        object.__setattr__(self, "chunks", tuple(self.chunks))
        hdrs: Any = self.headers
        items = hdrs.items() if isinstance(hdrs, Mapping) else hdrs
        object.__setattr__(self, "headers", tuple((str(k).lower(), str(v)) for k, v in items))
        if self.finish_reason not in ("stop", "length", "content_filter", "refusal"):
            raise ValueError("finish_reason must be stop, length, content_filter or refusal")
        object.__setattr__(self, "reasoning", tuple(self.reasoning))
        if self.rate is not None and self.rate <= 0:
            raise ValueError("rate must be > 0 or None")

    # -- helpers ---------------------------------------------------------------------------
    @property
    def full_text(self) -> str:
        return "".join(self.chunks)

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields changed, e.g. ``Scenario.text("hi").replace(drop_after=1)``."""
        return replace(self, **changes)

    # -- constructors ----------------------------------------------------------------------
    @classmethod
    def text(cls, text: str, chunk_size: int = 4, rate: float | None = None, **kw: Any) -> Scenario:
        """``text`` cut into ``chunk_size``-character chunks."""
        kw.setdefault("name", "text")
        return cls(chunks=_split(text, chunk_size), rate=rate, **kw)

    @classmethod
    def http_error(
        cls,
        status: int,
        *,
        code: str | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        **kw: Any,
    ) -> Scenario:
        """An HTTP error in each provider's real error format (see ``openai_error_body``)."""
        if not 400 <= status <= 599:
            raise ValueError("status must be 4xx or 5xx")
        hdrs = dict(headers or {})
        if retry_after is not None:
            hdrs["retry-after"] = f"{retry_after:g}"
        kw.setdefault("name", f"http_{status}")
        return cls(
            status=status,
            error_code=code,
            error_message=message,
            error_body=body,
            headers=tuple(hdrs.items()),
            **kw,
        )

    @classmethod
    def context_length_exceeded(cls, **kw: Any) -> Scenario:
        return cls.http_error(400, code="context_length_exceeded", **kw)

    @classmethod
    def model_not_found(cls, **kw: Any) -> Scenario:
        return cls.http_error(404, code="model_not_found", **kw)

    @classmethod
    def overloaded(cls, retry_after: float | None = 1, **kw: Any) -> Scenario:
        """HTTP 529 (Anthropic's overloaded_error; OpenAI clients just see a 5xx)."""
        return cls.http_error(529, retry_after=retry_after, **kw)

    @classmethod
    def long_markdown(
        cls, n_chunks: int, rate: float | None = None, chunk_size: int = 4, **kw: Any
    ) -> Scenario:
        """Exactly ``n_chunks`` chunks of a realistic markdown answer (headings, paragraphs,
        lists, fenced code, tables), repeating numbered sections to fill the length."""
        kw.setdefault("name", "long_markdown")
        text = long_markdown_text(n_chunks, chunk_size)
        return cls(chunks=_split(text, chunk_size), rate=rate, **kw)

    @classmethod
    def html_injection(cls, chunk_size: int = 4, **kw: Any) -> Scenario:
        """An answer carrying script/img/javascript-link payloads that must stay inert."""
        kw.setdefault("name", "html")
        return cls.text(HTML_ANSWER, chunk_size=chunk_size, **kw)

    @classmethod
    def echo(cls, user_text: str, rate: float | None = None, **kw: Any) -> Scenario:
        """The default answer: ``You said: ...`` plus a second sentence."""
        kw.setdefault("name", "echo")
        return cls.text(
            f"You said: {user_text}\n\nThis answer comes from the local wire test server.",
            rate=rate,
            **kw,
        )


TRIGGER_RE = re.compile(r"#wire:([A-Za-z0-9_.:]+)")

TRIGGER_NAMES = (
    "NNN[:retry_after]",
    "context",
    "model",
    "overloaded",
    "drop[:N]",
    "error[:N]",
    "malformed[:N]",
    "long[:N]",
    "slow[:N[:R]]",
    "rate:N:R",
    "html",
    "length",
    "nousage",
    "hang[:S]",
    "ttfb[:S]",
    "reasoning[:S]",
    "reasoningcut",
    "refusal",
    "filter",
    "truncated",
    "held[:S]",
    "json",
    "echo",
)


def _num(args: Sequence[str], i: int, default: float) -> float:
    try:
        return float(args[i])
    except (IndexError, ValueError):
        return default


def scenario_for_trigger(name: str, args: Sequence[str] = (), user_text: str = "") -> Scenario:
    """The scenario for ``#wire:NAME:ARG...`` (see the module docstring)."""
    name = name.lower()
    trig = ":".join((name, *args))

    def tag(s: Scenario) -> Scenario:
        return s.replace(name=f"#wire:{trig}")

    if re.fullmatch(r"[45]\d\d", name):
        status = int(name)
        default_ra: float | None = 1 if status in (429, 529) else None
        return tag(Scenario.http_error(status, retry_after=_num(args, 0, default_ra or 0) or None))
    if name == "context":
        return tag(Scenario.context_length_exceeded())
    if name == "model":
        return tag(Scenario.model_not_found())
    if name == "overloaded":
        return tag(Scenario.overloaded(retry_after=_num(args, 0, 1) or None))
    if name in ("drop", "error", "malformed"):
        n = int(_num(args, 0, 20 if name == "drop" else 10))
        return tag(Scenario.long_markdown(n + 40).replace(**{f"{name}_after": n}))
    if name == "long":
        return tag(Scenario.long_markdown(int(_num(args, 0, 2000))))
    if name == "slow":
        return tag(Scenario.long_markdown(int(_num(args, 0, 2000)), rate=_num(args, 1, 50)))
    if name == "rate":
        rate = _num(args, 1, 0)
        return tag(Scenario.long_markdown(int(_num(args, 0, 2000)), rate=rate or None))
    if name == "html":
        return tag(Scenario.html_injection())
    if name == "length":
        return tag(
            Scenario.text(
                "This answer is cut off because it reached the maximum number of",
                finish_reason="length",
            )
        )
    if name == "nousage":
        return tag(Scenario.echo(user_text, usage=False))
    if name == "hang":
        return tag(Scenario.echo(user_text, header_delay=_num(args, 0, 30)))
    if name == "ttfb":
        return tag(Scenario.echo(user_text, first_byte_delay=_num(args, 0, 5)))
    if name == "reasoning":  # ~S seconds of thinking (1), then the answer
        thinking = _split(REASONING_TEXT, 4)
        rate = len(thinking) / max(_num(args, 0, 1.0), 0.01)
        return tag(Scenario.echo(user_text, rate=rate, reasoning=thinking))
    if name == "reasoningcut":  # the whole budget went to thinking
        return tag(Scenario(reasoning=_split(REASONING_TEXT, 4), finish_reason="length"))
    if name == "refusal":
        return tag(Scenario(finish_reason="refusal"))
    if name == "filter":
        return tag(Scenario.text("Here is how to", finish_reason="content_filter"))
    if name == "truncated":
        return tag(Scenario.text("One, two, three", chunk_size=5, end_marker=False))
    if name == "held":
        return tag(Scenario.echo(user_text, hold_open_s=_num(args, 0, 25)))
    if name == "json":
        return tag(Scenario.echo(user_text, json_reply=True))
    if name == "echo":
        return tag(Scenario.echo(user_text))
    return tag(
        Scenario.text(
            f"Unknown wire trigger `#wire:{trig}`. Known: "
            + ", ".join(f"`#wire:{t}`" for t in TRIGGER_NAMES)
            + "."
        )
    )


def find_trigger(text: str) -> tuple[str, list[str]] | None:
    m = TRIGGER_RE.search(text)
    if not m:
        return None
    parts = m.group(1).strip(".:").split(":")
    return parts[0], [p for p in parts[1:] if p]


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        out = []
        for block in content:
            if isinstance(block, str):
                out.append(block)
            elif isinstance(block, Mapping) and isinstance(block.get("text"), str):
                out.append(block["text"])
        return "\n".join(out)
    return ""


def last_user_text(body: Any) -> str:
    """Text of the last ``role == "user"`` message (string or list of content blocks)."""
    if not isinstance(body, Mapping):
        return ""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return ""
    for msg in reversed(messages):
        if isinstance(msg, Mapping) and msg.get("role") == "user":
            return _content_text(msg.get("content"))
    return ""


def _prompt_tokens(body: Mapping[str, Any]) -> int:
    chars = len(_content_text(body.get("system"))) if "system" in body else 0
    for msg in body.get("messages") or []:
        if isinstance(msg, Mapping):
            chars += len(_content_text(msg.get("content"))) + 4
    return max(1, chars // 4)
