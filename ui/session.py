"""What every page run does first, whichever page it is, and what app.py does last."""

from __future__ import annotations

from ui import state, warmup
from ui.settings import current_settings, init_settings, provider_settings, read_secrets


def begin_run() -> None:
    """Give settings their defaults (once per session) and settle an answer a previous run
    left streaming. Idempotent: ``app.py`` calls it for every page and each page calls it
    again, so a page also works run on its own."""
    init_settings(read_secrets())
    state.settle()


def end_run() -> None:
    """After the page is drawn: once per server process, load what the first answer needs
    (ui/warmup.py), with the provider this session starts on (its client is built and
    cached, the key stays in memory). Later runs return at once."""
    if not warmup.prepared():
        chat = current_settings(read_secrets())
        warmup.prepare_first_answer(chat.provider, provider_settings(chat))
