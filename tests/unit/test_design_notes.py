"""The repository explains itself: every "docs/design.md §N" the code cites exists, and nothing
cites notes that live outside the repository."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITATION = re.compile(r"docs/design\.md\s+((?:§\d+(?:-\d+)?(?:,\s*)?)+)")


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    return [ROOT / n for n in names if n.endswith((".py", ".md", ".sh", ".toml"))]


def test_every_cited_design_note_exists() -> None:
    notes = {
        int(n) for n in re.findall(r"^\*\*§(\d+)\.", (ROOT / "docs/design.md").read_text(), re.M)
    }
    assert notes == set(range(1, max(notes) + 1))
    cited: set[int] = set()
    for path in tracked_text_files():
        for match in CITATION.finditer(path.read_text(errors="replace")):
            for part in re.findall(r"\d+(?:-\d+)?", match.group(1)):
                low, _, high = part.partition("-")
                cited.update(range(int(low), int(high or low) + 1))
    assert cited, "no citations found"
    assert cited <= notes, f"cited but missing: {sorted(cited - notes)}"


def test_no_file_cites_notes_outside_the_repository() -> None:
    outside = "STREAMLIT" + "_NOTES"  # split so this file does not match itself
    offenders = [
        str(p.relative_to(ROOT))
        for p in tracked_text_files()
        if outside in p.read_text(errors="replace")
    ]
    assert offenders == []
