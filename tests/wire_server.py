"""A local HTTP server that speaks the OpenAI and Anthropic streaming wire protocols.

openai 3.x and anthropic 2.x talk HTTP through httpx2, which respx cannot mock, so the tests
point the *real* SDKs at this server instead (docs/design.md §13-16).
Standard library only; one module per concern under ``tests/wire/`` (scenarios and
triggers, each provider's encoders, the HTTP handler, the server), re-exported here. It runs in a background thread of the test process (so tests can
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
   ``#wire:reasoning[:S]``         ~S seconds (1) of reasoning (``reasoning_content`` / a
                                   ``thinking`` block), then the echo answer.
   ``#wire:reasoningcut``          reasoning only, then ``length`` / ``max_tokens``.
   ``#wire:refusal``               no text, ``content_filter`` / stop_reason ``refusal``.
   ``#wire:filter``                "Here is how to", then ``content_filter`` / ``refusal``.
   ``#wire:truncated``             three chunks, then the body ends: no finish reason, no
                                   ``[DONE]`` / ``message_stop``.
   ``#wire:held[:S]``              the echo answer and its end marker, then the body stays
                                   open S seconds (25) with ``: keep-alive`` every second.
   ``#wire:json``                  a non-streaming JSON reply to the streaming request.
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

import argparse
import contextlib
import sys
from collections.abc import Sequence

from tests.wire.error_bodies import anthropic_error_body, openai_error_body
from tests.wire.record import Record
from tests.wire.scenarios import (
    ANTHROPIC_PATH,
    OPENAI_PATH,
    TRIGGER_NAMES,
    Scenario,
    find_trigger,
    last_user_text,
    scenario_for_trigger,
)
from tests.wire.server import WireServer
from tests.wire.texts import HTML_ANSWER, long_markdown_text

__all__ = [
    "ANTHROPIC_PATH",
    "HTML_ANSWER",
    "OPENAI_PATH",
    "TRIGGER_NAMES",
    "Record",
    "Scenario",
    "WireServer",
    "anthropic_error_body",
    "find_trigger",
    "last_user_text",
    "long_markdown_text",
    "openai_error_body",
    "scenario_for_trigger",
]


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
