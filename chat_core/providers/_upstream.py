"""An SDK's streaming response read as server-sent events (chat_core/sse_decode.py).

The SDK builds and sends the request, raises its status errors and owns the connection; this
reads the body's SSE lines directly instead of the SDK's per-chunk objects (~6x the CPU). A
provider subclasses ``SSEUpstream`` with ``convert``: one SSE event to chat events.

How an answer ends (the same for every provider):

- the provider's end marker (``[DONE]``, ``message_stop``) ends the iteration at once, without
  waiting for the server to close the body: some servers keep it open after the marker and
  send ``: keep-alive`` comments. What follows the marker is read for at most
  ``DRAIN_S``; a body that has ended by then gives its connection back to the pool, any other
  connection is dropped;
- a finish reason seen without the marker (a server that just closes the body after it) ends
  the answer with that reason;
- a body that ends with neither is reported as ``FinishReport(None, INTERRUPTED)``: the text
  received so far is kept, but the answer is not shown as complete;
- a server that answers a streaming request with one JSON object (``application/json``, some
  gateways do) is read as one chunk through ``convert_whole``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import httpx2

from chat_core import errors as e
from chat_core.providers._http import (
    base_url_hint,
    interrupt_response,
    midstream_error,
    request_id_of,
    transport_error,
)
from chat_core.sse_decode import SSEEvent, decode_events, iter_lines
from chat_core.types import (
    FinishReport,
    ReasoningDelta,
    StreamStatus,
    TextDelta,
    UpstreamEvent,
)

log = logging.getLogger(__name__)

END = None
"""What ``convert`` returns for the event that ends the answer (``[DONE]``, ``message_stop``)."""

DRAIN_S = 0.1
"""How long the rest of a body is read after the end marker before the connection is
dropped instead of reused (normally the body's end arrives with the marker)."""


class SSEUpstream:
    """One streamed answer. ``stream`` is the SDK's stream object (``.response``, ``.close()``).

    Subclasses set ``self.finish`` when the provider names its finish reason."""

    def __init__(self, stream: Any, *, label: str, model: str, base_url: str | None) -> None:
        self._stream = stream
        self.label = label
        self.model = model
        self._base_url = base_url
        self._closed = threading.Event()
        self._read_all = False
        self.finish: FinishReport | None = None
        self.request_id = request_id_of(getattr(stream.response, "headers", None))

    def convert(self, sse: SSEEvent) -> Sequence[UpstreamEvent] | None:
        """The chat events in one SSE event, ``END`` at the end; raise ``ChatError`` for an
        error event."""
        raise NotImplementedError

    def convert_whole(self, body: Any) -> list[UpstreamEvent]:
        """The chat events of a non-streaming reply (one JSON object); sets ``finish``."""
        raise NotImplementedError

    def __iter__(self) -> Iterator[UpstreamEvent]:
        started = False
        response = self._stream.response
        try:
            content_type = str(response.headers.get("content-type", "")).lower()
            if content_type.startswith("application/json"):
                yield from self._whole(response)
                return
            if content_type.startswith("text/html"):
                raise e.WrongBaseURL(
                    f"{base_url_hint(self.label)} It answered with a web page instead of a stream.",
                    provider=self.label,
                )
            chunks = response.iter_bytes()
            ended = False
            for sse in decode_events(iter_lines(chunks)):
                converted = self.convert(sse)
                if converted is END:
                    ended = True
                    break
                for event in converted:
                    if type(event) is TextDelta or type(event) is ReasoningDelta:
                        started = True
                    yield event
            if ended:
                self._read_all = self._drain(response, chunks)
            else:
                self._read_all = True
            if self.finish is not None:
                yield self.finish
            elif not ended:
                yield FinishReport(None, StreamStatus.INTERRUPTED)
        except e.ChatError as exc:
            if exc.request_id is None:
                exc.request_id = self.request_id
            raise
        except Exception as exc:  # drops, timeouts, garbled JSON (raw httpx2 or json errors)
            if self._closed.is_set():
                return
            if isinstance(exc, httpx2.HTTPError | httpx2.StreamError | OSError | ValueError):
                error = transport_error(
                    exc, provider=self.label, base_url=self._base_url, started=started
                )
            else:  # a shape nobody anticipated: say so, not "the connection dropped"
                log.error("could not read the %s stream: %s", self.label, e.where_raised(exc))
                error = e.ProtocolError(
                    f"{self.label} sent a stream Streamchat could not read"
                    f"{' mid-answer' if started else ''}; the text received so far is kept.",
                    provider=self.label,
                )
            error.request_id = self.request_id
            raise error from exc

    def _whole(self, response: Any) -> Iterator[UpstreamEvent]:
        body = json.loads(response.read())
        self._read_all = True
        if isinstance(body, dict) and (body.get("error") or body.get("type") == "error"):
            raise midstream_error(self.label, self.model, body)
        yield from self.convert_whole(body)
        yield self.finish or FinishReport(None, StreamStatus.INTERRUPTED)

    def _drain(self, response: Any, chunks: Iterator[bytes]) -> bool:
        """Read what follows the end marker for at most ``DRAIN_S``; True if the body ended."""
        lock = threading.Lock()
        done = False

        def give_up() -> None:
            with lock:
                if not done:
                    interrupt_response(response)

        timer = threading.Timer(DRAIN_S, give_up)
        timer.daemon = True
        timer.start()
        try:
            for _ in chunks:
                pass
        except (httpx2.HTTPError, OSError):  # cut by give_up, or closed uncleanly: drop it
            return False
        finally:
            with lock:
                done = True
            timer.cancel()
        return True

    def close(self) -> None:
        if not self._closed.is_set():
            self._closed.set()
            if not self._read_all:  # stopped early: wake a blocked read, drop the connection
                interrupt_response(self._stream.response)
            self._stream.close()
