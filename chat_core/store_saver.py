"""Writing to the chat store off the streaming path, and through outages.

``WriteBehind`` is a queue of pending writes with one background thread per store: callers
(a page's frame loop, the SSE API, the terminal chat) only enqueue, so a slow or unreachable
database never stalls an answer. Writes are keyed (one chat, one turn): a newer write of the
same turn replaces a pending older one, keeping its place, so the chat is created before its
first turn and the latest text of an answer wins. When the store is unavailable the queue keeps
everything and retries with backoff; ``last_error`` tells the page to show a warning.

``AnswerSaver`` saves one streaming answer: at its start, at most every ``interval_s`` while text
arrives, and at its end with status, finish reason, error and metrics. Never a write per chunk.
From its start until its final write landed the answer is in its store's ``LiveTurns``, and the
``WriteBehind`` thread touches its heartbeat every ``heartbeat_s`` (first in the queue), text or
no text (a model thinking silently), so no reader takes a live answer for one whose writer is
gone (chat_core/store_live.py).
"""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import replace
from typing import Any

from chat_core.store import Store
from chat_core.store_live import HEARTBEAT_S
from chat_core.store_types import StoredTurn, StoreUnavailable
from chat_core.types import StreamStatus

log = logging.getLogger(__name__)

Write = Callable[[Store], object]
Clock = Callable[[], float]

BEAT = ("heartbeat",)
"""The queue key of the heartbeat write."""


class WriteBehind:
    """Pending writes for one ``Store``, applied in order by a daemon thread. Mutable and
    thread-safe; ``close()`` is idempotent."""

    def __init__(
        self,
        store: Store,
        *,
        min_backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        heartbeat_s: float = HEARTBEAT_S,
    ) -> None:
        self.store = store
        self.heartbeat_s = heartbeat_s
        self._next_beat = 0.0
        self._min_backoff_s = min_backoff_s
        self._max_backoff_s = max_backoff_s
        self._cond = threading.Condition()
        self._queue: OrderedDict[Hashable, Write] = OrderedDict()
        self._running: Hashable | None = None
        self._wake = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self.last_error: StoreUnavailable | None = None
        """The failure that keeps writes pending, or None once they went through."""

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + (self._running is not None)

    def submit(self, key: Hashable, write: Write) -> None:
        """Queue ``write`` (replacing a pending one with the same key); returns at once."""
        with self._cond:
            if self._closed:
                raise RuntimeError("WriteBehind is closed")
            self._queue[key] = write
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="streamchat-store-writer", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Retry now and wait until nothing is pending; ``False`` if writes are still pending
        after ``timeout_s`` (the store is unavailable: see ``last_error``)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            self._wake = True
            self._cond.notify_all()
            while self._queue or self._running is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def close(self, timeout_s: float = 5.0) -> bool:
        """Try to write what is pending, then stop the thread; ``True`` if nothing was lost."""
        flushed = self.flush(timeout_s) if self._thread is not None else True
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        return flushed

    def _queue_beat(self) -> float | None:
        """Put the heartbeat first in the queue if one is due; returns how long until the
        next one (None: no live answer, no heartbeat). Call with the lock held."""
        if not self.store.live:
            return None
        now = time.monotonic()
        if now >= self._next_beat:
            self._next_beat = now + self.heartbeat_s
            if BEAT not in self._queue:
                self._queue[BEAT] = lambda store: store.heartbeat()
            self._queue.move_to_end(BEAT, last=False)
        return self._next_beat - now

    def _work(self) -> None:
        backoff = self._min_backoff_s
        while True:
            with self._cond:
                while True:
                    wait = self._queue_beat()
                    if self._queue or self._closed:
                        break
                    self._cond.wait(wait)
                if not self._queue:
                    return
                key, write = self._queue.popitem(last=False)
                self._running = key
            try:
                write(self.store)
            except StoreUnavailable as exc:
                with self._cond:
                    self.last_error = exc
                    self._running = None
                    if key not in self._queue:  # a newer write of the same thing supersedes
                        self._queue[key] = write
                        self._queue.move_to_end(key, last=False)
                    self._wake = False
                    self._cond.notify_all()
                    if self._closed:
                        return
                    self._cond.wait_for(lambda: self._wake or self._closed, backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
                continue
            except Exception as exc:  # noqa: BLE001 - one bad write must not block the rest
                # Type only: no traceback and no chat text in the log.
                log.error("chat store write failed: %s", type(exc).__name__)
            with self._cond:
                self._running = None
                self.last_error = None
                self._cond.notify_all()
            backoff = self._min_backoff_s


_WRITERS: dict[int, WriteBehind] = {}
_WRITERS_LOCK = threading.Lock()


def writer_for(store: Store) -> WriteBehind:
    """The process-wide ``WriteBehind`` of ``store`` (flushed for up to 2 s at exit)."""
    with _WRITERS_LOCK:
        writer = _WRITERS.get(id(store))
        if writer is None or writer.store is not store:
            writer = _WRITERS[id(store)] = WriteBehind(store)
            atexit.register(writer.close, 2.0)
        return writer


class AnswerSaver:
    """Saves one assistant answer as it streams. Mutable; call ``start()`` once, ``update()``
    from the frame loop as often as you like (it is a clock comparison unless a save is due),
    then ``finish()`` exactly once (later calls are ignored)."""

    def __init__(
        self,
        writer: WriteBehind,
        owner: str,
        chat_id: str,
        turn: StoredTurn,
        *,
        interval_s: float = 2.0,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
    ) -> None:
        self._writer = writer
        self._owner = owner
        self._chat_id = chat_id
        self._turn = replace(turn, writer=writer.store.boot_id)
        self._interval_s = interval_s
        self._clock = clock
        self._wall_clock = wall_clock
        self._last_write_at = float("-inf")
        self._finished = False
        self.writes = 0
        """How many saves were queued (start + periodic + final)."""

    @property
    def turn(self) -> StoredTurn:
        return self._turn

    def _save(self, turn: StoredTurn, *, final: bool = False) -> None:
        self._turn = turn
        self._last_write_at = self._clock()
        self.writes += 1
        owner, chat_id = self._owner, self._chat_id

        def write(store: Store) -> None:
            try:
                store.save_turn(owner, chat_id, turn)
            except StoreUnavailable:
                raise  # retried later: the answer stays live until it lands
            except Exception:
                if final:  # dropped for good (WriteBehind logs it): nothing will land
                    store.live.discard(chat_id, turn.id)
                raise
            if final:
                store.live.discard(chat_id, turn.id)

        self._writer.submit(("turn", chat_id, turn.id), write)

    def start(self) -> None:
        """Save the answer as "streaming" (no text yet, or what is there), as a live answer of
        this process from now until its final write landed."""
        self._writer.store.streams(self._chat_id, self._turn.id)
        self._save(
            replace(self._turn, status=StreamStatus.STREAMING, updated_at=self._wall_clock())
        )

    def update(self, text: str, reasoning: str = "") -> bool:
        """The text so far; saved when ``interval_s`` passed and it changed (the heartbeat is
        the ``WriteBehind``'s). Returns whether a save was queued."""
        if self._finished:
            return False
        if self._clock() - self._last_write_at < self._interval_s:
            return False
        if text == self._turn.content and reasoning == self._turn.reasoning:
            return False
        self._save(
            replace(self._turn, content=text, reasoning=reasoning, updated_at=self._wall_clock())
        )
        return True

    def finish(
        self,
        text: str,
        status: StreamStatus,
        *,
        reasoning: str = "",
        finish_reason: str | None = None,
        error: str | None = None,
        error_kind: str | None = None,
        metrics: dict[str, Any] | None = None,
    ) -> bool:
        """Save the final answer; ``False`` if it was already finished."""
        if self._finished:
            return False
        self._finished = True
        self._save(
            replace(
                self._turn,
                content=text,
                reasoning=reasoning,
                status=status,
                finish_reason=finish_reason,
                error=error,
                error_kind=error_kind,
                metrics=metrics,
                updated_at=self._wall_clock(),
            ),
            final=True,
        )
        return True

    def finish_result(self, result: Any) -> bool:
        """``finish`` from a ``chat_core.stream.StreamResult`` (text, status, error, metrics,
        and ``reasoning`` / ``finish_reason`` where the engine provides them)."""
        error = getattr(result, "error", None)
        metrics = getattr(result, "metrics", None)
        return self.finish(
            result.text,
            result.status,
            reasoning=getattr(result, "reasoning", "") or "",
            finish_reason=getattr(result, "finish_reason", None),
            error=None if error is None else error.user_message,
            error_kind=None if error is None else error.kind,
            metrics=None if metrics is None else metrics.to_dict(timeline=True),
        )
