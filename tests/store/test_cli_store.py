"""The terminal chat with stored chats: saving as it goes, --list, --chat ID, --no-save."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from chat_core.store import Store
from chat_core.store_types import LOCAL_OWNER
from chat_core.types import StreamStatus
from tests.servers import REPO_ROOT, server_env

FAST_DEMO = {"STREAMCHAT_DEMO_TTFT_S": "0", "STREAMCHAT_DEMO_CHUNKS_PER_S": "0"}


def _chat(url: str, stdin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chat_core", "--provider", "demo", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=REPO_ROOT,
        env=server_env(STREAMCHAT_DATABASE_URL=url, **FAST_DEMO),
        timeout=60,
    )


def test_terminal_chat_is_saved_listed_and_continued(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chats.db'}"
    first = _chat(url, "What is a sourdough starter?\n")
    assert first.returncode == 0, first.stderr
    store = Store(url)
    [summary] = store.list_chats(LOCAL_OWNER)
    assert summary.title == "What is a sourdough starter?"
    chat = store.get_chat(LOCAL_OWNER, summary.id)
    assert chat is not None
    assert [(t.role, t.status) for t in chat.turns] == [
        ("user", StreamStatus.COMPLETE),
        ("assistant", StreamStatus.COMPLETE),
    ]
    assert chat.turns[1].content and chat.turns[1].metrics is not None

    listed = _chat(url, "", "--list")
    assert listed.returncode == 0
    assert "Today" in listed.stdout and summary.id in listed.stdout
    assert "What is a sourdough starter?" in listed.stdout

    again = _chat(url, "And how do I feed it?\n", "--chat", summary.id)
    assert again.returncode == 0, again.stderr
    assert "(turn 2)" in again.stdout  # the stored history reached the model
    chat = store.get_chat(LOCAL_OWNER, summary.id)
    assert chat is not None and len(chat.turns) == 4
    assert len(store.list_chats(LOCAL_OWNER)) == 1


def test_clear_in_the_terminal_starts_a_second_stored_chat(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chats.db'}"
    assert _chat(url, "one\nclear\ntwo\n").returncode == 0
    titles = [c.title for c in Store(url).list_chats(LOCAL_OWNER)]
    assert sorted(titles) == ["one", "two"]


def test_unknown_chat_id_says_chat_not_found(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chats.db'}"
    for bad in ("A" * 22, "../../etc/passwd"):
        result = _chat(url, "hi\n", "--chat", bad)
        assert result.returncode == 2
        assert "Chat not found" in result.stderr and "Traceback" not in result.stderr


def test_no_save_keeps_the_chat_in_memory_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'chats.db'}"
    result = _chat(url, "private question\n", "--no-save")
    assert result.returncode == 0 and "Assistant:" in result.stdout
    assert Store(url).list_chats(LOCAL_OWNER) == []


def test_unreadable_database_warns_and_the_chat_goes_on(tmp_path: Path) -> None:
    path = tmp_path / "chats.db"
    path.write_bytes(b"garbage" * 1000)
    result = _chat(f"sqlite:///{path}", "still answered?\n")
    assert result.returncode == 0
    assert "Assistant:" in result.stdout
    assert "damaged" in result.stderr and "Traceback" not in result.stderr


def test_database_url_is_read_from_the_secrets_file_like_the_web_app(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'from-secrets.db'}"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[connections.streamchat]\nurl = "{url}"\n', encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "chat_core", "--provider", "demo"],
        input="saved via secrets\n",
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=REPO_ROOT,
        env=server_env(STREAMCHAT_SECRETS_FILE=str(secrets), STREAMCHAT_DATABASE_URL=None),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert [c.title for c in Store(url).list_chats(LOCAL_OWNER)] == ["saved via secrets"]
