"""The check: where a ward and a council stand if a proposed property is used, what is around it, what to say.

One function answers a single proposal and a provider's list alike (``check_proposals``), so the
app, the command line and the register always give the same answer. Proposals in one list are
counted together, in list order: the fifth property in a ward is judged with the four before it
already there, and its answer says so.

Where the figures come from (every answer carries these words):
- ward: residents from the ward population file (Census 2021), dispersed people now from the
  council's own open site records (``geo.sites.measures.occupied``);
- council: dispersed people at the latest published quarter (Asy_D11), residents as the Home
  Office uses them (Reg_02), and its fair share of its region's dispersed people
  (``geo.fair_share.fair_shares``);
- around it: sites (open or planned) within 250 m, 500 m and 1 km, measured in metres on the
  British National Grid (EPSG:27700) with a shapely STRtree, never a loop over sites.

All 1:200 arithmetic is ``geo.rules``; all figures in words are ``geo.text``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import fair_share as fs
from geo import rules, text
from geo.check.nearby import arrays, bng, nearby, pairs, split
from geo.check.placement import PlacedProposals
from geo.check.recommend import CONDITIONS, DECISIONS, OBJECT, SUPPORT, recommend
from geo.check.settings import CheckSettings
from geo.errors import GeoError
from geo.sites.join import assign_wards
from geo.sites.measures import occupied

__all__ = ["CONDITIONS", "DECISIONS", "NO_WARD", "OBJECT", "SUPPORT", "CheckContext", "ListResult",
           "build_context", "check_proposals"]
NO_WARD = "the position lies in no ward (offshore, or outside the loaded boundaries): check the position"
WARD_SOURCE = "ward residents: Census 2021; ward dispersed people now: the council's open site records"
LAD_SOURCE = "council: Home Office published figures {period}, residents as Reg_02"


@dataclass
class CheckContext:
    """Everything a check reads, loaded once: wards, councils at the latest quarter, site records, rules."""

    wards: gpd.GeoDataFrame
    lads: pd.DataFrame
    period: pd.Timestamp
    sites: pd.DataFrame
    settings: CheckSettings = field(default_factory=CheckSettings)
    today: date = field(default_factory=date.today)
    sources: str = ""

    def __post_init__(self) -> None:
        sites = pd.DataFrame(self.sites).reset_index(drop=True)
        live = occupied(sites, self.today) if len(sites) else pd.Series(dtype=bool)
        keep = (live | (sites.get("status", pd.Series(dtype=object)) == "planned")) if len(sites) else live
        sites = sites[keep.to_numpy(dtype=bool)] if len(sites) else sites
        sites = sites.assign(_occupied=live[keep].to_numpy(dtype=bool) if len(sites) else [],
                             _people=pd.to_numeric(sites.get("people"), errors="coerce").fillna(0).astype("int64")
                             if len(sites) else [])
        self.live_sites = sites.reset_index(drop=True)
        from geo.access.tracing import is_illustrative

        self.illustrative = is_illustrative(pd.DataFrame(self.sites))  # every answer made from it says so
        east, north = bng(self.live_sites)
        self._site_points = shapely.points(east, north) if len(east) else np.array([], dtype=object)
        self._site_tree = shapely.STRtree(self._site_points)
        self._site_arrays = arrays(self.live_sites, people="_people", kind="site_type")
        # Looked up once per proposal: ward and council rows, and what the site records hold per ward.
        wards = pd.DataFrame(self.wards.drop(columns=self.wards.geometry.name))
        self._ward_rows = wards.drop_duplicates("ward_code").set_index("ward_code")
        self._lad_rows = self.lads.drop_duplicates("lad_code").set_index("lad_code")
        s = self.live_sites
        self._ward_dispersed: dict[str, int] = {}
        self._ward_hotels: dict[str, list[str]] = {}
        self._ward_hotel_people: dict[str, int] = {}
        if len(s):
            disp = s[s["_occupied"] & (s["site_type"] == "dispersed")]
            self._ward_dispersed = {k: int(v) for k, v in disp.groupby("ward_code")["_people"].sum().items()}
            hotels = s[s["site_type"] == "hotel"]
            self._ward_hotels = {k: [str(r) for r in g] for k, g in hotels.groupby("ward_code")["reference"]}
            self._ward_hotel_people = {k: int(v) for k, v in hotels.groupby("ward_code")["_people"].sum().items()}




def build_context(model: Any, sites: pd.DataFrame | None, settings: CheckSettings | None = None,
                  today: date | None = None) -> CheckContext:
    """A context from the loaded model (wards, Asy_D11, Reg_02) and the store's current sites."""
    from geo.measures import lad_table

    if model.wards is None:
        raise GeoError("no ward boundaries loaded: the check needs them")
    period = model.latest_period
    lads = lad_table(model, period)[["lad_code", "lad_name", "region", "nation", "population", "dispersed",
                                     "hotel", "supported"]]
    source = model.source_line("asy_d11", "reg02", "ward_boundaries", "ward_population")
    return CheckContext(wards=model.wards, lads=lads, period=period,
                        sites=sites if sites is not None else _no_sites(), settings=settings or CheckSettings(),
                        today=today or date.today(), sources=source)


def _no_sites() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in
                         ("reference", "site_type", "name", "status", "people", "latitude", "longitude",
                          "easting", "northing", "ward_code", "lad_code", "in_boundary")})


def _num(value: Any) -> Any:
    """JSON-safe number: whole floats as int, NaN as None."""
    if value is None:
        return None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return None
        return int(value) if float(value).is_integer() else round(float(value), 4)
    return value


@dataclass
class ListResult:
    """Answers for every placed proposal, in list order, and the rows rejected with their reasons."""

    results: list[dict[str, Any]]
    rejected: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"results": self.results, "rejected": self.rejected}


def check_proposals(placed: PlacedProposals, ctx: CheckContext) -> ListResult:
    """Judge every proposal cumulatively in list order; a point in no ward is rejected with the reason."""
    frame = placed.proposals.reset_index(drop=True)
    rejected = list(placed.rejected_rows())
    if frame.empty:
        return ListResult([], rejected)
    joined = pd.DataFrame(assign_wards(frame, ctx.wards).drop(columns="geometry"))
    outside = ~joined["in_boundary"].astype(bool)
    rejected += [{"row": int(r), "column": "position", "reason": NO_WARD} for r in joined.loc[outside, "row"]]
    rejected.sort(key=lambda r: r["row"])
    joined = joined[~outside].reset_index(drop=True)
    east, north = bng(joined)
    points = shapely.points(east, north)
    near_sites = split(pairs(ctx._site_tree, ctx._site_points, points))
    near_props = pairs(shapely.STRtree(points), points, points)
    earlier_props = split(near_props[near_props["item"] < near_props["query"]])
    empty = pairs(ctx._site_tree, ctx._site_points, points[:0])
    prop_arrays = arrays(joined, people="people", kind="site_type", status=None)
    results: list[dict[str, Any]] = []
    added_ward: dict[str, int] = {}
    added_lad: dict[str, int] = {}
    hotels_added: dict[str, list[str]] = {}
    for i, prop in enumerate(joined.to_dict("records")):
        answer = _answer(i, prop, ctx, near_sites.get(i, empty), earlier_props.get(i, empty), joined,
                         prop_arrays, added_ward, added_lad, hotels_added, (east[i], north[i]))
        results.append(answer)
        counted = answer["added_to_limit"]
        added_ward[prop["ward_code"]] = added_ward.get(prop["ward_code"], 0) + counted
        added_lad[prop["lad_code"]] = added_lad.get(prop["lad_code"], 0) + counted
        if prop["site_type"] == "hotel":
            hotels_added.setdefault(prop["ward_code"], []).append(str(prop["reference"]))
    for answer, fair in zip(results, _fair_shares(ctx, results), strict=True):
        answer.update(fair)
    return ListResult(results, rejected)


def _answer(i: int, prop: dict[str, Any], ctx: CheckContext, near: pd.DataFrame, earlier: pd.DataFrame,
            joined: pd.DataFrame, prop_arrays: dict[str, np.ndarray], added_ward: dict[str, int],
            added_lad: dict[str, int], hotels_added: dict[str, list[str]],
            point: tuple[float, float]) -> dict[str, Any]:
    s = ctx.settings
    ward, lad = prop["ward_code"], prop["lad_code"]
    people = int(prop["people"])
    added = people if s.counts_toward_limit(prop["site_type"]) else 0
    from_records = ctx._ward_dispersed.get(ward, 0)
    earlier_in_ward = int((joined["ward_code"].iloc[:i] == ward).sum())
    ward_now = from_records + added_ward.get(ward, 0)
    ward_row = ctx._ward_rows.loc[ward]
    residents = ward_row.get("population")
    known_lad = lad in ctx._lad_rows.index
    lad_residents = ctx._lad_rows.at[lad, "population"] if known_lad else float("nan")
    lad_published = int(ctx._lad_rows.at[lad, "dispersed"]) if known_lad else 0
    lad_now = lad_published + added_lad.get(lad, 0)
    hotel_refs = ctx._ward_hotels.get(ward, []) + hotels_added.get(ward, [])

    answer: dict[str, Any] = {
        "row": _num(prop["row"]), "reference": str(prop["reference"]), "type": prop["site_type"],
        "people": people, "added_to_limit": added,
        "name": prop.get("name"), "address": prop.get("address"), "postcode": prop.get("postcode"),
        "provider": prop.get("provider"),
        "latitude": round(float(prop["latitude"]), 6), "longitude": round(float(prop["longitude"]), 6),
        "easting": round(float(point[0]), 1), "northing": round(float(point[1]), 1),
        "position_source": prop.get("position_source"),
        "ward_code": ward, "ward_name": ward_row["ward_name"], "lad_code": lad, "lad_name": ward_row["lad_name"],
        "region": ward_row.get("region"),
        "ward_residents": _num(residents), "ward_dispersed_now": ward_now,
        "ward_dispersed_from_records": from_records,
        "ward_limit": _num(rules.capacity(residents)),
        "ward_headroom_now": _num(rules.headroom(ward_now, residents)),
        "ward_headroom_after": _num(rules.headroom(ward_now + added, residents)),
        "ward_status_now": rules.status(ward_now, residents),
        "ward_status_after": rules.status_after(ward_now, added, residents),
        "lad_residents": _num(lad_residents), "lad_dispersed_published": lad_published,
        "lad_dispersed_now": lad_now, "lad_period": ctx.period.date().isoformat(),
        "lad_limit": _num(rules.capacity(lad_residents)),
        "lad_headroom_now": _num(rules.headroom(lad_now, lad_residents)),
        "lad_headroom_after": _num(rules.headroom(lad_now + added, lad_residents)),
        "lad_status_now": rules.status(lad_now, lad_residents),
        "lad_status_after": rules.status_after(lad_now, added, lad_residents),
        # filled for the whole list at once by _fair_shares
        "lad_fair_share_people": None, "lad_fair_share_status_now": None, "lad_fair_share_status_after": None,
        "hotels_in_ward": len(hotel_refs),
        "hotels_in_ward_people": ctx._ward_hotel_people.get(ward, 0) + int(
            joined["people"].iloc[:i][(joined["ward_code"].iloc[:i] == ward).to_numpy()
                                      & (joined["site_type"].iloc[:i] == "hotel").to_numpy()].sum()),
        "hotel_references": hotel_refs,
        "earlier_in_list_same_ward": earlier_in_ward,
    }
    answer.update(nearby(near, earlier, ctx._site_arrays, prop_arrays, str(prop["reference"])))
    answer.update(recommend(answer, s))
    answer["counted_together"] = (
        f"Counted with {earlier_in_ward} earlier {'proposal' if earlier_in_ward == 1 else 'proposals'} in this "
        "list in the same ward." if earlier_in_ward else "")
    answer["sources"] = f"{WARD_SOURCE}; {LAD_SOURCE.format(period=text.as_at(ctx.period))}"
    answer["illustrative"] = bool(ctx.illustrative)  # kept with the answer: its response says so later
    return answer


def _fair_shares(ctx: CheckContext, answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each council against its fair share of its region's dispersed people, now and with the property.

    One ``geo.fair_share.fair_shares`` call for the whole list: every (proposal, now/after) is a
    copy of the council's region with its figure put in, grouped apart by a scenario key.
    """
    lads = ctx.lads.assign(region=ctx.lads["region"].fillna(ctx.lads.get("nation")))
    region_of = dict(zip(lads["lad_code"], lads["region"], strict=True))
    regions = {r: g for r, g in lads.groupby("region", sort=False)}
    copies: list[pd.DataFrame] = []
    keys: list[str | None] = []
    for n, a in enumerate(answers):
        if a["lad_code"] not in region_of:
            keys.append(None)
            continue
        rows = regions[region_of[a["lad_code"]]]
        for state, value in (("now", a["lad_dispersed_now"]), ("after", a["lad_dispersed_now"] + a["added_to_limit"])):
            key = f"{n}|{state}"
            copies.append(rows.assign(region=key, dispersed=np.where(rows["lad_code"] == a["lad_code"], value,
                                                                       rows["dispersed"])))
        keys.append(a["lad_code"])
    if not copies:
        shares = pd.DataFrame(columns=["group", "lad_code", "status", "fair_share_people"])
    else:
        shares = fs.fair_shares(pd.concat(copies, ignore_index=True), group="region", measure="dispersed")
    table = shares.set_index(["group", "lad_code"])
    out = []
    for n, lad in enumerate(keys):
        if lad is None:
            out.append({"lad_fair_share_people": None, "lad_fair_share_status_now": fs.NO_POPULATION,
                        "lad_fair_share_status_after": fs.NO_POPULATION})
            continue
        now, after = table.loc[(f"{n}|now", lad)], table.loc[(f"{n}|after", lad)]
        fair = after["fair_share_people"]
        out.append({"lad_fair_share_people": _num(round(float(fair), 1)) if pd.notna(fair) else None,
                    "lad_fair_share_status_now": str(now["status"]),
                    "lad_fair_share_status_after": str(after["status"])})
    return out


