"""A seeded generator of believable but ILLUSTRATIVE site records, for demos and tests.

Real site lists are confidential, so demos need stand-ins that behave like them: sites
inside real wards of named authorities, dispersed-people totals per authority that add up
to the published Home Office figure for the chosen quarter (passed in, never hard-coded),
hotels as a few large sites, acquisitions spread over the three years before the quarter.
Every row's notes and the file name say "ILLUSTRATIVE - not real sites" so a sample can
never be mistaken for real addresses. ``messy=True`` adds one row for each common mistake.
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from geo.errors import DataError
from geo.text import quarter_label

ILLUSTRATIVE = "ILLUSTRATIVE - not real sites"
SCALED_TO = "people scaled to the Home Office figures at "  # then the quarter: said wherever the sample is shown
DEFAULT_LADS: tuple[str, ...] = ("E08000012", "S12000049", "E08000025", "E09000017")
HOTEL_MEAN_PEOPLE = 120
DISPERSED_SIZES = np.array([1, 2, 3, 4, 5, 6, 7, 8])
DISPERSED_WEIGHTS = np.array([0.16, 0.2, 0.18, 0.16, 0.12, 0.09, 0.05, 0.04])
PROVIDERS = ("Provider A", "Provider B", "Provider C")
COLUMNS = ("Site ID", "Site type", "Name", "Address", "Post Code", "Latitude", "Longitude", "Bed spaces",
           "People accommodated", "Provider", "Status", "Date opened", "Date closed", "Date acquired",
           "Local authority", "Notes")


def sample_file_name(seed: int = 0) -> str:
    return f"{ILLUSTRATIVE} - sample sites (seed {seed}).csv"


def totals_from_asy_d11(table: pd.DataFrame, period: date | str | None = None) -> pd.DataFrame:
    """lad_code, lad_name, dispersed_people, hotel_people, as_at from the tidy Asy_D11 table
    (``geo.asylum_stats.read_asy_d11(...).table``), for ``period`` or the latest quarter."""
    periods = pd.to_datetime(table["period"])
    when = pd.Timestamp(period) if period is not None else periods.max()
    rows = table[(periods == when) & table["lad_code"].notna()]
    if rows.empty:
        raise DataError(f"no Asy_D11 rows for {when.date()}")
    kind = rows["accommodation_type"].astype(str).str.lower()
    pick = {"dispersed_people": kind.str.startswith("dispersal"), "hotel_people": kind.str.contains("hotel")}
    names = rows.groupby("lad_code")["lad_name"].first()
    out = pd.DataFrame({k: rows[m].groupby(rows.loc[m, "lad_code"])["people"].sum() for k, m in pick.items()})
    out = out.reindex(names.index).fillna(0).astype("int64")
    out.insert(0, "lad_name", names)
    out["as_at"] = when.date()
    return out.reset_index()


def totals_from_reg02(frame: pd.DataFrame) -> pd.DataFrame:
    """The same table from Reg_02 (``geo.asylum_stats.read_reg02``). Reg_02 counts hotels and other
    contingency together, so ``hotel_people`` there is all contingency accommodation."""
    out = pd.DataFrame({
        "lad_code": frame["lad_code"], "lad_name": frame["lad_name"],
        "dispersed_people": pd.to_numeric(frame["dispersal_accommodation"]).fillna(0).astype("int64"),
        "hotel_people": pd.to_numeric(frame["contingency_accommodation"]).fillna(0).astype("int64"),
        "as_at": pd.to_datetime(frame["as_at"]).dt.date,
    })
    return out.reset_index(drop=True)


def _points_in(geom, k: int, rng: np.random.Generator) -> np.ndarray:
    """k uniformly random (x, y) inside a polygon, by rejection sampling in its bounding box."""
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    found = np.empty((0, 2))
    for _ in range(200):
        xy = np.column_stack([rng.uniform(minx, maxx, 4 * k + 16), rng.uniform(miny, maxy, 4 * k + 16)])
        found = np.vstack([found, xy[shapely.contains_xy(geom, xy[:, 0], xy[:, 1])]])
        if len(found) >= k:
            return found[:k]
    rep = geom.representative_point()
    return np.array([[rep.x, rep.y]] * k)


def _exclusive(lad_wards, all_wards) -> list:
    """Each ward's polygon minus any overlap with other wards, so a sampled point joins back to
    exactly that ward (generalised boundaries overlap slightly along shared edges)."""
    tree = all_wards.sindex
    geoms = all_wards.geometry.values
    codes = all_wards["ward_code"].to_numpy()
    out = []
    for code, geom in zip(lad_wards["ward_code"], lad_wards.geometry.values, strict=True):
        near = [i for i in tree.query(geom, predicate="intersects") if codes[i] != code]
        others = [geoms[i] for i in near if shapely.area(shapely.intersection(geom, geoms[i])) > 0]
        exclusive = shapely.difference(geom, shapely.union_all(others)) if others else geom
        out.append(exclusive if not exclusive.is_empty and exclusive.area > 0 else geom)
    return out


def _split(total: int, parts: int, rng: np.random.Generator) -> np.ndarray:
    """Split ``total`` into ``parts`` positive whole numbers of varied size summing exactly to total."""
    if parts <= 0:
        return np.zeros(0, dtype=int)
    shares = rng.dirichlet(np.full(parts, 3.0)) * (total - parts)
    whole = np.floor(shares).astype(int)
    rest = (total - parts) - whole.sum()
    whole[np.argsort(shares - whole)[::-1][:rest]] += 1
    return whole + 1


def _dispersed_sizes(total: int, rng: np.random.Generator) -> np.ndarray:
    sizes = rng.choice(DISPERSED_SIZES, size=max(1, total // 2 + 8), p=DISPERSED_WEIGHTS)
    while sizes.sum() < total:
        sizes = np.concatenate([sizes, rng.choice(DISPERSED_SIZES, size=8, p=DISPERSED_WEIGHTS)])
    cum = np.cumsum(sizes)
    n = int(np.searchsorted(cum, total) + 1)
    sizes = sizes[:n].copy()
    sizes[-1] -= int(cum[n - 1] - total)
    return sizes[sizes > 0]


def _uk(d: date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def _lad_rows(lad_code: str, lad_name: str, wards: pd.DataFrame, areas: list, dispersed: int, hotel: int,
              as_at: date, rng: np.random.Generator) -> list[dict]:
    rows: list[dict] = []
    weights = rng.gamma(0.6, size=len(wards)) + 1e-9
    weights /= weights.sum()
    provider = PROVIDERS[int(rng.integers(len(PROVIDERS)))]
    three_years = 3 * 365

    def place(n: int, w: np.ndarray) -> list[tuple[str, float, float]]:
        picks = rng.choice(len(wards), size=n, p=w)
        out: list[tuple[str, float, float]] = [("", 0.0, 0.0)] * n
        for i in np.unique(picks):
            where = np.flatnonzero(picks == i)
            xy = _points_in(areas[i], len(where), rng)
            for j, (x, y) in zip(where, xy, strict=True):
                out[j] = (str(wards["ward_name"].iloc[i]), float(x), float(y))
        return out

    sizes = _dispersed_sizes(dispersed, rng) if dispersed > 0 else np.zeros(0, dtype=int)
    n_closed = int(round(len(sizes) * 0.08))
    n_planned = int(round(len(sizes) * 0.03))
    statuses = ["open"] * len(sizes) + ["closed"] * n_closed + ["planned"] * n_planned
    people = list(sizes) + [0] * (n_closed + n_planned)
    spots = place(len(statuses), weights)
    for i, (status, count, (ward, x, y)) in enumerate(zip(statuses, people, spots, strict=True), start=1):
        acquired = as_at - timedelta(days=int(rng.integers(0, three_years)))
        opened = min(acquired + timedelta(days=int(rng.integers(7, 60))), as_at)
        closed = None
        if status == "closed":
            closed = opened + timedelta(days=int(rng.integers(1, max(2, (as_at - opened).days + 1))))
            closed = min(closed, as_at)
        if status == "planned":
            acquired = as_at - timedelta(days=int(rng.integers(0, 30)))
            opened = as_at + timedelta(days=int(rng.integers(7, 60)))
        beds = int(count) + int(rng.integers(0, 3)) if count else int(rng.integers(2, 7))
        rows.append(_row(f"{lad_code}-D{i:04d}", "Dispersed property", "", f"{int(rng.integers(1, 240))} "
                         f"Example Street, {ward}", y, x, beds, int(count), provider, status, opened,
                         closed, acquired, lad_name))

    n_hotels = int(np.clip(round(hotel / HOTEL_MEAN_PEOPLE), 1, 40)) if hotel > 0 else 0
    hotel_people = _split(hotel, n_hotels, rng) if n_hotels else np.zeros(0, dtype=int)
    n_exited = 2 if n_hotels else 0
    uniform = np.full(len(wards), 1 / len(wards))
    spots = place(n_hotels + n_exited, uniform)
    for i, (ward, x, y) in enumerate(spots, start=1):
        count = int(hotel_people[i - 1]) if i <= n_hotels else 0
        status = "open" if i <= n_hotels else "closed"
        opened = as_at - timedelta(days=int(rng.integers(180, 4 * 365)))
        closed = min(opened + timedelta(days=int(rng.integers(90, 700))), as_at) if status == "closed" else None
        beds = max(count, 40) + int(rng.integers(0, max(2, count // 5 + 2)))
        rows.append(_row(f"{lad_code}-H{i:03d}", "Hotel", f"Illustrative Hotel {i}, {lad_name}",
                         f"{int(rng.integers(1, 300))} Example Road, {ward}", y, x, beds, count, provider,
                         status, opened, closed, None, lad_name))
    return rows


def _row(ref: str, kind: str, name: str, address: str, lat: float | str, lon: float | str, beds, people,
         provider: str, status: str, opened: date | None, closed: date | None, acquired: date | None,
         lad_name: str, postcode: str = "") -> dict:
    return dict(zip(COLUMNS, (
        ref, kind, name, address, postcode, lat if isinstance(lat, str) else f"{lat:.6f}",
        lon if isinstance(lon, str) else f"{lon:.6f}", beds, people, provider, status.title(), _uk(opened),
        _uk(closed), _uk(acquired), lad_name, ILLUSTRATIVE), strict=True))


def _messy_rows(good: dict) -> list[dict]:
    """One row per common mistake, otherwise copies of a good row."""
    rows = []
    for i, change in enumerate((
            {"Latitude": "53.4O7"},                            # letter O typed for zero
            {"People accommodated": "-3"},                     # negative count
            {"Date acquired": "31/02/2024"},                   # no such date
            {"Latitude": "", "Longitude": "", "Post Code": ""},  # nowhere to put it
    ), start=1):
        row = dict(good) | change
        row["Site ID"] = f"MESSY-{i}"
        row["Notes"] = f"{ILLUSTRATIVE} (deliberate mistake for the demo)"
        rows.append(row)
    return rows


def generate_sample(wards, totals: pd.DataFrame, *, lads: tuple[str, ...] | list[str] = DEFAULT_LADS,
                    seed: int = 0, messy: bool = False, as_at: date | None = None) -> pd.DataFrame:
    """Illustrative site rows (council-style headings) for ``lads``.

    ``wards``: GeoDataFrame with ward_code, ward_name, lad_code, geometry (EPSG:4326).
    ``totals``: lad_code, dispersed_people, hotel_people (optional lad_name, as_at): open
    dispersed sites of each authority sum exactly to its dispersed_people, open hotels to
    its hotel_people. ``as_at`` defaults to the totals' as_at, else today.
    """
    rng = np.random.default_rng(seed)
    wards = wards.to_crs("EPSG:4326") if wards.crs is not None and wards.crs.to_epsg() != 4326 else wards
    table = totals.drop_duplicates("lad_code").set_index("lad_code")
    if as_at is None:
        as_at = pd.Timestamp(table["as_at"].max()).date() if "as_at" in table and table["as_at"].notna().any() \
            else date.today()
    rows: list[dict] = []
    for lad in lads:
        if lad not in table.index:
            raise DataError(f"no Home Office totals for authority {lad}")
        lad_wards = wards[wards["lad_code"] == lad].sort_values("ward_code").reset_index(drop=True)
        if lad_wards.empty:
            raise DataError(f"no wards for authority {lad} in the ward layer")
        name = str(table.at[lad, "lad_name"]) if "lad_name" in table else \
            str(lad_wards["lad_name"].iloc[0]) if "lad_name" in lad_wards else lad
        rows += _lad_rows(lad, name, lad_wards, _exclusive(lad_wards, wards),
                          int(table.at[lad, "dispersed_people"]), int(table.at[lad, "hotel_people"]), as_at, rng)
    note = f"{ILLUSTRATIVE}; {SCALED_TO}{quarter_label(as_at)}"  # the quarter it matches, in every row
    for row in rows:
        row["Notes"] = note
    if messy and rows:
        rows += _messy_rows(rows[0])
    return pd.DataFrame(rows, columns=list(COLUMNS))


def scaled_to(notes: pd.Series) -> str | None:
    """'30 September 2024': the quarter an illustrative sample's people were scaled to (None if unsaid)."""
    said = notes.dropna().astype(str)
    found = said[said.str.contains(SCALED_TO, regex=False)]
    return found.iloc[0].split(SCALED_TO, 1)[1].strip() if len(found) else None


def scaling_note(notes: pd.Series, shown: date | pd.Timestamp | None) -> str:
    """' Its people are scaled to the Home Office figures at 30 September 2024, not to 31 December 2025.'"""
    when = scaled_to(notes)
    if when is None:
        return ""
    if shown is not None and quarter_label(shown) != when:
        return f" Its people are scaled to the Home Office figures at {when}, not to {quarter_label(shown)}."
    return f" Its people are scaled to the Home Office figures at {when}."


def write_sample(out: str | Path, wards, totals: pd.DataFrame, **options) -> Path:
    """Write ``generate_sample`` to CSV; the file name always carries the ILLUSTRATIVE label
    (a directory gets the default name, a name without it gets it as a prefix)."""
    out = Path(out)
    if out.is_dir():
        out = out / sample_file_name(int(options.get("seed", 0)))
    elif "illustrative" not in out.name.lower():
        out = out.with_name(f"{ILLUSTRATIVE} - {out.name}")
    frame = generate_sample(wards, totals, **options)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False, encoding="utf-8")
    return out
