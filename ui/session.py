"""What every page run does first, whichever page it is, and what app.py does last."""

from __future__ import annotations

from ui import state, warmup
from ui.settings import current_settings, init_settings, provider_settings, read_secrets


def begin_run() -> None:
    """Start the import warm-up (once per process), give settings their defaults (once per
    session) and settle an answer a previous run left streaming. Idempotent: ``app.py`` calls
    it for every page and each page calls it again, so a page also works run on its own."""
    secrets = read_secrets()
    init_settings(secrets)
    if not warmup.started():
        chat = current_settings(secrets)
        warmup.start(chat.provider, provider_settings(chat))
    state.settle()


def end_run() -> None:
    """After the page is drawn: the first run of the process ends only once what an answer
    needs is loaded (ui/warmup.py), so the first prompt's run never streams beside those
    imports. Later runs return at once."""
    warmup.wait_for_answer_path()
