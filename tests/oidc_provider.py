"""A small OpenID Connect provider for the sign-in tests, on 127.0.0.1 only.

It does what Streamlit's ``st.login`` needs from a council's identity provider (Entra ID, Okta,
Keycloak...): a discovery document; ``/authorize`` showing a tiny form to pick a test user;
``/token`` exchanging the code for an RS256-signed id_token (its own key, generated at start);
``/jwks``; ``/userinfo``; and ``/logout`` (end-session). PKCE (S256) and the nonce are honoured,
and codes are single-use, so a broken client flow fails the tests as it would against a real one.

It can also issue a flawed id_token for a chosen user (``flaws={email: FLAW}``): an e-mail it has
not verified, another issuer, another audience, or one already expired, properly signed each
time, so the tests show the app refuses each for what it is.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

CLIENT_ID = "aam-test-client"
CLIENT_SECRET = "aam-test-secret"

# What a flawed id_token changes in the claims of a good one (``now``: the time of issue).
FLAWS: dict[str, Callable[[int], dict[str, object]]] = {
    "unverified": lambda now: {"email_verified": False},
    "no_verified_claim": lambda now: {"email_verified": None},
    "wrong_issuer": lambda now: {"iss": "http://evil.example"},
    "wrong_audience": lambda now: {"aud": "another-app"},
    "expired": lambda now: {"iat": now - 7200, "exp": now - 3600},
}


class Provider:
    """State of one running provider: its key, its users, the codes and tokens it issued."""

    def __init__(self, users: list[str], flaws: dict[str, str] | None = None) -> None:
        from joserfc.jwk import RSAKey

        self.key = RSAKey.generate_key(2048, parameters={"kid": "aam-test", "use": "sig", "alg": "RS256"})
        self.users = users
        self.flaws = dict(flaws or {})
        self.codes: dict[str, dict] = {}
        self.tokens: dict[str, str] = {}
        self.issuer = ""
        self.logouts = 0

    def discovery(self) -> dict:
        base = self.issuer
        return {"issuer": base, "authorization_endpoint": f"{base}/authorize", "token_endpoint": f"{base}/token",
                "jwks_uri": f"{base}/jwks", "userinfo_endpoint": f"{base}/userinfo",
                "end_session_endpoint": f"{base}/logout", "response_types_supported": ["code"],
                "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "email", "profile"],
                "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
                "code_challenge_methods_supported": ["S256"],
                "claims_supported": ["sub", "email", "email_verified", "name"]}

    def id_token(self, email: str, nonce: str | None) -> str:
        from joserfc import jwt

        now = int(time.time())
        claims = {"iss": self.issuer, "sub": hashlib.sha256(email.encode()).hexdigest()[:16], "aud": CLIENT_ID,
                  "iat": now, "exp": now + 600, "email": email, "email_verified": True,
                  "name": email.split("@")[0]}
        if email in self.flaws:
            claims.update(FLAWS[self.flaws[email]](now))
            claims = {k: v for k, v in claims.items() if v is not None}
        if nonce:
            claims["nonce"] = nonce
        return jwt.encode({"alg": "RS256", "kid": "aam-test"}, claims, self.key)


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, doc: dict) -> None:
            self._send(status, json.dumps(doc).encode(), "application/json")

        def _redirect(self, url: str) -> None:
            self._send(302, b"", "text/plain", {"Location": url})

        def _form(self) -> dict[str, str]:
            length = int(self.headers.get("Content-Length") or 0)
            return {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}

        def do_GET(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                return self._json(200, provider.discovery())
            if url.path == "/jwks":
                return self._json(200, {"keys": [provider.key.as_dict(private=False)]})
            if url.path == "/authorize":
                if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
                    return self._send(400, b"bad authorize request", "text/plain")
                hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                                 for k, v in query.items())
                buttons = "".join(f'<button name="email" value="{html.escape(u)}">{html.escape(u)}</button>'
                                  for u in provider.users)
                page = f"<html><body><h1>Test sign-in</h1><form method='post'>{hidden}{buttons}</form></body></html>"
                return self._send(200, page.encode(), "text/html")
            if url.path == "/userinfo":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                email = provider.tokens.get(token)
                if not email:
                    return self._json(401, {"error": "invalid_token"})
                return self._json(200, {"sub": hashlib.sha256(email.encode()).hexdigest()[:16], "email": email})
            if url.path == "/logout":
                provider.logouts += 1
                target = query.get("post_logout_redirect_uri")
                return self._redirect(target) if target else self._send(200, b"signed out", "text/plain")
            return self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:  # noqa: N802
            url = urlparse(self.path)
            form = self._form()
            if url.path == "/authorize":
                if form.get("email") not in provider.users:
                    return self._send(400, b"unknown test user", "text/plain")
                code = secrets.token_urlsafe(16)
                provider.codes[code] = {"email": form["email"], "nonce": form.get("nonce"),
                                        "redirect_uri": form.get("redirect_uri"),
                                        "challenge": form.get("code_challenge")}
                params = {"code": code, **({"state": form["state"]} if form.get("state") else {})}
                return self._redirect(f"{form['redirect_uri']}?{urlencode(params)}")
            if url.path == "/token":
                basic = self.headers.get("Authorization", "")
                client_id, client_secret = form.get("client_id"), form.get("client_secret")
                if basic.startswith("Basic "):
                    client_id, _, client_secret = base64.b64decode(basic[6:]).decode().partition(":")
                if (client_id, client_secret) != (CLIENT_ID, CLIENT_SECRET):
                    return self._json(401, {"error": "invalid_client"})
                grant = provider.codes.pop(form.get("code", ""), None)  # single use
                if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
                    return self._json(400, {"error": "invalid_grant"})
                if grant["challenge"]:
                    verifier = form.get("code_verifier", "")
                    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
                    if digest.decode() != grant["challenge"]:
                        return self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
                access = secrets.token_urlsafe(16)
                provider.tokens[access] = grant["email"]
                return self._json(200, {"access_token": access, "token_type": "Bearer", "expires_in": 600,
                                        "scope": "openid email profile",
                                        "id_token": provider.id_token(grant["email"], grant["nonce"])})
            return self._send(404, b"not found", "text/plain")

    return Handler


@contextmanager
def running_provider(users: list[str], port: int = 0, flaws: dict[str, str] | None = None) -> Iterator[Provider]:
    """Serve a provider for ``users`` on 127.0.0.1 (``port`` 0: any free one); ``provider.issuer`` is its URL.
    ``flaws`` gives some users a flawed id_token (``FLAWS``)."""
    provider = Provider(users, flaws)
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(provider))
    provider.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()


def secrets_toml(provider: Provider, app_port: int) -> str:
    """The ``[auth]`` section the app needs to use this provider."""
    return (f'[auth]\nredirect_uri = "http://127.0.0.1:{app_port}/oauth2callback"\n'
            f'cookie_secret = "{secrets.token_hex(32)}"\n'
            f'client_id = "{CLIENT_ID}"\nclient_secret = "{CLIENT_SECRET}"\n'
            f'server_metadata_url = "{provider.issuer}/.well-known/openid-configuration"\n')
