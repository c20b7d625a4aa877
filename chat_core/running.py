"""The answers running in this process, by stored chat: one writer per answer, and answers that
outlive the page that asked for them.

``RunningAnswers`` (one per process, ``registry()``) holds a ``RunningAnswer`` per stored chat
whose answer streams. The entry owns the answer's saving (``AnswerSaver``: at its start, at most
every ``save_interval_s`` while it streams, and its final text, status and metrics), so the
answer is stored whether or not a page is still drawing it. Pages only read the ``ChatStream``:
a page opened later on the same chat (a reload, a second tab) ``join``s the entry and draws the
same stream from its first chunk (the engine keeps every chunk), so nothing is asked twice
upstream.

When a page stops drawing it calls ``leave``: a person's interruption (Stop, a new prompt, a
click) cancels the answer at once; a page that went away (closed tab, reload, dropped
websocket) leaves it running in the background, unless it asked "stop answers when I leave"
or ``max_background`` answers already run without a page (then it is cancelled and stored
"stopped"). Mutable and thread-safe; one daemon thread saves progress and final results.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from chat_core.config import max_background_answers
from chat_core.conversation import Turn
from chat_core.store_convert import stored_turn
from chat_core.store_saver import AnswerSaver, WriteBehind
from chat_core.stream import ChatStream, StreamResult
from chat_core.types import StreamStatus

log = logging.getLogger(__name__)

POLL_S = 0.2
LINGER_S = 30.0
"""How long an ended answer's result stays here (text, status, metrics; not its stream): a
page that loaded the chat while the answer ran and looks for it just after it ended gets the
final answer from memory (``result_of``) instead of the partial it read."""


def apply_result(turn: Turn, result: StreamResult, *, reasoning: str, kept: int | None) -> None:
    """Copy a finished stream's outcome into ``turn``: all of it, except that a stopped answer
    keeps the ``kept`` characters that were on screen (``None``: all it received)."""
    stopped = result.status == StreamStatus.STOPPED and kept is not None
    turn.content = result.text[:kept] if stopped else result.text
    turn.reasoning = result.reasoning or reasoning
    turn.status = result.status
    turn.metrics = result.metrics
    turn.finish_reason = result.finish_reason
    if result.error is not None:
        turn.error = result.error.user_message
        turn.error_kind = result.error.kind
        turn.request_id = getattr(result.error, "request_id", None)


@dataclass(eq=False, slots=True)
class RunningAnswer:
    """One answer streaming for a stored chat. Mutable; changed under the registry's lock."""

    chat_id: str
    turn_id: str
    stream: ChatStream
    saver: AnswerSaver | None
    kept: Callable[[], int] | None = None
    """Characters on screen, for a Stop (the page's count); None: keep all received."""
    stop_on_leave: bool = False
    readers: int = 1
    background: bool = False
    """True once no page draws it and it was left running."""
    finished_at: float | None = None


@dataclass(slots=True)
class RunningAnswers:
    """The process's running answers by chat id. Mutable and thread-safe."""

    max_background: int = 20
    save_interval_s: float = 2.0
    clock: Callable[[], float] = time.monotonic
    _entries: dict[str, RunningAnswer] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _ended: dict[str, tuple[float, StreamResult]] = field(default_factory=dict)

    def start(
        self,
        chat_id: str,
        turn: Turn,
        stream: ChatStream,
        *,
        writer: WriteBehind | None,
        owner: str,
        kept: Callable[[], int] | None = None,
        stop_on_leave: bool = False,
    ) -> RunningAnswer:
        """Register ``stream`` as the answer ``turn`` of ``chat_id`` (its first reader is the
        caller) and save it as streaming; ``writer=None`` stores nothing."""
        saver = None
        if writer is not None:
            record = stored_turn(dataclasses.replace(turn, status=StreamStatus.STREAMING))
            saver = AnswerSaver(writer, owner, chat_id, record, interval_s=self.save_interval_s)
            saver.start()
        entry = RunningAnswer(chat_id, turn.id, stream, saver, kept, stop_on_leave)
        with self._lock:
            old = self._entries.get(chat_id)
            self._entries[chat_id] = entry
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="streamchat-running-answers", daemon=True
                )
                self._thread.start()
        if old is not None and not old.stream.done:
            old.stream.cancel()  # a chat answers one prompt at a time
            self.finish(old)
        return entry

    def find(self, chat_id: str, turn_id: str) -> RunningAnswer | None:
        """The entry of answer ``turn_id`` in ``chat_id`` while it runs (or ended but its final
        save is not queued yet)."""
        with self._lock:
            entry = self._entries.get(chat_id)
        return entry if entry is not None and entry.turn_id == turn_id else None

    def entries(self) -> list[RunningAnswer]:
        """Every entry not finished yet."""
        with self._lock:
            return list(self._entries.values())

    def owns(self, turn_id: str) -> bool:
        """Whether answer ``turn_id`` is written by an entry here (it still runs)."""
        with self._lock:
            return any(e.turn_id == turn_id for e in self._entries.values())

    def result_of(self, turn_id: str) -> StreamResult | None:
        """The result of answer ``turn_id`` if it ended here in the last ``LINGER_S`` s (what
        was stored: a stopped answer's text is what was on screen)."""
        with self._lock:
            found = self._ended.get(turn_id)
        return None if found is None else found[1]

    def join(self, entry: RunningAnswer) -> None:
        """One more page draws ``entry``."""
        with self._lock:
            entry.readers += 1
            entry.background = False

    def leave(self, entry: RunningAnswer, *, gone: bool) -> None:
        """A page stopped drawing ``entry``: ``gone=False`` when its person interrupted it
        (cancelled at once), ``True`` when the page went away (see the module doc)."""
        with self._lock:
            entry.readers = max(0, entry.readers - 1)
            if entry.stream.done or (gone and entry.readers > 0):
                return  # over already, or another page still draws it
            behind = sum(1 for e in self._entries.values() if e.background and not e.stream.done)
            keep = gone and not entry.stop_on_leave and behind < self.max_background
            entry.background = keep
        if not keep:
            entry.stream.cancel()

    def background(self) -> int:
        """How many answers run with no page drawing them."""
        with self._lock:
            return sum(1 for e in self._entries.values() if e.background and not e.stream.done)

    def tick(self) -> None:
        """Save progress of running answers, and the final result of ended ones, which are
        then forgotten (the thread's body; tests call it directly)."""
        with self._lock:
            entries = list(self._entries.values())
        now = self.clock()
        with self._lock:
            for turn_id in [t for t, (at, _) in self._ended.items() if now - at >= LINGER_S]:
                del self._ended[turn_id]
        for entry in entries:
            if entry.stream.done:
                self.finish(entry)
            elif entry.saver is not None:
                entry.saver.update(entry.stream.text, entry.stream.reasoning)

    def finish(self, entry: RunningAnswer) -> None:
        """Queue the final save of ``entry`` now if its stream has ended (else the thread does
        it); once per entry."""
        result = entry.stream.result
        if result is None or entry.finished_at is not None:
            return
        entry.finished_at = self.clock()
        entry.background = False
        kept = entry.kept() if entry.kept is not None else None
        if result.status == StreamStatus.STOPPED and kept is not None:
            result = dataclasses.replace(result, text=result.text[:kept])
        with self._lock:
            # The entry is forgotten at once: it holds the stream, and through it the
            # provider's client and key, which must go with the session that typed it.
            if self._entries.get(entry.chat_id) is entry:
                del self._entries[entry.chat_id]
            self._ended[entry.turn_id] = (entry.finished_at, result)
        if entry.saver is not None:
            entry.saver.finish_result(result)

    def _run(self) -> None:
        while True:
            time.sleep(POLL_S)
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - one bad entry must not stop the saving
                log.error("saving a running answer failed: %s", type(exc).__name__)


_REGISTRY: RunningAnswers | None = None
_REGISTRY_LOCK = threading.Lock()


def registry() -> RunningAnswers:
    """The process-wide registry; its bound comes from ``config.max_background_answers``."""
    global _REGISTRY
    with _REGISTRY_LOCK:
        if _REGISTRY is None:
            _REGISTRY = RunningAnswers(max_background=max_background_answers())
        return _REGISTRY
