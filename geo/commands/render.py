"""`python -m geo snapshot ...` and `python -m geo briefing ...`: the static outputs from the shell.

Why: a council analyst on a locked-down machine can make the same files the app makes, from
the same model and classes, in a script or a scheduled job. Errors are GeoError/DataError, so
the entry point prints one line and exits 2.
"""
from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

import pandas as pd

from geo.commands.caller import add_caller, caller
from geo.errors import DataError, GeoError

SITE_NEEDS = ("site_type", "people")


def _made_on(text: str | None) -> date:
    """The 'made on' date printed on the output: today unless given (for reproducible runs)."""
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DataError(f"--made-on {text!r} is not a date; use YYYY-MM-DD") from None


def read_sites(path: Path) -> pd.DataFrame:
    """Site records from CSV, GeoJSON, GeoPackage or Parquet, checked for the columns we use."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise DataError("no such file", file=path)
    if suffix == ".csv":
        frame = pd.read_csv(path)
    elif suffix == ".parquet":
        frame = pd.read_parquet(path)
    elif suffix in (".geojson", ".json", ".gpkg"):
        import geopandas as gpd

        frame = gpd.read_file(path)
        if "longitude" not in frame.columns and frame.geometry is not None:
            points = frame.geometry.to_crs("EPSG:4326")
            frame = frame.assign(longitude=points.x, latitude=points.y)
    else:
        raise DataError("site records must be .csv, .geojson, .gpkg or .parquet", file=path)
    missing = [c for c in SITE_NEEDS if c not in frame.columns]
    if "ward_code" not in frame.columns and not {"latitude", "longitude"} <= set(frame.columns):
        missing.append("ward_code or latitude/longitude")
    if missing:
        raise DataError(f"site records lack {', '.join(missing)}", file=path)
    return frame


def _model(args: argparse.Namespace):
    from geo.model import load_model

    return load_model(args.data_dir, getattr(args, "cache_dir", None), allow_download=not args.offline)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--period", help="quarter end, YYYY-MM-DD (default: latest)")
    parser.add_argument("--data-dir", type=Path, help="folder holding the official files")
    parser.add_argument("--cache-dir", type=Path, help="where the cache lives (default ./cache)")
    parser.add_argument("--offline", action="store_true", help="never download")
    parser.add_argument("--sites", type=Path, help="site records (adds ward figures; marks the output "
                                                   "OFFICIAL-SENSITIVE)")
    parser.add_argument("--made-on", help="date printed as 'made on', YYYY-MM-DD (default: today)")
    parser.add_argument("--marking", help="raise the marking (OFFICIAL-SENSITIVE); never lowers it")
    parser.add_argument("--out", type=Path, required=True, help="output file")
    parser.add_argument("--db", type=Path, help="store for the export trace and audit log (default: AAM_SITES_DB "
                                                "or cache/sites.sqlite)")
    add_caller(parser)  # the member making the file


def register(sub: argparse._SubParsersAction) -> None:
    snap = sub.add_parser("snapshot", help="a map as PNG, SVG or PDF (format from --out)")
    snap.add_argument("--level", choices=("lad", "ward"), default="lad")
    snap.add_argument("--lad", help="authority code (or exact name)")
    snap.add_argument("--region", help="region or nation name")
    snap.add_argument("--measure", required=True,
                      help="per_1000, hotel, contingency, dispersed, limit_used, supported (geo.measures.MEASURES; "
                           "each for the quarters whose file publishes it; contingency is hotels and other "
                           "sites together, the one contingency figure Reg_02 gives)")
    snap.add_argument("--method", default="quantiles", choices=("quantiles", "natural_breaks"))
    snap.add_argument("--aspect", default="16:9", choices=("16:9", "A4"))
    snap.add_argument("--dpi", type=int, default=150, help="150 for screens, 300 or more for print")
    _common(snap)
    snap.set_defaults(func=cmd_snapshot)

    brief = sub.add_parser("briefing", help="the A4 landscape briefing pack as PDF")
    where = brief.add_mutually_exclusive_group()
    where.add_argument("--lad", help="authority code (or exact name)")
    where.add_argument("--region", help="region or nation name")
    brief.add_argument("--pressures", default=None,
                       help="weights for the place-based fair share's method page, e.g. deprivation=0.15,uasc=0.1 "
                            "(default: the documented defaults; 'none' for population only)")
    brief.add_argument("--schemes", default="asylum", help="what the place-based fair share shares: "
                                                         "asylum[,ukraine,afghan]")
    _common(brief)
    brief.set_defaults(func=cmd_briefing)


def cmd_snapshot(args: argparse.Namespace) -> int:
    from geo.render.static_map import check_measure, snapshot

    check_measure(args.measure)  # before loading anything, so a typo fails fast
    if args.lad and args.region:
        raise GeoError("give --lad or --region, not both")
    model = _model(args)
    sites = read_sites(args.sites) if args.sites else None
    out = snapshot(model, level=args.level, measure=args.measure, period=args.period, lad_code=args.lad,
                   region=args.region, method=args.method, aspect=args.aspect, dpi=args.dpi, out=args.out,
                   made_on=_made_on(args.made_on), marking=args.marking, sites=sites)
    _traced(args, out, sites)
    print(out)
    return 0


def cmd_briefing(args: argparse.Namespace) -> int:
    from geo import pressure_share as ps
    from geo.render.briefing import briefing_pack

    if args.out.suffix.lower() != ".pdf":
        raise GeoError(f"the briefing is a PDF: name the output .pdf, not {args.out.name}")
    weights = None if args.pressures is None else \
        {} if args.pressures.strip().lower() == "none" else ps.parse_weights(args.pressures)
    schemes = ps.parse_schemes(args.schemes)
    model = _model(args)
    sites = read_sites(args.sites) if args.sites else None
    out = briefing_pack(model, lad_code=args.lad, region=args.region, period=args.period, out=args.out,
                        made_on=_made_on(args.made_on), sites=sites, marking=args.marking,
                        place_weights=weights, place_schemes=schemes)
    _traced(args, out, sites)
    print(out)
    return 0


def _traced(args: argparse.Namespace, out: Path, sites: pd.DataFrame | None) -> None:
    """Stamp the written file with an export ID, the member, organisation and time, and log it
    (``geo.access.tracing``), so a file found later can be traced to who made it."""
    import os

    from geo.access.tracing import is_illustrative, stamp_export
    from geo.sources import cache_dir

    db = args.db or Path(os.environ.get("AAM_SITES_DB") or cache_dir(getattr(args, "cache_dir", None)) / "sites.sqlite")
    member = caller(args, db)
    selection = {k: str(v) for k, v in vars(args).items() if k not in ("func", "token") and v is not None}
    fmt = out.suffix.lower().lstrip(".")
    out.write_bytes(stamp_export(db, member, out.read_bytes(), fmt, selection=selection,
                                 illustrative=sites is not None and is_illustrative(sites)))
