"""Proof that a process sharing a SQLite chat database is gone, for answers it left streaming.

SQLite in WAL mode needs shared memory, so every process using one database file runs on one
machine (SQLite's documentation, "WAL does not work over a network filesystem"). There each
process holds an exclusive ``flock`` on ``<database>-boots/<boot id>.lock`` from its first
streaming answer until it exits; the kernel drops the lock when the process dies, however it
dies. A reader that can take the lock of an answer's writer knows that writer is gone, at once,
instead of waiting for its heartbeat to go stale: the usual case of one server restarted
mid-answer. No lock file (another kind of database, a writer that could not create it, a
system without ``flock``) proves nothing, and the heartbeat decides (chat_core/store_live.py).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux/macOS: no proof, the heartbeat decides
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

_BOOT_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
SWEEP_AFTER_S = 24 * 3600.0


_HELD: dict[Path, int] = {}
"""This process's boot locks by path: held until the process exits (every ``Store`` of the
same database in this process shares one)."""
_HELD_LOCK = threading.Lock()


class BootLocks:
    """The boot locks next to one SQLite database file (thread-safe)."""

    def __init__(self, database: Path) -> None:
        self.folder = database.with_name(database.name + "-boots")

    def _path(self, boot_id: str) -> Path | None:
        return self.folder / f"{boot_id}.lock" if _BOOT_ID.fullmatch(boot_id) else None

    def hold(self, boot_id: str) -> None:
        """Take this process's lock (once; a failure is logged and proves nothing later)."""
        path = self._path(boot_id)
        with _HELD_LOCK:
            if fcntl is None or path is None or path in _HELD:
                return
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._sweep()
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError as exc:
                log.warning("chat store boot lock not taken: %s", type(exc).__name__)
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                # A file nobody holds would read as "gone": it must not stay behind.
                os.close(fd)
                with contextlib.suppress(OSError):
                    path.unlink()
                log.warning("chat store boot lock not taken: %s", type(exc).__name__)
                return
            _HELD[path] = fd

    def _sweep(self) -> None:
        """Remove lock files of processes that ended more than a day ago (they left no
        answer streaming, or it was read as interrupted long since)."""
        cutoff = time.time() - SWEEP_AFTER_S
        for path in self.folder.glob("*.lock"):
            with contextlib.suppress(OSError):
                if path.stat().st_mtime < cutoff and self.gone(path.stem):
                    path.unlink(missing_ok=True)

    def gone(self, boot_id: str) -> bool:
        """Whether the process ``boot_id`` held its lock here and no longer does."""
        path = self._path(boot_id)
        if fcntl is None or path is None:
            return False
        try:
            fd = os.open(path, os.O_RDWR)
        except OSError:
            return False  # never held here: no proof
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False  # held: the process is there
        else:
            # The file stays (until a sweep a day later): every later reader needs the proof.
            return True
        finally:
            os.close(fd)
