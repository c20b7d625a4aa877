"""Whether the person on a connection is at this machine, and what that lets them do.

Two things are safe only for the person at the server's own machine: seeing every stored chat
when nobody signs in, and typing a base URL that points at loopback or private addresses
(``chat_core/url_policy.py``). Everybody else — a visitor of a deployment, someone on the same
network, anyone coming through a reverse proxy or a tunnel — gets neither, unless the operator
says otherwise (``[streamchat] local = true``) or signs people in.

``is_local_visitor`` decides from the connection alone, the way docs/design.md §33 explains:

- the TCP peer is a loopback address, IPv4-mapped ones included (``peer_is_loopback``; not
  spoofable: it is the socket's own peer, and Streamlit does not read ``X-Forwarded-For`` into
  it);
- no forwarding header is present (``X-Forwarded-For``, ``Forwarded``, ``X-Real-IP``,
  Cloudflare's ``CF-Connecting-IP`` …): a reverse proxy or tunnel on the same machine makes
  every visitor's peer loopback, and these headers are how they say so;
- the ``Host`` the browser asked for is a loopback name (``localhost``, ``127.0.0.1``, ``[::1]``):
  a page on another site that resolves its own name to 127.0.0.1 (DNS rebinding) sends its own
  name here;
- the ``Origin`` (sent by browsers on the websocket) is absent or this app's own page (same
  loopback name and port as ``Host``): a page of another local server is not this app.

A reverse proxy on this machine that sends none of those headers and rewrites ``Host`` to
``127.0.0.1`` would look local for a non-browser client that leaves out ``Origin``: say
``public = true`` on such a deployment (README, "Who sees which chats").
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

PUBLIC_ENV = "STREAMCHAT_PUBLIC"
"""``1``: nobody is treated as local, whatever the connection says."""
LOCAL_ENV = "STREAMCHAT_LOCAL"
"""``1``: everybody is treated as local (a single-person server behind a proxy, a trusted LAN)."""
FORWARDING_HEADERS = (
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-real-ip",
    "x-client-ip",
    "true-client-ip",
    "cf-connecting-ip",
    "fly-client-ip",
    "x-envoy-external-address",
)
_TRUE = frozenset({"1", "true", "yes", "on"})


def _loopback_host(value: str | None) -> bool:
    """Whether ``value`` (``host[:port]`` or a URL's host) names this machine."""
    if not value:
        return False
    try:
        host = urlsplit(value if "//" in value else f"//{value}").hostname
    except ValueError:
        return False
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def peer_is_loopback(address: str | None) -> bool:
    """Whether a connection's TCP peer, as ``st.context.ip_address`` reports it, is this machine.

    Streamlit reports ``127.0.0.1`` and ``::1`` as ``None``, but passes every other address
    through as the socket gave it. ``streamlit run app.py`` binds ``::`` (both stacks), where a
    browser at ``http://127.0.0.1:8501`` or ``localhost`` arrives as the IPv4-mapped
    ``::ffff:127.0.0.1``: that is loopback too (Python 3.11's ``is_loopback`` says no for it).
    Anything unparsable is not loopback.
    """
    if address is None:
        return True
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def is_local_visitor(*, peer_is_loopback: bool, headers: Mapping[str, str]) -> bool:
    """Whether the connection comes from a browser or program on this machine, directly.

    ``peer_is_loopback``: the connection's TCP peer is 127.0.0.0/8 or ::1 (Streamlit's
    ``st.context.ip_address`` is None for those). ``headers``: the connection's request
    headers, any case. No headers at all (no connection, e.g. a test harness) is not local.
    """
    if not peer_is_loopback:
        return False
    lowered = {name.lower(): value for name, value in headers.items()}
    if any(name in lowered for name in FORWARDING_HEADERS):
        return False
    if not _loopback_host(lowered.get("host")):
        return False
    origin = lowered.get("origin")
    return origin is None or _same_place(origin, lowered["host"])


def _same_place(origin: str, host: str) -> bool:
    """Whether the page that opened the connection (``Origin``) is this app itself
    (``Host``): same name and port. Another page on this machine (a dev server on another
    port) is not the person using this app."""
    try:
        page = urlsplit(origin)
        asked = urlsplit(f"//{host}")
        default = {"http": 80, "https": 443}.get(page.scheme)
        page_port, asked_port = page.port or default, asked.port or default
    except ValueError:
        return False
    return (
        _loopback_host(origin)
        and page.hostname is not None
        and page.hostname == asked.hostname
        and page_port == asked_port
    )


def _flag(name: str, settings: Mapping[str, Any], environ: Mapping[str, str]) -> bool:
    value = settings.get(name.removeprefix("STREAMCHAT_").lower())
    if value is None:
        value = environ.get(name, "")
    return str(value).strip().lower() in _TRUE


def treated_as_local(
    *,
    peer_is_loopback: bool,
    headers: Mapping[str, str],
    settings: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> bool:
    """``is_local_visitor`` with the operator's say: ``public`` (``[streamchat] public = true``
    in secrets, or ``STREAMCHAT_PUBLIC=1``) makes nobody local and wins over ``local``
    (``[streamchat] local = true`` / ``STREAMCHAT_LOCAL=1``), which makes everybody local.
    ``settings``: the ``[streamchat]`` table of secrets."""
    settings = settings or {}
    environ = os.environ if environ is None else environ
    if _flag(PUBLIC_ENV, settings, environ):
        return False
    if _flag(LOCAL_ENV, settings, environ):
        return True
    return is_local_visitor(peer_is_loopback=peer_is_loopback, headers=headers)
