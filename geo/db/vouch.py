"""A scope the database can check: the app server signs it, PostgreSQL verifies the signature.

Why not ``SET LOCAL app.organisations``: any SQL that reaches the database on the app's role (a
stolen app password, an SQL injection) can set that setting too, and then reads every council.
Here the scope travels as ``HMAC-SHA256(key, payload)`` in the transaction-local setting
``aam.scope``; the row-level security policies read it only through ``aam_vouched()`` (a
``SECURITY DEFINER`` function, migration 0004) which recomputes the HMAC with a key kept in a
table only the tables' owner can read. Without the key nobody can make a scope: the app role's
SQL may set ``aam.scope`` to anything, and gets an error (or, with nothing set, no rows).

The key is the app server's configuration (``AAM_SCOPE_KEY``, beside ``AAM_DATABASE_URL``), and
``python -m geo db upgrade`` (run as the owner) stores it in the database. A payload names the
member, the organisations whose rows the transaction may touch, those it may administer, the
database session it is for (``pg_backend_pid``: a token seen in one session is refused in another)
and when it expires; ``*`` is never signed and never accepted.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass

from geo.errors import GeoError

KEY_ENV = "AAM_SCOPE_KEY"
SETTING = "aam.scope"
VERSION = "v1"
LIFETIME_SECONDS = 600  # one transaction's scope; signed again for every transaction
_FORBIDDEN = ("|", ",", "*")


def _clean(values: Iterable[str], what: str) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(str(v) for v in values))
    for value in out:
        if not value or any(c in value for c in _FORBIDDEN):
            raise GeoError(f"cannot vouch for the {what} {value!r} (every organisation must be named)")
    return out


@dataclass(frozen=True)
class Vouch:
    """What one transaction may touch: ``organisations`` (rows), ``admin_of`` (members, agreements,
    settings), for ``member`` (a sign-in lookup may read only that member's own row)."""

    organisations: tuple[str, ...]
    admin_of: tuple[str, ...] = ()
    member: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "organisations", _clean(self.organisations, "organisation"))
        object.__setattr__(self, "admin_of", _clean(self.admin_of, "organisation"))
        if "|" in self.member:
            raise GeoError(f"cannot vouch for the member {self.member!r}")


def key_bytes(secret: str | None = None) -> bytes:
    """The 32-byte HMAC key derived from ``AAM_SCOPE_KEY`` (or ``secret``)."""
    text = (secret if secret is not None else os.environ.get(KEY_ENV, "")).strip()
    if len(text) < 32:
        raise GeoError(f"{KEY_ENV} must be set to a secret of at least 32 characters on every app server "
                       "(and when running `python -m geo db upgrade`): the database checks each scope with it")
    return hashlib.sha256(text.encode("utf-8")).digest()


def pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC's inner and outer keys (key XOR 0x36.., key XOR 0x5c..), what the database stores so
    that it can compute HMAC-SHA256 with its built-in ``sha256`` alone (no extension)."""
    block = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block), bytes(b ^ 0x5C for b in block)


def token(vouch: Vouch, backend_pid: int, *, key: bytes | None = None, now: float | None = None) -> str:
    """``signature:payload`` for one database session (``backend_pid``)."""
    expires = int((now if now is not None else time.time()) + LIFETIME_SECONDS)
    payload = "|".join((VERSION, vouch.member, ",".join(vouch.organisations), ",".join(vouch.admin_of),
                        str(int(backend_pid)), str(expires)))
    signature = hmac.new(key or key_bytes(), payload.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{signature}:{payload}"
