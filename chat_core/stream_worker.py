"""The worker half of a ``ChatStream``: its state, and the thread that reads the upstream.

``StreamWorker`` holds what one answer has received so far (chunks, reasoning, retry notices,
the one result) behind one condition, and runs the worker thread: it opens the provider's
upstream (retrying before the first token), appends each event to the buffers, wakes the
consumers (``chat_core.frames``) and reports the end exactly once. ``chat_core.stream.ChatStream``
adds the public lifecycle and the ways to consume it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from chat_core.errors import ChatError, UnexpectedError, where_raised
from chat_core.metrics import MetricsRecorder
from chat_core.providers.base import Provider, Upstream
from chat_core.retry import DEFAULT_RETRY, RetryPolicy, retry_notice
from chat_core.stream_result import (
    Clock,
    ErrorCallback,
    NoticeCallback,
    ResultCallback,
    StreamResult,
    TokenCallback,
)
from chat_core.types import (
    ChatRequest,
    FinishReport,
    ReasoningDelta,
    StreamStatus,
    TextDelta,
    UsageReport,
)

log = logging.getLogger(__name__)


class StreamWorker:
    """State and worker thread of one streamed answer (see ``ChatStream``). Mutable; every
    buffer is read and written with ``_cond`` held."""

    def __init__(
        self,
        provider: Provider,
        request: ChatRequest,
        *,
        on_token: TokenCallback | None = None,
        on_complete: ResultCallback | None = None,
        on_error: ErrorCallback | None = None,
        on_notice: NoticeCallback | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        clock: Clock = time.perf_counter,
        wall_clock: Clock = time.time,
    ) -> None:
        self.provider = provider
        self.request = request
        self._on_token = on_token
        self._on_complete = on_complete
        self._on_error = on_error
        self._on_notice = on_notice
        self._retry = retry
        self._clock = clock
        self._wall_clock = wall_clock

        self._cond = threading.Condition()
        self._chunks: list[str] = []
        self._reasoning: list[str] = []
        self._finish_reason: str | None = None
        self._wakers: list[Callable[[], object]] = []
        """Async consumers waiting for news (``chat_core.frames.achunks_of``), woken once."""
        self._notices: list[str] = []
        self._result: StreamResult | None = None
        self._cancelled = threading.Event()
        self._upstream: Upstream | None = None
        self._thread: threading.Thread | None = None
        self._started_at_s: float | None = None
        self._consumer_waiting = False
        self._first_taken = threading.Event()
        self._opening = False
        self._recorder: MetricsRecorder | None = None

    def _signal(self, first: bool) -> None:
        """With ``_cond`` held: wake consumers. A blocked consumer is woken for a first chunk
        of its kind and, when it asked for every chunk, for any; an async one always."""
        if first or self._consumer_waiting:
            self._cond.notify_all()
        if self._wakers:
            wakers, self._wakers = self._wakers, []
            for wake in wakers:
                wake()

    # -- worker ----------------------------------------------------------------------------

    def _run(self) -> None:
        recorder: MetricsRecorder | None = None
        try:
            assert self._started_at_s is not None
            recorder = MetricsRecorder(
                self.provider.name,
                self.request.model,
                started_at_s=self._started_at_s,
                wall_start=self._wall_clock(),
            )
            with self._cond:
                self._recorder = recorder
            status, error = self._read(recorder)
            self._finish(recorder, status, error)
        finally:
            # Whatever escaped (a BaseException from a callback, a bug above): the stream still
            # reports exactly one result, so every consumer ends.
            if self._result is None:
                if recorder is None:
                    recorder = MetricsRecorder(
                        self.provider.name,
                        self.request.model,
                        started_at_s=self._started_at_s or self._clock(),
                        wall_start=self._wall_clock(),
                    )
                self._finish(
                    recorder,
                    StreamStatus.ERROR,
                    UnexpectedError(
                        f"Something went wrong while talking to {self.provider.label}.",
                        provider=self.provider.label,
                    ),
                )

    def _read(self, recorder: MetricsRecorder) -> tuple[StreamStatus, ChatError | None]:
        """Open the upstream (retrying before the first token) and read it to its end."""
        status = StreamStatus.COMPLETE
        error: ChatError | None = None
        attempt = 0
        while True:
            upstream: Upstream | None = None
            finish: FinishReport | None = None
            try:
                with self._cond:
                    self._opening = True
                try:
                    upstream = self.provider.open(self.request)
                finally:
                    with self._cond:
                        self._opening = False
                        self._upstream = upstream
                        stop_now = self._cancelled.is_set()
                if stop_now:
                    status = StreamStatus.STOPPED
                    break
                for event in upstream:
                    if isinstance(event, TextDelta):
                        if not event.text:
                            continue
                        recorder.chunk(self._clock(), len(event.text))
                        with self._cond:
                            self._chunks.append(event.text)
                            first = len(self._chunks) == 1
                            waiting = self._consumer_waiting
                            self._signal(first)
                        if first and waiting:
                            # Hand the GIL to the waiting consumer: a busy reader would otherwise
                            # keep it for the 5 ms switch interval, delaying the first token.
                            self._first_taken.wait(0.005)
                        if self._on_token is not None:
                            self._call(self._on_token, event.text)
                    elif isinstance(event, ReasoningDelta):
                        if not event.text:
                            continue
                        recorder.reasoning(self._clock(), len(event.text))
                        with self._cond:
                            self._reasoning.append(event.text)
                            self._signal(len(self._reasoning) == 1)
                    elif isinstance(event, UsageReport):
                        recorder.usage(
                            event.input_tokens, event.output_tokens, event.reasoning_tokens
                        )
                    elif isinstance(event, FinishReport):
                        finish = event
                # An upstream that names no end (the demo, test doubles) ended normally.
                status = StreamStatus.COMPLETE if finish is None else finish.status
                if self._cancelled.is_set() and (
                    finish is None or finish.status is StreamStatus.INTERRUPTED
                ):
                    # Closing the response can end the iteration quietly; the person stopped it.
                    status = StreamStatus.STOPPED
                elif finish is not None:
                    self._finish_reason = finish.reason
                break
            except ChatError as exc:
                if self._cancelled.is_set():
                    status = StreamStatus.STOPPED
                    break
                started = self._chunks or self._reasoning
                delay = None if started else self._retry.delay_for(exc, attempt)
                if delay is None:
                    status, error = StreamStatus.ERROR, exc
                    break
                attempt += 1
                self._notify(retry_notice(exc, delay))
                if self._cancelled.wait(delay):
                    status = StreamStatus.STOPPED
                    break
            except Exception as exc:  # noqa: BLE001 - a provider bug must not become a traceback
                if self._cancelled.is_set():
                    status = StreamStatus.STOPPED
                    break
                log.error(
                    "unexpected error in %s stream: %s", self.provider.name, where_raised(exc)
                )
                status = StreamStatus.ERROR
                error = UnexpectedError(
                    f"Something went wrong while talking to {self.provider.label} ({type(exc).__name__}).",
                    provider=self.provider.label,
                )
                break
            finally:
                if upstream is not None:
                    _close_quietly(upstream)
        return status, error

    def _finish(
        self, recorder: MetricsRecorder, status: StreamStatus, error: ChatError | None
    ) -> None:
        """Report the end, exactly once (the worker, or ``cancel`` while still opening)."""
        with self._cond:
            if self._result is not None:
                return
            metrics = recorder.finish(self._clock(), status)
            result = StreamResult(
                "".join(self._chunks),
                status,
                error,
                metrics,
                reasoning="".join(self._reasoning),
                finish_reason=self._finish_reason,
            )
            self._result = result
            self._upstream = None
            self._cond.notify_all()
            self._signal(True)
        if error is not None:
            if self._on_error is not None:
                self._call(self._on_error, error, result)
        elif self._on_complete is not None:
            self._call(self._on_complete, result)

    def _notify(self, notice: str) -> None:
        with self._cond:
            self._notices.append(notice)
            self._cond.notify_all()
            self._signal(True)
        if self._on_notice is not None:
            self._call(self._on_notice, notice)

    @staticmethod
    def _call(callback: Callable[..., None], *args: object) -> None:
        try:
            callback(*args)
        except Exception as exc:  # noqa: BLE001 - a caller's callback must not kill the stream
            log.error("stream callback failed: %s", where_raised(exc))


def _close_quietly(upstream: Upstream) -> None:
    try:
        upstream.close()
    except Exception as exc:  # noqa: BLE001 - closing is best effort: the stream is over
        log.debug("closing upstream failed: %s", where_raised(exc))
