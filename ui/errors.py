"""Unexpected exceptions: logged server-side without their message, shown as one short line.

An exception's message can carry prompt text or a key (a provider echoing a request, a
``KeyError`` on user data), so the log gets the exception type and the traceback frames
only — enough to find the bug, nothing a person typed.

Streamlit's own ``StopException``/``RerunException`` are ``BaseException``s and pass through
untouched (docs/design.md §6).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from chat_core.errors import ChatError

log = logging.getLogger("streamchat.ui")

GENERIC_MESSAGE = (
    "Something went wrong on our side while showing this answer. The problem has been logged; "
    "please try again."
)
GENERIC_PAGE_MESSAGE = (
    "Something went wrong on our side. The problem has been logged — reload the page or try again."
)


def log_unexpected(exc: BaseException, where: str) -> None:
    frames = "".join(traceback.format_tb(exc.__traceback__))
    log.error("unexpected %s while %s\n%s", type(exc).__name__, where, frames)


@contextmanager
def page_guard(where: str) -> Iterator[None]:
    """The boundary of a page: a ``ChatError`` shows its plain message, anything else is
    logged safely and shown as a short generic message — never a traceback."""
    try:
        yield
    except ChatError as exc:
        st.error(exc.user_message, icon=":material/error:")
    except Exception as exc:  # noqa: BLE001 - the page boundary; logged by log_unexpected
        log_unexpected(exc, where)
        st.error(GENERIC_PAGE_MESSAGE, icon=":material/sentiment_dissatisfied:")
