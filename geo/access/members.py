"""Who may do what: organisations, members and the one table of what each role may do.

Why one table: the Sites page, the exports, the command line and the admin page all ask the same
question ("may this member do X?"), so the answer lives here once (``PERMISSIONS``) and every
check calls ``may``/``require``. Roles reuse ``geo.disclosure.Role`` so there is one role list.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from geo.disclosure import Role
from geo.errors import GeoError

KINDS = ("council", "smp", "national", "local")
LOCAL_ORG_CODE = "local"
LOCAL_EMAIL = "local-admin@this-computer"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_LAD = re.compile(r"^[ENSW]\d{8}$")


class Action(str, Enum):  # noqa: UP042  (str values, like geo.disclosure.Role)
    """Things a member may be allowed to do."""

    VIEW_STATISTICS = "view published statistics and suppressed ward figures"
    VIEW_SITES = "view site records on screen"
    EXPORT_SITES = "export site-level data"
    IMPORT = "import site files and download their rejected rows"
    MANAGE = "manage members, organisations and agreements"
    SETTINGS = "change settings"
    READ_AUDIT = "read the audit log"


# THE table: what each role may do.
PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.VIEW_STATISTICS}),
    Role.OFFICER: frozenset({Action.VIEW_STATISTICS, Action.VIEW_SITES}),
    Role.ANALYST: frozenset({Action.VIEW_STATISTICS, Action.VIEW_SITES, Action.EXPORT_SITES}),
    Role.ADMIN: frozenset(Action),
}


class AccessDenied(GeoError, PermissionError):
    """A member asked for something their role or organisation does not allow (one line, no traceback)."""


@dataclass(frozen=True)
class Organisation:
    """A council (its LAD code), a strategic migration partnership (its region), a national body, or
    the single local organisation of the desktop mode."""

    code: str
    name: str
    kind: str
    lad_codes: tuple[str, ...] = ()
    region: str | None = None

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise GeoError("an organisation needs a code")
        if self.kind not in KINDS:
            raise GeoError(f"unknown organisation kind {self.kind!r}; kinds: {', '.join(KINDS)}")


@dataclass(frozen=True)
class Member:
    """A person (the identity provider's e-mail) in one organisation with one role."""

    email: str
    organisation: Organisation
    role: Role = field(default=Role.VIEWER)

    def __post_init__(self) -> None:
        object.__setattr__(self, "email", normalise_email(self.email))
        object.__setattr__(self, "role", Role.parse(self.role))

    @property
    def org_code(self) -> str:
        return self.organisation.code

    def may(self, action: Action) -> bool:
        return may(self.role, action)


def normalise_email(email: str) -> str:
    """E-mails compare case-insensitively (identity providers differ in the case they send)."""
    text = str(email or "").strip().lower()
    if not _EMAIL.match(text):
        raise GeoError(f"{email!r} is not an e-mail address")
    return text


def may(role: Role | str, action: Action) -> bool:
    """Whether the role allows the action (``PERMISSIONS``)."""
    return action in PERMISSIONS[Role.parse(role)]


def require(member: Member | None, action: Action) -> Member:
    """The member, if they may do ``action``; else AccessDenied naming who and what."""
    if member is None:
        raise AccessDenied(f"not signed in: {action.value} needs a member (a sign-in, or a personal token)")
    if not member.may(action):
        allowed = ", ".join(r.value for r in Role if action in PERMISSIONS[r])
        raise AccessDenied(f"{member.email} ({member.role.value}, {member.org_code}) may not "
                           f"{action.value} (roles allowed: {allowed})")
    return member


def looks_like_lad_code(code: str) -> bool:
    """A GSS local authority district code such as E08000012."""
    return bool(_LAD.match(code.strip().upper()))


def local_organisation() -> Organisation:
    return Organisation(LOCAL_ORG_CODE, "This computer", "local")


def local_admin() -> Member:
    """The person at the machine in the single-user desktop mode (no identity provider, no members)."""
    return Member(LOCAL_EMAIL, local_organisation(), Role.ADMIN)
