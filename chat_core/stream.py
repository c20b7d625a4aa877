"""The stream engine: one ``ChatStream`` per answer.

A worker thread reads the provider's upstream into a buffer while the caller iterates
chunks, coalesced frames (for UIs) or ``async for``. ``cancel()`` closes the upstream HTTP
response from any thread so the provider stops generating. Whatever happens, the stream
ends exactly once with a ``StreamResult`` (complete / stopped / length / error) that keeps
every character received.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from types import TracebackType

from chat_core.errors import ChatError, ProviderUnavailable, RateLimited, UnexpectedError
from chat_core.metrics import MetricsRecorder, StreamMetrics
from chat_core.providers._abort import abort_thread_io
from chat_core.providers.base import Provider, Upstream
from chat_core.types import (
    ChatRequest,
    FinishReport,
    StreamStatus,
    TextDelta,
    UsageReport,
)

log = logging.getLogger(__name__)

Clock = Callable[[], float]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Automatic retries of 429 and 5xx answers, before the first token only; never after text
    has arrived.

    A retryable error is retried at most ``max_retries`` times, waiting the provider's
    ``retry-after`` (or ``backoff_s * 2**attempt``), but never longer than ``max_wait_s``:
    a longer wait is reported to the person instead.
    """

    max_retries: int = 2
    backoff_s: float = 1.0
    max_wait_s: float = 20.0

    def delay_for(self, error: ChatError, attempt: int) -> float | None:
        # Only what the provider said is temporary (429, 5xx, 529, overload events); a refused
        # connection or a timeout is shown at once with a Retry button instead.
        if not isinstance(error, RateLimited | ProviderUnavailable):
            return None
        if not error.retryable or attempt >= self.max_retries:
            return None
        delay = (
            error.retry_after_s if error.retry_after_s is not None else self.backoff_s * 2**attempt
        )
        return delay if delay <= self.max_wait_s else None


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(max_retries=0)


@dataclass(frozen=True, slots=True)
class StreamResult:
    text: str
    status: StreamStatus
    error: ChatError | None
    metrics: StreamMetrics

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
    def notice(self) -> str | None:
        """The latest retry notice, if any."""
        with self._cond:
            return self._notices[-1] if self._notices else None

    # -- consumption --------------------------------------------------------------------------

    def __iter__(self) -> Iterator[str]:
        """Each text chunk as the provider sent it. Abandoning the iteration cancels."""
        self.start()
        index = 0
        try:
            while True:
                with self._cond:
                    self._wait_for_chunks(index)
                    pending = self._chunks[index:]
                    index = len(self._chunks)
                    finished = self.done
                yield from pending
                if finished and index >= len(self._chunks):
                    return
        finally:
            if not self.done:
                self.cancel()

    def frames(
        self,
        min_interval_s: float | Callable[[], float] = 0.05,
        *,
        on_notice: NoticeCallback | None = None,
        on_idle: IdleCallback | None = None,
        idle_s: float = 0.25,
    ) -> Iterator[str]:
        """Coalesced text for UIs: the first chunk at once, then whatever arrived, at most
        one frame per ``min_interval_s``. The frames concatenate to exactly the chunks.
        ``min_interval_s`` may be a function, asked after each frame for the next interval
        (``chat_core.frame_cost.FrameCost.interval``).

        ``on_notice`` is called on the consuming thread with each retry notice.
        ``on_idle`` is called on the consuming thread each time ``idle_s`` passes with
        nothing to yield (waiting for the first token, a retry wait, a stall): a UI whose
        stop requests are only noticed when it draws something (Streamlit) can react there.
        Abandoning the iteration cancels the stream.
        """
        self.start()
        index = 0
        notices_seen = 0
        last_yield_s: float | None = None
        try:
            while True:
                idle = False
                with self._cond:
                    if last_yield_s is None:
                        deadline = None
                    elif callable(min_interval_s):
                        deadline = last_yield_s + min_interval_s()
                    else:
                        deadline = last_yield_s + min_interval_s
                    while True:
                        if self.done or len(self._notices) > notices_seen:
                            break
                        if index < len(self._chunks):
                            remaining = 0.0 if deadline is None else deadline - self._clock()
                            if remaining <= 0:
                                break
                            self._cond.wait(remaining)
                        else:
                            self._consumer_waiting = True
                            woke = self._cond.wait(None if on_idle is None else idle_s)
                            self._consumer_waiting = False
                            if not woke:
                                idle = True
                                break
                    frame = "".join(self._chunks[index:])
                    if frame:
                        self._first_taken.set()
                    index = len(self._chunks)
                    new_notices = self._notices[notices_seen:]
                    notices_seen = len(self._notices)
                    finished = self.done
                if on_notice is not None:
                    for notice in new_notices:
                        on_notice(notice)
                if idle and not frame and on_idle is not None:
                    on_idle()
                if frame:
                    yield frame
                    last_yield_s = self._clock()
                if finished:
                    return
        finally:
            if not self.done:
                self.cancel()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._aiter()

    async def _aiter(self) -> AsyncIterator[str]:
        """``async for`` view: the same engine, waited on without blocking the event loop."""
        self.start()
        index = 0
        try:
            while True:
                pending, finished = await asyncio.to_thread(self._take_after, index)
                index += len(pending)
                for chunk in pending:
                    yield chunk
                if finished:
                    return
        finally:
            if not self.done:
                self.cancel()

    def poll(self, index: int) -> tuple[list[str], bool]:
        """Without waiting: the chunks after the first ``index`` ones, and whether the stream
        has ended with no more to come. For consumers that pace themselves (smooth typing)."""
        self.start()
        with self._cond:
            pending = self._chunks[index:]
            if pending:
                self._first_taken.set()
            return pending, self.done

    def _take_after(self, index: int) -> tuple[list[str], bool]:
        with self._cond:
            self._wait_for_chunks(index)
            pending = self._chunks[index:]
            return pending, self.done and index + len(pending) >= len(self._chunks)

    def _wait_for_chunks(self, index: int) -> None:
        """With the lock held: wait until there is a chunk past ``index`` or the end."""
        self._consumer_waiting = True
        while index >= len(self._chunks) and not self.done:
            self._cond.wait()
        self._consumer_waiting = False
        if self._chunks:
            self._first_taken.set()

    # -- worker ----------------------------------------------------------------------------

    def _run(self) -> None:
        assert self._started_at_s is not None
        recorder = MetricsRecorder(
            self.provider.name,
            self.request.model,
            started_at_s=self._started_at_s,
            wall_start=self._wall_clock(),
        )
        with self._cond:
            self._recorder = recorder
        status = StreamStatus.COMPLETE
        error: ChatError | None = None
        attempt = 0
        while True:
            upstream: Upstream | None = None
            cut_off = False
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
                            # Only a consumer waiting for text needs waking; one that is
                            # coalescing until its frame deadline would wake per chunk.
                            if self._consumer_waiting:
                                self._cond.notify_all()
                        if first and self._consumer_waiting:
                            # Hand the GIL to the waiting consumer: a busy reader would otherwise
                            # keep it for the 5 ms switch interval, delaying the first token.
                            self._first_taken.wait(0.005)
                        if self._on_token is not None:
                            self._call(self._on_token, event.text)
                    elif isinstance(event, UsageReport):
                        recorder.usage(event.input_tokens, event.output_tokens)
                    elif isinstance(event, FinishReport):
                        cut_off = cut_off or event.cut_off
                if self._cancelled.is_set() and not cut_off:
                    # Closing the response can end the iteration quietly; the person stopped it.
                    status = StreamStatus.STOPPED
                else:
                    status = StreamStatus.LENGTH if cut_off else StreamStatus.COMPLETE
                break
            except ChatError as exc:
                if self._cancelled.is_set():
                    status = StreamStatus.STOPPED
                    break
                delay = None if self._chunks else self._retry.delay_for(exc, attempt)
                if delay is None:
                    status, error = StreamStatus.ERROR, exc
                    break
                attempt += 1
                self._notify(_retry_notice(exc, delay))
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
        self._finish(recorder, status, error)

    def _finish(
        self, recorder: MetricsRecorder, status: StreamStatus, error: ChatError | None
    ) -> None:
        """Report the end, exactly once (the worker, or ``cancel`` while still opening)."""
        with self._cond:
            if self._result is not None:
                return
            metrics = recorder.finish(self._clock(), status)
            result = StreamResult("".join(self._chunks), status, error, metrics)
            self._result = result
            self._upstream = None
            self._cond.notify_all()
        if error is not None:
            if self._on_error is not None:
                self._call(self._on_error, error, result)
        elif self._on_complete is not None:
            self._call(self._on_complete, result)

    def _notify(self, notice: str) -> None:
        with self._cond:
            self._notices.append(notice)
            self._cond.notify_all()
        if self._on_notice is not None:
            self._call(self._on_notice, notice)

    @staticmethod
    def _call(callback: Callable[..., None], *args: object) -> None:
        try:
            callback(*args)
        except Exception:  # a caller's callback must not kill the stream
            log.exception("stream callback failed")


def _retry_notice(error: ChatError, delay_s: float) -> str:
    who = error.provider or "the provider"
    if isinstance(error, RateLimited):
        what = f"Rate limited by {who}"
    else:
        what = f"{who} is busy or unreachable"
    return f"{what} — retrying in {_seconds(delay_s)}"


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 1 else f"{value:.1f} s"


def _close_quietly(upstream: Upstream) -> None:
    try:
        upstream.close()
    except Exception:  # closing is best effort: the stream is over either way
        log.debug("closing upstream failed", exc_info=True)
