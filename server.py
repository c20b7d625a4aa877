"""Streamchat on one port: the Streamlit app (app.py) plus the SSE API.

    streamlit run server.py                          # UI at /, API at /api/stream, /api/chat, /api/demo
    uvicorn server:app --port 8501 --no-access-log   # the same, served by uvicorn directly

(``streamlit run`` logs no requests; uvicorn's access log would record prompts and
``?token=`` query parameters, hence ``--no-access-log``.)

The API's routes live in ``chat_core.http_api``; see the README for the format and the
token rules (``STREAMCHAT_API_TOKEN``).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from chat_core.http_api import api_routes

app = st.App("app.py", routes=api_routes(project_dir=Path(__file__).resolve().parent))
