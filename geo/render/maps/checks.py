"""Argument checks for a map: each bad choice is one GeoError/DataError line naming the valid ones.

Checked before any figure is computed, so a mistyped authority is reported as such even when the
quarter asked for would also be refused for another reason.
"""
from __future__ import annotations

import difflib
from datetime import date

import pandas as pd

from geo.asylum_stats import HOTEL
from geo.errors import DataError, GeoError
from geo.measures import MEASURES, first_published
from geo.model import Model
from geo.period_table import SOURCE_NAMES, measure_published

LEVELS = ("lad", "ward")


def check_measure(measure: str) -> str:
    """The measure key, or a GeoError listing the valid ones."""
    if measure in MEASURES:
        return measure
    near = difflib.get_close_matches(str(measure), list(MEASURES), n=3, cutoff=0.4)
    hint = f" (did you mean {', '.join(near)}?)" if near else ""
    raise GeoError(f"unknown measure {measure!r}{hint}; measures: {', '.join(MEASURES)}")


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise GeoError(f"unknown level {level!r}; levels: {', '.join(LEVELS)}")
    return level


def check_lad(model: Model, value: str) -> str:
    """An authority code from a code or an exact name, or a GeoError naming the nearest few."""
    lads = model.lads
    text = str(value).strip()
    if text.upper() in set(lads["lad_code"]):
        return text.upper()
    by_name = lads[lads["lad_name"].str.lower() == text.lower()]
    if len(by_name) == 1:
        return str(by_name["lad_code"].iloc[0])
    choices = {f"{r.lad_code} {r.lad_name}": r.lad_code for r in lads.itertuples()}
    near = difflib.get_close_matches(text, list(choices), n=4, cutoff=0.3)
    near += [k for k in choices if text.lower() in k.lower() and k not in near][: 4 - len(near)]
    hint = "; nearest: " + ", ".join(near) if near else ""
    raise GeoError(f"unknown authority {value!r}{hint} (use a code such as E08000012)")


def regions(model: Model) -> list[str]:
    return sorted(str(r) for r in model.lads["region"].dropna().unique())


def check_region(model: Model, value: str) -> str:
    """A region (or nation) name as the data spells it, or a GeoError listing them."""
    valid = regions(model)
    for name in valid:
        if name.lower() == str(value).strip().lower():
            return name
    raise GeoError(f"unknown region {value!r}; regions: {', '.join(valid)}")


def check_period(model: Model, period: str | date | pd.Timestamp | None) -> pd.Timestamp:
    """The quarter end asked for (latest when None), or a DataError giving the range held."""
    if period is None:
        return model.latest_period
    try:
        wanted = pd.Timestamp(period).normalize()
    except (ValueError, TypeError):
        raise DataError(f"period {period!r} is not a date; use YYYY-MM-DD") from None
    if wanted not in set(model.periods):
        raise DataError(f"period {wanted.date()} is not in the statistics; quarter ends from "
                        f"{model.periods[0].date()} to {model.latest_period.date()}")
    return wanted


def check_published(model: Model, level: str, measure: str, period: pd.Timestamp) -> None:
    """Refuse an authority map of a measure the quarter's file does not give by authority, naming the
    one it does give instead (Reg_02: contingency, hotels and other sites together)."""
    if level != "lad" or measure not in ("hotel", "contingency"):
        return
    if measure_published(model.stats, measure, period):
        return
    source = model.period_source(period)
    if measure == "hotel":
        instead = (" (Reg_02 gives hotels and other contingency sites together: use --measure contingency)"
                   if measure_published(model.stats, "contingency", period) else "")
        raise DataError(f"hotels are not published by local authority for {period.date()}{instead}; Asy_D11 "
                        f"has them from {first_published(model.stats)[HOTEL].date()} to its last quarter")
    raise DataError(f"contingency accommodation is not published by local authority for {period.date()} "
                    f"(the {SOURCE_NAMES.get(source or '', source)} gives total supported only)")
