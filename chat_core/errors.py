"""The one error family of chat_core.

SDK exceptions are translated into these at the provider boundary (``chat_core.providers``)
and nowhere else. Every error carries a message a non-engineer understands, whether trying
again may help, the provider's label, the HTTP status where there was one and the provider's
request id (``x-request-id`` / ``request-id``) for its support. Messages name no place in one
particular interface ("the sidebar"): the web page, the terminal chat and the SSE API show them
as they are.
"""

from __future__ import annotations

import traceback
from pathlib import Path


class ChatError(Exception):
    """Something went wrong producing an answer; ``user_message`` is safe to show as is."""

    kind = "error"

    def __init__(
        self,
        user_message: str,
        *,
        provider: str | None = None,
        status: int | None = None,
        retryable: bool = False,
        retry_after_s: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.provider = provider
        self.status = status
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.request_id = request_id
        """The provider's id for the failed request (``x-request-id`` / ``request-id``), to
        quote to its support; ``None`` when it sent none."""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.user_message!r}, provider={self.provider!r}, "
            f"status={self.status!r}, retryable={self.retryable!r})"
        )


class ConfigurationError(ChatError):
    """A setting is missing or invalid (no API key, bad base URL, temperature out of range)."""

    kind = "configuration"


class WrongBaseURL(ConfigurationError):
    """The base URL reaches a server, but not a chat API there (a 404 that is not about the
    model, a web page instead of a stream)."""

    kind = "base_url"


class AuthenticationFailed(ChatError):
    kind = "authentication"


class PermissionDenied(ChatError):
    kind = "permission"


class ModelNotFound(ChatError):
    kind = "model_not_found"


class ContextTooLong(ChatError):
    kind = "context_too_long"


class BadRequest(ChatError):
    kind = "bad_request"


class RateLimited(ChatError):
    kind = "rate_limited"


class ProviderUnavailable(ChatError):
    """5xx, Anthropic's 529 and mid-stream overload errors."""

    kind = "unavailable"


class ConnectionFailed(ChatError):
    kind = "connection"


class TimedOut(ChatError):
    kind = "timeout"


class StreamInterrupted(ChatError):
    """The connection dropped after the answer had started."""

    kind = "interrupted"


class ProtocolError(ChatError):
    """The server sent something that is not the provider's streaming format."""

    kind = "protocol"


class ConversationFormatError(ChatError):
    """An imported conversation file is not valid."""

    kind = "format"


class UnexpectedError(ChatError):
    """A bug or an exception nobody anticipated; details go to the server log only."""

    kind = "unexpected"


class AttachmentRefused(ChatError):
    """An attached file cannot be sent: empty, too large, not what its name says, an image
    that does not decode, or a kind the chosen model does not take. Nothing was sent."""

    kind = "attachment"


_ROOT = Path(__file__).resolve().parent.parent
"""The project's root: frames under it are named relative to it."""


def _frame_name(frame: traceback.FrameSummary) -> str:
    path = Path(frame.filename)
    try:
        shown = path.resolve().relative_to(_ROOT).as_posix()
    except ValueError:  # a library: its last three path parts say which
        shown = "/".join(path.parts[-3:])
    return f"{shown}:{frame.lineno} in {frame.name}"


def where_raised(exc: BaseException) -> str:
    """One log line for an unexpected exception: its type and where it was raised, e.g.
    ``"KeyError at chat_core/stream_worker.py:209 in _run"`` (plus ``", from <our frame>"``
    when it was raised inside a library). Never the message — it can carry prompt text or a
    key — and never a traceback, which must not reach a log."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return type(exc).__name__
    text = f"{type(exc).__name__} at {_frame_name(frames[-1])}"
    ours = [f for f in frames if Path(f.filename).resolve().is_relative_to(_ROOT)]
    if ours and ours[-1] is not frames[-1]:
        text += f", from {_frame_name(ours[-1])}"
    return text
