"""The view a link carries: URL state, its encoding, and the labels a screen names it by.

No Streamlit here: the app (``pages/``) reads and writes ``st.query_params`` through
``encode``/``decode`` so a copied link reopens the same view, and everything in this module can
be tested without a browser. Ward neighbours are ``geo.wards.neighbours``, the map framing is
``ui.layers.fit_view`` and the headline series is ``geo.series.national_series``.

URL parameters (all optional; an absent one means the default):

=========  =====================================================  ===========================
name       meaning                                                example
=========  =====================================================  ===========================
measure    what the national map colours                          ``measure=limit_used``
period     quarter end shown (ISO date; "Sep 2024", "2024Q3" ok)   ``period=2023-03-31``
nation     nations, comma separated                               ``nation=England,Wales``
region     regions, comma separated                               ``region=London``
acc        accommodation types (short codes), comma separated     ``acc=hotel,dispersed``
support    support types (s95, s4, s98), comma separated          ``support=s95``
classes    map classing: quantiles or natural_breaks              ``classes=natural_breaks``
lad        selected authority (GSS code)                          ``lad=E08000012``
ward       selected ward (GSS code)                               ``ward=E05011118``
status     ward finder: authority 1:200 status                    ``status=over,no-estimate``
popmin     ward finder: fewest residents                          ``popmin=5000``
popmax     ward finder: most residents                            ``popmax=20000``
present    presentation mode                                      ``present=1``
share      Fair share page: supported or dispersed                ``share=dispersed``
asat       Sites page: the day the records are shown as at        ``asat=2025-06-30``
w          Fair share page: pressure weights (``none`` = none)    ``w=deprivation:0.15,uasc:0.1``
schemes    Fair share page: schemes shared                        ``schemes=asylum,ukraine``
places     Fair share page: extra places to allocate              ``places=500``
=========  =====================================================  ===========================
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any

import pandas as pd

from geo.asylum_stats import DISPERSED, HOTEL, parse_period
from geo.measures import Filters
from geo.population import WARD_COVERAGE
from geo.text import quarter_label

# Tables cannot print "no estimate" in a number column (sorting needs numbers), so each says what None means.
NO_ESTIMATE_NOTE = ("None under Residents means no population estimate; such areas are never counted as zero. "
                    + WARD_COVERAGE)

MAP_MEASURES: dict[str, str] = {
    "per_1000": "People supported per 1,000 residents",
    "hotel": "People in contingency hotels",
    "dispersed": "People in dispersed accommodation",
    "limit_used": "Dispersal against the 1:200 limit (1.0 = at the limit)",
}
SHORT_MEASURE_LABELS: dict[str, str] = {
    "per_1000": "Per 1,000 residents",
    "hotel": "In hotels",
    "dispersed": "In dispersed",
    "limit_used": "Against 1:200 limit",
}
DEFAULT_MEASURE = "per_1000"
CLASS_METHODS: dict[str, str] = {"quantiles": "Quantiles", "natural_breaks": "Natural breaks (Fisher-Jenks)"}
DEFAULT_CLASSES = "quantiles"
# What the Fair share page compares with residents (its own measures, not the map's).
SHARE_MEASURES: dict[str, str] = {"supported": "People supported (all accommodation)",
                                  "dispersed": "People in dispersed accommodation"}
DEFAULT_SHARE = "supported"
# The place-based fair share (geo.pressure_share): schemes it can share, and how a weight key may look.
SCHEME_KEYS = ("asylum", "ukraine", "afghan")
DEFAULT_SCHEMES = ("asylum",)
DEFAULT_PLACES = 500
_WEIGHT_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
STATUSES: dict[str, str] = {"over": "over 1:200", "within": "within 1:200", "no-estimate": "no estimate"}

# Short, stable codes for accommodation types in links; anything else gets a slug of its name.
_ACCOMMODATION_CODES: dict[str, str] = {
    DISPERSED: "dispersed",
    HOTEL: "hotel",
    "Contingency Accommodation - Other": "other_contingency",
    "Initial Accommodation": "initial",
    "Subsistence Only": "subsistence_only",
    "Other Accommodation": "other_accommodation",
}
_LAD_CODE = re.compile(r"^[EWSN]\d{8}$")
_WARD_CODE = re.compile(r"^[EWSN]\d{8}$")


@dataclass(frozen=True)
class ViewState:
    """Everything a link carries. Lists are tuples so a state can be a cache key."""

    measure: str = DEFAULT_MEASURE
    period: str | None = None  # ISO quarter end; None means the latest in the loaded file
    nations: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    accommodation: tuple[str, ...] = ()  # Home Office names, e.g. 'Dispersal Accommodation'
    support: tuple[str, ...] = ()  # 'Section 95' ...
    classes: str = DEFAULT_CLASSES
    lad: str | None = None
    ward: str | None = None
    status: tuple[str, ...] = ()  # keys of STATUSES
    popmin: int | None = None
    popmax: int | None = None
    present: bool = False
    share: str = DEFAULT_SHARE  # Fair share page: key of SHARE_MEASURES
    as_at: str | None = None  # Sites page: ISO day the records are shown as at; None means today
    # Fair share page, place-based part: (key, weight) pairs; None = the documented defaults, () = none.
    weights: tuple[tuple[str, float], ...] | None = None
    schemes: tuple[str, ...] = DEFAULT_SCHEMES
    places: int = DEFAULT_PLACES

    def filters(self, geographic: bool = True) -> Filters:
        """The measures' Filters; geographic=False drops nation and region (single-area views)."""
        return Filters(support_types=tuple(self.support), accommodation_types=tuple(self.accommodation),
                       regions=tuple(self.regions) if geographic else (),
                       nations=tuple(self.nations) if geographic else ())


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ViewState))
# URL parameter name for each field.
PARAM: dict[str, str] = {
    "measure": "measure", "period": "period", "nations": "nation", "regions": "region",
    "accommodation": "acc", "support": "support", "classes": "classes", "lad": "lad", "ward": "ward",
    "status": "status", "popmin": "popmin", "popmax": "popmax", "present": "present",
    "share": "share", "as_at": "asat", "weights": "w", "schemes": "schemes", "places": "places",
}
# Which fields each screen puts in its link (others keep their value in the session).
PAGE_FIELDS: dict[str, tuple[str, ...]] = {
    "overview": ("measure", "period", "nations", "regions", "accommodation", "support", "classes", "present"),
    "council": ("lad", "period", "accommodation", "support", "measure", "present"),
    "ward": ("ward", "lad", "period", "status", "popmin", "popmax", "present"),
    "fair-share": ("regions", "period", "share", "present", "weights", "schemes", "places"),
    "sites": ("lad", "as_at", "present"),
    "sources": (),
}


# --- codes used in links ------------------------------------------------------------------------

def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def accommodation_code(name: str) -> str:
    return _ACCOMMODATION_CODES.get(name) or _slug(name)


def support_code(name: str) -> str:
    m = re.fullmatch(r"section\s*(\d+[a-z]?)", name.strip(), re.I)
    return f"s{m.group(1).lower()}" if m else _slug(name)


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _last(value: Any) -> str | None:
    if isinstance(value, (list, tuple)):
        return str(value[-1]) if value else None
    return None if value is None else str(value)


# --- encode / decode ----------------------------------------------------------------------------

def encode(state: ViewState, keep: Iterable[str] | None = None) -> dict[str, str]:
    """URL parameters for a state: only fields in ``keep`` (default all) that differ from the default."""
    default = ViewState()
    wanted = FIELDS if keep is None else tuple(keep)
    out: dict[str, str] = {}
    for name in FIELDS:
        if name not in wanted:
            continue
        value = getattr(state, name)
        if value == getattr(default, name):
            continue
        if name == "weights":
            text = ",".join(f"{k}:{w:g}" for k, w in value) or "none"
        elif name == "accommodation":
            text = ",".join(accommodation_code(v) for v in value)
        elif name == "support":
            text = ",".join(support_code(v) for v in value)
        elif isinstance(value, tuple):
            text = ",".join(value)
        elif isinstance(value, bool):
            text = "1" if value else "0"
        else:
            text = str(value)
        out[PARAM[name]] = text
    return out


def _match(values: list[str], options: Sequence[str] | None, code_of, label: str,
           problems: list[str]) -> tuple[str, ...]:
    """Map link values onto known options by name (any case) or code; report the rest."""
    if options is None:
        return tuple(values)
    lookup: dict[str, str] = {}
    for option in options:
        lookup[option.lower()] = option
        lookup[code_of(option).lower()] = option
    found: list[str] = []
    for value in values:
        known = lookup.get(value.lower())
        if known is None:
            problems.append(f"{label} {value!r} is not in the loaded data, so it was left out")
        elif known not in found:
            found.append(known)
    return tuple(found)


def _count(value: Any, label: str, problems: list[str]) -> int | None:
    text = _last(value)
    if text is None or text.strip() == "":
        return None
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        problems.append(f"{label} {text!r} is not a number, so it was ignored")
        return None
    if not math.isfinite(number) or number < 0:
        problems.append(f"{label} {text!r} is not a count of people, so it was ignored")
        return None
    return int(number)


def decode(params: Mapping[str, Any], *, periods: Sequence[pd.Timestamp] | None = None,
           nations: Sequence[str] | None = None, regions: Sequence[str] | None = None,
           accommodation: Sequence[str] | None = None, support: Sequence[str] | None = None
           ) -> tuple[ViewState, list[str]]:
    """A state from URL parameters, checked against what is loaded; returns (state, problems).

    Unknown or malformed values are dropped (falling back to the default) and described in
    plain words, so the screen can say why a link did not open exactly as sent.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}

    measure = _last(params.get("measure"))
    if measure is not None:
        if measure in MAP_MEASURES:
            values["measure"] = measure
        else:
            problems.append(f"measure {measure!r} is not one the map shows, so it shows "
                            f"{MAP_MEASURES[DEFAULT_MEASURE].lower()}")

    period = _last(params.get("period"))
    if period:
        parsed = parse_period(period)
        if parsed is None:
            problems.append(f"period {period!r} is not a date, so the latest quarter is shown")
        else:
            stamp = pd.Timestamp(parsed) + pd.offsets.QuarterEnd(0)  # 'Sep 2024' means its quarter end
            if periods is not None and stamp not in set(pd.to_datetime(list(periods))):
                problems.append(f"{quarter_label(stamp)} is not in the loaded file, so the latest quarter is shown")
            else:
                values["period"] = stamp.date().isoformat()

    values["nations"] = _match(_split(params.get("nation")), nations, _slug, "nation", problems)
    values["regions"] = _match(_split(params.get("region")), regions, _slug, "region", problems)
    values["accommodation"] = _match(_split(params.get("acc")), accommodation, accommodation_code,
                                     "accommodation type", problems)
    values["support"] = _match(_split(params.get("support")), support, support_code, "support type", problems)

    classes = _last(params.get("classes"))
    if classes is not None:
        if classes in CLASS_METHODS:
            values["classes"] = classes
        else:
            problems.append(f"classes {classes!r} is not a classing method, so quantiles are used")

    for name, pattern, label in (("lad", _LAD_CODE, "authority code"), ("ward", _WARD_CODE, "ward code")):
        given = _last(params.get(name))
        if given:
            code = given.strip().upper()
            if pattern.match(code):
                values[name] = code
            else:
                problems.append(f"{label} {given!r} is not a GSS code (like E08000012), so it was ignored")

    status = []
    for value in _split(params.get("status")):
        key = value.lower().replace(" ", "-").replace("_", "-")
        if key in STATUSES and key not in status:
            status.append(key)
        elif key not in STATUSES:
            problems.append(f"status {value!r} is not one of {', '.join(STATUSES)}, so it was left out")
    values["status"] = tuple(status)
    values["popmin"] = _count(params.get("popmin"), "popmin", problems)
    values["popmax"] = _count(params.get("popmax"), "popmax", problems)
    if values["popmin"] is not None and values["popmax"] is not None and values["popmin"] > values["popmax"]:
        problems.append("popmin is more than popmax, so the two were swapped")
        values["popmin"], values["popmax"] = values["popmax"], values["popmin"]

    share = _last(params.get("share"))
    if share is not None:
        if share in SHARE_MEASURES:
            values["share"] = share
        else:
            problems.append(f"share {share!r} is not one of {', '.join(SHARE_MEASURES)}, so people supported "
                            "are compared")

    as_at = _last(params.get("asat"))
    if as_at:
        try:
            values["as_at"] = pd.Timestamp(as_at).date().isoformat()
        except (ValueError, TypeError):
            problems.append(f"asat {as_at!r} is not a date, so today's records are shown")

    weights = _weights(_last(params.get("w")), problems)
    if weights is not None:
        values["weights"] = weights
    schemes = [s.lower() for s in _split(params.get("schemes"))]
    unknown = [s for s in schemes if s not in SCHEME_KEYS]
    if unknown:
        problems.append(f"schemes {', '.join(map(repr, unknown))} unknown (use {', '.join(SCHEME_KEYS)}), so left out")
    chosen = tuple(s for s in SCHEME_KEYS if s in schemes)
    if chosen:
        values["schemes"] = chosen
    places = _count(params.get("places"), "places", problems)
    if places is not None:
        values["places"] = places

    present = (_last(params.get("present")) or "").strip().lower()
    values["present"] = present in {"1", "true", "yes", "on"}
    return replace(ViewState(), **values), problems


def _weights(text: str | None, problems: list[str]) -> tuple[tuple[str, float], ...] | None:
    """'deprivation:0.15,uasc:0.1' (or 'none') from a link; bad pairs are left out and described."""
    if text is None or not text.strip():
        return None
    if text.strip().lower() == "none":
        return ()
    found: dict[str, float] = {}
    for part in text.split(","):
        key, _, value = part.strip().partition(":")
        key = key.strip().lower()
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not _WEIGHT_KEY.match(key) or not math.isfinite(number) or number < 0:
            problems.append(f"weight {part.strip()!r} is not key:number (0 or more), so it was left out")
            continue
        found[key] = number
    return tuple(sorted(found.items()))


def signature(params: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """A comparable form of a parameter mapping (order and list-vs-string independent)."""
    return tuple(sorted((str(k), ",".join(_split(v)) if k in {"nation", "region", "acc", "support", "status"}
                         else (_last(v) or "")) for k, v in params.items()))


# --- labels -------------------------------------------------------------------------------------

def ward_label(name: str, lad_name: str | None, code: str) -> str:
    """'Ward name (Authority) code', the text the ward search matches as you type."""
    lad = lad_name if isinstance(lad_name, str) and lad_name else "authority not known"
    return f"{name} ({lad}) {code}"


def ward_options(wards: pd.DataFrame) -> dict[str, str]:
    """ward_code -> search label for every ward, sorted by ward name then authority."""
    frame = pd.DataFrame(wards)[["ward_code", "ward_name", "lad_name"]].sort_values(["ward_name", "lad_name"])
    return {code: ward_label(name, lad, code)
            for code, name, lad in zip(frame["ward_code"], frame["ward_name"], frame["lad_name"], strict=True)}


def selection_label(state: ViewState) -> str:
    """'England: London; hotels only; Section 95' - what the numbers cover, in words."""
    parts = []
    if state.regions:
        parts.append(", ".join(state.regions))
    elif state.nations:
        parts.append(", ".join(state.nations))
    else:
        parts.append("United Kingdom")
    if state.accommodation:
        parts.append("accommodation: " + ", ".join(state.accommodation))
    if state.support:
        parts.append("support: " + ", ".join(state.support))
    return "; ".join(parts)
