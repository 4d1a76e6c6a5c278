"""One call from a loaded model to the place-based fair share, so every surface gives the same numbers.

The page, the CSV/Excel export, the briefing pack's method page and ``python -m geo fair-share`` all
call ``compute``: it picks the councils of a region (or the UK) for a quarter, adds the other
schemes' published figures (``Model.schemes``), reads the pressure files the model resolved (and a
partnership's own CSV when given), and runs ``geo.pressure_share.pressure_shares``.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from geo import fair_share as fs
from geo import pressure_share as ps
from geo import rules, sources
from geo.errors import GeoError
from geo.measures import lad_table
from geo.pressures import Indicator, published_indicators, read_partnership, resolve_pressures

UK = "uk"


@dataclass(frozen=True)
class Request:
    """What to compare: an area (region or nation name, or ``uk``), a quarter, the burden and weights."""

    area: str
    period: pd.Timestamp
    measure: str = "supported"
    schemes: tuple[str, ...] = ("asylum",)
    weights: tuple[tuple[str, float], ...] = ()
    indicators_file: str | None = None
    limit_per: int = rules.CLUSTER_LIMIT
    tolerance: float = fs.DEFAULT_TOLERANCE

    @property
    def weight_map(self) -> dict[str, float]:
        return dict(self.weights)

    @property
    def area_name(self) -> str:
        return "the UK" if self.area == UK else self.area


def area_keys(table: pd.DataFrame) -> pd.Series:
    """The region each council is compared within: its English region, else its nation."""
    return fs._group_keys(table, "region")


def areas(table: pd.DataFrame) -> list[str]:
    """Regions and nations a council can be compared within, alphabetically."""
    return sorted(str(k) for k in area_keys(table).dropna().unique())


def area_rows(model: Any, request: Request, schemes: pd.DataFrame | None = None) -> pd.DataFrame:
    """The councils compared, with the other schemes' figures for the quarter (NaN = missing)."""
    table = lad_table(model, request.period)
    if request.area != UK:
        keys = area_keys(table)
        if request.area not in set(keys):
            raise GeoError(f"no region or nation called {request.area!r}; choose one of {', '.join(areas(table))} "
                           "or --uk")
        table = table[keys == request.area]
    table = table.reset_index(drop=True)
    frame = scheme_table(model) if schemes is None else schemes
    figures = ps.scheme_figures(frame, request.period)
    wanted = [s for s in request.schemes if s != "asylum"]
    if wanted and figures.empty:
        loaded = ", ".join(p.date().isoformat() for p in ps.scheme_periods(frame)) or "no quarter"
        raise GeoError(f"no figures for {', '.join(ps.SCHEMES[s] for s in wanted)} at "
                       f"{request.period.date().isoformat()}: they come from the Home Office's Reg_02 table, "
                       f"loaded for {loaded}")
    return table.merge(figures, on="lad_code", how="left")


def scheme_table(model: Any) -> pd.DataFrame | None:
    """``Model.schemes`` (other schemes per council per quarter), when the model has it."""
    return getattr(model, "schemes", None)


def indicators(model: Any, codes: Sequence[str], indicators_file: str | Path | None = None,
               data_dir: str | Path | None = None) -> tuple[list[Indicator], dict[str, str]]:
    """Published pressures resolved with the model, plus a partnership's own file when given."""
    provenance: Mapping[str, sources.Provenance] = {**resolve_pressures(data_dir), **getattr(model, "provenance", {})}
    found, absent = published_indicators(provenance, list(codes))
    if indicators_file:
        found += read_partnership(indicators_file)
    return found, absent


def _options(request: Request) -> dict[str, Any]:
    return {"measure": request.measure, "schemes": request.schemes, "limit_per": request.limit_per,
            "tolerance": request.tolerance, "area_name": request.area_name}


def _inputs(model: Any, request: Request, data_dir: str | Path | None,
            schemes: pd.DataFrame | None = None) -> tuple[pd.DataFrame, list[Indicator]]:
    """The councils compared and the indicators loaded for them."""
    rows = area_rows(model, request, schemes)
    found, _ = indicators(model, rows["lad_code"], request.indicators_file, data_dir)
    return rows, found


def compute(model: Any, request: Request, *, data_dir: str | Path | None = None,
            schemes: pd.DataFrame | None = None) -> ps.PressureShare:
    """The place-based fair share for one request (the one entry point every surface calls)."""
    rows, found = _inputs(model, request, data_dir, schemes)
    return ps.pressure_shares(rows, found, request.weight_map, **_options(request))


def sensitivity(model: Any, request: Request, *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """Each weighted indicator alone: how many councils change status from population only, and which."""
    rows, found = _inputs(model, request, data_dir)
    return ps.one_at_a_time(rows, found, request.weight_map, **_options(request))


def as_json(result: ps.PressureShare, request: Request) -> dict[str, Any]:
    """The command line's JSON (issue 25's shape; keys may be added, never renamed)."""
    return {
        "rule": result.rule.words,
        "formula": result.rule.formula,
        "area": request.area_name,
        "period": request.period.date().isoformat(),
        "measure": request.measure,
        "schemes": list(request.schemes),
        "weights": dict(result.weights),
        "total": result.total,
        "unplaced": result.unplaced,
        "limit_per": request.limit_per,
        "indicators": [{"key": i.key, "label": i.label, "meaning": i.meaning, "period": i.period,
                        "source": i.source, "higher_is_more_pressure": i.higher_is_more_pressure}
                       for i in result.indicators],
        "councils": ps.council_records(result),
    }


def sweep(model: Any, request: Request, key: str, *, data_dir: str | Path | None = None) -> pd.DataFrame:
    """One indicator's weight stepped from 0 to 1 (the others as requested): who changes status, and where."""
    rows, found = _inputs(model, request, data_dir)
    return ps.sweep(rows, found, request.weight_map, key, **_options(request))
