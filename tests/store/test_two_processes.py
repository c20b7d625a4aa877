"""Two app processes sharing one PostgreSQL see each other's chats (the replicas setup)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(url: str, owner: str, *command: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "tests.store.store_process", url, owner, *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip()


def test_chat_written_by_one_process_is_listed_and_opened_by_another(pg_url: str) -> None:
    first = _run(pg_url, "alice", "write", "written by process one")
    second = _run(pg_url, "alice", "write", "written by process two")
    assert json.loads(_run(pg_url, "alice", "list")) == [
        "written by process two",
        "written by process one",
    ]
    assert json.loads(_run(pg_url, "alice", "open", first)) == [
        ["user", "written by process one"],
        ["assistant", "answer to written by process one"],
    ]
    assert json.loads(_run(pg_url, "bob", "list")) == []
    assert json.loads(_run(pg_url, "bob", "open", second)) == []


def test_two_processes_starting_on_an_empty_database_both_work(pg_url: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.store.store_process", pg_url, "alice", "write", name],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("one", "two")
    ]
    for proc in procs:
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert sorted(json.loads(_run(pg_url, "alice", "list"))) == ["one", "two"]
