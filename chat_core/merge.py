"""Several labelled answers streamed at once: ``merge_streams``.

A compare page sends one prompt to several providers or models and shows the answers side by
side. ``MergedStream`` is N ``ChatStream``s signalling one shared condition: no thread of its
own, and the same coalescing loop as one stream (``chat_core.frames.coalesce``). It hands the
caller ``{label: Frame}`` rounds for UIs (``updates``), ``{label: text}`` frames (``frames``)
or ``(label, text)`` pairs in arrival order. ``cancel()`` stops them all (each closes its
upstream response); every stream keeps its own ``StreamResult`` and metrics.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping

from chat_core.frames import Frame, Interval, coalesce
from chat_core.stream import ChatStream, StreamResult

Clock = Callable[[], float]


class MergedStream:
    """Labelled ``ChatStream``s consumed together. Mutable and thread-safe; consume it once.

    The streams must not have started (they join the merge's condition). Abandoning any
    iteration cancels every stream that is still running. ``cancel()`` and ``close()`` may be
    called from any thread, any number of times.
    """

    def __init__(
        self, streams: Mapping[str, ChatStream], *, clock: Clock = time.perf_counter
    ) -> None:
        if not streams:
            raise ValueError("merge_streams needs at least one stream")
        self._streams: dict[str, ChatStream] = dict(streams)
        self._clock = clock
        self._cond = threading.Condition()
        for stream in self._streams.values():
            stream._share(self._cond)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> MergedStream:
        """Send every request now (iteration starts them too). Idempotent."""
        for stream in self._streams.values():
            stream.start()
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

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- what the streams have delivered ------------------------------------------------------

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(self._streams)

    @property
    def streams(self) -> Mapping[str, ChatStream]:
        """The underlying streams, e.g. for a column's live ``text`` or ``metrics_snapshot``."""
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

    def updates(
        self, min_interval_s: Interval = 0.05, *, idle_s: float | None = 0.25
    ) -> Iterator[dict[str, Frame]]:
        """Coalesced rounds for UIs: ``{label: Frame}`` for the labels with news (``{}`` each
        time ``idle_s`` passes with none). A stream's first text, a notice and a stream's end
        go out at once, so each column's time to first token and status stay honest;
        otherwise at most one round per ``min_interval_s``."""
        labels = list(self._streams)
        streams = list(self._streams.values())
        for frames in coalesce(
            streams, self._cond, min_interval_s, idle_s=idle_s, clock=self._clock
        ):
            yield {label: f for label, f in zip(labels, frames, strict=True) if f is not None}

    def frames(
        self,
        min_interval_s: float = 0.05,
        *,
        on_idle: Callable[[], None] | None = None,
        idle_s: float = 0.25,
    ) -> Iterator[dict[str, str]]:
        """``updates`` as ``{label: new text}``; a stream's end is a frame holding its label
        (``""`` if no new text). Per label, the frames concatenate to exactly that text.
        ``on_idle`` is called on the consuming thread for each idle round."""
        for round_ in self.updates(min_interval_s, idle_s=None if on_idle is None else idle_s):
            frame = {label: f.text for label, f in round_.items() if f.text or f.done}
            if frame:
                yield frame
            elif not round_ and on_idle is not None:
                on_idle()

    def __iter__(self) -> Iterator[tuple[str, str]]:
        """``(label, text)`` in arrival order (chunks of one stream that arrived together come
        joined)."""
        for frame in self.frames(0.0):
            for label, text in frame.items():
                if text:
                    yield label, text


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
    else characters/s (``None`` if no stream had a measurable rate). An answer too short for
    a rate (``StreamMetrics.rate_shown``) takes no part."""
    results = {label: r for label, r in results.items() if r.metrics.rate_shown}
    tokens = {label: r.metrics.tokens_per_s for label, r in results.items()}
    if tokens and all(rate is not None for rate in tokens.values()):
        rates = tokens
    else:
        rates = {label: r.metrics.chars_per_s for label, r in results.items()}
    known = {label: rate for label, rate in rates.items() if rate is not None}
    return max(known, key=lambda label: known[label]) if known else None
