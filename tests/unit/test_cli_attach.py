"""``/attach PATH`` in the terminal chat (a subprocess on the offline demo)."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_cli import run_chat


def test_attach_sends_the_file_with_the_next_message(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("# Shopping\n- milk\n")
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    stdin = f"/attach {notes}\n/attach {empty}\n/attach {tmp_path / 'nope.txt'}\nWhat is it?\n"
    done = run_chat(stdin, "--provider", "demo")
    assert done.returncode == 0, done.stderr
    assert "(attached notes.md (text, 18 B); it goes with your next message)" in done.stdout
    assert "You attached 1 file: notes.md (text, 18 B)." in done.stdout
    assert "empty.txt is empty, so it was not attached." in done.stderr
    assert "There is no file at" in done.stderr
    assert "Traceback" not in done.stderr
