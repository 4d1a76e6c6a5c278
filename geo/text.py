"""How figures are written, the one place: quarters, changes, people, ranks and source lines.

Screens, snapshots, the briefing pack, exports and the command line all call these, so a figure
reads the same wherever a chief executive meets it. GOV.UK style: "30 September 2024", a sign on
every change (so colour never carries the meaning alone), "no estimate" rather than a zero.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import pandas as pd

NOT_AVAILABLE = "not available"
NO_CHANGE = "no change"
NO_ESTIMATE = "no estimate"
NOT_PUBLISHED = "not published"
MINUS = "\u2212"  # a true minus sign: the same width as plus, and read correctly by screen readers
PEOPLE_ROUNDING = "People are whole numbers; shares and rates are rounded for display only."
LICENCE_LINE = ("Open Government Licence v3.0. Contains OS data \u00a9 Crown copyright and "
                "database right.")


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def quarter_label(period: Any) -> str:
    """'30 September 2024' for the quarter ending then: the one way a quarter is named."""
    stamp = pd.Timestamp(period)
    return f"{stamp.day} {stamp.strftime('%B %Y')}"


def quarter_short(period: Any) -> str:
    """'Sep 2024': for chart axes and narrow table headers only, where space is short."""
    return pd.Timestamp(period).strftime("%b %Y")


def as_at(period: Any) -> str:
    """'at 30 September 2024'."""
    return f"at {quarter_label(period)}"


def people(value: Any) -> str:
    """A whole count of people, '1,234'; 'no estimate' when missing. Rounds half up, stated once."""
    if _missing(value):
        return NO_ESTIMATE
    return f"{int(math.floor(float(value) + 0.5)):,}"


def number(value: Any, decimals: int = 0, missing: str = NO_ESTIMATE) -> str:
    """'1,234.5' with `decimals` places; `missing` when there is no value."""
    if _missing(value):
        return missing
    return f"{float(value):,.{decimals}f}"


def signed(value: Any, decimals: int = 0) -> str:
    """A change: '+171', '\u221294', 'no change', or 'not available' where the series lacks it."""
    if _missing(value):
        return NOT_AVAILABLE
    value = float(value)
    if round(value, decimals) == 0:
        return NO_CHANGE
    text = f"{abs(value):,.{decimals}f}"
    return f"+{text}" if value > 0 else f"{MINUS}{text}"


def change_on(value: Any, period: Any, decimals: int = 0) -> str:
    """'+171 on 30 June 2024', or 'not available'."""
    text = signed(value, decimals)
    return text if text == NOT_AVAILABLE else f"{text} on {quarter_label(period)}"


def joined(names: Iterable[str]) -> str:
    """'Barnsley', 'Barnsley and Sheffield', 'Barnsley, Leeds and Sheffield': a list in a sentence."""
    items = [str(n) for n in names]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def ordinal(n: int) -> str:
    """'1st', '22nd', '113th'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def rank_text(position: int, out_of: int, tied: bool = False) -> str:
    """'3rd of 27', or '=22nd of 27' when others share the place."""
    return f"{'=' if tied else ''}{ordinal(position)} of {out_of}"


def share(value: Any, decimals: int = 1) -> str:
    """A proportion as a percentage: 0.1234 -> '12.3%'."""
    if _missing(value):
        return NOT_AVAILABLE
    return f"{float(value) * 100:.{decimals}f}%"


class _Provenance(Protocol):
    @property
    def publisher(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def file_name(self) -> str: ...
    @property
    def release(self) -> str: ...


def short_source_line(provenance: Mapping[str, _Provenance], ids: Iterable[str]) -> str:
    """'Source: Home Office, Reg_02': publisher and dataset only, for a caption under a section. The
    page's foot carries ``source_line`` (files and releases) once, instead of the same long paragraph
    under every section (issue 27)."""
    parts = [f"{p.publisher.split(' (')[0]}, {p.title.split(':')[0].split(' (')[0]}"
             for sid in ids if (p := provenance.get(sid)) is not None]
    return "Source: " + "; ".join(dict.fromkeys(parts)) if parts else ""


def source_line(provenance: Mapping[str, _Provenance], ids: Iterable[str]) -> str:
    """'Source: Home Office, Asy_D11 (file.xlsx; release ...)' for the named loaded sources."""
    parts = [f"{p.publisher}, {p.title} ({p.file_name}; {p.release})"
             for sid in ids if (p := provenance.get(sid)) is not None]
    return "Source: " + "; ".join(parts) if parts else ""
