"""``python -m chat_core``: the terminal chat (see ``chat_core.cli``)."""

from __future__ import annotations

import sys

from chat_core.cli import main

if __name__ == "__main__":
    sys.exit(main())
