"""Abort a request that is still waiting for the provider's response headers, and refuse
connections to private addresses where only public ones may be reached.

The SDKs give no handle on a request until its headers have arrived; a provider that takes
18 s to answer keeps the request (and the billing) going that long after the person or the
API client has gone. The SDK's HTTP client is built with ``abortable_client``: a request hook
asks httpx for connection traces (the documented ``trace`` request extension), and each new
connection's stream notes which thread is reading or writing it at the moment. Then
``abort_thread_io(thread)`` shuts down the socket that thread is blocked on, the SDK raises a
connection error at once, and the provider sees the request go away.

The same connection trace checks, inside ``public_peers_only()``, that each new connection
reached a public address: a visitor's base URL was checked when it was used
(``url_policy.check_public_url``), but its DNS answer can change before the SDK connects (DNS
rebinding); the address actually connected to cannot.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from chat_core.url_policy import is_public_address

ClientT = TypeVar("ClientT")

_lock = threading.Lock()
_busy: dict[int, Any] = {}
"""Thread ident -> the network stream that thread is reading or writing right now."""
_CONNECT_EVENTS = frozenset({"connection.connect_tcp.complete", "connection.start_tls.complete"})
_local = threading.local()


class PrivatePeerRefused(ConnectionError):
    """A connection made under ``public_peers_only`` reached a non-public address."""


@contextlib.contextmanager
def public_peers_only() -> Iterator[None]:
    """New connections this thread opens inside the block must reach public addresses."""
    previous = getattr(_local, "public_only", False)
    _local.public_only = True
    try:
        yield
    finally:
        _local.public_only = previous


def abortable_client(client_class: Callable[..., ClientT], **kwargs: Any) -> ClientT:
    """``client_class(**kwargs)`` (an SDK's ``DefaultHttpxClient``) whose requests can be
    aborted from another thread with ``abort_thread_io``."""
    return client_class(event_hooks={"request": [_ask_for_traces]}, **kwargs)


def abort_thread_io(thread: threading.Thread | None) -> bool:
    """Shut down the socket ``thread`` is blocked on in an abortable client, if any; True when
    there was one. Safe from any thread, any number of times."""
    if thread is None or thread.ident is None:
        return False
    with _lock:
        stream = _busy.get(thread.ident)
    if stream is None:
        return False
    with contextlib.suppress(Exception):  # best effort: the connection may already be gone
        sock = stream.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            sock.shutdown(socket.SHUT_RDWR)
            return True
    return False


def _ask_for_traces(request: Any) -> None:
    request.extensions = {**request.extensions, "trace": _on_trace}


def _on_trace(event: str, info: dict[str, Any]) -> None:
    if event in _CONNECT_EVENTS:
        stream = info.get("return_value")
        if stream is not None:
            _track(stream)
            if event == "connection.connect_tcp.complete" and getattr(_local, "public_only", False):
                _check_peer(stream)


def _check_peer(stream: Any) -> None:
    sock = stream.get_extra_info("socket")
    try:
        peer = str(sock.getpeername()[0]) if isinstance(sock, socket.socket) else ""
        public = bool(peer) and is_public_address(peer)
    except (OSError, ValueError):
        public = False
    if not public:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        raise PrivatePeerRefused("connection to a non-public address refused")


def _track(stream: Any) -> None:
    """Wrap this connection's ``read``/``write`` so the calling thread is known while they
    block (the same connection may later serve another thread's request from the pool)."""
    for name in ("read", "write"):
        original = getattr(stream, name, None)
        if original is None or getattr(original, "_streamchat_tracked", False):
            continue
        setattr(stream, name, _tracked(stream, original))


def _tracked(stream: Any, original: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        ident = threading.get_ident()
        with _lock:
            _busy[ident] = stream
        try:
            return original(*args, **kwargs)
        finally:
            with _lock:
                if _busy.get(ident) is stream:
                    del _busy[ident]

    call._streamchat_tracked = True  # type: ignore[attr-defined]
    return call
