"""``WireServer``: serves scenarios, records every request (``Record``)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Literal

from tests.wire.encoders import KEEP_ALIVE, build_stream, frame, whole_body
from tests.wire.error_bodies import anthropic_error_body, openai_error_body
from tests.wire.handler import _Handler, _HTTPServer, _Stop
from tests.wire.models import DEFAULT_MODELS, ModelListing, sampling_refusal
from tests.wire.record import Record
from tests.wire.scenarios import (
    Provider,
    Scenario,
    find_trigger,
    last_user_text,
    scenario_for_trigger,
)


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
        self.models: list[str] = list(DEFAULT_MODELS)
        """What ``GET /v1/models`` lists (tests may change it)."""
        self.model_listings: list[ModelListing] = []

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
            self.models = list(DEFAULT_MODELS)
            self.model_listings.clear()
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
        sc = sampling_refusal(rec) or sc  # a temperature the model refuses: the provider's 400
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

        if not rec.stream or sc.json_reply:
            self._respond_json(h, rec, sc, provider, body, id_header)
            return

        plan = build_stream(rec, sc, provider, body)
        if sc.raw is not None:
            size = max(1, sc.raw_chunk)
            plan.prelude = b""
            plan.content = [frame(sc.raw[i : i + size]) for i in range(0, len(sc.raw), size)]
            plan.epilogue = b""
        rec.status = 200
        h.send_response(200)
        h.send_header(
            "Content-Type",
            sc.raw_content_type if sc.raw is not None else "text/event-stream; charset=utf-8",
        )
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
        if plan.prelude:
            h._write(frame(plan.prelude))

        n = len(plan.content)
        drop_at = None if sc.drop_after is None else min(max(sc.drop_after, 0), n)
        error_at = None if sc.error_after is None else min(max(sc.error_after, 0), n)
        bad_at = None if sc.malformed_after is None else min(max(sc.malformed_after, 0), n)
        rate = sc.rate
        t0 = time.monotonic()
        for i in range(n + 1):
            if i == bad_at:
                rec.events.append("malformed")  # before the bytes: the client may react first
                h._write(frame(plan.malformed))
            if i == drop_at:
                rec.dropped = True
                rec.events.append("drop")
                h.close_connection = True
                with contextlib.suppress(OSError):
                    h.connection.shutdown(socket.SHUT_RDWR)
                raise _Stop
            if i == error_at:
                rec.events.append("error")  # before the bytes, as above
                rec.completed = True
                h._write(frame(plan.error) + b"0\r\n\r\n")
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
        if plan.epilogue:
            h._write(frame(plan.epilogue))
        if sc.hold_open_s > 0:  # the answer has ended; the body has not
            rec.events.append("held")
            held_until = time.monotonic() + sc.hold_open_s
            while time.monotonic() < held_until:
                h._wait_until(min(held_until, time.monotonic() + 1.0))
                h._write(frame(KEEP_ALIVE))
        rec.completed = True  # before the last bytes: the client may check as soon as it has them
        h._write(b"0\r\n\r\n")

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
        obj = whole_body(rec, sc, provider, body)
        rec.status = 200
        try:
            h._send_json(200, obj, (id_header, *sc.headers))
        except OSError:
            h._gone()
        rec.chunks_sent = len(sc.chunks)
        rec.completed = True
