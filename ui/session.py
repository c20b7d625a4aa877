"""What every page run does first, whichever page it is."""

from __future__ import annotations

from ui import state, warmup
from ui.settings import current_settings, init_settings, provider_settings, read_secrets


def begin_run() -> None:
    """Start the import warm-up (once per process), give settings their defaults (once per
    session) and settle an answer a previous run left streaming. Idempotent: ``app.py`` calls
    it for every page and each page calls it again, so a page also works run on its own."""
    secrets = read_secrets()
    init_settings(secrets)
    warmup.start(provider_settings(current_settings(secrets)))
    state.settle()
