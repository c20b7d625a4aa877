"""The HTTP plumbing: one handler per connection, watching for a client that went away."""

from __future__ import annotations

import contextlib
import json
import select
import socket
import sys
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from tests.wire.error_bodies import anthropic_error_body, openai_error_body
from tests.wire.models import is_models_path, serve_models
from tests.wire.scenarios import ANTHROPIC_PATH, OPENAI_PATH, TRIGGER_NAMES

if TYPE_CHECKING:
    from tests.wire.record import Record
    from tests.wire.server import WireServer


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
        if is_models_path(self.path):
            return serve_models(self)  # recorded apart: wire.model_listings
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
