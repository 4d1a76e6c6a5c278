"""The one object the app loads: tidy statistics, boundary layers, populations and provenance.

Everything is built from resolved official files and cached as (Geo)Parquet keyed by the
inputs' checksums, so a second start reads the cache and a new release rebuilds by itself.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from time import monotonic
from typing import TypeVar

import geopandas as gpd
import pandas as pd

from geo import period_table, regional, sources, text
from geo.asylum_stats import read_asy_d11, read_quarterly_totals
from geo.boundaries import attach_lads, read_boundaries, read_ward_lad_lookup, simplify_for_web
from geo.codes import CODE_CHANGES, align_to, nation_of
from geo.errors import GeoError, SourceMissing
from geo.population import attach_population, lad_population_from_reg02, read_ward_population

CACHE_VERSION = "5"  # bump when a builder's output changes shape
WEB_TOLERANCE_M = {"lad": 250.0, "ward": 60.0}
Frame = TypeVar("Frame", pd.DataFrame, gpd.GeoDataFrame)
log = logging.getLogger(__name__)


@dataclass
class Model:
    """Tables and layers the views read, each traceable to the file it came from."""

    stats: pd.DataFrame
    stats_release: str | None
    lads: gpd.GeoDataFrame
    wards: gpd.GeoDataFrame | None
    reg02: pd.DataFrame | None
    quarterly: pd.DataFrame | None
    provenance: dict[str, sources.Provenance]
    missing: dict[str, str] = field(default_factory=dict)
    cache_dir: Path | None = None
    # Per source: codes moved onto the boundary vintage's own (old code -> boundary code).
    code_moves: dict[str, dict[str, str]] = field(default_factory=dict)
    # Each Home Office source's own tidy rows (codes aligned), before `stats` picks one per quarter.
    by_source: dict[str, pd.DataFrame] = field(default_factory=dict)
    # Every edition loaded per source, oldest first (provenance[sid] is the newest).
    editions: dict[str, list[sources.Provenance]] = field(default_factory=dict)
    # Other Home Office schemes per authority per quarter (Reg_02): lad_code, period, ukraine_arrivals,
    # afghan_people, afghan_transitional, afghan_la_housing, afghan_private_rented, three_pathways_total,
    # supported_asylum, population, each with a `<name>_marker` column (the published marker of a
    # withheld or unavailable cell; the figure is then <NA>, never 0), and source, file, release.
    schemes: pd.DataFrame = field(default_factory=lambda: regional.schemes_rows(
        pd.DataFrame({"lad_code": [], "as_at": []}), "", None))
    # Reg_01 figures the sum of Reg_02's rows does not match (one line each), per edition.
    reconciliation: list[str] = field(default_factory=list)
    # Res_D01 when loaded: lad_code, period, scheme, arrivals (quarterly; a marker cell is <NA>).
    resettlement: pd.DataFrame | None = None

    def period_source(self, period: pd.Timestamp | str) -> str | None:
        """Which loaded file speaks for a quarter ('asy_d11', 'reg02' or 'quarterly_totals')."""
        return period_table.period_source(self.stats, period)

    def population_label(self) -> str:
        """'ONS mid-2024 estimate, as used by the Home Office in Reg_02': never the Reg_02 quarter's date."""
        from geo.population import lad_population_label

        source = sources.load_registry().get("reg02")
        return lad_population_label(source.population_vintage if source else None)

    def caveats(self) -> list[str]:
        """Every caveat, with the figures and dates that come from the loaded files."""
        from geo.caveats import caveats_for

        source = sources.load_registry().get("reg02")
        return caveats_for(self.stats, source.population_vintage if source else None)

    def source_tables(self) -> dict[str, pd.DataFrame]:
        """Every source's figures by quarter, authority and measure (for agreement and revisions)."""
        return {sid: period_table.long_table(frame, sid) for sid, frame in self.by_source.items()}

    @property
    def periods(self) -> list[pd.Timestamp]:
        return sorted(pd.to_datetime(self.stats["period"].unique()))

    @property
    def latest_period(self) -> pd.Timestamp:
        return self.periods[-1]

    def source_line(self, *ids: str) -> str:
        """'Source: Home Office, Asy_D11 (file.xlsx, release ...)' for the named sources."""
        return text.source_line(self.provenance, ids)

    def short_source(self, *ids: str) -> str:
        """'Source: Home Office, Asy_D11': a section's caption (the page's foot has the files)."""
        return text.short_source_line(self.provenance, ids)


def _cached(cache: Path, name: str, inputs: list[str], build: Callable[[], Frame]) -> Frame:
    """Read name from the build cache if built from these inputs, else build and store it."""
    key = hashlib.sha256(("|".join([CACHE_VERSION, *inputs])).encode()).hexdigest()[:16]
    path = cache / "built" / f"{name}-{key}.parquet"
    if path.exists():
        try:
            meta = json.loads((path.with_suffix(".json")).read_text())
            frame = gpd.read_parquet(path) if meta.get("geo") else pd.read_parquet(path)
            log.debug("%s read from the build cache %s", name, path)
            return frame
        except (OSError, ValueError) as exc:
            log.warning("build cache entry %s is unreadable (%s); rebuilding it", path, exc)
    log.info("building %s from the source files (no cache entry for these inputs)", name)
    started = monotonic()
    frame = build()
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of this process's own: two servers building the same entry must not write one file.
    tmp = path.with_suffix(f".{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    meta_tmp = tmp.with_suffix(".json.tmp")
    try:
        frame.to_parquet(tmp)
        meta_tmp.write_text(json.dumps({"geo": isinstance(frame, gpd.GeoDataFrame), "inputs": inputs}))
        meta_tmp.replace(path.with_suffix(".json"))  # before the table: a reader that finds it finds both
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
        meta_tmp.unlink(missing_ok=True)
    log.info("built %s in %.1f s: %s rows, cached at %s", name, monotonic() - started, f"{len(frame):,}", path)
    return frame


def resolve_all(data_dir: str | Path | None = None, cache: str | Path | None = None,
                allow_download: bool = True) -> tuple[dict[str, sources.Provenance], dict[str, str]]:
    """Resolve every registered source; collect what is missing instead of stopping at the first."""
    found, missing, _ = resolve_editions(data_dir, cache, allow_download)
    return found, missing


def resolve_editions(data_dir: str | Path | None = None, cache: str | Path | None = None,
                     allow_download: bool = True
                     ) -> tuple[dict[str, sources.Provenance], dict[str, str], dict[str, list[sources.Provenance]]]:
    """(newest file per source, missing sources' messages, every edition per source oldest first)."""
    found: dict[str, sources.Provenance] = {}
    missing: dict[str, str] = {}
    editions: dict[str, list[sources.Provenance]] = {}
    for sid in sources.load_registry():
        try:
            editions[sid] = sources.resolve_editions(sid, data_dir=data_dir, cache=cache)
            found[sid] = (editions[sid][-1] if editions[sid] else
                          sources.resolve(sid, data_dir=data_dir, cache=cache, allow_download=allow_download))
            editions[sid] = editions[sid] or [found[sid]]
        except SourceMissing as exc:
            missing[sid] = str(exc)
            editions.pop(sid, None)
    return found, missing, editions


def _align(frame: pd.DataFrame | None, known: set[str], unique: bool = False
           ) -> tuple[pd.DataFrame | None, dict[str, str]]:
    """Codes onto the boundaries' own; with unique, never onto a code the table already has."""
    if frame is None:
        return None, {}
    codes, moves = align_to(frame["lad_code"], known)
    if unique:
        present = set(frame["lad_code"])
        moves = {old: new for old, new in moves.items() if new not in present}
        codes = frame["lad_code"].map(lambda c: moves.get(c, c))
    if not moves:
        return frame, {}
    return frame.assign(lad_code=codes), moves


def _lad_layer(prov: dict[str, sources.Provenance], stats: pd.DataFrame,
               reg02: pd.DataFrame | None) -> gpd.GeoDataFrame:
    lads = read_boundaries(prov["lad_boundaries"].path).gdf
    known = set(lads["lad_code"])
    stats, _ = _align(stats, known)
    reg02, _ = _align(reg02, known, unique=True)
    if reg02 is not None:
        lads = lads.merge(reg02[["lad_code", "region"]], on="lad_code", how="left")
    else:
        lads["region"] = pd.NA
    latest_region = (stats.dropna(subset=["lad_code"]).sort_values("period")
                     .groupby("lad_code")["region"].last())
    lads["region"] = lads["region"].fillna(lads["lad_code"].map(latest_region))
    lads["nation"] = lads["lad_code"].map(nation_of)
    lads["region"] = lads["region"].fillna(lads["nation"])
    population = lad_population_from_reg02(reg02) if reg02 is not None else None
    return gpd.GeoDataFrame(attach_population(lads, population, "lad_code"), geometry="geometry", crs=lads.crs)


def _ward_layer(prov: dict[str, sources.Provenance], lads: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    wards = read_boundaries(prov["ward_boundaries"].path).gdf
    lookup = read_ward_lad_lookup(prov["ward_lad_lookup"].path) if "ward_lad_lookup" in prov else None
    wards = attach_lads(wards, lads, lookup)
    populations = [read_ward_population(prov[sid].path) for sid in ("ward_population", "ni_ward_population")
                   if sid in prov]
    population = pd.concat(populations, ignore_index=True) if populations else None
    wards = attach_population(wards, population, "ward_code")
    region = lads.set_index("lad_code")["region"]
    wards["region"] = wards["lad_code"].map(region)
    wards["nation"] = wards["lad_code"].map(nation_of)
    return gpd.GeoDataFrame(wards, geometry="geometry", crs=lads.crs)


def _newest_per_quarter(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Editions of one source (oldest first) as one table: each quarter from the newest edition giving it."""
    taken: set[pd.Timestamp] = set()
    parts = []
    for frame in reversed(frames):
        periods = set(pd.to_datetime(frame["period"].unique()))
        parts.append(frame[pd.to_datetime(frame["period"]).isin(periods - taken)])
        taken |= periods
    return pd.concat(parts[::-1], ignore_index=True)


def _read_regional(prov: sources.Provenance) -> tuple[regional.Regional, sources.Provenance]:
    """One Reg_02 edition, its provenance dated by the edition's own title (not the registry's)."""
    edition = regional.read_regional(prov.path)
    release = f"As at {text.quarter_label(edition.as_at)}" + (f" ({edition.release})" if edition.release else "")
    return edition, dataclasses.replace(prov, release=release)


def load_model(data_dir: str | Path | None = None, cache: str | Path | None = None,
               allow_download: bool = True) -> Model:
    """Resolve, read and join everything; raise SourceMissing naming every required file absent."""
    cache_path = sources.cache_dir(cache)
    prov, missing, editions = resolve_editions(data_dir, cache, allow_download)
    required = [sid for sid, s in sources.load_registry().items() if s.required and sid in missing]
    if required:
        raise SourceMissing(" | ".join(missing[sid] for sid in required))

    def sha(*ids: str) -> list[str]:
        # The code-change table shapes every join, so an edit to it rebuilds the cache too.
        return ([e.sha256 for i in ids for e in editions.get(i, [])]
                + [hashlib.sha256(CODE_CHANGES.read_bytes()).hexdigest()])

    def build_stats(edition: sources.Provenance) -> pd.DataFrame:
        d11 = read_asy_d11(edition.path)
        # The workbook states its own release; keep it with the rows so the cache carries it.
        return d11.table.assign(release=d11.release or edition.release, sheet=d11.sheet, file=edition.file_name)

    stats = _newest_per_quarter([_cached(cache_path, "asy_d11", [e.sha256, *sha()], partial(build_stats, e))
                                 for e in editions["asy_d11"]])
    regionals = []
    for i, edition in enumerate(editions.get("reg02", [])):
        read, editions["reg02"][i] = _read_regional(edition)
        regionals.append(read)
    if regionals:
        prov["reg02"] = editions["reg02"][-1]
    reg02 = regionals[-1].reg02 if regionals else None
    quarterly = read_quarterly_totals(prov["quarterly_totals"].path) if "quarterly_totals" in prov else None
    lads = _cached(cache_path, "lads", sha("lad_boundaries", "reg02", "asy_d11"),
                   lambda: _lad_layer(prov, stats, reg02))
    wards = None
    if "ward_boundaries" in prov:
        wards = _cached(cache_path, "wards", sha("ward_boundaries", "ward_lad_lookup", "ward_population",
                                                 "ni_ward_population", "lad_boundaries", "reg02", "asy_d11"),
                        lambda: _ward_layer(prov, lads))
    known = set(lads["lad_code"])
    stats, stats_moves = _align(stats, known)
    reg02, reg02_moves = _align(reg02, known, unique=True)
    quarterly, quarterly_moves = _align(quarterly, known, unique=True)
    moves = {sid: m for sid, m in (("asy_d11", stats_moves), ("reg02", reg02_moves),
                                   ("quarterly_totals", quarterly_moves)) if m}
    by_source = _by_source(prov, stats, regionals, quarterly, lads, known)
    schemes = _schemes(regionals, editions.get("reg02", []), known)
    checks = [f"{r.file.name}: {line}" for r in regionals for line in r.differences]
    resettlement = regional.read_res_d01(prov["res_d01"].path) if "res_d01" in prov else None
    if resettlement is not None:
        resettlement, _ = _align(resettlement, known)
    release = str(by_source["asy_d11"]["release"].iloc[-1])
    return Model(stats=period_table.combine(by_source), stats_release=release, lads=lads,
                 wards=wards, reg02=reg02, quarterly=quarterly, provenance=prov, missing=missing,
                 cache_dir=cache_path, code_moves=moves, by_source=by_source, editions=editions,
                 schemes=schemes, reconciliation=checks, resettlement=resettlement)


def _schemes(regionals: list[regional.Regional], editions: list[sources.Provenance],
             known: set[str]) -> pd.DataFrame:
    """Model.schemes: every Reg_02 edition's other-scheme figures on the boundaries' codes."""
    frames = [regional.schemes_rows(r.reg02, p.file_name, p.release) for r, p in zip(regionals, editions, strict=True)]
    if not frames:
        return regional.schemes_rows(pd.DataFrame({"lad_code": [], "as_at": []}), "", None)
    # Two editions for one quarter (a re-release): the newer one speaks, as in the period table.
    out = pd.concat(frames, ignore_index=True).drop_duplicates(["lad_code", "period"], keep="last")
    aligned, _ = _align(out, known)
    return (aligned if aligned is not None else out).reset_index(drop=True)


def _by_source(prov: dict[str, sources.Provenance], stats: pd.DataFrame, regionals: list[regional.Regional],
               quarterly: pd.DataFrame | None, lads: gpd.GeoDataFrame, known: set[str]) -> dict[str, pd.DataFrame]:
    """Each Home Office file as tidy rows on the boundaries' codes, tagged with its source."""
    out = {"asy_d11": stats.assign(source="asy_d11")}
    names = lads.set_index("lad_code")["lad_name"] if "lad_name" in lads.columns else None
    if regionals:
        rows = [period_table.reg02_rows(_align(r.reg02, known, unique=True)[0], r.file.name) for r in regionals]
        out["reg02"] = _newest_per_quarter(rows)
    if quarterly is not None:
        rows = period_table.quarterly_rows(quarterly, prov["quarterly_totals"].release, names)
        area = lads.set_index("lad_code")
        rows["region"] = rows["lad_code"].map(area["region"])
        rows["nation"] = rows["lad_code"].map(nation_of)
        out["quarterly_totals"] = rows
    return out


def web_layer(model: Model, level: str) -> gpd.GeoDataFrame:
    """Simplified copy of a layer for the browser (every feature kept), cached beside the model."""
    layer = model.lads if level == "lad" else model.wards
    if layer is None:
        raise GeoError(f"no {level} boundaries loaded")
    source_id = "lad_boundaries" if level == "lad" else "ward_boundaries"
    inputs = [model.provenance[source_id].sha256, str(WEB_TOLERANCE_M[level])]
    cache = model.cache_dir or sources.cache_dir()
    keep = [c for c in layer.columns if c != "area_km2"]
    return _cached(cache, f"{level}_web", inputs,
                   lambda: simplify_for_web(layer[keep], WEB_TOLERANCE_M[level]))


def ward_vintage(model: Model) -> str:
    """Names the boundary vintage site joins were made against (stored with every import batch)."""
    prov = model.provenance["ward_boundaries"]
    return f"{prov.title} ({prov.file_name}, sha256 {prov.sha256[:12]})"


def load_ward_layer(data_dir: str | Path | None = None, cache: str | Path | None = None) -> gpd.GeoDataFrame:
    """The ward layer sites are joined to, tagged with its vintage."""
    model = load_model(data_dir, cache)
    if model.wards is None:
        raise SourceMissing(model.missing.get("ward_boundaries", "no ward boundaries loaded"))
    wards = model.wards.copy()
    wards.attrs["vintage"] = ward_vintage(model)
    return wards
