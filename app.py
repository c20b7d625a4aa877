"""Streamchat: a chat that streams OpenAI, Anthropic or local-model answers token by token.

Run with ``streamlit run app.py``. This file sets the page up, settles any answer a previous
run left streaming, and runs the page the URL asks for; the pages live in ``app_pages/``
(listed in ui/navigation.py).
"""

from __future__ import annotations

import streamlit as st

# No layout here: each page sets its own. Sending "centered" on every run and "wide" from a
# page right after it made the browser sometimes keep the first of the two.
st.set_page_config(
    page_title="Streamchat",
    page_icon=":material/forum:",
    initial_sidebar_state="expanded",
)

from ui.navigation import all_pages  # noqa: E402  (set_page_config must come first)
from ui.session import begin_run, end_run  # noqa: E402

begin_run()
st.navigation(all_pages()).run()
# Last, with the page on screen: the first run of the process ends only once what an answer
# needs is loaded (ui/warmup.py); a prompt sent meanwhile is answered right after, not beside it.
end_run()
