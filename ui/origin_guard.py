"""Answer only on the app's own address: every HTTP request and WebSocket upgrade whose ``Host`` or
``Origin`` is another name is refused (403) before Streamlit sees it.

Why: binding to 127.0.0.1 stops other machines, not a web page the user visits. A page at
``http://evil.example:8501``, whose name its owner points at 127.0.0.1 (DNS rebinding), is
same-origin with itself, so the browser lets it read this app's pages and open its WebSocket as
the desktop mode's local admin. The app is reached only as its own loopback address and port, or
(with an identity provider) the public address of its ``redirect_uri``; any other ``Host`` can
only be such a page, and so can any other ``Origin``.

``serve.py`` installs :class:`OriginGuard` as middleware around the whole Streamlit server
(``make run``); ``ui.auth.gate`` asks :func:`allowed` too, so ``streamlit run app.py`` started by
hand still shows such a page nothing.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

LOG = logging.getLogger(__name__)
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
REFUSAL = b"This app answers only on its own address."

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]]


def own_hosts(port: int, public_urls: Iterable[str] = ()) -> frozenset[str]:
    """The ``host:port`` values this app answers to: loopback on ``port``, and each public URL's."""
    hosts = {f"{name}:{port}" for name in LOOPBACK_NAMES}
    for url in public_urls:
        parts = urlsplit(url)
        if parts.hostname:
            default = 443 if parts.scheme == "https" else 80
            name = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
            hosts |= {f"{name}:{parts.port or default}"} | ({name} if parts.port in (None, default) else set())
    return frozenset(h.lower() for h in hosts)


def allowed(host: str | None, origin: str | None, hosts: frozenset[str]) -> bool:
    """Whether a request with this ``Host`` and ``Origin`` (None: the header is absent) is the app's own.

    ``Host`` must be one of ``hosts``; an ``Origin`` (browsers send one on every WebSocket and on
    cross-site requests) must be ``http(s)://`` one of them. ``Origin: null`` is refused.
    """
    if not host or host.strip().lower().rstrip(".") not in hosts:
        return False
    if origin is None:
        return True
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        return False
    default = 443 if parts.scheme == "https" else 80
    netloc = parts.netloc.lower()
    return netloc in hosts or (":" not in netloc.rsplit("]", 1)[-1] and f"{netloc}:{default}" in hosts)


def public_urls() -> list[str]:
    """The public address(es) the identity provider sends people back to (``[auth] redirect_uri``)."""
    from ui.auth import auth_section

    auth = auth_section()
    if not hasattr(auth, "get"):
        return []
    found = [auth.get("redirect_uri")] + [v.get("redirect_uri") for v in auth.values() if hasattr(v, "get")]
    return [str(u) for u in found if u]


def current_hosts() -> frozenset[str]:
    """This server's own hosts: its configured port, and the provider's public address if any."""
    from streamlit import config

    return own_hosts(int(config.get_option("server.port")), public_urls())


def _header(scope: Scope, name: bytes) -> str | None:
    """One header's value: None when absent, "" (refused) when sent more than once."""
    values = [v for k, v in scope.get("headers", []) if k.lower() == name]
    if len(values) > 1:
        return ""
    return values[0].decode("latin-1") if values else None


class OriginGuard:
    """ASGI middleware: refuse (403) any HTTP request or WebSocket upgrade that is not to this app's
    own address (:func:`allowed`)."""

    def __init__(self, app: ASGIApp, hosts: Callable[[], frozenset[str]] = current_hosts) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Callable[[], Awaitable[Message]],
                       send: Callable[[Message], Awaitable[None]]) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        host, origin = _header(scope, b"host"), _header(scope, b"origin")
        if allowed(host, origin, self.hosts()):
            return await self.app(scope, receive, send)
        LOG.warning("refused a %s request for %s with Host %r and Origin %r", scope["type"], scope.get("path"),
                    host, origin)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # before accept: the upgrade gets a 403
            return None
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                (b"content-length", str(len(REFUSAL)).encode())]})
        await send({"type": "http.response.body", "body": REFUSAL})
        return None
