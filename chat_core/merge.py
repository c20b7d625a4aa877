"""Several labelled answers streamed at once: ``merge_streams``.

A compare page sends one prompt to several providers or models and shows the answers side by
side. ``MergedStream`` reads every ``ChatStream`` concurrently (one small pump thread each) and
hands the caller ``(label, chunk)`` pairs in arrival order, or coalesced ``{label: text}``
frames for UIs. ``cancel()`` stops them all (each closes its upstream response); every stream
keeps its own ``StreamResult`` and metrics.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from types import TracebackType

from chat_core.stream import ChatStream, StreamResult

log = logging.getLogger(__name__)

Clock = Callable[[], float]


class MergedStream:
    """Labelled ``ChatStream``s consumed together. Mutable and thread-safe; consume it once.

    Iterate it for ``(label, chunk)`` pairs as chunks arrive, or use ``frames()``. Abandoning
    either iteration cancels every stream that is still running. ``cancel()`` and ``close()``
    may be called from any thread, any number of times.
    """

    def __init__(
        self, streams: Mapping[str, ChatStream], *, clock: Clock = time.perf_counter
    ) -> None:
        if not streams:
            raise ValueError("merge_streams needs at least one stream")
        self._streams: dict[str, ChatStream] = dict(streams)
        self._clock = clock
        self._cond = threading.Condition()
        self._events: list[tuple[str, str]] = []
        self._ended: list[str] = []
        """Labels in the order their streams ended (each once)."""
        self._pumps: list[threading.Thread] = []
        self._started = False

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> MergedStream:
        """Send every request now (iteration starts them too). Idempotent."""
        with self._cond:
            if self._started:
                return self
            self._started = True
            for stream in self._streams.values():
                stream.start()
            self._pumps = [
                threading.Thread(
                    target=self._pump, args=(label, stream), name=f"merge-{label}", daemon=True
                )
                for label, stream in self._streams.items()
            ]
        for pump in self._pumps:
            pump.start()
        return self

    def cancel(self) -> None:
        """Stop every stream still running (each closes its upstream). Any thread, any time."""
        for stream in self._streams.values():
            stream.cancel()

    def close(self, timeout_s: float = 5.0) -> None:
        """Cancel what is still running and wait for the streams to finish. Idempotent."""
        deadline = time.monotonic() + timeout_s
        for stream in self._streams.values():
            stream.close(max(0.0, deadline - time.monotonic()))
        current = threading.current_thread()
        for pump in self._pumps:
            if pump is not current:
                pump.join(max(0.0, deadline - time.monotonic()))

    def wait(self, timeout_s: float | None = None) -> dict[str, StreamResult]:
        """Block until every stream has ended (starting them if needed); the results by label."""
        self.start()
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        results: dict[str, StreamResult] = {}
        for label, stream in self._streams.items():
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            results[label] = stream.wait(remaining)
        return results

    def __enter__(self) -> MergedStream:
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
    def labels(self) -> tuple[str, ...]:
        return tuple(self._streams)

    @property
    def streams(self) -> Mapping[str, ChatStream]:
        """The underlying streams, e.g. for a column's live ``text`` or retry ``notice``."""
        return dict(self._streams)

    @property
    def done(self) -> bool:
        """Every stream has ended."""
        return all(stream.done for stream in self._streams.values())

    @property
    def results(self) -> dict[str, StreamResult]:
        """The result of every stream that has ended, by label (all labels once ``done``)."""
        return {
            label: result
            for label, stream in self._streams.items()
            if (result := stream.result) is not None
        }

    @property
    def texts(self) -> dict[str, str]:
        """Everything received so far, by label."""
        return {label: stream.text for label, stream in self._streams.items()}

    # -- consumption --------------------------------------------------------------------------

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """``(label, chunk)`` for every chunk of every stream, in arrival order."""
        self.start()
        index = 0
        try:
            while True:
                with self._cond:
                    while index >= len(self._events) and not self._all_ended():
                        self._cond.wait()
                    pending = self._events[index:]
                    index = len(self._events)
                    finished = self._all_ended()
                yield from pending
                if finished and index >= len(self._events):
                    return
        finally:
            if not self.done:
                self.cancel()

    def frames(
        self,
        min_interval_s: float = 0.05,
        *,
        on_idle: Callable[[], None] | None = None,
        idle_s: float = 0.25,
    ) -> Iterator[dict[str, str]]:
        """Coalesced updates for UIs: ``{label: new text}`` since the previous frame.

        A stream's first text is sent at once (each column's time to first token stays
        honest); otherwise at most one frame per ``min_interval_s``. When a stream ends, a
        frame is sent at once and holds its label (with ``""`` if no new text), so the UI can
        show that column's status without waiting for the others. Per label, the frames
        concatenate to exactly that stream's text.

        ``on_idle`` is called on the consuming thread each time ``idle_s`` passes with nothing
        to yield (as ``ChatStream.frames``): a UI that notices Stop only when it draws
        (Streamlit) can react there, e.g. by refreshing each column's retry ``notice``.
        Abandoning the iteration cancels every stream.
        """
        self.start()
        index = 0
        scanned = 0
        ended_seen = 0
        has_text: set[str] = set()
        last_yield_s: float | None = None
        try:
            while True:
                idle = False
                with self._cond:
                    while True:
                        if len(self._ended) > ended_seen or self._all_ended():
                            break
                        first_text = any(
                            label not in has_text for label, _ in self._events[scanned:]
                        )
                        scanned = len(self._events)
                        if first_text:
                            break
                        if index < len(self._events):
                            remaining = (
                                0.0
                                if last_yield_s is None
                                else last_yield_s + min_interval_s - self._clock()
                            )
                            if remaining <= 0:
                                break
                            self._cond.wait(remaining)
                        elif not self._cond.wait(None if on_idle is None else idle_s):
                            idle = True
                            break
                    news = self._events[index:]
                    index = len(self._events)
                    newly_ended = self._ended[ended_seen:]
                    ended_seen = len(self._ended)
                    finished = self._all_ended()
                parts: dict[str, list[str]] = {}
                for label, chunk in news:
                    parts.setdefault(label, []).append(chunk)
                for label in newly_ended:
                    parts.setdefault(label, [])
                has_text.update(label for label, texts in parts.items() if texts)
                frame = {label: "".join(texts) for label, texts in parts.items()}
                if frame:
                    yield frame
                    last_yield_s = self._clock()
                elif idle and on_idle is not None:
                    on_idle()
                if finished:
                    return
        finally:
            if not self.done:
                self.cancel()

    # -- pumps ------------------------------------------------------------------------------

    def _all_ended(self) -> bool:
        return len(self._ended) == len(self._streams)

    def _pump(self, label: str, stream: ChatStream) -> None:
        try:
            for chunk in stream:
                with self._cond:
                    self._events.append((label, chunk))
                    self._cond.notify_all()
        except Exception:  # ChatStream ends with a result, not an exception; guard the merge anyway
            log.exception("merging stream %r failed", label)
            stream.cancel()
        finally:
            with self._cond:
                self._ended.append(label)
                self._cond.notify_all()


def merge_streams(
    streams: Mapping[str, ChatStream], *, clock: Clock = time.perf_counter
) -> MergedStream:
    """Consume several labelled streams together (not yet started; iterating starts them).

    >>> merged = merge_streams({"a": start_chat("hi"), "b": start_chat("hi", model="x")})
    >>> for label, chunk in merged: ...   # doctest: +SKIP
    """
    return MergedStream(streams, clock=clock)


def fastest_first_token(results: Mapping[str, StreamResult]) -> str | None:
    """The label whose first token arrived soonest (``None`` if no stream produced text)."""
    timed = {
        label: r.metrics.ttft_s for label, r in results.items() if r.metrics.ttft_s is not None
    }
    return min(timed, key=lambda label: timed[label]) if timed else None


def fastest_throughput(results: Mapping[str, StreamResult]) -> str | None:
    """The label with the highest output rate: tokens/s where every stream reported tokens,
    else characters/s (``None`` if no stream had a measurable rate)."""
    tokens = {label: r.metrics.tokens_per_s for label, r in results.items()}
    if tokens and all(rate is not None for rate in tokens.values()):
        rates = tokens
    else:
        rates = {label: r.metrics.chars_per_s for label, r in results.items()}
    known = {label: rate for label, rate in rates.items() if rate is not None}
    return max(known, key=lambda label: known[label]) if known else None
