"""The one reader of secrets: ``st.secrets``, for the pages and for ``server.py``'s API.

``st.secrets`` reads ``.streamlit/secrets.toml`` (the project's and the user's) or whatever
``secrets.files`` names (``--secrets.files``, ``STREAMLIT_SECRETS_FILES``), and Community Cloud's
secrets. Only the names below are taken; values stay in memory and are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import streamlit as st

from chat_core.config import BASE_URL_VARS, KEY_VARS
from chat_core.url_policy import ALLOW_PRIVATE_ENV

log = logging.getLogger(__name__)

SECRET_NAMES: tuple[str, ...] = (*KEY_VARS.values(), *BASE_URL_VARS.values(), ALLOW_PRIVATE_ENV)


def read_secrets() -> dict[str, str]:
    """The provider keys and base URLs found in ``st.secrets`` (top-level names such as
    ``OPENAI_API_KEY``). No secrets file, or an unreadable one, means no secrets: the
    environment and the sidebar still work (``st.secrets`` raises when there is no file)."""
    found: dict[str, str] = {}
    try:
        for name in SECRET_NAMES:
            value = st.secrets.get(name)
            if isinstance(value, str | bool) and str(value).strip():
                found[name] = str(value).strip()
    except FileNotFoundError:  # includes StreamlitSecretNotFoundError: no or unparsable file
        return {}
    except OSError:
        log.warning("could not read the Streamlit secrets file; using the environment only")
        return {}
    return found


def streamchat_settings() -> dict[str, object]:
    """The ``[streamchat]`` table of secrets (``public``, ``local``, prices …); empty without one."""
    try:
        section = st.secrets.get("streamchat")
    except FileNotFoundError:
        return {}
    except OSError:
        log.warning("could not read the Streamlit secrets file; using the environment only")
        return {}
    if not isinstance(section, Mapping):
        return {}
    return {str(k): v for k, v in section.items()}
