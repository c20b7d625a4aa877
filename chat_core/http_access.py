"""Who may use the SSE API (``chat_core.http_api``), decided per request and at start.

With ``STREAMCHAT_API_TOKEN`` every request needs it (``Authorization: Bearer …`` or
``?token=…``). Without one the API is for programs on this machine only, and "this machine"
must not rest on one signal that a proxy or a web page can fake:

- the server must be bound to loopback (``check_startup``: otherwise it refuses to start);
- the client's address and the address it connected to are loopback;
- the ``Host`` header names this machine (``localhost``, ``127.0.0.1``, ``[::1]``) or a host the
  operator allowed (``STREAMCHAT_API_ALLOWED_HOSTS``): a DNS-rebinding page reaches
  127.0.0.1 under its own name, and a reverse proxy usually forwards the public one;
- no ``Forwarded`` / ``X-Forwarded-For`` / ``X-Real-IP`` header (a proxy that adds them);
- and, token or not, no cross-site browser request: a page on another origin (any other port
  of localhost included) could otherwise make the server spend the provider's money blind
  (``<img src>``, ``fetch`` with ``no-cors``, a form POST). Browsers mark those with
  ``Sec-Fetch-Site`` and ``Origin``; programs such as curl send neither.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Collection, Mapping, Sequence
from urllib.parse import urlsplit

from chat_core.url_policy import is_loopback_bind

TOKEN_ENV = "STREAMCHAT_API_TOKEN"
ALLOWED_HOSTS_ENV = "STREAMCHAT_API_ALLOWED_HOSTS"
"""Extra ``Host`` names (comma-separated) the token-less API answers, e.g. ``myhost.lan``."""
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
BROWSER_SITES_ALLOWED = frozenset({"same-origin", "none"})
"""``Sec-Fetch-Site`` values served: the API's own page, or a URL the person opened."""


class RequestRejected(Exception):
    """A request the API will not serve: HTTP ``status`` and a message for the caller."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class ApiConfigError(Exception):
    """The API's settings are unsafe or invalid; the server must not start with them."""


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (an IP address as the server saw it) is this machine."""
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def host_name(host_header: str | None) -> str | None:
    """The lower-case name in a ``Host`` header without port or brackets; None if malformed."""
    if not host_header:
        return None
    try:
        parts = urlsplit(f"//{host_header}")
        _ = parts.port  # a non-numeric or out-of-range port is malformed
    except ValueError:
        return None
    if parts.hostname is None or parts.username is not None or parts.path or parts.query:
        return None
    return parts.hostname.rstrip(".")


def check_access(
    *,
    client_host: str | None,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    token: str | None,
    server_host: str | None = None,
    allowed_hosts: Collection[str] = (),
) -> None:
    """Raise ``RequestRejected`` (401 or 403) unless the request may be served.

    ``headers`` must be case-insensitive or lower-cased (Starlette's are); ``server_host`` is
    the address the client connected to (ASGI ``scope["server"]``), None when unknown.
    """
    check_not_cross_site(headers)
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
    hint = f"set {TOKEN_ENV} on the server to use it from elsewhere."
    if any(headers.get(name) for name in PROXY_HEADERS):
        raise RequestRejected(403, f"Requests through a proxy need a token: {hint}")
    if not is_loopback(client_host) or (server_host is not None and not is_loopback(server_host)):
        raise RequestRejected(403, f"Only this machine may use the API without a token: {hint}")
    name = host_name(headers.get("host"))
    if name is None or (name not in LOOPBACK_HOSTS and name not in allowed_hosts):
        raise RequestRejected(
            403,
            "Without a token the API answers only for localhost, 127.0.0.1 or [::1] "
            f"(or the names in {ALLOWED_HOSTS_ENV}); {hint}",
        )


def check_not_cross_site(headers: Mapping[str, str]) -> None:
    """Refuse requests a browser made for a page of another origin (403)."""
    site = headers.get("sec-fetch-site")
    if site is not None and site.lower() not in BROWSER_SITES_ALLOWED:
        raise RequestRejected(403, "Requests from other web sites are not served.")
    origin = headers.get("origin")
    if origin is not None and not _same_origin(origin, headers.get("host")):
        raise RequestRejected(403, "Requests from other web sites are not served.")


def _same_origin(origin: str, host_header: str | None) -> bool:
    if origin == "null" or not host_header:
        return False
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host_header.lower()


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None


def token_from(environ: Mapping[str, str]) -> str | None:
    """The configured token; raises ``ApiConfigError`` for one that is set but blank (it would
    otherwise silently mean "no token")."""
    if TOKEN_ENV not in environ:
        return None
    token = environ[TOKEN_ENV].strip()
    if not token:
        raise ApiConfigError(
            f"{TOKEN_ENV} is set but blank. Set it to a long random value "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`) "
            "or unset it to serve this machine only."
        )
    return token


def allowed_hosts_from(environ: Mapping[str, str]) -> frozenset[str]:
    raw = environ.get(ALLOWED_HOSTS_ENV, "")
    return frozenset(h.strip().lower().strip("[]") for h in raw.split(",") if h.strip())


def check_startup(*, token: str | None, bind_address: str | None) -> None:
    """Raise ``ApiConfigError`` when the token-less API would be reachable from other machines
    (``bind_address`` None means unknown or every interface)."""
    if token is None and not is_loopback_bind(bind_address):
        where = bind_address or "every network interface"
        raise ApiConfigError(
            f"The SSE API has no token but the server listens on {where}. Set {TOKEN_ENV} "
            "(required on any server others can reach, including behind a reverse proxy), "
            "or bind to this machine only (--server.address 127.0.0.1, or uvicorn's default)."
        )


def uvicorn_host(argv: Sequence[str], environ: Mapping[str, str]) -> str | None:
    """The address ``uvicorn`` binds for this command line (``--host``, ``UVICORN_HOST``,
    default 127.0.0.1); None for ``--uds``/``--fd`` sockets, whose reach is unknown."""
    host = environ.get("UVICORN_HOST", "127.0.0.1")
    args = list(argv)
    for i, arg in enumerate(args):
        if arg in ("--uds", "--fd") or arg.startswith(("--uds=", "--fd=")):
            return None
        if arg == "--host" and i + 1 < len(args):
            host = args[i + 1]
        elif arg.startswith("--host="):
            host = arg.split("=", 1)[1]
    return host
