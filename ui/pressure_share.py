"""Tables, words and map features for the place-based fair share on the Fair share page.

The page lays out the sliders and calls these; every number comes from ``geo.place_share.compute``
(the same call the command line and the exports make), so they can be tested without a browser.
No Streamlit imports here.
"""
from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from geo import fair_share as fs
from geo import pressure_share as ps
from geo.errors import DataError
from geo.pressures import Indicator
from ui import fair_share as view

SLIDER_MAX = 1.0
SLIDER_STEP = 0.05
SCHEME_LABELS = {"asylum": "Supported asylum", "ukraine": "Homes for Ukraine (cumulative arrivals)",
                 "afghan": "Afghan Resettlement Programme (people)"}


def weights_from_state(state_weights: Sequence[tuple[str, float]] | None, keys: Sequence[str]) -> dict[str, float]:
    """Slider values: the link's weights, else the documented defaults (the memorandum's pressures)."""
    chosen = dict(ps.MEMORANDUM_WEIGHTS) if state_weights is None else dict(state_weights)
    return {k: float(chosen.get(k, 0.0)) for k in keys}


def weights_for_state(weights: Mapping[str, float]) -> tuple[tuple[str, float], ...] | None:
    """What the link carries: None when the weights are the defaults, so a plain link stays short."""
    nonzero = {k: round(float(w), 4) for k, w in weights.items() if w > 0}
    if nonzero == {k: w for k, w in ps.MEMORANDUM_WEIGHTS.items() if k in weights and w > 0} and \
            all(k in weights for k in ps.MEMORANDUM_WEIGHTS):
        return None
    return tuple(sorted(nonzero.items()))


def weights_table(indicators: Sequence[Indicator], weights: Mapping[str, float]) -> pd.DataFrame:
    """Each indicator, its weight, default, meaning, period and source: the inputs, as the export lists them."""
    return pd.DataFrame({
        "key": [i.key for i in indicators],
        "Indicator": [i.label for i in indicators],
        "Weight": [float(weights.get(i.key, 0.0)) for i in indicators],
        "Default weight": [float(ps.MEMORANDUM_WEIGHTS.get(i.key, 0.0)) for i in indicators],
        "Higher means": ["more pressure" if i.higher_is_more_pressure else "less pressure" for i in indicators],
        "Meaning": [i.meaning for i in indicators],
        "Period": [i.period for i in indicators],
        "Source": [i.source for i in indicators],
        "Councils with a figure": [None] * len(indicators),
    })


def _missing_text(values: pd.Series, markers: pd.Series | None = None) -> pd.Series:
    """'uasc (c), rents': each missing key, with the publisher's marker where one was given."""
    marks = markers if markers is not None else pd.Series([{}] * len(values), index=values.index)
    return pd.Series([", ".join(f"{k} ({mk[k]})" if k in mk else k for k in m) if isinstance(m, list) else ""
                      for m, mk in zip(values, marks, strict=True)], index=values.index, dtype=object)


def factors_display(result: ps.PressureShare) -> pd.DataFrame:
    """Per council: the burden, both fair shares, status, pressure index and each factor's part."""
    t = result.table
    out = pd.DataFrame({
        "Authority": t["lad_name"],
        "Status (pressure-weighted)": t["status"],
        "Status (population only)": t["status_population"],
        "Burden now": view.whole_people(t["burden"]),
        "Fair share, pressure-weighted (people)": view.whole_people(t["fair_share"]),
        "Fair share, population only (people)": view.whole_people(t["fair_share_population"]),
        "Times fair share": t["ratio"].round(2),
        "Rank, pressure-weighted": t["rank"],
        "Rank, population only": t["rank_population"],
        "Pressure index": t["pressure_index"].round(2),
        "Weight multiplier": t["multiplier"].round(2),
    })
    for ind in result.indicators:
        out[f"{ind.label}: value"] = t[f"value_{ind.key}"].round(2)
        if f"contribution_{ind.key}" in t:
            out[f"{ind.label}: part of index"] = t[f"contribution_{ind.key}"].round(2)
    out["Capped at the limit"] = np.where(t["capped"], "yes", "")
    out[f"Limit (residents ÷ {result.limit_per})"] = view.whole_people(t["limit"])
    out["No figure for"] = _missing_text(t["missing"], t["markers"])
    out["Residents"] = t["population"]
    out["Code"] = t["lad_code"]
    order = t["ratio"].fillna(-np.inf).sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def changes_display(result: ps.PressureShare) -> pd.DataFrame:
    """What-if: the councils whose status changes between population only and the chosen weights."""
    moved = ps.status_changes(result)
    return pd.DataFrame({
        "Authority": moved["lad_name"],
        "Population only": moved["status_population"],
        "Pressure-weighted": moved["status"],
        "Fair share, population only": view.whole_people(moved["fair_share_population"]),
        "Fair share, pressure-weighted": view.whole_people(moved["fair_share"]),
        "Rank, population only": moved["rank_population"],
        "Rank, pressure-weighted": moved["rank"],
        "Code": moved["lad_code"],
    })


def sensitivity_display(table: pd.DataFrame) -> pd.DataFrame:
    """``geo.pressure_share.one_at_a_time`` with the page's column names."""
    return pd.DataFrame({"Indicator": table["indicator"], "Weight": table["weight"],
                         "Councils changing status": table["councils_changing"],
                         "Which (population only → this weight alone)": table["changes"]})


def sources_sentence(result: ps.PressureShare) -> str:
    """'Pressures: <indicator>: <publisher, release (file)>; ...': the files behind the weighted figures."""
    return "Pressures: " + "; ".join(f"{i.label}: {i.source}" for i in result.indicators) + "."


def sweep_display(table: pd.DataFrame) -> pd.DataFrame:
    """``geo.pressure_share.sweep`` with the page's column names (the codes kept for joining)."""
    out = table.rename(columns={"lad_name": "Authority", "lad_code": "Code"})
    out.columns = [c[0].upper() + c[1:] for c in out.columns]
    return out[["Authority", *[c for c in out.columns if c not in ("Authority", "Code")], "Code"]]


def change_sentence(result: ps.PressureShare, area: str) -> str:
    moved = ps.status_changes(result)
    if moved.empty:
        return f"No council in {area} changes status between population only and these weights."
    names = ", ".join(moved["lad_name"].astype(str).tolist())
    n = len(moved)
    return f"{n} council{'s' if n != 1 else ''} in {area} change status with these weights: {names}."


def missing_sentence(result: ps.PressureShare) -> str:
    """Which councils lack a weighted figure: said once, never hidden as 0."""
    t = result.table
    rows = t[t["left_out"].map(bool)]
    if rows.empty:
        return "Every council compared has a figure for every weighted indicator."
    parts = [f"{name} ({', '.join(keys)})" for name, keys in zip(rows["lad_name"], rows["left_out"], strict=True)]
    return ("No figure, so that factor is left out of the council's index and its other weights scaled up "
            "(never read as 0): " + "; ".join(parts) + ".")


def summary_frame(result: ps.PressureShare, tolerance: float = fs.DEFAULT_TOLERANCE) -> pd.DataFrame:
    """The result in the columns the fair-share map reads (``ui.fair_share.map_features``)."""
    t = result.table
    return pd.DataFrame({
        "lad_code": t["lad_code"], "lad_name": t["lad_name"], "burden": t["burden"],
        "fair_share_people": t["fair_share"], "difference_people": t["difference"],
        "ratio_to_fair": t["ratio"], "status": t["status"], "headroom": t["headroom"],
        "fair_class": view.ratio_class_label(t["ratio"], t["status"], tolerance),
    })


def burden_label(result: ps.PressureShare) -> str:
    parts = [view.MEASURES[result.measure] if s == "asylum" else SCHEME_LABELS[s] for s in result.schemes]
    return " + ".join(parts)


def export_frame(result: ps.PressureShare, period: pd.Timestamp) -> pd.DataFrame:
    """Inputs and outputs per council, machine-readable names, for the CSV/Excel export."""
    t = result.table.copy()
    t["missing"] = _missing_text(t["missing"], t["markers"])
    t = t.drop(columns=["markers"])
    t["left_out"] = _missing_text(t["left_out"])
    t.insert(0, "period", pd.Timestamp(period).date().isoformat())
    t.insert(1, "burden_shared", "+".join(result.schemes) + f" ({result.measure})")
    return t


def method_lines(result: ps.PressureShare) -> list[str]:
    """The rule, formula and weights as lines, for an export's notes and the briefing's method page."""
    weights = ", ".join(f"{k}={w:g}" for k, w in result.weights.items()) or "none"
    return [f"Rule: {result.rule.words}", f"Formula: {result.rule.formula}", f"Weights: {weights}",
            *(f"Indicator {i.key}: {i.label}; {i.meaning}; {i.period}; source {i.source}" for i in result.indicators)]


def indicator_coverage(result: ps.PressureShare) -> dict[str, int]:
    t = result.table
    return {i.key: int(t[f"value_{i.key}"].notna().sum()) for i in result.indicators}


def weights_display(result: ps.PressureShare) -> pd.DataFrame:
    table = weights_table(result.indicators, result.weights)
    table["Councils with a figure"] = table["key"].map(indicator_coverage(result))
    return table.drop(columns=["key"])



def save_upload(files: Sequence[tuple[str, bytes]], root: Path | None = None) -> Path:
    """A partnership's CSV and its JSON sidecar, as uploaded, written where ``read_partnership`` finds them.

    The folder is named by the files' content, so the same upload is the same path (and the same
    cached result); the CSV keeps its own name (made safe) so errors name the file the user chose,
    and the sidecar is saved beside it under the CSV's name. Returns the CSV's path."""
    csvs = [(n, b) for n, b in files if n.lower().endswith(".csv")]
    sides = [(n, b) for n, b in files if n.lower().endswith(".json")]
    if len(csvs) != 1 or len(sides) != 1:
        raise DataError("upload one CSV of indicators and its JSON sidecar describing each column "
                        f"(got {len(csvs)} CSV and {len(sides)} JSON)")
    name = re.sub(r"[^A-Za-z0-9._-]", "_", Path(csvs[0][0]).name) or "indicators.csv"
    digest = hashlib.sha256(csvs[0][1] + b"\0" + sides[0][1]).hexdigest()[:16]
    folder = (root or Path(tempfile.gettempdir())) / "aam-indicators" / digest
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(csvs[0][1])
    path.with_suffix(".json").write_bytes(sides[0][1])
    return path
