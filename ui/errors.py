"""Unexpected exceptions: logged server-side without their message, shown as one short line.

An exception's message can carry prompt text or a key (a provider echoing a request, a
``KeyError`` on user data), and a traceback must not reach a log, so the log gets one line: the
exception's type and where it was raised (``chat_core.errors.where_raised``) — enough to find
the bug, nothing a person typed.

Streamlit's own ``StopException``/``RerunException`` are ``BaseException``s and pass through
untouched (docs/design.md §6).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from chat_core.errors import ChatError, where_raised

log = logging.getLogger("streamchat.ui")

GENERIC_MESSAGE = (
    "Something went wrong on our side while showing this answer. The problem has been logged; "
    "please try again."
)
GENERIC_PAGE_MESSAGE = (
    "Something went wrong on our side. The problem has been logged — reload the page or try again."
)


def log_unexpected(exc: BaseException, where: str) -> None:
    log.error("unexpected error while %s: %s", where, where_raised(exc))


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
