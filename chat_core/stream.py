"""The stream engine: one ``ChatStream`` per answer.

A worker thread reads the provider's upstream into a buffer while the caller iterates
chunks, coalesced frames (for UIs) or ``async for``. ``cancel()`` closes the upstream HTTP
response from any thread so the provider stops generating. Whatever happens, the stream
ends exactly once with a ``StreamResult`` (complete / stopped / length / filtered /
interrupted / other / error) that keeps every character received, the answer's text and the
model's reasoning apart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from types import TracebackType

from chat_core import frames as fr
from chat_core.errors import ChatError, UnexpectedError
from chat_core.metrics import MetricsRecorder, StreamMetrics
from chat_core.providers._abort import abort_thread_io
from chat_core.providers.base import Provider, Upstream
from chat_core.retry import DEFAULT_RETRY, NO_RETRY, RetryPolicy, retry_notice
from chat_core.types import (
    ChatRequest,
    FinishReport,
    ReasoningDelta,
    StreamStatus,
    TextDelta,
    UsageReport,
)

__all__ = [
    "DEFAULT_RETRY",
    "NO_RETRY",
    "ChatStream",
    "ErrorCallback",
    "ResultCallback",
    "RetryPolicy",
    "StreamResult",
]

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class StreamResult:
    text: str
    """The answer: every character received, whatever the status."""
    status: StreamStatus
    error: ChatError | None
    metrics: StreamMetrics
    reasoning: str = ""
    """The model's thinking, streamed apart from the answer (never part of ``text``, never
    sent back to the model as answer text)."""
    finish_reason: str | None = None
    """The provider's raw finish/stop reason (``"stop"``, ``"end_turn"``, ``"refusal"``, …);
    ``None`` when it named none (stopped, interrupted, error, or an end marker alone)."""

    @property
    def ok(self) -> bool:
        return self.status in (StreamStatus.COMPLETE, StreamStatus.LENGTH)


TokenCallback = Callable[[str], None]
ResultCallback = Callable[[StreamResult], None]
ErrorCallback = Callable[[ChatError, StreamResult], None]
NoticeCallback = Callable[[str], None]
IdleCallback = Callable[[], None]


class ChatStream:
    """One streamed answer. Mutable and thread-safe; consume it once.

    Iterate it for chunks as they arrive, or use ``frames()`` / ``async for``. Callbacks run
    on the worker thread: ``on_token`` per chunk, then exactly one of ``on_complete`` (complete,
    stopped or cut off) or ``on_error``. ``on_notice`` gets messages such as
    "Rate limited by OpenAI — retrying in 2 s" while a retry waits.
    """

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

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> ChatStream:
        """Send the request now (iteration starts it too). Idempotent."""
        with self._cond:
            if self._thread is not None:
                return self
            self._started_at_s = self._clock()
            self._thread = threading.Thread(
                target=self._run, name=f"chat-stream-{self.provider.name}", daemon=True
            )
        self._thread.start()
        return self

    def cancel(self) -> None:
        """Stop the answer: close the upstream response. Any thread, any number of times."""
        self._cancelled.set()
        with self._cond:
            upstream = self._upstream
            # Still waiting for the provider's first byte: the SDK gives no handle to close
            # that request, so end the stream now; the worker closes the response as soon as
            # the SDK returns it.
            early = self._opening and upstream is None and self._recorder is not None
            self._cond.notify_all()
        if upstream is not None:
            _close_quietly(upstream)
        elif early and self._recorder is not None:
            self._finish(self._recorder, StreamStatus.STOPPED, None)
            # And make the provider see the request go away now, not when its headers come.
            abort_thread_io(self._thread)

    def close(self, timeout_s: float = 5.0) -> None:
        """Cancel if still running and wait (up to ``timeout_s``) until the result is there.
        Idempotent."""
        if not self.done:
            self.cancel()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread() and not self.done:
            thread.join(timeout_s)

    def wait(self, timeout_s: float | None = None) -> StreamResult:
        """Block until the stream has ended (starting it if needed) and return the result."""
        self.start()
        with self._cond:
            if not self._cond.wait_for(lambda: self._result is not None, timeout_s):
                raise TimeoutError("stream still running")
            assert self._result is not None
            return self._result

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- state ------------------------------------------------------------------------------

    @property
    def done(self) -> bool:
        return self._result is not None

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def result(self) -> StreamResult | None:
        """The final result once the stream has ended, else ``None``."""
        return self._result

    @property
    def text(self) -> str:
        """Everything received so far."""
        with self._cond:
            return "".join(self._chunks)

    @property
    def reasoning(self) -> str:
        """Everything the model has shown of its thinking so far (``ReasoningDelta``)."""
        with self._cond:
            return "".join(self._reasoning)

    @property
    def notice(self) -> str | None:
        """The latest retry notice, if any."""
        with self._cond:
            return self._notices[-1] if self._notices else None

    # -- consumption --------------------------------------------------------------------------

    def __iter__(self) -> Iterator[str]:
        """Each answer chunk as the provider sent it, as soon as it arrives. Abandoning the
        iteration cancels."""
        return fr.chunks_of(self)

    def updates(
        self,
        min_interval_s: fr.Interval = 0.05,
        *,
        idle_s: float | None = 0.25,
        cancel_on_exit: bool = True,
    ) -> Iterator[fr.Frame]:
        """Coalesced ``Frame``s for UIs (``chat_core.frames``): the first text at once, then
        what arrived (answer, reasoning, notices), at most one frame per ``min_interval_s``
        (a number, or a function asked after each frame, e.g. ``FrameCost.interval``); the last
        frame holds the result. ``IDLE`` (an empty frame) each time ``idle_s`` passes with
        nothing new. Abandoning the iteration cancels the stream unless ``cancel_on_exit`` is
        False (the caller decides: chat_core/running.py)."""
        return fr.frames_of(self, min_interval_s, idle_s=idle_s, cancel_on_exit=cancel_on_exit)

    def frames(
        self,
        min_interval_s: fr.Interval = 0.05,
        *,
        on_notice: NoticeCallback | None = None,
        on_idle: IdleCallback | None = None,
        idle_s: float = 0.25,
    ) -> Iterator[str]:
        """``updates`` as answer text only: the frames concatenate to exactly the text.
        ``on_notice`` gets each retry notice and ``on_idle`` each idle round, on the consuming
        thread. Abandoning the iteration cancels the stream."""
        frames = self.updates(min_interval_s, idle_s=None if on_idle is None else idle_s)
        return fr.text_frames(frames, on_notice, on_idle)

    def __aiter__(self) -> AsyncIterator[str]:
        """``async for`` view of ``__iter__``; a waiting stream holds no thread."""
        return fr.achunks_of(self)

    def poll(self, index: int) -> tuple[list[str], bool]:
        """Without waiting: the chunks after the first ``index`` ones, and whether the stream
        has ended with no more to come. For consumers that pace themselves (smooth typing)."""
        self.start()
        with self._cond:
            return fr.chunks_after(self, index)

    def metrics_snapshot(self) -> StreamMetrics | None:
        """The metrics so far (status ``streaming``, no timeline) while the stream runs, the
        final ones once it has ended, ``None`` before it started."""
        result = self._result
        if result is not None:
            return result.metrics
        with self._cond:
            recorder = self._recorder
        if recorder is None:
            return None
        return recorder.finish(self._clock(), StreamStatus.STREAMING, timeline=False)

    # -- for chat_core.frames (call with ``_cond`` held) -------------------------------------

    def _share(self, cond: threading.Condition) -> None:
        """Signal ``cond`` instead of a condition of its own (a merge); before ``start``."""
        if self._thread is not None:
            raise RuntimeError("a started stream cannot join a merge")
        self._cond = cond

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
            except Exception as exc:  # a provider bug must not become a traceback on the page
                if self._cancelled.is_set():
                    status = StreamStatus.STOPPED
                    break
                log.exception("unexpected error in %s stream", self.provider.name)
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
        except Exception:  # a caller's callback must not kill the stream
            log.exception("stream callback failed")


def _close_quietly(upstream: Upstream) -> None:
    try:
        upstream.close()
    except Exception:  # closing is best effort: the stream is over either way
        log.debug("closing upstream failed", exc_info=True)
