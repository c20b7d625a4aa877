"""Translation of SDK and transport exceptions into ``ChatError`` — the provider boundary."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any

import httpx2

from chat_core import errors as e
from chat_core.models import replacement_for, retired_message


def retry_after_s(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from ``retry-after-ms`` / ``retry-after`` (seconds or an HTTP date), or the same
    headers as a LiteLLM proxy passes them on from the provider behind it
    (``llm_provider-retry-after``, https://docs.litellm.ai/docs/proxy/response_headers)."""
    if not headers:
        return None
    for prefix in ("", "llm_provider-"):
        raw_ms = headers.get(prefix + "retry-after-ms")
        if raw_ms:
            try:
                return max(0.0, float(raw_ms) / 1000)
            except ValueError:
                pass
        raw = headers.get(prefix + "retry-after")
        if raw:
            return _retry_after_value(raw)
    return None


def _retry_after_value(raw: str) -> float | None:
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        import datetime as dt

        when = parsedate_to_datetime(raw)
        return max(0.0, (when - dt.datetime.now(when.tzinfo)).total_seconds())
    except (TypeError, ValueError):
        return None


def request_id_of(headers: Mapping[str, str] | None) -> str | None:
    """The provider's request id: OpenAI ``x-request-id``, Anthropic ``request-id``."""
    if not headers:
        return None
    return headers.get("x-request-id") or headers.get("request-id") or None


def should_retry(headers: Mapping[str, str] | None) -> bool | None:
    """The server's own advice, ``x-should-retry: true|false``, which both SDKs follow before
    looking at the status (openai/anthropic ``_base_client._should_retry``); None if absent."""
    raw = (headers or {}).get("x-should-retry")
    if raw == "true":
        return True
    if raw == "false":
        return False
    return None


def base_url_hint(label: str) -> str:
    """The sentence for a base URL that reaches something other than the chat API."""
    return (
        f"The base URL for {label} looks wrong: it does not lead to a chat API "
        "(OpenAI-compatible base URLs usually end in /v1; Anthropic's is the server root)."
    )


def _wait_hint(seconds: float | None) -> str:
    if seconds is None:
        return "try again in a moment"
    return f"try again in {max(1, round(seconds))} s"


def status_error(
    status: int,
    *,
    provider: str,
    model: str,
    detail: str | None,
    code: str | None,
    headers: Mapping[str, str] | None = None,
    api_body: bool = True,
) -> e.ChatError:
    """Map an HTTP status (plus the body's error code/message) to a plain-language error, with
    the request id and the server's ``x-should-retry`` advice from ``headers``.
    ``api_body=False``: the body was not a JSON error (a web page, plain text, nothing)."""
    error = _status_error(
        status,
        provider=provider,
        model=model,
        detail=detail,
        code=code,
        headers=headers,
        api_body=api_body,
    )
    error.request_id = request_id_of(headers)
    advice = should_retry(headers)
    if advice is not None:
        error.retryable = advice
    return error


def _status_error(
    status: int,
    *,
    provider: str,
    model: str,
    detail: str | None,
    code: str | None,
    headers: Mapping[str, str] | None,
    api_body: bool,
) -> e.ChatError:
    detail_l = (detail or "").lower()
    code_l = (code or "").lower()
    if status == 401:
        return e.AuthenticationFailed(
            f"{provider} rejected the API key. Check the key that was entered, "
            "the one in .streamlit/secrets.toml or in the environment.",
            provider=provider,
            status=status,
        )
    if status == 403:
        return e.PermissionDenied(
            f"{provider} refused the request: this API key is not allowed to use '{model}'.",
            provider=provider,
            status=status,
        )
    if status == 404 and api_body and "model" in f"{code_l} {detail_l}":
        if instead := replacement_for(model):
            return e.ModelNotFound(
                retired_message(provider, model, instead), provider=provider, status=status
            )
        return e.ModelNotFound(
            f"Model '{model}' does not exist at {provider} (or this key cannot use it). "
            "Pick another model.",
            provider=provider,
            status=status,
        )
    if status in (404, 405):  # not a model error: the request reached some other page
        return e.WrongBaseURL(base_url_hint(provider), provider=provider, status=status)
    if status == 408:  # the SDKs retry 408 and 409 (``_base_client._should_retry``)
        return e.TimedOut(
            f"{provider} timed out before answering (408) — {_wait_hint(None)}.",
            provider=provider,
            status=status,
            retryable=True,
        )
    if status == 409:
        return e.ProviderUnavailable(
            f"{provider} could not take the request right now (409) — {_wait_hint(None)}.",
            provider=provider,
            status=status,
            retryable=True,
        )
    if status == 429:
        wait = retry_after_s(headers)
        if "quota" in code_l or "quota" in detail_l or "billing" in detail_l:
            return e.RateLimited(
                f"{provider} says this API key has run out of quota or credit. "
                "Check the account's billing.",
                provider=provider,
                status=status,
            )
        return e.RateLimited(
            f"Rate limited by {provider} — {_wait_hint(wait)}.",
            provider=provider,
            status=status,
            retryable=True,
            retry_after_s=wait,
        )
    if status in (400, 413, 422):
        if (
            "context" in code_l
            or "context" in detail_l
            or "too long" in detail_l
            or "too many tokens" in detail_l
            or "prompt is too long" in detail_l
            or status == 413
        ):
            return e.ContextTooLong(
                f"The conversation is too long for '{model}'. Start a new chat, or "
                "choose a model with a larger context window.",
                provider=provider,
                status=status,
            )
        if "model" in code_l or ("model" in detail_l and "not" in detail_l):
            return e.ModelNotFound(
                f"Model '{model}' is not available at {provider}. Pick another model.",
                provider=provider,
                status=status,
            )
        shown = f": {detail}" if detail else "."
        return e.BadRequest(
            f"{provider} refused the request{shown}",
            provider=provider,
            status=status,
        )
    if status == 529 or "overloaded" in code_l:
        return e.ProviderUnavailable(
            f"{provider} is overloaded right now — {_wait_hint(retry_after_s(headers))}.",
            provider=provider,
            status=status,
            retryable=True,
            retry_after_s=retry_after_s(headers),
        )
    if status >= 500:
        return e.ProviderUnavailable(
            f"{provider} had a server error ({status}) — {_wait_hint(retry_after_s(headers))}.",
            provider=provider,
            status=status,
            retryable=True,
            retry_after_s=retry_after_s(headers),
        )
    return e.BadRequest(
        f"{provider} answered with an unexpected status {status}.",
        provider=provider,
        status=status,
    )


def sdk_status_error(exc: Any, *, provider: str, model: str) -> e.ChatError:
    """Either SDK's ``APIStatusError`` (``status_code``, ``body``, ``response``) in plain words."""
    message, code = body_error(exc.body)
    headers = exc.response.headers
    error = status_error(
        exc.status_code,
        provider=provider,
        model=model,
        detail=message,
        code=code,
        headers=headers,
        api_body=isinstance(exc.body, Mapping)
        and "html" not in str(headers.get("content-type", "")).lower(),
    )
    if error.request_id is None and isinstance(exc.body, Mapping):
        body_id = exc.body.get("request_id")  # Anthropic puts it in the error body too
        error.request_id = body_id if isinstance(body_id, str) else None
    return error


def body_error(body: object) -> tuple[str | None, str | None]:
    """(message, code-or-type) from either provider's error body."""
    if isinstance(body, Mapping):
        inner: Any = body.get("error", body)
        if isinstance(inner, Mapping):
            message = inner.get("message")
            code = inner.get("code") or inner.get("type")
            return (
                message if isinstance(message, str) else None,
                code if isinstance(code, str) else None,
            )
    return None, None


def midstream_error(provider: str, model: str, body: object) -> e.ChatError:
    """An error object that arrived inside an HTTP 200 stream (an ``error`` event, a chunk
    with an ``error`` field, ``finish_reason: "error"``)."""
    message, code = body_error(body)
    if message is None and isinstance(body, Mapping) and isinstance(body.get("error"), str):
        message = body["error"]  # some servers (llama.cpp, Ollama) send {"error": "text"}
    code_l = (code or "").lower()
    if "overloaded" in code_l:
        return e.ProviderUnavailable(
            f"{provider} is overloaded right now — try again in a moment.",
            provider=provider,
            retryable=True,
        )
    if "rate" in code_l:
        return e.RateLimited(
            f"Rate limited by {provider} — try again in a moment.",
            provider=provider,
            retryable=True,
        )
    shown = f": {message}" if message else "."
    return e.ProviderUnavailable(
        f"{provider} stopped the answer with an error{shown}", provider=provider, retryable=True
    )


def transport_error(
    exc: BaseException, *, provider: str, base_url: str | None, started: bool
) -> e.ChatError:
    """Connection refused, timeouts, drops and malformed streams (SDK or raw httpx2)."""
    where = f" at {base_url}" if base_url else ""
    chain = _chain(exc)
    if any(
        isinstance(
            c, json.JSONDecodeError | UnicodeDecodeError | httpx2.DecodingError | httpx2.SSEError
        )
        for c in chain
    ):
        return e.ProtocolError(
            f"{provider} sent a garbled stream{' mid-answer' if started else ''}.",
            provider=provider,
            retryable=True,
        )
    if (
        any(isinstance(c, httpx2.TimeoutException) for c in chain)
        or "timed out" in str(exc).lower()
    ):
        return e.TimedOut(
            f"{provider} did not answer in time — try again, or raise the timeout.",
            provider=provider,
            retryable=True,
        )
    if started or any(isinstance(c, httpx2.RemoteProtocolError | httpx2.ReadError) for c in chain):
        return e.StreamInterrupted(
            f"The connection to {provider} dropped {'mid-answer' if started else 'before the answer'}"
            " — the text received so far is kept.",
            provider=provider,
            retryable=True,
        )
    return e.ConnectionFailed(
        f"Could not reach {provider}{where}. Check the network or the base URL.",
        provider=provider,
        retryable=True,
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def interrupt_response(response: httpx2.Response) -> None:
    """Wake a thread blocked reading ``response`` by shutting its socket down.

    ``response.close()`` from another thread does not interrupt a read that is waiting for
    the next byte (e.g. a provider that has sent headers but no token yet); a socket
    shutdown does, and the pool then drops the connection."""
    stream: Any = response.extensions.get("network_stream")
    if stream is None:
        return
    with contextlib.suppress(Exception):  # best effort: the connection may already be gone
        sock = stream.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            sock.shutdown(socket.SHUT_RDWR)
