"""`python -m geo fair-share`: the place-based fair share from the shell, the same numbers as the page.

Thin: parse, call ``geo.place_share.compute``, print. Bad input is a GeoError: one line, exit 2.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pandas as pd

from geo import pressure_share as ps
from geo import rules
from geo.errors import GeoError


def register(subparsers: Any) -> None:
    """Add the ``fair-share`` command."""
    p = subparsers.add_parser("fair-share", help="place-based fair share: population adjusted by local pressures")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--region", help="an English region or a nation, e.g. 'North West' or 'Wales'")
    where.add_argument("--uk", action="store_true", help="compare every council with the whole UK")
    p.add_argument("--period", help="quarter end, YYYY-MM-DD (default: the latest loaded)")
    p.add_argument("--schemes", default="asylum", help="what is shared: asylum[,ukraine,afghan] (default asylum)")
    p.add_argument("--measure", choices=tuple(ps.MEASURES), default="supported",
                   help="asylum measure: supported (all accommodation) or dispersed")
    p.add_argument("--pressures", default="",
                   help="weights, e.g. deprivation=0.3,homelessness=0.3,affordability=0.15,rents=0.1,uasc=0.15 "
                        "(absent = 0; all 0 = population shares)")
    p.add_argument("--indicators", type=Path, help="a partnership's own indicators CSV (with its .json sidecar)")
    p.add_argument("--limit-per", type=int, default=rules.CLUSTER_LIMIT,
                   help=f"cap: one person per N residents (default {rules.CLUSTER_LIMIT})")
    p.add_argument("--data-dir", type=Path, help="folder with the official data files")
    p.add_argument("--offline", action="store_true", help="never download official files")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=cmd_fair_share)


def cmd_fair_share(args: argparse.Namespace) -> int:
    from geo import place_share
    from geo.model import load_model

    model = load_model(args.data_dir, allow_download=not args.offline)
    period = pd.Timestamp(args.period) if args.period else model.latest_period
    if period not in set(model.periods):
        raise GeoError(f"{period.date().isoformat()} is not a loaded quarter; loaded: "
                       f"{model.periods[0].date().isoformat()} to {model.latest_period.date().isoformat()}")
    request = place_share.Request(
        area=place_share.UK if args.uk else args.region, period=period, measure=args.measure,
        schemes=ps.parse_schemes(args.schemes), weights=tuple(ps.parse_weights(args.pressures).items()),
        indicators_file=str(args.indicators) if args.indicators else None, limit_per=args.limit_per)
    result = place_share.compute(model, request, data_dir=args.data_dir)
    payload = place_share.as_json(result, request)
    if args.json:
        print(json.dumps(payload, ensure_ascii=False))
        return 0
    print(payload["rule"])
    print(f"Formula: {payload['formula']}")
    print(f"Total shared: {payload['total']:,.0f}; not placeable under the limit: {payload['unplaced']:,.0f}")
    for c in sorted(payload["councils"], key=lambda c: str(c["lad_name"])):
        fair = c["fair_share"]
        print(f"{c['lad_code']}  {str(c['lad_name'])[:32]:32}  fair share "
              f"{'n/a' if fair is None else format(fair, ',.1f'):>10}  {c['status']}"
              + (f"  missing: {', '.join(c['missing'])}" if c["missing"] else ""))
    return 0
