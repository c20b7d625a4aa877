"""A local HTTP server that speaks the OpenAI and Anthropic streaming wire protocols.

openai 3.x and anthropic 2.x talk HTTP through httpx2, which respx cannot mock, so the tests
point the *real* SDKs at this server instead (docs/design.md §13-16).
Standard library only. It runs in a background thread of the test process (so tests can
inspect what it recorded) or as a CLI for benchmarks and manual browser checks::

    python -m tests.wire_server --port 8765          # prints its base URLs, serves until killed
    OPENAI_BASE_URL=http://127.0.0.1:8765/v1 ANTHROPIC_BASE_URL=http://127.0.0.1:8765 ...

Endpoints
---------
``POST /v1/chat/completions``  OpenAI chat completions (SDK ``base_url`` = ``.../v1``).
``POST /v1/messages``          Anthropic messages (SDK ``base_url`` = the server root).
``GET /health``                plain ``ok``.

Streamed bodies use HTTP/1.1 chunked transfer encoding, like the real APIs, so a connection
cut short (``drop_after``) is visible to the client as an incomplete body.

Which response a request gets (first match wins)
------------------------------------------------
1. ``server.enqueue(scenario, ...)``: a FIFO queue; the next chat request (either provider)
   takes the next scenario.
2. A trigger in the text of the LAST user message: ``#wire:NAME`` or ``#wire:NAME:ARG[:ARG]``
   (typing it into the chat box drives faults from a browser test):

   ==============================  ============================================================
   ``#wire:NNN[:S]``               HTTP error NNN (400 401 403 404 413 429 500 502 503 504 529)
                                   in the provider's own error format; ``S`` = ``retry-after``
                                   seconds (429 and 529 default to 1).
   ``#wire:context``               400 context_length_exceeded / "prompt is too long".
   ``#wire:model``                 404 model_not_found / not_found_error.
   ``#wire:overloaded``            529 overloaded_error (retry-after 1).
   ``#wire:drop[:N]``              close the TCP connection after N content chunks (20).
   ``#wire:error[:N]``             provider-style error event after N content chunks (10).
   ``#wire:malformed[:N]``         a non-JSON ``data:`` line after N content chunks (10).
   ``#wire:long[:N]``              long markdown answer, N chunks (2000), as fast as possible.
   ``#wire:slow[:N[:R]]``          long markdown, N chunks (2000) at R chunks/s (50): time to
                                   press Stop.
   ``#wire:rate:N:R``              long markdown, N chunks at R chunks/s (R=0: no pacing).
   ``#wire:html``                  answer containing ``<script>``, ``<img onerror>`` and a
                                   ``javascript:`` link (must be shown inert, not executed).
   ``#wire:length``                short answer ending with finish_reason ``length`` /
                                   stop_reason ``max_tokens``.
   ``#wire:nousage``               echo answer without the OpenAI usage chunk.
   ``#wire:hang[:S]``              send nothing, not even headers, for S seconds (30), then
                                   the echo answer: tests "no first byte before timeout".
   ``#wire:ttfb[:S]``              headers at once, first body byte after S seconds (5).
   ``#wire:echo``                  the default answer.
   ==============================  ============================================================

   An unknown name gets a normal answer that lists the known names.
3. Otherwise the default: ``"You said: <last user text>"`` plus a short second sentence,
   chunked at 4 characters, with usage.

Recording
---------
Every request becomes a :class:`Record` (path, lower-cased headers, parsed JSON body,
``received_at``) that the handler thread keeps updating while it responds: ``chunks_sent``,
``completed``, ``disconnected`` / ``disconnected_at`` (``time.monotonic()``), ``dropped``.
A client disconnect is noticed on a failed write or, while the server waits between paced
chunks, at once: the wait is a ``poll()`` on the socket, and readable + ``recv(MSG_PEEK)``
returning ``b""`` means the client closed.

How the SDKs react (openai 3.57, anthropic 2.14; pinned by tests/unit/test_wire_server.py)
----------------------------------------------------------------------------------------
==========================  ======================================  ===========================
fault                       openai                                  anthropic
==========================  ======================================  ===========================
HTTP 400                    BadRequestError (``.code`` from body)   BadRequestError
HTTP 401                    AuthenticationError                     AuthenticationError
HTTP 404                    NotFoundError                           NotFoundError
HTTP 429                    RateLimitError                          RateLimitError
HTTP 500                    InternalServerError                     InternalServerError
HTTP 503                    InternalServerError                     ServiceUnavailableError (*)
HTTP 529                    InternalServerError                     OverloadedError (*)
error event after 200       APIError (not APIStatusError)           APIStatusError, status 200
                                                                    (not OverloadedError)
malformed ``data:`` line    json.JSONDecodeError (no SDK class)     json.JSONDecodeError
connection dropped          APIConnectionError                      httpx2.RemoteProtocolError
                                                                    (no SDK class)
no headers before timeout   APITimeoutError                         APITimeoutError
no body byte before timeout APITimeoutError                         httpx2.ReadTimeout
==========================  ======================================  ===========================

(*) subclasses of ``anthropic.InternalServerError``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import select
import socket
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

__all__ = [
    "ANTHROPIC_PATH",
    "OPENAI_PATH",
    "Record",
    "Scenario",
    "WireServer",
    "anthropic_error_body",
    "long_markdown_text",
    "openai_error_body",
    "scenario_for_trigger",
]

OPENAI_PATH = "/v1/chat/completions"
ANTHROPIC_PATH = "/v1/messages"

Provider = Literal["openai", "anthropic"]
FinishReason = Literal["stop", "length"]

_ANTHROPIC_STOP = {"stop": "end_turn", "length": "max_tokens"}


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


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
    name: str = "custom"

    def __post_init__(self) -> None:
        if isinstance(self.chunks, str):
            raise TypeError("chunks must be a sequence of strings; use Scenario.text(...)")
        object.__setattr__(self, "chunks", tuple(self.chunks))
        hdrs: Any = self.headers
        items = hdrs.items() if isinstance(hdrs, Mapping) else hdrs
        object.__setattr__(self, "headers", tuple((str(k).lower(), str(v)) for k, v in items))
        if self.finish_reason not in ("stop", "length"):
            raise ValueError("finish_reason must be 'stop' or 'length'")
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


HTML_ANSWER = (
    "Here is markup that must be displayed, never executed:\n\n"
    "<script>alert(1)</script>\n\n"
    "An image tag: <img src=x onerror=alert(1)>\n\n"
    "And a link: [click](javascript:alert(1))\n\n"
    "End of the answer."
)

_SECTION_TITLES = (
    "Setting up the environment",
    "Streaming the answer",
    "Handling errors",
    "Measuring latency",
    "Cleaning up",
)


def _markdown_section(i: int) -> str:
    title = _SECTION_TITLES[i % len(_SECTION_TITLES)]
    return (
        f"## {i}. {title}\n\n"
        f"Step {i} keeps the interface responsive while tokens arrive. The client reads the "
        f"stream in a background thread, and the page shows *coalesced frames* instead of "
        f"re-rendering the **whole answer** for every token.\n\n"
        f"- Open the connection with a timeout of {5 + i % 7} seconds\n"
        f"- Read chunks as they arrive and append them to a buffer\n"
        f"- Close the stream when the user presses `Stop`\n\n"
        f"1. Measure the time to first token\n"
        f"2. Measure the lag after the last chunk\n\n"
        f"```python\n"
        f"def step_{i}(values: list[int]) -> int:\n"
        f'    """Sum the squares of the even values."""\n'
        f"    return sum(v * v for v in values if v % 2 == 0)\n"
        f"```\n\n"
        f"| Setting | Value | Notes |\n"
        f"|---------|-------|-------|\n"
        f"| interval | {50 + i % 50} ms | frame pacing |\n"
        f"| retries | {i % 3} | per turn |\n\n"
    )


def long_markdown_text(n_chunks: int, chunk_size: int = 4) -> str:
    """Markdown of exactly ``n_chunks * chunk_size`` characters: an intro, whole numbered
    sections while they fit, then a plain closing paragraph cut to the exact length."""
    if n_chunks < 0:
        raise ValueError("n_chunks must be >= 0")
    target = n_chunks * chunk_size
    text = "# A long answer\n\nHere is a detailed walk-through in several parts.\n\n"
    i = 1
    while True:
        section = _markdown_section(i)
        if len(text) + len(section) > target:
            break
        text += section
        i += 1
    filler = "In summary, keep updates small and close streams you no longer need. " * (
        1 + (target - len(text)) // 60
    )
    return (text + filler)[:target]


# --------------------------------------------------------------------------------------------
# Provider error bodies
# --------------------------------------------------------------------------------------------

# status -> (type, code, param, message); {model} is filled in.
_OPENAI_ERRORS: dict[int, tuple[str, str | None, str | None, str]] = {
    400: (
        "invalid_request_error",
        "context_length_exceeded",
        "messages",
        "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 131072 tokens. Please reduce the length of the messages.",
    ),
    401: (
        "invalid_request_error",
        "invalid_api_key",
        None,
        "Incorrect API key provided: sk-test. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
    ),
    403: (
        "invalid_request_error",
        "unsupported_country_region_territory",
        None,
        "Country, region, or territory not supported",
    ),
    404: (
        "invalid_request_error",
        "model_not_found",
        None,
        "The model `{model}` does not exist or you do not have access to it.",
    ),
    413: ("invalid_request_error", None, None, "Request too large."),
    429: (
        "requests",
        "rate_limit_exceeded",
        None,
        "Rate limit reached for {model} on requests per min (RPM): Limit 3, Used 3, "
        "Requested 1. Please try again in 1s.",
    ),
    500: (
        "server_error",
        None,
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    502: ("server_error", None, None, "Bad gateway."),
    503: (
        "server_error",
        None,
        None,
        "The engine is currently overloaded, please try again later.",
    ),
    504: ("server_error", None, None, "Gateway timeout."),
    529: ("server_error", None, None, "The server is overloaded, please try again later."),
}
_OPENAI_CODE_MESSAGES = {
    "context_length_exceeded": _OPENAI_ERRORS[400][3],
    "model_not_found": _OPENAI_ERRORS[404][3],
    "invalid_api_key": _OPENAI_ERRORS[401][3],
    "rate_limit_exceeded": _OPENAI_ERRORS[429][3],
    "insufficient_quota": "You exceeded your current quota, please check your plan and "
    "billing details.",
}

# status -> (type, message)
_ANTHROPIC_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum"),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low to access the Anthropic API."),
    403: ("permission_error", "Your API key does not have permission to use this resource."),
    404: ("not_found_error", "model: {model}"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes."),
    429: (
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of 50 requests "
        "per minute. Please try again later.",
    ),
    500: ("api_error", "Internal server error"),
    502: ("api_error", "Bad gateway"),
    503: ("api_error", "Service unavailable"),
    504: ("timeout_error", "Request timed out"),
    529: ("overloaded_error", "Overloaded"),
}


def openai_error_body(
    status: int, *, code: str | None = None, message: str | None = None, model: str = "gpt-test"
) -> dict[str, Any]:
    """``{"error": {"message", "type", "param", "code"}}`` as OpenAI sends it."""
    default = _OPENAI_ERRORS.get(
        status,
        (
            "server_error" if status >= 500 else "invalid_request_error",
            None,
            None,
            f"HTTP {status}",
        ),
    )
    etype, dcode, param, dmsg = default
    if code is not None and code != dcode:
        dmsg = _OPENAI_CODE_MESSAGES.get(code, dmsg)
        param = "messages" if code == "context_length_exceeded" else None
    msg = message if message is not None else dmsg.replace("{model}", model)
    return {
        "error": {
            "message": msg,
            "type": etype,
            "param": param,
            "code": code if code is not None else dcode,
        }
    }


def anthropic_error_body(
    status: int,
    *,
    message: str | None = None,
    model: str = "claude-test",
    request_id: str = "req_wire",
) -> dict[str, Any]:
    """``{"type": "error", "error": {"type", "message"}, "request_id"}`` as Anthropic sends it."""
    etype, dmsg = _ANTHROPIC_ERRORS.get(
        status, ("api_error" if status >= 500 else "invalid_request_error", f"HTTP {status}")
    )
    msg = message if message is not None else dmsg.replace("{model}", model)
    return {"type": "error", "error": {"type": etype, "message": msg}, "request_id": request_id}


# --------------------------------------------------------------------------------------------
# Triggers
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Recording
# --------------------------------------------------------------------------------------------


@dataclass
class Record:
    """One request and what happened to its response. Live: the handler thread keeps
    updating the response fields while it streams (times are ``time.monotonic()``)."""

    index: int
    method: str
    path: str
    headers: dict[str, str] = field(repr=False)
    body: Any = field(repr=False)
    raw_body: bytes = field(repr=False)
    received_at: float
    received_wall: float
    provider: Provider | None = None
    user_text: str = ""
    scenario: Scenario | None = field(default=None, repr=False)
    source: Literal["queue", "trigger", "default"] | None = None
    stream: bool = False
    status: int | None = None
    chunks_sent: int = 0
    first_chunk_at: float | None = None
    completed: bool = False
    dropped: bool = False
    disconnected: bool = False
    disconnected_at: float | None = None
    finished_at: float | None = None
    events: list[str] = field(default_factory=list)
    client_port: int = 0
    """The client's TCP port: equal ports on two requests mean a reused connection."""

    @property
    def json(self) -> Any:
        return self.body


# --------------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------------


class _Stop(Exception):
    """The response ends here (client gone, server reset/stopped, or connection dropped)."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    wire: WireServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # client went away: not worth a traceback
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer
    server_version = "wire-server/1"
    aborted = False

    # -- plumbing --------------------------------------------------------------------------
    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.wire._connection_opened(self)

    def finish(self) -> None:
        self.server.wire._connection_closed(self)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.wire.verbose:
            super().log_message(format, *args)

    @property
    def wire(self) -> WireServer:
        return self.server.wire

    def _send_simple(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _send_json(self, status: int, obj: Any, headers: Sequence[tuple[str, str]] = ()) -> None:
        self._send_simple(status, json.dumps(obj).encode(), "application/json", headers)

    # -- socket watching -------------------------------------------------------------------
    def _client_gone(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the socket to turn readable; True if the peer closed."""
        if self.aborted:
            return True
        sock = self.connection
        try:
            if self._poll is not None:
                ready = bool(self._poll.poll(max(0.0, timeout) * 1000.0))
            else:
                ready = bool(select.select([sock], [], [], max(0.0, timeout))[0])
        except (OSError, ValueError):
            return True
        if not ready:
            return False
        try:
            data = sock.recv(1, socket.MSG_PEEK | getattr(socket, "MSG_DONTWAIT", 0))
        except BlockingIOError:
            return False
        except OSError:
            return True
        if data == b"":
            return True
        # The client sent more bytes (pipelining): readable forever, so stop polling for EOF.
        self._poll = None
        self._poll_disabled = True
        if timeout > 0:
            time.sleep(timeout)
        return False

    def _wait_until(self, deadline: float) -> None:
        """Sleep until ``deadline`` (monotonic), watching for disconnect/abort every 50 ms."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self._poll_disabled:
                time.sleep(min(remaining, 0.05))
                if self.aborted:
                    raise _Stop
                continue
            if self._client_gone(min(remaining, 0.05)):
                self._gone()

    def _check_gone(self) -> None:
        if self._poll_disabled:
            if self.aborted:
                raise _Stop
            return
        if self._client_gone(0):
            self._gone()

    def _gone(self) -> None:
        self.close_connection = True
        if not self.aborted:
            self.wire._mark_disconnected(self.rec)
        raise _Stop

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
        except OSError:
            self._gone()

    # -- HTTP verbs ------------------------------------------------------------------------
    def do_GET(self) -> None:  # noqa: N802 (http.server naming)
        rec = self._record(b"")
        try:
            if rec.path == "/health":
                rec.status = 200
                self._send_simple(200, b"ok", "text/plain; charset=utf-8")
            elif rec.path == "/":
                rec.status = 200
                info = (
                    f"wire server\nOpenAI base_url:    {self.wire.openai_base_url}\n"
                    f"Anthropic base_url: {self.wire.anthropic_base_url}\n"
                    "Triggers: " + " ".join(f"#wire:{t}" for t in TRIGGER_NAMES) + "\n"
                )
                self._send_simple(200, info.encode(), "text/plain; charset=utf-8")
            else:
                rec.status = 404
                self._send_json(
                    404, {"error": {"message": f"no route {rec.path}", "type": "not_found"}}
                )
            rec.completed = True
        finally:
            self.wire._finish(self)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        rec = self._record(raw)
        path = rec.path
        try:
            if path == OPENAI_PATH:
                rec.provider = "openai"
            elif path == ANTHROPIC_PATH:
                rec.provider = "anthropic"
            else:
                rec.status = 404
                self._send_json(
                    404, {"error": {"message": f"no route {path}", "type": "not_found"}}
                )
                return
            if not isinstance(rec.body, dict):
                rec.status = 400
                self._send_json(400, self._error_body(400, "body is not a JSON object"))
                return
            self.wire._respond(self, rec)
        except _Stop:
            pass
        finally:
            self.wire._finish(self)

    def _record(self, raw: bytes) -> Record:
        self._poll: Any = None
        self._poll_disabled = False
        if hasattr(select, "poll"):
            self._poll = select.poll()
            self._poll.register(self.connection, select.POLLIN | select.POLLPRI)
        self.rec = self.wire._new_record(self, raw)
        return self.rec

    def _error_body(self, status: int, message: str | None = None) -> dict[str, Any]:
        model = str(self.rec.body.get("model", "")) if isinstance(self.rec.body, dict) else ""
        if self.rec.provider == "anthropic":
            return anthropic_error_body(
                status, message=message, model=model, request_id=self._request_id
            )
        return openai_error_body(status, message=message, model=model)

    @property
    def _request_id(self) -> str:
        return f"req_wire{self.rec.index:06d}"


class WireServer:
    """The OpenAI + Anthropic wire server. ``start()`` serves from a daemon thread.

    >>> with WireServer() as wire:   # doctest: +SKIP
    ...     wire.enqueue(Scenario.text("Hello world"))
    ...     client = openai.OpenAI(base_url=wire.openai_base_url, api_key="sk-test")
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        default_rate: float | None = None,
        verbose: bool = False,
    ) -> None:
        self.verbose = verbose
        self.default_rate = default_rate
        self._cond = threading.Condition()
        self._records: list[Record] = []
        self._queue: deque[Scenario] = deque()
        self._active: set[_Handler] = set()
        self._connections: set[_Handler] = set()
        self._in_flight = 0
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.wire = self
        self._thread: threading.Thread | None = None
        self._serving = False
        self._stopped = False

    # -- life cycle ------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        return f"{self.base_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return self.base_url

    def start(self) -> WireServer:
        """Serve from a daemon thread; returns self."""
        if self._stopped:
            raise RuntimeError("a stopped WireServer cannot be restarted")
        if self._thread is None and not self._serving:
            self._serving = True
            self._thread = threading.Thread(
                target=self._httpd.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"wire-server:{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (the CLI) until ``stop()`` from another thread or
        KeyboardInterrupt."""
        self._serving = True
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self._close()

    def stop(self) -> None:
        """Stop serving and cut every open connection (streams in progress included)."""
        if self._stopped:
            return
        self._stopped = True
        if self._serving:
            self._httpd.shutdown()  # waits for serve_forever to return
        if self._thread is not None:
            self._thread.join(5)
        self._close()

    def _close(self) -> None:
        with self._cond:
            handlers = list(self._connections)
        for h in handlers:
            h.aborted = True
            with contextlib.suppress(OSError):
                h.connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()

    def __enter__(self) -> WireServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test API --------------------------------------------------------------------------
    def enqueue(self, *scenarios: Scenario) -> None:
        """Queue scenarios; each following chat request takes the next one (FIFO)."""
        for s in scenarios:
            if not isinstance(s, Scenario):
                raise TypeError(f"expected Scenario, got {type(s).__name__}")
        with self._cond:
            self._queue.extend(scenarios)

    @property
    def pending(self) -> int:
        """Number of queued scenarios not yet taken."""
        with self._cond:
            return len(self._queue)

    @property
    def requests(self) -> list[Record]:
        """All records since the last ``reset()`` (a new list of the live Record objects)."""
        with self._cond:
            return list(self._records)

    @property
    def last_request(self) -> Record | None:
        with self._cond:
            return self._records[-1] if self._records else None

    def reset(self) -> None:
        """Forget records and queued scenarios; cut off responses still streaming."""
        with self._cond:
            self._records.clear()
            self._queue.clear()
            active = list(self._active)
            for h in active:
                h.aborted = True
            self._cond.notify_all()
        for h in active:
            with contextlib.suppress(OSError):
                h.connection.shutdown(socket.SHUT_RDWR)

    def wait_for_disconnect(self, timeout: float = 5.0, *, since: int = 0) -> Record | None:
        """The first record (index >= ``since``) whose client disconnected before the
        response was finished; waits up to ``timeout`` s, else None."""
        return self._wait_for(
            lambda: next((r for r in self._records if r.disconnected and r.index >= since), None),
            timeout,
        )

    def wait_for_requests(self, n: int = 1, timeout: float = 5.0) -> bool:
        """True once at least ``n`` requests were recorded (since the last reset)."""
        return bool(self._wait_for(lambda: len(self._records) >= n or None, timeout))

    def wait_until_idle(self, timeout: float = 5.0) -> bool:
        """True once no chat response is in progress (every handler wrote its last byte)."""
        return bool(self._wait_for(lambda: self._in_flight == 0 or None, timeout))

    def _wait_for(self, probe: Callable[[], Any], timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = probe()
                if result is not None:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)

    # -- handler callbacks -----------------------------------------------------------------
    def _connection_opened(self, h: _Handler) -> None:
        with self._cond:
            self._connections.add(h)

    def _connection_closed(self, h: _Handler) -> None:
        with self._cond:
            self._connections.discard(h)

    def _new_record(self, h: _Handler, raw: bytes) -> Record:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        now = time.monotonic()
        with self._cond:
            rec = Record(
                index=len(self._records),
                method=h.command,
                path=h.path.split("?", 1)[0],
                headers={k.lower(): v for k, v in h.headers.items()},
                body=body,
                raw_body=raw,
                received_at=now,
                received_wall=time.time(),
                user_text=last_user_text(body),
                client_port=int(h.client_address[1]),
            )
            self._records.append(rec)
            self._active.add(h)
            self._in_flight += 1
            self._cond.notify_all()
        return rec

    def _finish(self, h: _Handler) -> None:
        with self._cond:
            if h in self._active:
                self._active.discard(h)
                self._in_flight -= 1
            h.rec.finished_at = time.monotonic()
            self._cond.notify_all()

    def _mark_disconnected(self, rec: Record) -> None:
        with self._cond:
            if not rec.disconnected and not rec.completed:
                rec.disconnected = True
                rec.disconnected_at = time.monotonic()
            self._cond.notify_all()

    def _pick(self, rec: Record) -> tuple[Scenario, Literal["queue", "trigger", "default"]]:
        with self._cond:
            if self._queue:
                return self._queue.popleft(), "queue"
        trig = find_trigger(rec.user_text)
        if trig is not None:
            return scenario_for_trigger(trig[0], trig[1], rec.user_text), "trigger"
        return Scenario.echo(rec.user_text, rate=self.default_rate), "default"

    # -- responding ------------------------------------------------------------------------
    def _respond(self, h: _Handler, rec: Record) -> None:
        body: dict[str, Any] = rec.body
        sc, source = self._pick(rec)
        rec.scenario, rec.source = sc, source
        rec.stream = bool(body.get("stream"))
        provider = rec.provider
        assert provider is not None

        if sc.header_delay > 0:
            h._wait_until(time.monotonic() + sc.header_delay)

        id_header = ("request-id" if provider == "anthropic" else "x-request-id", h._request_id)
        if sc.status != 200:
            rec.status = sc.status
            err = dict(sc.error_body) if sc.error_body is not None else None
            if err is None:
                model = str(body.get("model", ""))
                err = (
                    anthropic_error_body(
                        sc.status, message=sc.error_message, model=model, request_id=id_header[1]
                    )
                    if provider == "anthropic"
                    else openai_error_body(
                        sc.status, code=sc.error_code, message=sc.error_message, model=model
                    )
                )
            try:
                h._send_json(sc.status, err, (id_header, *sc.headers))
            except OSError:
                h._gone()
            rec.completed = True
            return

        if not rec.stream:
            self._respond_json(h, rec, sc, provider, body, id_header)
            return

        plan = _build_stream(rec, sc, provider, body)
        rec.status = 200
        h.send_response(200)
        h.send_header("Content-Type", "text/event-stream; charset=utf-8")
        h.send_header("Cache-Control", "no-cache")
        h.send_header("Transfer-Encoding", "chunked")
        for k, v in (id_header, *sc.headers):
            h.send_header(k, v)
        try:
            h.end_headers()
        except OSError:
            h._gone()

        if sc.first_byte_delay > 0:
            h._wait_until(time.monotonic() + sc.first_byte_delay)
        h._write(_frame(plan.prelude))

        n = len(plan.content)
        drop_at = None if sc.drop_after is None else min(max(sc.drop_after, 0), n)
        error_at = None if sc.error_after is None else min(max(sc.error_after, 0), n)
        bad_at = None if sc.malformed_after is None else min(max(sc.malformed_after, 0), n)
        rate = sc.rate
        t0 = time.monotonic()
        for i in range(n + 1):
            if i == bad_at:
                h._write(_frame(plan.malformed))
                rec.events.append("malformed")
            if i == drop_at:
                rec.dropped = True
                rec.events.append("drop")
                h.close_connection = True
                with contextlib.suppress(OSError):
                    h.connection.shutdown(socket.SHUT_RDWR)
                raise _Stop
            if i == error_at:
                h._write(_frame(plan.error) + b"0\r\n\r\n")
                rec.events.append("error")
                rec.completed = True
                return
            if i == n:
                break
            if rate is not None:
                h._wait_until(t0 + i / rate)
            else:
                h._check_gone()
            h._write(plan.content[i])
            if i == 0:
                rec.first_chunk_at = time.monotonic()
            rec.chunks_sent = i + 1
        h._write(_frame(plan.epilogue) + b"0\r\n\r\n")
        rec.completed = True

    def _respond_json(
        self,
        h: _Handler,
        rec: Record,
        sc: Scenario,
        provider: Provider,
        body: Mapping[str, Any],
        id_header: tuple[str, str],
    ) -> None:
        delay = sc.first_byte_delay + (len(sc.chunks) / sc.rate if sc.rate else 0.0)
        if delay > 0:
            h._wait_until(time.monotonic() + delay)
        if sc.drop_after is not None:
            rec.dropped = True
            h.close_connection = True
            with contextlib.suppress(OSError):
                h.connection.shutdown(socket.SHUT_RDWR)
            raise _Stop
        model = str(body.get("model", ""))
        text = sc.full_text
        ptok = sc.prompt_tokens if sc.prompt_tokens is not None else _prompt_tokens(body)
        ctok = sc.completion_tokens if sc.completion_tokens is not None else len(sc.chunks)
        obj: dict[str, Any]
        if provider == "openai":
            obj = {
                "id": f"chatcmpl-wire{rec.index}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "system_fingerprint": None,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text, "refusal": None},
                        "logprobs": None,
                        "finish_reason": sc.finish_reason,
                    }
                ],
                "usage": {
                    "prompt_tokens": ptok,
                    "completion_tokens": ctok,
                    "total_tokens": ptok + ctok,
                },
            }
        else:
            obj = {
                "id": f"msg_wire{rec.index:06d}",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": text}],
                "stop_reason": _ANTHROPIC_STOP[sc.finish_reason],
                "stop_sequence": None,
                "usage": {"input_tokens": ptok, "output_tokens": ctok},
            }
        rec.status = 200
        try:
            h._send_json(200, obj, (id_header, *sc.headers))
        except OSError:
            h._gone()
        rec.chunks_sent = len(sc.chunks)
        rec.completed = True


@dataclass
class _Plan:
    prelude: bytes  # raw event bytes (one HTTP chunk)
    content: list[bytes]  # pre-framed HTTP chunks, one per content chunk
    epilogue: bytes
    error: bytes
    malformed: bytes


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode()


def _frame(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def _build_stream(rec: Record, sc: Scenario, provider: Provider, body: Mapping[str, Any]) -> _Plan:
    """Pre-encode every event so the send loop only writes bytes."""
    model = str(body.get("model", ""))
    ptok = sc.prompt_tokens if sc.prompt_tokens is not None else _prompt_tokens(body)
    ctok = sc.completion_tokens if sc.completion_tokens is not None else len(sc.chunks)
    texts = [_dumps(c) for c in sc.chunks]

    if provider == "openai":
        so = body.get("stream_options")
        include_usage = isinstance(so, Mapping) and bool(so.get("include_usage"))
        head = {
            "id": f"chatcmpl-wire{rec.index}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": None,
        }
        tail: dict[str, Any] = {"usage": None} if include_usage else {}

        def chunk(delta: Mapping[str, Any], finish: str | None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
            return b"data: " + _dumps({**head, "choices": [choice], **tail}) + b"\n\n"

        marker = "\x00CONTENT\x00"
        before, after = chunk({"content": marker}, None).split(_dumps(marker))
        content = [_frame(before + t + after) for t in texts]
        epilogue = chunk({}, sc.finish_reason)
        if include_usage and sc.usage:
            usage = {"prompt_tokens": ptok, "completion_tokens": ctok, "total_tokens": ptok + ctok}
            epilogue += b"data: " + _dumps({**head, "choices": [], "usage": usage}) + b"\n\n"
        epilogue += b"data: [DONE]\n\n"
        error = {
            "error": {
                "message": sc.stream_error_message
                or "The server had an error while processing your request. Sorry about that!",
                "type": sc.stream_error_type or "server_error",
                "param": None,
                "code": None,
            }
        }
        return _Plan(
            prelude=chunk({"role": "assistant", "content": "", "refusal": None}, None),
            content=content,
            epilogue=epilogue,
            error=b"data: " + _dumps(error) + b"\n\n",
            malformed=b"data: {this is not json\n\n",
        )

    def event(name: str, obj: Mapping[str, Any]) -> bytes:
        return b"event: " + name.encode() + b"\ndata: " + _dumps(obj) + b"\n\n"

    message = {
        "id": f"msg_wire{rec.index:06d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [],
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": ptok, "output_tokens": 1},
    }
    prelude = (
        event("message_start", {"type": "message_start", "message": message})
        + event(
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        )
        + event("ping", {"type": "ping"})
    )
    before = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":'
    after = b"}}\n\n"
    content = [_frame(before + t + after) for t in texts]
    epilogue = (
        event("content_block_stop", {"type": "content_block_stop", "index": 0})
        + event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": _ANTHROPIC_STOP[sc.finish_reason], "stop_sequence": None},
                "usage": {"output_tokens": ctok},
            },
        )
        + event("message_stop", {"type": "message_stop"})
    )
    error = {
        "type": "error",
        "error": {
            "type": sc.stream_error_type or "overloaded_error",
            "message": sc.stream_error_message or "Overloaded",
        },
    }
    return _Plan(
        prelude=prelude,
        content=content,
        epilogue=epilogue,
        error=event("error", error),
        # With an event name, so the SDK parses it (a bare data: line would be skipped).
        malformed=b"event: content_block_delta\ndata: {this is not json\n\n",
    )


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.wire_server",
        description="Local OpenAI/Anthropic wire server (see the module docstring for triggers).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 = any free port")
    parser.add_argument(
        "--rate", type=float, default=None, help="chunks/s for default (echo) answers"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    server = WireServer(args.host, args.port, default_rate=args.rate, verbose=args.verbose)
    print(f"wire server listening on {server.base_url}", flush=True)
    print(f"  OPENAI_BASE_URL={server.openai_base_url}", flush=True)
    print(f"  ANTHROPIC_BASE_URL={server.anthropic_base_url}", flush=True)
    print(f"  health: {server.base_url}/health", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
