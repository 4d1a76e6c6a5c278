"""Which Government Security Classification marking an output carries, decided from its contents.

Why: the Home Office stopped sharing site lists after leaks, so anything that could point at a
building (site records, or ward figures built from them) must leave marked OFFICIAL-SENSITIVE,
while maps and tables of published statistics only are OFFICIAL. Deciding this in one place
means a snapshot, an export and a briefing of the same data always agree.
"""
from __future__ import annotations

from collections.abc import Iterable

from geo.errors import GeoError

OFFICIAL = "OFFICIAL"
OFFICIAL_SENSITIVE = "OFFICIAL-SENSITIVE"
MARKINGS = (OFFICIAL, OFFICIAL_SENSITIVE)

# Columns that only site records have: a frame carrying any of them is site-level.
SITE_COLUMNS = frozenset({"reference", "address", "postcode", "latitude", "longitude",
                          "easting", "northing", "bed_spaces", "provider", "site_type"})

HANDLING = {
    OFFICIAL: "Published statistics only. Handle under the OFFICIAL classification.",
    OFFICIAL_SENSITIVE: ("Contains site-level records or figures built from them. Do not share beyond "
                         "the data-sharing agreement; do not publish."),
}
BANNER_COLOURS = {OFFICIAL: "#1d1d1b", OFFICIAL_SENSITIVE: "#a50f15"}


def marking_for(*, site_level: bool = False, site_derived: bool = False) -> str:
    """OFFICIAL-SENSITIVE when the output holds site records or anything derived from them."""
    return OFFICIAL_SENSITIVE if (site_level or site_derived) else OFFICIAL


def has_site_columns(columns: Iterable[str]) -> bool:
    """True when a table carries columns that only site records have (address, postcode...)."""
    return bool(SITE_COLUMNS.intersection(str(c) for c in columns))


def marking_for_columns(columns: Iterable[str], *, site_derived: bool = False) -> str:
    """The marking a table needs, read from its columns."""
    return marking_for(site_level=has_site_columns(columns), site_derived=site_derived)


def check_marking(marking: str | None, required: str) -> str:
    """The marking to print: the caller's, unless it is weaker than what the content needs.

    Why: a caller may raise a marking (mark published figures OFFICIAL-SENSITIVE for a closed
    meeting) but must never lower it below what the data requires.
    """
    if marking is None:
        return required
    value = str(marking).strip().upper().replace(" ", "-")
    if value not in MARKINGS:
        raise GeoError(f"unknown marking {marking!r}; use one of {', '.join(MARKINGS)}")
    if MARKINGS.index(value) < MARKINGS.index(required):
        raise GeoError(f"marking {value} is too low: this output contains site-level data and must be "
                       f"marked {required}")
    return value


def banner_colour(marking: str) -> str:
    """Banner colour: red for sensitive, black otherwise (both print dark in greyscale)."""
    return BANNER_COLOURS.get(marking, BANNER_COLOURS[OFFICIAL_SENSITIVE])
