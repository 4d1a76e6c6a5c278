"""Disclosure control for exports, following the publishers' own practice.

Why: ward figures built from site records can single out a household. The ONS and Home Office
suppress small counts and mark them ``[c]`` (confidential); we do the same for every ward-level
export and never for the authority-level figures the Home Office already publishes.

Rules, kept simple so an analyst can check them by hand:

1. Primary: a ward count of 1 to 4 people (fewer than ``THRESHOLD``) is suppressed. Zero is
   shown: "nobody" identifies nobody.
2. Secondary: authority totals are published, so within one authority a single suppressed ward
   could be found by subtracting the others from the total. When exactly one ward of an
   authority is suppressed in a column, the next smallest ward in that column (lowest
   ``ward_code`` on a tie) is suppressed too. An authority with one ward only cannot be
   protected this way; it is left as it is and the note says so.
3. Rates and differences computed from a suppressed count (per 1,000, share of the 1:200
   limit, headroom, change) are suppressed with it, since they give the count back.

Release of site-level records is role-based (``Role``, from the data-sharing agreement).
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterable, Sequence

import pandas as pd

from geo.errors import GeoError

THRESHOLD = 5
SUPPRESSED = "[c]"
FLAG_SUFFIX = "_suppressed"
# Count columns checked at ward level, and the columns that give each count back.
COUNT_COLUMNS = ("supported", "dispersed", "hotel", "initial", "other_contingency", "people")
DERIVED = {
    "supported": ("per_1000", "share_of_region", "share_of_uk", "supported_change_q", "supported_change_y"),
    "dispersed": ("dispersal_ratio", "limit_used", "headroom", "dispersed_change_q", "dispersed_change_y"),
    "hotel": ("hotel_change_q", "hotel_change_y"),
    "people": ("per_1000",),
}
NOTE = (f"[c] = suppressed: ward counts of 1 to {THRESHOLD - 1} people are not shown, and where only "
        "one ward in an authority would be hidden the next smallest is hidden too, so the authority "
        "total cannot give it back. Rates built from a hidden count are hidden with it.")


class Role(str, Enum):
    """What a user may take out, as set by the data-sharing agreement."""

    VIEWER = "viewer"      # published statistics only
    OFFICER = "officer"    # plus suppressed ward figures
    ANALYST = "analyst"    # plus site-level records
    ADMIN = "admin"        # everything, including managing the agreement

    @classmethod
    def parse(cls, value: "str | Role") -> "Role":
        """Role from text such as 'Analyst', naming the valid roles when it is not one."""
        if isinstance(value, Role):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise GeoError(f"unknown role {value!r}; roles: {', '.join(r.value for r in cls)}") from None


SITE_EXPORT_ROLES = frozenset({Role.ANALYST, Role.ADMIN})


class DisclosureError(GeoError, PermissionError):
    """An export the user's role does not allow (a GeoError, so the CLI prints one line)."""


def can_export_sites(role: "Role | str") -> bool:
    """Whether site-level records may leave the system for this role."""
    return Role.parse(role) in SITE_EXPORT_ROLES


def require_site_export(role: "Role | str") -> None:
    """Raise DisclosureError unless the role may export site-level records."""
    parsed = Role.parse(role)
    if parsed not in SITE_EXPORT_ROLES:
        allowed = ", ".join(sorted(r.value for r in SITE_EXPORT_ROLES))
        raise DisclosureError(f"role '{parsed.value}' may not export site-level records under the "
                              f"data-sharing agreement (allowed: {allowed}); export ward or authority "
                              "figures instead")


@dataclass(frozen=True)
class Suppression:
    """The original values, which cells are hidden (same shape), and the note to print."""

    frame: pd.DataFrame
    mask: pd.DataFrame
    note: str

    @property
    def any(self) -> bool:
        return bool(self.mask.to_numpy().any())

    def as_text(self) -> pd.DataFrame:
        """For CSV and Excel: hidden cells read ``[c]``."""
        out = self.frame.copy()
        for col in self.mask.columns:
            if self.mask[col].any():
                out[col] = out[col].astype(object).where(~self.mask[col], SUPPRESSED)
        return out

    def as_flagged(self) -> pd.DataFrame:
        """For GeoJSON and GeoPackage: hidden cells blank, with a ``<col>_suppressed`` flag column."""
        out = self.frame.copy()
        for col in self.mask.columns:
            if self.mask[col].any():
                out[col] = out[col].astype(object).where(~self.mask[col], None)
                out[col + FLAG_SUFFIX] = self.mask[col].to_numpy()
        return out


def primary(values: pd.Series, threshold: int = THRESHOLD) -> pd.Series:
    """Counts of 1 to threshold-1: the cells a publisher would hide."""
    numbers = pd.to_numeric(values, errors="coerce")
    return ((numbers > 0) & (numbers < threshold)).fillna(False).astype(bool)


def secondary(values: pd.Series, hidden: pd.Series, groups: pd.Series, keys: pd.Series) -> pd.Series:
    """Add the next smallest cell in each group that has exactly one hidden cell."""
    hidden = hidden.copy()
    numbers = pd.to_numeric(values, errors="coerce")
    frame = pd.DataFrame({"v": numbers, "h": hidden, "g": groups, "k": keys})
    for _, rows in frame.groupby("g", sort=True, dropna=False):
        if int(rows["h"].sum()) != 1 or len(rows) < 2:
            continue
        candidates = rows[~rows["h"] & rows["v"].notna()].sort_values(["v", "k"], kind="stable")
        if not candidates.empty:
            hidden.loc[candidates.index[0]] = True
    return hidden


def suppress(frame: pd.DataFrame, *, counts: Sequence[str] | None = None, group: str = "lad_code",
             key: str = "ward_code", threshold: int = THRESHOLD) -> Suppression:
    """Apply primary and secondary suppression to ward counts and the rates built from them."""
    counts = [c for c in (counts or COUNT_COLUMNS) if c in frame.columns]
    mask = pd.DataFrame(False, index=frame.index, columns=list(frame.columns))
    groups = frame[group] if group in frame.columns else pd.Series("all", index=frame.index)
    keys = frame[key] if key in frame.columns else pd.Series(range(len(frame)), index=frame.index)
    single_ward = set()
    for col in counts:
        hidden = primary(frame[col], threshold)
        hidden = secondary(frame[col], hidden, groups, keys)
        mask[col] = hidden
        for derived in DERIVED.get(col, ()):
            if derived in mask.columns:
                mask[derived] |= hidden
        sizes = groups.map(groups.value_counts())
        single_ward.update(groups[hidden & (sizes == 1)].astype(str))
    mask = mask.loc[:, mask.any()]
    note = NOTE
    if single_ward:
        note += (" Authorities with a single ward in this export cannot be protected by secondary "
                 f"suppression: {', '.join(sorted(single_ward))}.")
    return Suppression(frame, mask, note)


def needs_suppression(level: str) -> bool:
    """Ward figures are controlled. Published authority figures are not, and site records go
    only to roles trusted with them whole (``require_site_export``)."""
    return level == "ward"


def suppressed_columns(columns: Iterable[str]) -> list[str]:
    """The ``*_suppressed`` flag columns in a reopened GeoJSON/GeoPackage."""
    return [c for c in columns if str(c).endswith(FLAG_SUFFIX)]
