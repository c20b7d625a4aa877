"""Whether the person on this page is at the server's own machine (``chat_core/visitors.py``):
the one who sees every stored chat without signing in and may type private base URLs."""

from __future__ import annotations

import streamlit as st

from chat_core.visitors import peer_is_loopback, treated_as_local
from ui.secrets import streamchat_settings


def is_local() -> bool:
    """This connection is local, or the operator said everybody is (``local = true``), and
    the operator did not say nobody is (``public = true``)."""
    return treated_as_local(
        peer_is_loopback=peer_is_loopback(st.context.ip_address),
        headers=dict(st.context.headers),
        settings=streamchat_settings(),
    )
