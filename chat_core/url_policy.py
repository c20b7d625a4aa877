"""Which base URLs the server may connect to, and whether the server itself is local.

A base URL typed by a visitor makes the *server* open a connection. On a deployment others
can reach, that would let anyone make it request this machine's or its network's private
services (``http://localhost:5432/``, the cloud metadata service at ``169.254.169.254``) and
read their status from the error message. ``check_public_url`` refuses such addresses;
``private_urls_allowed`` says when they are fine (the visitor is at this machine, see
``chat_core/visitors.py``, or the operator allowed them).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from chat_core.errors import ConfigurationError

ALLOW_PRIVATE_ENV = "STREAMCHAT_ALLOW_PRIVATE_BASE_URLS"
"""Set to ``true`` to let visitors' base URLs reach loopback and private addresses."""
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "ip6-localhost"})
_PRIVATE_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan")
_TRUE = frozenset({"1", "true", "yes", "on"})
PRIVATE_REFUSED = (
    "This server does not connect to local or private network addresses from a base URL "
    "typed here. Use a public https:// address, or ask the operator to allow private "
    f"addresses ({ALLOW_PRIVATE_ENV}). Running the app yourself? Open its Local URL "
    "(http://localhost:<port>) in a browser on the same machine, or set "
    "OPENAI_COMPATIBLE_BASE_URL to your server."
)


def check_base_url(url: str) -> None:
    """Raise ``ConfigurationError`` unless ``url`` is a usable ``http(s)://host[:port]/...``.

    Malformed URLs (``http://[::1``, a port of 99999, spaces) are refused here, in words,
    instead of failing later inside an SDK with a traceback.
    """
    example = "It should look like http://localhost:11434/v1."
    if not url or any(c.isspace() or ord(c) < 32 for c in url) or len(url) > 2000:
        raise ConfigurationError(f"That is not a valid base URL. {example}")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError for a port that is not a number in range
        host = parts.hostname
    except ValueError:
        raise ConfigurationError(f"'{_shown(url)}' is not a valid base URL. {example}") from None
    if parts.scheme not in ("http", "https") or not host or (port is not None and port == 0):
        raise ConfigurationError(f"'{_shown(url)}' is not a valid base URL. {example}")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            "Put the key in the API key field, not in the base URL (user:password@host)."
        )


def _shown(url: str) -> str:
    return url if len(url) <= 80 else url[:77] + "..."


def is_public_address(address: str) -> bool:
    """Whether the IP ``address`` is on the public internet (not loopback, private,
    link-local, shared, reserved, multicast or unspecified)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_public_url(url: str) -> None:
    """Raise ``ConfigurationError`` unless every address ``url``'s host resolves to is public.

    The message never says what the name resolved to or whether anything answers there.
    Checked when the setting is used; a DNS answer that changes before the connection (DNS
    rebinding) is caught on the socket (``providers._abort.public_peers_only``).
    """
    check_base_url(url)
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    refused = ConfigurationError(PRIVATE_REFUSED)
    named_private = host in LOOPBACK_NAMES or host.endswith(_PRIVATE_SUFFIXES) or "." not in host
    if named_private and not _is_ip(host):
        raise refused
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise ConfigurationError(
            f"Could not find the server '{host}'. Check the base URL."
        ) from None
    for info in infos:
        if not is_public_address(str(info[4][0])):
            raise refused


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_loopback_bind(address: str | None) -> bool:
    """Whether a server bound to ``address`` is reachable from this machine only.
    ``None``/``""``/``0.0.0.0``/``::`` mean every interface."""
    if not address:
        return False
    name = address.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def private_urls_allowed(
    *, local_visitor: bool, settings: Mapping[str, Any], environ: Mapping[str, str]
) -> bool:
    """Whether a visitor's base URLs may point at loopback/private addresses: the visitor is
    at this machine (``chat_core.visitors.treated_as_local``), or
    ``STREAMCHAT_ALLOW_PRIVATE_BASE_URLS`` is true in ``settings`` (secrets) or ``environ``.

    The address the server is bound to says nothing here: behind a reverse proxy on the same
    machine the server is bound to loopback and every visitor still comes from outside.
    """
    if local_visitor:
        return True
    value = settings.get(ALLOW_PRIVATE_ENV, environ.get(ALLOW_PRIVATE_ENV, ""))
    return str(value).strip().lower() in _TRUE
