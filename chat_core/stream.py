"""The stream engine: one ``ChatStream`` per answer.

A worker thread reads the provider's upstream into a buffer while the caller iterates
chunks, coalesced frames (for UIs) or ``async for``. ``cancel()`` closes the upstream HTTP
response from any thread so the provider stops generating. Whatever happens, the stream
ends exactly once with a ``StreamResult`` (complete / stopped / length / filtered /
interrupted / other / error) that keeps every character received, the answer's text and the
model's reasoning apart.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from types import TracebackType

from chat_core import frames as fr
from chat_core.metrics import StreamMetrics
from chat_core.providers._abort import abort_thread_io
from chat_core.retry import DEFAULT_RETRY, NO_RETRY, RetryPolicy
from chat_core.stream_result import (
    ErrorCallback,
    IdleCallback,
    NoticeCallback,
    ResultCallback,
    StreamResult,
    TokenCallback,
)
from chat_core.stream_worker import StreamWorker, _close_quietly
from chat_core.types import StreamStatus

__all__ = [
    "DEFAULT_RETRY",
    "NO_RETRY",
    "ChatStream",
    "ErrorCallback",
    "ResultCallback",
    "RetryPolicy",
    "StreamResult",
    "TokenCallback",
]


class ChatStream(StreamWorker):
    """One streamed answer. Mutable and thread-safe; consume it once.

    Iterate it for chunks as they arrive, or use ``frames()`` / ``async for``. Callbacks run
    on the worker thread: ``on_token`` per chunk, then exactly one of ``on_complete`` (complete,
    stopped or cut off) or ``on_error``. ``on_notice`` gets messages such as
    "Rate limited by OpenAI — retrying in 2 s" while a retry waits. The constructor and the
    worker thread are ``chat_core.stream_worker.StreamWorker``'s.
    """

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
