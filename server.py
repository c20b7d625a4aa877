"""Streamchat on one port: the Streamlit app (app.py) plus the SSE API.

    streamlit run server.py --server.address 127.0.0.1   # UI at /, API at /api/stream, /api/chat, /api/demo
    uvicorn server:app --port 8501 --no-access-log        # the same, served by uvicorn directly

Without ``STREAMCHAT_API_TOKEN`` the API serves this machine only, so the server must be
bound to loopback (uvicorn's default; ``streamlit run`` needs ``--server.address 127.0.0.1``):
bound anywhere else, or with a blank token, it refuses to start and says why. ``streamlit
run`` logs no requests; uvicorn's access log would record prompts and ``?token=`` query
parameters, hence ``--no-access-log``.

The API's routes live in ``chat_core.http_api``; secrets come from ``st.secrets``, the same
reader the pages use (``ui/secrets.py``). See the README for the format and the access rules.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import streamlit as st

from chat_core.http_access import ApiConfigError, uvicorn_host
from chat_core.http_api import api_routes
from ui.secrets import read_secrets


def bind_address() -> str | None:
    """The address this process serves on: uvicorn's ``--host`` when uvicorn runs us, else
    Streamlit's ``server.address`` (None: every interface)."""
    program = sys.argv[0] if sys.argv else ""
    if Path(program).name == "uvicorn" or program.endswith(("uvicorn/__main__.py", "uvicorn")):
        return uvicorn_host(sys.argv[1:], os.environ)
    address = st.get_option("server.address")
    return str(address) if address else None


try:
    routes = api_routes(bind_address=bind_address(), secrets=read_secrets)
except ApiConfigError as exc:
    # A clear line and a non-zero exit instead of a server that is unsafe or silently open.
    sys.stderr.write(f"streamchat: {exc}\n")
    raise SystemExit(2) from None

app = st.App("app.py", routes=routes)
