"""Data-layer commands: stats, boundaries, build."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from geo.asylum_stats import read_asy_d11
from geo.boundaries import read_boundaries
from geo.measures import stats_summary


def register(sub: argparse._SubParsersAction) -> None:
    stats = sub.add_parser("stats", help="figures from an Asy_D11 workbook")
    stats.add_argument("path", type=Path)
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    stats.add_argument("--period", help="quarter end, YYYY-MM-DD (default: latest)")
    stats.set_defaults(func=cmd_stats)

    bounds = sub.add_parser("boundaries", help="detect and check a boundary file")
    bounds.add_argument("path", type=Path)
    bounds.add_argument("--json", action="store_true")
    bounds.set_defaults(func=cmd_boundaries)

    build = sub.add_parser("build", help="resolve every source and build the cache")
    build.add_argument("--data-dir", type=Path, help="folder holding the official files")
    build.add_argument("--cache-dir", type=Path, help="where the cache lives (default ./cache)")
    build.add_argument("--offline", action="store_true", help="never download")
    build.add_argument("--json", action="store_true")
    build.set_defaults(func=cmd_build)


def _emit(result: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(result, indent=None, sort_keys=False))
        return
    for key, value in result.items():
        print(f"{key}: {value}")


def cmd_stats(args: argparse.Namespace) -> int:
    table = read_asy_d11(args.path).table
    _emit(stats_summary(table, args.period), args.json)
    return 0


def cmd_boundaries(args: argparse.Namespace) -> int:
    layer = read_boundaries(args.path)
    _emit({"level": layer.level, "code_column": layer.code_column, "name_column": layer.name_column,
           "features": layer.features, "crs": layer.gdf.crs.to_string(), "source_crs": layer.source_crs,
           "repaired": layer.repaired}, args.json)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from geo.model import load_model, web_layer
    from geo.sources import load_registry

    model = load_model(args.data_dir, args.cache_dir, allow_download=not args.offline)
    for level in ("lad", "ward"):
        if (model.lads if level == "lad" else model.wards) is not None:
            web_layer(model, level)
    used = {sid: {"file": p.file_name, "origin": p.origin, "path": p.path, "sha256": p.sha256,
                  "release": p.release} for sid, p in model.provenance.items()}
    periods = [model.periods[0].date().isoformat(), model.latest_period.date().isoformat()]
    result = {"used": used, "missing": model.missing, "cache": str(model.cache_dir), "periods": periods}
    if args.json:
        print(json.dumps(result))
        return 0
    registry = load_registry()
    for sid, item in used.items():
        print(f"used     {sid:18} {item['file']}  from {item['origin']} ({item['path']})")
    for sid, message in model.missing.items():
        print(f"missing  {sid:18} {registry[sid].title}: {message}")
    print(f"cache    {model.cache_dir}")
    print(f"periods  {periods[0]} to {periods[1]}")
    return 0
