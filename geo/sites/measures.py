"""Ward and authority measures from site records, including the 1:200 dispersal cluster limit.

The 2019 memorandum between local government and the Home Office says no ward (or council)
should hold more than one supported asylum seeker in dispersed accommodation per 200
residents. A ward with no population estimate gets a NaN ratio and the status "no estimate",
never zero: zero would read as "room to spare". Acquisitions made while an area was already
over the limit are judged against the area as it was the day before, rebuilt from the site
history, not against today's figures.

A site counts as occupied on a day when its status is open (or closed with a later closing
date), it had started (opened, else acquired, else first seen in an import) and had not
closed. Planned sites never count.

The limit, its rounding and the status words are ``geo.rules``; this module only counts people.
Counts of people from site records are ``<type>_people`` (``dispersed_people``); ``MEASURE_COLUMNS``
names the statistics' measure each one answers, for maps and exports.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import rules
from geo.sites.store import SiteStore

NO_ESTIMATE = rules.NO_ESTIMATE
OVER = rules.OVER
WITHIN = rules.WITHIN
# The statistics' measure (geo.measures.MEASURES) each site-derived ward column answers.
MEASURE_COLUMNS = {"supported": "supported_people", "dispersed": "dispersed_people", "hotel": "hotel_people",
                   "initial": "initial_people", "other_contingency": "other_contingency_people"}
AREA_KEYS = {"ward": ["ward_code", "ward_name", "lad_code", "lad_name"], "lad": ["lad_code", "lad_name"]}


def _day(value: date | str | pd.Timestamp | None) -> pd.Timestamp:
    return pd.Timestamp(value if value is not None else date.today()).normalize()


def _dates(frame: pd.DataFrame, col: str) -> pd.Series:
    if col not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    return pd.to_datetime(frame[col])


def occupied(sites: pd.DataFrame, day: date | str | pd.Timestamp | pd.Series | None = None) -> pd.Series:
    """True for sites housing people on ``day`` (one day, or a Series of days aligned to ``sites``)."""
    days = pd.to_datetime(day) if isinstance(day, pd.Series) else _day(day)
    status = sites["status"].astype(object)
    opened, closed = _dates(sites, "opened"), _dates(sites, "closed")
    start = opened.fillna(_dates(sites, "acquired"))
    if "first_seen" in sites.columns:
        start = start.fillna(_dates(sites, "first_seen"))
    started = start.isna() | (start <= days)
    not_closed = closed.isna() | (closed > days)
    live = (status == "open") | ((status == "closed") & closed.notna())
    return (live & started & not_closed).fillna(False).astype(bool)


def _ratio_columns(table: pd.DataFrame, people: str) -> pd.DataFrame:
    """The 1:200 columns, all from geo.rules: ratio per resident, limit used, status, headroom."""
    pop = pd.to_numeric(table["population"], errors="coerce").astype("float64")
    pop = pop.where(pop > 0)
    dispersed = table[people].astype("float64")
    table["population"] = pop
    table["dispersal_ratio"] = dispersed / pop
    table["limit_used"] = rules.limit_used(dispersed, pop)
    table["over_threshold"] = rules.over_threshold(dispersed, pop)
    table["status"] = rules.status(dispersed, pop)
    table["headroom"] = rules.headroom(dispersed, pop)
    return table


def _site_counts(sites: pd.DataFrame, keys: list[str], day: pd.Timestamp,
                 acquired_from: date | None, acquired_to: date | None) -> pd.DataFrame:
    s = sites[sites["in_boundary"].astype(bool) & sites[keys[0]].notna()].copy()
    s["_occ"] = occupied(s, day)
    s["_people"] = pd.to_numeric(s["people"], errors="coerce").fillna(0).astype("int64")
    out = pd.DataFrame(index=pd.Index(s[keys[0]].unique(), name=keys[0]))
    for kind, label in (("hotel", "hotel"), ("dispersed", "dispersed"), ("initial", "initial"),
                        ("other_contingency", "other_contingency")):
        live = s[s["_occ"] & (s["site_type"] == kind)]
        out[f"{label}_sites"] = live.groupby(keys[0]).size()
        out[f"{label}_people"] = live.groupby(keys[0])["_people"].sum()
    disp = s[s["site_type"] == "dispersed"]
    no_count = disp[disp["_occ"] & pd.to_numeric(disp["people"], errors="coerce").isna()]
    out["dispersed_sites_without_count"] = no_count.groupby(keys[0]).size()
    window = _acquired_within(_dates(disp, "acquired"), acquired_from, acquired_to)
    out["properties_acquired"] = disp[window].groupby(keys[0]).size()
    return out.fillna(0).astype("int64")


def ward_measures(sites: pd.DataFrame, wards: pd.DataFrame, population: pd.DataFrame | None = None, *,
                  as_at: date | None = None, acquired_from: date | None = None,
                  acquired_to: date | None = None) -> pd.DataFrame:
    """One row per ward: people and sites by type, acquisitions, population, ratio and 1:200 status.

    ``wards`` has ward_code, ward_name, lad_code, lad_name (extra columns, geometry, ignored);
    ``population`` has ward_code, population (else a ``population`` column of ``wards`` is used).
    Wards holding sites but absent from ``wards`` (another boundary vintage) are kept.
    """
    keys = AREA_KEYS["ward"]
    base = pd.DataFrame(wards)[keys + (["population"] if "population" in wards.columns else [])]
    base = base.drop_duplicates("ward_code")
    extra = sites.loc[sites["in_boundary"].astype(bool) & ~sites["ward_code"].isin(base["ward_code"]), keys]
    base = pd.concat([base, pd.DataFrame(extra).drop_duplicates("ward_code")], ignore_index=True)
    if population is not None:
        base = base.drop(columns=["population"], errors="ignore").merge(
            population[["ward_code", "population"]].drop_duplicates("ward_code"), on="ward_code", how="left")
    elif "population" not in base.columns:
        base["population"] = np.nan
    counts = _site_counts(pd.DataFrame(sites), keys, _day(as_at), acquired_from, acquired_to)
    table = base.merge(counts, left_on="ward_code", right_index=True, how="left")
    count_cols = list(counts.columns)
    table[count_cols] = table[count_cols].fillna(0).astype("int64")
    return _ratio_columns(table, "dispersed_people").reset_index(drop=True)


def lad_measures(ward_table: pd.DataFrame, lad_population: pd.DataFrame | None = None) -> pd.DataFrame:
    """Authority totals from ``ward_measures``; population from ``lad_population`` (lad_code,
    population) if given, else the sum of its wards' estimates (NaN if none has one)."""
    counts = [c for c in ward_table.columns if c.endswith(("_sites", "_people", "_without_count"))
              or c == "properties_acquired"]
    grouped = ward_table.groupby(["lad_code", "lad_name"], dropna=False, sort=True)
    table = grouped[counts].sum().reset_index()
    table["wards"] = grouped.size().to_numpy()
    table["wards_over_threshold"] = grouped["over_threshold"].apply(lambda s: int(s.fillna(False).sum())).to_numpy()
    table["wards_no_estimate"] = grouped["status"].apply(lambda s: int((s == NO_ESTIMATE).sum())).to_numpy()
    if lad_population is not None:
        table = table.merge(lad_population[["lad_code", "population"]].drop_duplicates("lad_code"),
                            on="lad_code", how="left")
    else:
        table["population"] = grouped["population"].sum(min_count=1).to_numpy()
    return _ratio_columns(table, "dispersed_people")


def acquisitions_by_month(sites: pd.DataFrame, level: str = "lad", *, start: date | None = None,
                          end: date | None = None) -> pd.DataFrame:
    """Dispersed properties acquired per calendar month per authority (``level='lad'``) or ward."""
    keys = AREA_KEYS[level]
    disp = pd.DataFrame(sites)
    disp = disp[(disp["site_type"] == "dispersed") & disp[keys[0]].notna()]
    acquired = _dates(disp, "acquired")
    keep = _acquired_within(acquired, start, end)
    disp = disp[keep].assign(month=acquired[keep].dt.to_period("M").astype(str))
    out = disp.groupby(["month", *keys], dropna=False).size().rename("acquisitions").reset_index()
    return out.sort_values(["month", keys[0]], kind="stable").reset_index(drop=True)


def _first_versions(history: pd.DataFrame) -> pd.Series:
    """True on each site's earliest version (lowest version_id, else earliest valid_from)."""
    order = "version_id" if "version_id" in history.columns else "valid_from"
    ranked = history.sort_values(["reference", order], kind="stable")
    first = ~ranked["reference"].duplicated()
    return first.reindex(history.index)


def _in_force(versions: pd.DataFrame, days: pd.Series) -> pd.Series:
    """Mask: each version (paired with a day) is the one in force for its site that day.

    A site's first version also stands for the time before it was first imported: it is the
    best knowledge of a site acquired before the council started keeping records here.
    """
    valid_from = pd.to_datetime(versions["valid_from"])
    valid_to = pd.to_datetime(versions["valid_to"])
    return ((versions["_first_version"] | (valid_from <= days)) & (valid_to.isna() | (valid_to > days))).astype(bool)


def _acquired_within(acquired: pd.Series, start, end) -> pd.Series:
    """Acquisition dates inside [start, end] (either end open when None)."""
    keep = acquired.notna()
    if start is not None:
        keep &= acquired >= _day(start)
    if end is not None:
        keep &= acquired <= _day(end)
    return keep


_HISTORY_COLUMNS = ("version_id", "reference", "site_type", "status", "opened", "closed", "acquired", "people",
                    "valid_from", "valid_to", "ward_code", "ward_name", "lad_code", "lad_name")


def acquisitions_over_threshold(history: pd.DataFrame, population: pd.DataFrame | None = None, *,
                                lad_population: pd.DataFrame | None = None,
                                include_all: bool = False) -> pd.DataFrame:
    """Dispersed properties acquired while their ward or authority was already over 1:200.

    ``history`` is ``SiteStore.site_history()`` (every version). For each acquisition on day A
    the area's dispersed people are summed over the *other* dispersed sites occupied on A - 1,
    each as its version in force that day says. ``population``: ward_code, population (and
    lad_code, to sum authority populations); ``lad_population``: lad_code, population. An area
    with no population estimate gets NaN ratio and is never flagged. ``include_all`` keeps
    acquisitions that were within the limit too.
    """
    # Only the columns the check reads: the pairwise merges below copy every column carried (~6x faster).
    hist = pd.DataFrame(history)[[c for c in _HISTORY_COLUMNS if c in history.columns]].copy()
    hist["valid_from"] = pd.to_datetime(hist["valid_from"])
    hist["valid_to"] = pd.to_datetime(hist["valid_to"]) if "valid_to" in hist else pd.NaT
    hist["first_seen"] = hist.groupby("reference")["valid_from"].transform("min")
    hist["_first_version"] = _first_versions(hist)
    current = hist[hist["valid_to"].isna()]
    acquired = pd.to_datetime(current["acquired"])
    acq = current[(current["site_type"] == "dispersed") & acquired.notna()]
    acq = pd.DataFrame({
        "reference": acq["reference"].to_numpy(),
        "acquired": pd.to_datetime(acq["acquired"]).to_numpy(),
        **{k: acq[k].to_numpy() for k in AREA_KEYS["ward"]},
    })
    acq["_day_before"] = acq["acquired"] - pd.Timedelta(days=1)
    disp = hist[hist["site_type"] == "dispersed"].rename(columns={"reference": "_site"})

    def people_before(key: str) -> pd.Series:
        pairs = acq[["reference", "_day_before", key]].rename_axis("_acq").reset_index().merge(
            disp.drop(columns=[k for k in AREA_KEYS["ward"] if k != key]), on=key, how="inner")
        pairs = pairs[pairs["_site"] != pairs["reference"]]
        if pairs.empty:
            return pd.Series(0, index=acq.index, dtype="int64")
        live = _in_force(pairs, pairs["_day_before"]) & occupied(pairs, pairs["_day_before"])
        people = pd.to_numeric(pairs["people"], errors="coerce").fillna(0)
        total = people[live].groupby(pairs.loc[live, "_acq"]).sum()
        return total.reindex(acq.index, fill_value=0).astype("int64")

    acq["ward_dispersed_before"] = people_before("ward_code")
    acq["lad_dispersed_before"] = people_before("lad_code")
    if population is not None:
        ward_pop = population[["ward_code", "population"]].drop_duplicates("ward_code")
    else:
        ward_pop = pd.DataFrame({"ward_code": pd.Series(dtype=object), "population": pd.Series(dtype="float64")})
    acq = acq.merge(ward_pop.rename(columns={"population": "ward_population"}), on="ward_code", how="left")
    if lad_population is not None:
        lad_pop = lad_population[["lad_code", "population"]].drop_duplicates("lad_code")
    elif population is not None and "lad_code" in population.columns:
        lad_pop = population.drop_duplicates("ward_code").groupby("lad_code")["population"].sum(
            min_count=1).reset_index()
    else:
        lad_pop = pd.DataFrame({"lad_code": pd.Series(dtype=object), "population": pd.Series(dtype="float64")})
    acq = acq.merge(lad_pop.rename(columns={"population": "lad_population"}), on="lad_code", how="left")
    for level in ("ward", "lad"):
        pop = pd.to_numeric(acq[f"{level}_population"], errors="coerce").astype("float64")
        pop = pop.where(pop > 0)
        acq[f"{level}_population"] = pop
        before = acq[f"{level}_dispersed_before"]
        acq[f"{level}_ratio"] = before / pop
        acq[f"{level}_limit_used"] = rules.limit_used(before, pop)
        acq[f"{level}_over"] = rules.over_threshold(before, pop)
    flagged = acq["ward_over"].fillna(False).astype(bool) | acq["lad_over"].fillna(False).astype(bool)
    acq["over_threshold_at_acquisition"] = flagged
    out = acq if include_all else acq[flagged]
    return out.drop(columns=["_day_before"]).sort_values(["acquired", "reference"]).reset_index(drop=True)


# --- the records as a day saw them, and acquisitions in a window ------------------------------------

def in_authorities(frame: pd.DataFrame, lads: Iterable[str] | None) -> pd.DataFrame:
    """Rows of ``frame`` in the given authorities (None or empty: all rows)."""
    wanted = [str(c) for c in (lads or [])]
    if not wanted or "lad_code" not in frame.columns:
        return frame
    return frame[frame["lad_code"].isin(wanted)]


def sites_as_at(db: str | Path, day: date | None = None, organisations: Iterable[str] | None = None):
    """Site records as the store knew them on ``day`` (None: the latest), as a GeoDataFrame.

    ``store.current_sites(day)`` gives the versions in force that day. A site first imported
    later is represented by its first record, as ``measures.acquisitions_over_threshold``
    does, because it is the best knowledge of a site that existed before the council
    started keeping records here. Whether a site housed people that day is a separate
    question (``in_use``), answered from its own dates.
    """
    store = SiteStore(db)  # ``organisations``: the reader's scope (geo.access.scope), None for all
    current = store.current_sites(day, organisations=organisations)
    if day is None:
        return current
    history = store.site_history(organisations=organisations)
    if history.empty:
        return current
    first_seen = history.groupby("reference")["valid_from"].transform("min")
    first = history[(history["valid_from"] == first_seen) & (first_seen > pd.Timestamp(day))]
    first = first.sort_values(["reference", "version_id"]).drop_duplicates("reference")
    first = first[~first["reference"].isin(current["reference"])].assign(first_seen=first_seen)
    if first.empty:
        return current
    geometry = gpd.points_from_xy(first["longitude"], first["latitude"], crs="EPSG:4326")
    later = gpd.GeoDataFrame(first, geometry=geometry, crs="EPSG:4326")
    out = pd.concat([current, later[current.columns]], ignore_index=True)
    return gpd.GeoDataFrame(out.sort_values("reference").reset_index(drop=True), geometry="geometry",
                            crs="EPSG:4326")


def in_use(sites: pd.DataFrame, day: date | None = None) -> pd.Series:
    """Per site: housing people on ``day`` (``measures.occupied``: open, started, not closed)."""
    if sites.empty:
        return pd.Series(False, index=sites.index, dtype=bool)
    return occupied(sites, day)


def acquisition_range(sites: pd.DataFrame) -> tuple[date, date] | None:
    """First and last acquisition dates of dispersed properties (None if none has a date)."""
    frame = pd.DataFrame(sites)
    if frame.empty:
        return None
    when = pd.to_datetime(frame.loc[frame["site_type"] == "dispersed", "acquired"]).dropna()
    if when.empty:
        return None
    return when.min().date(), when.max().date()


def acquisitions_in_window(sites: pd.DataFrame, start: date | None, end: date | None, *,
                           lads: Iterable[str] | None = None) -> pd.DataFrame:
    """Dispersed properties acquired between ``start`` and ``end`` (inclusive), oldest first."""
    frame = in_authorities(pd.DataFrame(sites), lads)
    if frame.empty:
        return frame
    when = pd.to_datetime(frame["acquired"])
    keep = (frame["site_type"] == "dispersed") & when.notna()
    if start is not None:
        keep &= when >= pd.Timestamp(start)
    if end is not None:
        keep &= when <= pd.Timestamp(end)
    return frame[keep].sort_values(["acquired", "reference"]).reset_index(drop=True)
