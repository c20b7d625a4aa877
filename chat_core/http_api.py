"""The SSE API: Starlette routes that ``server.py`` mounts next to the Streamlit app.

``GET /api/stream?prompt=…`` and ``POST /api/chat`` (``application/json`` only) stream one
answer in the documented SSE format (``chat_core.sse_encode``); ``GET /api/demo`` is a small page
(``static/api_demo.html``) using the README's EventSource client. ``HEAD /api/stream`` checks
access and parameters without calling the provider.

A client that goes away cancels the answer at once, also while the provider has not answered
yet (``SSEResponse`` listens for the disconnect instead of noticing it at the next write); a
client that stops reading is dropped after ``SEND_TIMEOUT_S``. Who may call the API is decided
in ``chat_core.http_access`` (token, loopback, Host, cross-site browser requests).

Request problems (bad JSON, no prompt, unknown provider, out-of-range settings, oversize or
slow body) get a 4xx JSON ``{"error": {"message": …}}``; a broken server setting a 500 of the
same shape. Problems producing the answer (no key configured, rate limits, provider errors)
arrive as the SSE ``error`` event, so EventSource clients can show them. Keys come from the
secrets reader ``server.py`` passes in (``st.secrets``) and the environment; API clients cannot
choose keys or base URLs.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import os
from collections.abc import AsyncIterator, Callable, Collection, Mapping
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route
from starlette.types import Message as AsgiMessage
from starlette.types import Receive, Scope, Send

from chat_core.api import DEFAULT_SYSTEM_PROMPT, start_chat
from chat_core.attachments import check_turn
from chat_core.config import check_temperature, default_provider, resolve
from chat_core.errors import AttachmentRefused, ChatError, ConfigurationError
from chat_core.http_access import (
    RequestRejected,
    allowed_hosts_from,
    check_access,
    check_startup,
    token_from,
)
from chat_core.http_params import (
    MAX_CHAT_BODY_BYTES,
    ChatParams,
    params_from_body,
    params_from_query,
)
from chat_core.http_store import open_target
from chat_core.sse_encode import HEADERS, MEDIA_TYPE, aiter_sse, chat_error_event

log = logging.getLogger(__name__)

FRAME_INTERVAL_S = 0.05
BODY_TIMEOUT_S = 10.0
"""A request body that has not fully arrived by then is refused (408): no slow-body hold-ups."""
SEND_TIMEOUT_S = 30.0
"""A client that has not taken a frame for this long is dropped and the answer cancelled."""
DEMO_FILE = Path(__file__).with_name("static") / "api_demo.html"

SecretsReader = Callable[[], Mapping[str, Any]]


def rejection(rejected: RequestRejected) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if rejected.status == 401 else None
    return JSONResponse(
        {"error": {"message": rejected.message}}, status_code=rejected.status, headers=headers
    )


# -- the API ----------------------------------------------------------------------------------


class ChatApi:
    """The route handlers. Immutable after construction; safe for concurrent requests.

    ``secrets`` returns the current secrets mapping (``server.py`` passes ``st.secrets``'s
    reader); it is called per answer, off the event loop.
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        secrets: SecretsReader = dict,
        allowed_hosts: Collection[str] = (),
        frame_interval_s: float = FRAME_INTERVAL_S,
        send_timeout_s: float = SEND_TIMEOUT_S,
    ) -> None:
        self._token = token or None
        self._secrets = secrets
        self._allowed_hosts = frozenset(allowed_hosts)
        self._frame_interval_s = frame_interval_s
        self._send_timeout_s = send_timeout_s

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/api/stream", self.stream, methods=["GET", "HEAD"]),
            Route("/api/chat", self.chat, methods=["POST"]),
            Route("/api/demo", self.demo, methods=["GET"]),
        ]

    async def stream(self, request: Request) -> Response:
        try:
            self._check(request)
            params = params_from_query(request.query_params)
        except RequestRejected as rejected:
            return rejection(rejected)
        if request.method == "HEAD":  # what GET would answer, without calling the provider
            return Response(media_type=MEDIA_TYPE, headers=HEADERS)
        return await self._answer(params)

    async def chat(self, request: Request) -> Response:
        try:
            self._check(request)
            _check_json_type(request.headers.get("content-type"))
            raw = await asyncio.wait_for(_read_body(request, MAX_CHAT_BODY_BYTES), BODY_TIMEOUT_S)
            params = params_from_body(raw)
        except RequestRejected as rejected:
            return rejection(rejected)
        except TimeoutError:
            return rejection(RequestRejected(408, "The request body did not arrive in time."))
        except ClientDisconnect:
            return Response(status_code=400)
        return await self._answer(params)

    async def demo(self, request: Request) -> Response:
        try:
            self._check(request)
        except RequestRejected as rejected:
            return rejection(rejected)
        return HTMLResponse(DEMO_PAGE, headers=DEMO_HEADERS)

    def _check(self, request: Request) -> None:
        server = request.scope.get("server")
        check_access(
            client_host=request.client.host if request.client else None,
            headers=request.headers,
            query=request.query_params,
            token=self._token,
            server_host=server[0] if server else None,
            allowed_hosts=self._allowed_hosts,
        )

    async def _answer(self, params: ChatParams) -> Response:
        # Reading secrets and building an SDK client (TLS context) are blocking: off the loop.
        return await run_in_threadpool(self._start, params)

    def _start(self, params: ChatParams) -> Response:
        secrets = self._secrets()
        try:
            provider = params.provider or default_provider(secrets=secrets)
            resolve(provider, secrets=secrets)
        except ConfigurationError as exc:  # the operator's settings are broken, not the request
            return rejection(RequestRejected(500, exc.user_message))
        try:
            check_temperature(provider, params.temperature)
        except ChatError as exc:
            return rejection(RequestRejected(400, exc.user_message))
        target = None
        if params.chat_id is not None:
            try:
                target = open_target(params.chat_id, secrets)
            except RequestRejected as rejected:
                return rejection(rejected)
        try:
            stream = start_chat(
                params.messages if target is None else target.messages(params.messages),
                provider=provider,
                model=params.model,
                system=DEFAULT_SYSTEM_PROMPT if params.system is None else params.system,
                temperature=params.temperature,
                max_tokens=params.max_tokens,
                secrets=secrets,
            )
        except ChatError as exc:  # e.g. no key configured: tell the client in the stream
            return SSEResponse(_one(chat_error_event(exc)), send_timeout_s=self._send_timeout_s)
        try:
            # The checks of an upload (total size, total text, what the model takes), now
            # that the model is known; nothing has been sent yet.
            for message in params.messages:
                if message.attachments:
                    check_turn(message.attachments, stream.provider.name, stream.request.model)
        except AttachmentRefused as exc:
            stream.close()
            return rejection(RequestRejected(400, exc.user_message))
        if target is not None:
            target.begin(params.messages, stream, provider=provider, model=params.model)
        return SSEResponse(
            aiter_sse(stream, min_interval_s=self._frame_interval_s),
            send_timeout_s=self._send_timeout_s,
        )


class SSEResponse(StreamingResponse):
    """A streamed answer that ends the moment the client goes away.

    Starlette only listens for ``http.disconnect`` on servers speaking ASGI spec < 2.4; on
    uvicorn a gone client is noticed at the next write (up to a heartbeat, 15 s, later, and
    while the provider has not sent its headers the answer went on and was billed). Here the
    disconnect is always listened for, a send that blocks longer than ``send_timeout_s`` (a
    client that stopped reading) ends the response too, and the body iterator is closed either
    way, which cancels the answer upstream.
    """

    def __init__(self, content: AsyncIterator[bytes], *, send_timeout_s: float) -> None:
        super().__init__(content, media_type=MEDIA_TYPE, headers=HEADERS)
        self._send_timeout_s = send_timeout_s
        self._body = content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def timed_send(message: AsgiMessage) -> None:
            await asyncio.wait_for(send(message), self._send_timeout_s)

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        streaming = asyncio.ensure_future(self.stream_response(timed_send))
        watching = asyncio.ensure_future(watch())
        try:
            await asyncio.wait((streaming, watching), return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (streaming, watching):
                task.cancel()
            await asyncio.gather(streaming, watching, return_exceptions=True)
            aclose = getattr(self._body, "aclose", None)
            if aclose is not None:
                await aclose()
        if streaming.done() and not streaming.cancelled() and streaming.exception() is not None:
            exc = streaming.exception()
            if not isinstance(exc, OSError | TimeoutError):
                raise exc  # type: ignore[misc]


async def _one(event: bytes) -> AsyncIterator[bytes]:
    yield event


def _check_json_type(content_type: str | None) -> None:
    """``/api/chat`` takes ``application/json`` only: a browser sends that type cross-site only
    after a CORS preflight, which this API never grants (a ``text/plain`` form is refused)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise RequestRejected(415, "Send the body as JSON with 'Content-Type: application/json'.")


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
    *,
    environ: Mapping[str, str] | None = None,
    bind_address: str | None = None,
    secrets: SecretsReader = dict,
) -> list[BaseRoute]:
    """The API's routes, configured from the environment (token, allowed hosts).

    Raises ``ApiConfigError`` (the server must not start) for a blank token, or for no token
    while the server is bound beyond loopback (``bind_address``, None = unknown/everywhere).
    """
    env = os.environ if environ is None else environ
    token = token_from(env)
    check_startup(token=token, bind_address=bind_address)
    silence_access_log()
    api = ChatApi(token=token, secrets=secrets, allowed_hosts=allowed_hosts_from(env))
    return api.routes()


class _DropAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


def silence_access_log() -> None:
    """Drop every ``uvicorn.access`` record: request lines carry prompts and ``?token=``.

    ``--no-access-log`` alone does not hold: uvicorn decides per connection from whether the
    logger has handlers, and Streamlit gives it one when it sets up its logging. A filter on
    the logger stays whatever handlers come later. Idempotent."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _DropAll) for f in access.filters):
        access.addFilter(_DropAll())


def _demo_page() -> tuple[str, dict[str, str]]:
    page = DEMO_FILE.read_text(encoding="utf-8")
    script = page.split("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    headers = {
        "Cache-Control": "no-store",
        # Only the page's own inline script and style; no framing; the ?token= in the page's
        # address is not sent on as a Referer.
        "Content-Security-Policy": (
            f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; "
            "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
        ),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }
    return page, headers


DEMO_PAGE, DEMO_HEADERS = _demo_page()
