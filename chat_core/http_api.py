"""The SSE API: Starlette routes that ``server.py`` mounts next to the Streamlit app.

``GET /api/stream?prompt=…`` and ``POST /api/chat`` stream one answer in the documented SSE
format (``chat_core.sse_encode``); ``GET /api/demo`` is a small page using the README's EventSource
client. A client that disconnects cancels the answer, which closes the provider's response.

Access: with ``STREAMCHAT_API_TOKEN`` set, every request needs it (``Authorization: Bearer …``
or ``?token=…``, which EventSource needs). Without a token only loopback clients are served,
and requests that came through a proxy (``Forwarded`` / ``X-Forwarded-For`` / ``X-Real-IP``)
are refused, since behind a proxy every client looks local.

Request problems (bad JSON, no prompt, unknown provider, out-of-range settings, oversize body)
get a 4xx JSON ``{"error": {"message": …}}``. Problems producing the answer (no key configured,
rate limits, provider errors) arrive as the SSE ``error`` event, so EventSource clients can show
them. Keys come from ``chat_core.config`` (``.streamlit/secrets.toml`` read with tomllib, then
the environment); API clients cannot choose keys or base URLs.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import math
import os
import tomllib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from chat_core.api import DEFAULT_SYSTEM_PROMPT, start_chat
from chat_core.config import PROVIDERS, check_temperature, default_provider
from chat_core.errors import ChatError
from chat_core.sse_encode import HEADERS, MEDIA_TYPE, aiter_sse, chat_error_event
from chat_core.types import Message

log = logging.getLogger(__name__)

TOKEN_ENV = "STREAMCHAT_API_TOKEN"
SECRETS_ENV = "STREAMCHAT_SECRETS_FILE"
"""Read secrets from this file instead of the usual places ("" = no secrets file)."""
MAX_BODY_BYTES = 256 * 1024
MAX_PROMPT_CHARS = 100_000
MAX_MODEL_CHARS = 200
MAX_TOKENS_LIMIT = 1_000_000
FRAME_INTERVAL_S = 0.05
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


class RequestRejected(Exception):
    """A request the API will not serve: HTTP ``status`` and a message for the caller."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def response(self) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if self.status == 401 else None
        return JSONResponse(
            {"error": {"message": self.message}}, status_code=self.status, headers=headers
        )


# -- access -----------------------------------------------------------------------------------


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (the client's IP as the server saw it) is this machine."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def check_access(
    *,
    client_host: str | None,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    token: str | None,
) -> None:
    """Raise ``RequestRejected`` (401 or 403) unless the request may be served.

    ``headers`` must be case-insensitive or lower-cased (Starlette's are).
    """
    if token:
        supplied = _bearer(headers.get("authorization")) or query.get("token")
        if not supplied:
            raise RequestRejected(
                401,
                "This API needs a token: send 'Authorization: Bearer <token>' or add ?token=<token>.",
            )
        if not hmac.compare_digest(supplied.encode(), token.encode()):
            raise RequestRejected(401, "The API token is not valid.")
        return
    if any(headers.get(name) for name in PROXY_HEADERS):
        raise RequestRejected(
            403, f"Requests through a proxy need a token: set {TOKEN_ENV} on the server."
        )
    if not is_loopback(client_host):
        raise RequestRejected(
            403,
            f"Only this machine may use the API without a token: set {TOKEN_ENV} on the server.",
        )


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


# -- request parsing --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChatParams:
    """A validated API request."""

    messages: tuple[Message, ...]
    system: str | None = None
    provider: str | None = None
    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None


def params_from_query(query: Mapping[str, str]) -> ChatParams:
    """``GET /api/stream`` parameters: prompt (required), provider, model, system,
    temperature, max_tokens."""
    prompt = query.get("prompt", "")
    if not prompt.strip():
        raise RequestRejected(400, "Missing prompt: add ?prompt=<your question>.")
    return _validated(
        messages=[{"role": "user", "content": prompt}],
        system=query.get("system"),
        provider=query.get("provider") or None,
        model=query.get("model") or None,
        temperature=_number(query.get("temperature") or None, "temperature", float),
        max_tokens=_number(query.get("max_tokens") or None, "max_tokens", int),
    )


def params_from_body(raw: bytes) -> ChatParams:
    """``POST /api/chat`` JSON: ``{messages: [{role, content}], system, provider, model,
    temperature, max_tokens}`` (``prompt`` may stand in for a single user message)."""
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise RequestRejected(400, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise RequestRejected(400, "The request body must be a JSON object.")
    messages = body.get("messages", [])
    if not isinstance(messages, list):
        raise RequestRejected(400, "'messages' must be a list of {role, content} objects.")
    prompt = body.get("prompt")
    if prompt is not None:
        if not isinstance(prompt, str):
            raise RequestRejected(400, "'prompt' must be text.")
        messages = [*messages, {"role": "user", "content": prompt}]
    return _validated(
        messages=messages,
        system=body.get("system"),
        provider=body.get("provider"),
        model=body.get("model"),
        temperature=body.get("temperature"),
        max_tokens=body.get("max_tokens"),
    )


def _number(value: str | None, name: str, kind: type[float] | type[int]) -> float | int | None:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        raise RequestRejected(400, f"'{name}' must be a number.") from None


def _validated(
    *,
    messages: Sequence[Any],
    system: Any,
    provider: Any,
    model: Any,
    temperature: Any,
    max_tokens: Any,
) -> ChatParams:
    history: list[Message] = []
    system_parts: list[str] = []
    for item in messages:
        if not isinstance(item, dict) or not isinstance(item.get("content"), str):
            raise RequestRejected(
                400, "Each message must be an object with 'role' and text 'content'."
            )
        role, content = item.get("role"), item["content"]
        if role == "system":
            system_parts.append(content)
        elif role in ("user", "assistant"):
            history.append(Message(role, content))
        else:
            raise RequestRejected(400, f"Unknown message role {role!r}: use 'user' or 'assistant'.")
    if not history or history[-1].role != "user" or not history[-1].content.strip():
        raise RequestRejected(
            400, "Missing prompt: the last message must be a non-empty user message."
        )
    if len(history[-1].content) > MAX_PROMPT_CHARS:
        raise RequestRejected(413, f"The prompt is longer than {MAX_PROMPT_CHARS} characters.")
    if system is not None and not isinstance(system, str):
        raise RequestRejected(400, "'system' must be text.")
    if system is None and system_parts:
        system = "\n\n".join(system_parts)
    if provider is not None and provider not in PROVIDERS:
        raise RequestRejected(
            400, f"Unknown provider {provider!r}. Choose one of: {', '.join(PROVIDERS)}."
        )
    if model is not None and (
        not isinstance(model, str) or not 0 < len(model.strip()) <= MAX_MODEL_CHARS
    ):
        raise RequestRejected(400, "'model' must be a model name.")
    if temperature is not None:
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, int | float)
            or not math.isfinite(temperature)
        ):
            raise RequestRejected(400, "'temperature' must be a number.")
        temperature = float(temperature)
    if max_tokens is not None and (
        isinstance(max_tokens, bool)
        or not isinstance(max_tokens, int)
        or not 0 < max_tokens <= MAX_TOKENS_LIMIT
    ):
        raise RequestRejected(
            400, f"'max_tokens' must be a whole number from 1 to {MAX_TOKENS_LIMIT}."
        )
    return ChatParams(
        messages=tuple(history),
        system=system,
        provider=provider,
        model=model.strip() if isinstance(model, str) else None,
        temperature=temperature,
        max_tokens=max_tokens,
    )


# -- secrets ----------------------------------------------------------------------------------


def secrets_files(
    project_dir: Path | None, environ: Mapping[str, str] | None = None
) -> tuple[Path, ...]:
    """Where Streamlit looks for secrets: the user's, then the project's (which wins)."""
    env = os.environ if environ is None else environ
    if SECRETS_ENV in env:
        return (Path(env[SECRETS_ENV]),) if env[SECRETS_ENV] else ()
    paths = [Path.home() / ".streamlit" / "secrets.toml"]
    if project_dir is not None:
        paths.append(project_dir / ".streamlit" / "secrets.toml")
    return tuple(paths)


def load_secrets(paths: Sequence[Path]) -> dict[str, Any]:
    """Top-level values of the TOML files, later files winning; unreadable files are skipped
    (logged by path only, never by content)."""
    merged: dict[str, Any] = {}
    for path in paths:
        try:
            with path.open("rb") as file:
                merged.update(tomllib.load(file))
        except FileNotFoundError:
            continue
        except (OSError, tomllib.TOMLDecodeError) as exc:
            log.warning("could not read secrets file %s (%s)", path, type(exc).__name__)
    return merged


# -- the API ----------------------------------------------------------------------------------


class ChatApi:
    """The route handlers. Immutable after construction; safe for concurrent requests."""

    def __init__(
        self,
        *,
        token: str | None = None,
        secrets_paths: Sequence[Path] = (),
        frame_interval_s: float = FRAME_INTERVAL_S,
    ) -> None:
        self._token = token or None
        self._secrets_paths = tuple(secrets_paths)
        self._frame_interval_s = frame_interval_s

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/stream", self.stream, methods=["GET"]),
            Route("/api/chat", self.chat, methods=["POST"]),
            Route("/api/demo", self.demo, methods=["GET"]),
        ]

    async def stream(self, request: Request) -> Response:
        try:
            self._check(request)
            params = params_from_query(request.query_params)
        except RequestRejected as rejected:
            return rejected.response()
        return await self._answer(params)

    async def chat(self, request: Request) -> Response:
        try:
            self._check(request)
            params = params_from_body(await _read_body(request, MAX_BODY_BYTES))
        except RequestRejected as rejected:
            return rejected.response()
        return await self._answer(params)

    async def demo(self, request: Request) -> Response:
        try:
            self._check(request)
        except RequestRejected as rejected:
            return rejected.response()
        return HTMLResponse(DEMO_PAGE, headers={"Cache-Control": "no-store"})

    def _check(self, request: Request) -> None:
        check_access(
            client_host=request.client.host if request.client else None,
            headers=request.headers,
            query=request.query_params,
            token=self._token,
        )

    async def _answer(self, params: ChatParams) -> Response:
        # Reading secrets and building an SDK client (TLS context) are blocking: off the loop.
        return await run_in_threadpool(self._start, params)

    def _start(self, params: ChatParams) -> Response:
        secrets = load_secrets(self._secrets_paths)
        provider = params.provider or default_provider(secrets=secrets)
        try:
            check_temperature(provider, params.temperature)
        except ChatError as exc:
            return RequestRejected(400, exc.user_message).response()
        try:
            stream = start_chat(
                params.messages,
                provider=provider,
                model=params.model,
                system=DEFAULT_SYSTEM_PROMPT if params.system is None else params.system,
                temperature=params.temperature,
                max_tokens=params.max_tokens,
                secrets=secrets,
            )
        except ChatError as exc:  # e.g. no key configured: tell the client in the stream
            return StreamingResponse(
                _one(chat_error_event(exc)), media_type=MEDIA_TYPE, headers=HEADERS
            )
        return StreamingResponse(
            aiter_sse(stream, min_interval_s=self._frame_interval_s),
            media_type=MEDIA_TYPE,
            headers=HEADERS,
        )


async def _one(event: bytes) -> AsyncIterator[bytes]:
    yield event


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestRejected(413, f"The request body is larger than {limit // 1024} KB.")
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > limit:
            raise RequestRejected(413, f"The request body is larger than {limit // 1024} KB.")
    return bytes(body)


def api_routes(
    *, project_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> list[BaseRoute]:
    """The API's routes, configured from the environment (token, secrets files)."""
    env = os.environ if environ is None else environ
    api = ChatApi(
        token=env.get(TOKEN_ENV, "").strip() or None, secrets_paths=secrets_files(project_dir, env)
    )
    return api.routes()


DEMO_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Streamchat SSE demo</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
  form { display: flex; gap: .5rem; }
  input { flex: 1; padding: .5rem; font: inherit; }
  button { padding: .5rem 1rem; font: inherit; }
  #answer { white-space: pre-wrap; border: 1px solid #ddd; border-radius: 6px; padding: 1rem; min-height: 6rem; margin-top: 1rem; }
  #metrics { color: #555; font-size: .9rem; margin-top: .5rem; }
  #notice { color: #8a6d00; font-size: .9rem; }
  #error { color: #b00020; margin-top: .5rem; }
</style>
</head>
<body>
<h1>Streamchat SSE demo</h1>
<p>Each answer streams from <code>/api/stream</code> through the browser's <code>EventSource</code>.</p>
<form id="ask">
  <input id="prompt" name="prompt" placeholder="Ask something" autocomplete="off" required>
  <button id="send" type="submit">Send</button>
  <button id="stop" type="button" disabled>Stop</button>
</form>
<div id="notice" role="status"></div>
<div id="answer" aria-live="polite"></div>
<div id="metrics"></div>
<div id="error" role="alert"></div>
<script>
const token = new URLSearchParams(location.search).get('token');
const $ = (id) => document.getElementById(id);
let eventSource = null;

function fmt(value, digits, unit) {
  return value === null || value === undefined ? 'n/a' : value.toFixed(digits) + unit;
}

function showMetrics(m) {
  $('metrics').textContent =
    'TTFT ' + fmt(m.time_to_first_token, 2, ' s') +
    ' · total ' + fmt(m.total_time, 2, ' s') +
    ' · ' + m.chunk_count + ' chunks' +
    ' · ' + fmt(m.chars_per_second, 0, ' chars/s') +
    ' · tokens ' + (m.input_tokens ?? 'n/a') + ' in / ' + (m.output_tokens ?? 'n/a') + ' out' +
    ' · ' + fmt(m.tokens_per_second, 1, ' tokens/s') +
    (m.status === 'complete' ? '' : ' · ' + m.status);
}

function finish() {
  if (eventSource) eventSource.close();
  eventSource = null;
  $('send').disabled = false;
  $('stop').disabled = true;
}

function ask(prompt) {
  finish();
  $('answer').textContent = '';
  $('metrics').textContent = '';
  $('notice').textContent = '';
  $('error').textContent = '';
  $('send').disabled = true;
  $('stop').disabled = false;
  const query = new URLSearchParams({prompt: prompt});
  if (token) query.set('token', token);
  eventSource = new EventSource('/api/stream?' + query);
  eventSource.onmessage = (event) => {
    const data = JSON.parse(event.data);
    if (data.content) {
      $('notice').textContent = '';
      $('answer').textContent += data.content;
    } else if (data.notice) {
      $('notice').textContent = data.notice;
    } else if (data.done) {
      showMetrics(data.metrics);
      finish();
    } else if (data.error) {
      $('error').textContent = data.error.message + (data.error.retryable ? ' (try again)' : '');
      finish();
    }
  };
  eventSource.onerror = () => {
    $('error').textContent = 'The connection to the server failed.';
    finish();
  };
}

$('ask').addEventListener('submit', (event) => {
  event.preventDefault();
  ask($('prompt').value);
});
$('stop').addEventListener('click', () => {
  $('metrics').textContent = 'stopped';
  finish();
});
</script>
</body>
</html>
"""
