"""Sharing agreements: one organisation lets another see its site records, or only aggregates.

Why a record rather than a role: councils own their site records, and an SMP or national body
sees them only because a council agreed, for a period. The check is made at every read with the
day's date, so an agreement that has expired stops access at once (no cache, no grace period).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from geo.errors import GeoError

WHAT = ("sites", "aggregates")


@dataclass(frozen=True)
class Agreement:
    """``from_org`` shares ``what`` with ``to_org`` from ``valid_from`` to ``valid_until`` (both days included),
    unless an admin ended it early (``ended_on``)."""

    from_org: str
    to_org: str
    what: str
    valid_from: date
    valid_until: date
    id: int | None = None
    ended_on: date | None = None  # ended early by an admin: not in force from this day

    def __post_init__(self) -> None:
        if self.what not in WHAT:
            raise GeoError(f"an agreement shares 'sites' or 'aggregates', not {self.what!r}")
        if self.from_org == self.to_org:
            raise GeoError("an agreement needs two different organisations")
        if self.valid_until < self.valid_from:
            raise GeoError(f"the agreement ends ({self.valid_until}) before it starts ({self.valid_from})")

    def in_force(self, today: date) -> bool:
        ended = self.ended_on is not None and today >= self.ended_on
        return self.valid_from <= today <= self.valid_until and not ended

    def covers(self, what: str) -> bool:
        """A 'sites' agreement also covers aggregates (they are computed from the sites)."""
        return self.what == "sites" or what == "aggregates"


def sharing_with(agreements: Iterable[Agreement], to_org: str, what: str, today: date) -> frozenset[str]:
    """Organisations whose ``what`` ``to_org`` may see today under an agreement in force."""
    return frozenset(a.from_org for a in agreements
                     if a.to_org == to_org and a.in_force(today) and a.covers(what))
