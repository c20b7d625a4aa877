"""Keeping an in-memory ``Conversation`` saved in the store, without hooks in the answer path.

``ConversationSync`` compares the conversation's turns with what it last sent to the store and
queues only the differences (``WriteBehind``): a new chat on the first message, each new or
changed turn, the removal of turns the conversation dropped (Regenerate). A conversation that
was cleared or replaced in place (Clear, Import) becomes a new stored chat; the old one stays.

``SyncTicker`` (one daemon thread per process) calls ``sync()`` of every registered sync every
``interval_s`` seconds. The page's answer loop updates the assistant turn in place, so the
ticker saves a streaming answer when it starts, at most every ``interval_s`` while it streams,
and its final text, status and metrics when it ends, even when the page's run was stopped or
the tab closed. Never a write per chunk, never a database call on the streaming thread.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field

from chat_core.conversation import Conversation, Turn
from chat_core.store_convert import stored_turn
from chat_core.store_saver import WriteBehind
from chat_core.store_types import new_chat_id
from chat_core.types import StreamStatus

log = logging.getLogger(__name__)

SAVE_INTERVAL_S = 2.0
HEARTBEAT_S = 10.0
"""Under ``chat_core.store_live.LEGACY_STALE_S``: a streaming turn saved here (without a writer
boot id) never reads as interrupted while this session still writes it."""
Fingerprint = tuple[int, str, str, bool, str | None, int | None, bool, int]


def fingerprint(turn: Turn) -> Fingerprint:
    """What decides whether a turn must be saved again (length, tail, status, metrics, error,
    feedback, cost, how many answer versions)."""
    return (
        len(turn.content),
        turn.content[-64:],
        str(turn.status),
        turn.metrics is not None,
        turn.error,
        turn.feedback,
        turn.cost is not None,
        len(turn.versions),
    )


@dataclass(eq=False, slots=True, weakref_slot=True)
class ConversationSync:
    """One conversation bound (or to be bound) to a stored chat. Mutable and thread-safe: the
    page's thread and the ticker both call ``sync()``."""

    writer: WriteBehind
    owner: str
    conversation: Conversation = field(default_factory=Conversation)
    chat_id: str | None = None
    """The stored chat; None until the conversation has a message (or while not saving)."""
    saving: bool = True
    """False for "Don't save this chat": nothing is written."""
    saved: dict[str, Fingerprint] = field(default_factory=dict)
    heartbeat_s: float = HEARTBEAT_S
    clock: Callable[[], float] = time.monotonic
    _written_at: dict[str, float] = field(default_factory=dict)
    _foreign: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def attach(self, conversation: Conversation, chat_id: str | None) -> None:
        """Follow ``conversation``, stored as ``chat_id`` (None: a new chat, saved on its first
        message). Turns it already has count as saved when ``chat_id`` is given."""
        with self._lock:
            self.conversation = conversation
            self.chat_id = chat_id
            self.saved = (
                {} if chat_id is None else {t.id: fingerprint(t) for t in conversation.turns}
            )
            # An answer still streaming when the chat was opened belongs to another session
            # (another tab, another process): its writer saves it. This one only shows it, and
            # must never write it back (a page marking it "stopped" would overwrite the final
            # answer with the partial it loaded).
            self._foreign = {t.id for t in conversation.turns if t.status is StreamStatus.STREAMING}

    def follow(self, conversation: Conversation) -> None:
        """The page holds ``conversation`` now (the same object, or a replacement)."""
        with self._lock:
            self.conversation = conversation

    def hand_over(self, turn: Turn) -> None:
        """``turn`` is saved by its running answer's entry (chat_core/running.py) from now on:
        never written here, still removed from the store when the conversation drops it."""
        with self._lock:
            self._foreign.add(turn.id)
            self.saved.setdefault(turn.id, fingerprint(turn))

    def sync(self) -> str | None:
        """Queue what changed; returns the stored chat id (None while nothing is stored)."""
        with self._lock:
            if not self.saving:
                return self.chat_id
            turns = list(self.conversation.turns)
            ids = {t.id for t in turns}
            if self.chat_id is not None and self.saved and not ids & self.saved.keys():
                self.chat_id, self.saved = None, {}  # cleared or replaced: the old chat stays
            if not turns:
                return self.chat_id
            owner, writer = self.owner, self.writer
            if self.chat_id is None:
                chat_id = self.chat_id = new_chat_id()
                system = self.conversation.system
                writer.submit(
                    ("chat", chat_id),
                    lambda s: s.create_chat(owner, chat_id=chat_id, system=system),
                )
            chat_id = self.chat_id
            gone = [turn_id for turn_id in self.saved if turn_id not in ids]
            if gone:
                writer.submit(
                    ("drop", chat_id, tuple(gone)),
                    lambda s: s.delete_turns(owner, chat_id, gone),
                )
                for turn_id in gone:
                    del self.saved[turn_id]
            now = self.clock()
            for turn in turns:
                if turn.id in self._foreign:
                    continue
                mark = fingerprint(turn)
                if self.saved.get(turn.id) == mark and not (
                    # A streaming answer with nothing new (a long wait for the first token) is
                    # written again now and then, so no reader takes it for a dead one.
                    turn.status is StreamStatus.STREAMING
                    and now - self._written_at.get(turn.id, now) >= self.heartbeat_s
                ):
                    continue
                record = stored_turn(turn)
                writer.submit(
                    ("turn", chat_id, turn.id),
                    lambda s, r=record: s.save_turn(owner, chat_id, r),  # type: ignore[misc]
                )
                self.saved[turn.id] = mark
                self._written_at[turn.id] = now
            return chat_id


class SyncTicker:
    """Calls ``sync()`` on every registered ``ConversationSync`` every ``interval_s``. Holds
    them weakly: a session that ends is dropped by itself. ``close()`` is idempotent."""

    def __init__(self, interval_s: float = SAVE_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self._syncs: weakref.WeakSet[ConversationSync] = weakref.WeakSet()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def register(self, sync: ConversationSync) -> None:
        with self._lock:
            self._syncs.add(sync)
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="streamchat-store-sync", daemon=True
                )
                self._thread.start()

    def tick(self) -> None:
        """One round (the thread's body; tests call it directly)."""
        with self._lock:
            syncs = list(self._syncs)
        for sync in syncs:
            try:
                sync.sync()
            except Exception as exc:  # noqa: BLE001 - one broken session must not stop the rest
                log.error("saving a chat failed: %s", type(exc).__name__)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.tick()

    def close(self) -> None:
        self._stop.set()


_TICKER = SyncTicker()


def ticker() -> SyncTicker:
    """The process-wide ticker."""
    return _TICKER
