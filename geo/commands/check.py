"""`python -m geo check ...` and `python -m geo proposals ...`: the property check and its register from the shell.

Thin: parse, call ``geo.check``, print. The app calls the same functions, so a check typed into
the form and the same check run here give the same JSON. Bad input is a GeoError: one line, exit 2.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from geo.check.evaluate import DECISIONS, ListResult
from geo.check.settings import PROPOSAL_TYPES
from geo.commands.caller import add_caller, caller
from geo.errors import DataError


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (use YYYY-MM-DD)") from None


def register(subparsers: Any) -> None:
    """Add the ``check`` and ``proposals`` commands."""
    p = subparsers.add_parser("check", help="check a proposed property (or a provider's list) against 1:200")
    p.add_argument("--db", type=Path, required=True, help="the site store (SQLite) with the council's site records")
    where = p.add_argument_group("where (one of)")
    where.add_argument("--lat", type=float, help="WGS84 latitude")
    where.add_argument("--lon", type=float, help="WGS84 longitude")
    where.add_argument("--easting", type=float, help="British National Grid easting (metres)")
    where.add_argument("--northing", type=float, help="British National Grid northing (metres)")
    where.add_argument("--postcode", help="postcode, placed from --postcodes or --online-lookup")
    where.add_argument("--site-ref", help="an existing site record's reference")
    where.add_argument("--file", type=Path, help="a provider's list of proposals (CSV or Excel)")
    p.add_argument("--sheet", help="Excel sheet of --file")
    p.add_argument("--address", help="address of a single proposal")
    p.add_argument("--beds", type=int, help="bed spaces or people in a single proposal")
    p.add_argument("--type", choices=PROPOSAL_TYPES, default=None,
                   help="property type (single check: default dispersed; list: for rows without one)")
    p.add_argument("--postcodes", type=Path, help="ONS postcode directory (NSPL/ONSPD CSV)")
    p.add_argument("--online-lookup", help="postcodes.io-style URL (only if addresses may leave the machine)")
    add_caller(p)
    p.add_argument("--organisation", help="whose rules apply and whose register (default: your organisation)")
    p.add_argument("--data-dir", type=Path, help="folder with the official data files")
    p.add_argument("--offline", action="store_true", help="never download official files")
    p.add_argument("--add", action="store_true", help="keep the proposal(s) in the register")
    p.add_argument("--provider", help="who proposed it (with --add)")
    p.add_argument("--received", type=_date, help="date received (with --add; default today)")
    p.add_argument("--deadline", type=_date, help="response deadline (with --add; default 10 days on)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_check)

    r = subparsers.add_parser("proposals", help="the register of proposed properties")
    rs = r.add_subparsers(dest="proposals_command", required=True)
    lst = rs.add_parser("list", help="every proposal, its decision, overdue ones marked")
    lst.add_argument("--db", type=Path, required=True)
    add_caller(lst)
    lst.add_argument("--organisation")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)
    dec = rs.add_parser("decide", help="record a decision (history is kept)")
    dec.add_argument("--db", type=Path, required=True)
    add_caller(dec)
    dec.add_argument("--id", type=int, required=True)
    dec.add_argument("--decision", choices=DECISIONS, required=True)
    dec.add_argument("--reason", required=True)
    dec.add_argument("--by", default=None, help="who decided (default: your member e-mail)")
    dec.set_defaults(func=cmd_decide)
    pro = rs.add_parser("procure", help="the proposal was procured: record it as a site (planned or open)")
    pro.add_argument("--db", type=Path, required=True)
    add_caller(pro)
    pro.add_argument("--id", type=int, required=True)
    pro.add_argument("--status", choices=("planned", "open"), default="planned")
    pro.add_argument("--site-ref", help="the site record's reference (default: the proposal's)")
    pro.add_argument("--data-dir", type=Path)
    pro.set_defaults(func=cmd_procure)
    res = rs.add_parser("response", help="the consultation response as PDF or Word")
    res.add_argument("--db", type=Path, required=True)
    add_caller(res)
    res.add_argument("--id", type=int, required=True)
    res.add_argument("--out", type=Path, required=True, help="FILE.pdf or FILE.docx")
    res.add_argument("--by", default=None, help="who is making the document (printed on it)")
    res.add_argument("--data-dir", type=Path)
    res.set_defaults(func=cmd_response)


def _member(args: argparse.Namespace) -> Any:
    """Who is asking: the holder of the personal token, or the local admin on a desktop store."""
    return caller(args)


def _store_path(path: Path) -> Path:
    from geo.db import store_exists

    if not store_exists(path):  # on PostgreSQL (AAM_DATABASE_URL) the server is the store
        raise DataError("no site store here (import the council's site records first)", file=path)
    return path


def run_check(args: argparse.Namespace) -> tuple[ListResult, Any]:
    """The check the command asks for, as the app would run it."""
    from geo.access.scope import visible_sites
    from geo.check.evaluate import build_context, check_proposals
    from geo.check.placement import PlacedProposals, read_proposals, single_proposal
    from geo.check.register import Register
    from geo.model import load_model
    from geo.sites.geocode import make_geocoder

    db = _store_path(args.db)
    member = _member(args)
    sites = visible_sites(member, db, selection={"what": "property check"})
    args.organisation = args.organisation or member.org_code
    if args.add:
        from geo.check.actions import require_own_register

        require_own_register(member, args.organisation)
    settings = Register(db).settings(args.organisation)
    model = load_model(args.data_dir, allow_download=not args.offline)
    ctx = build_context(model, sites, settings)
    from geo.access.manage import check_lookup_url

    geocoder = make_geocoder(args.postcodes, check_lookup_url(args.online_lookup) if args.online_lookup else None)
    if args.file is not None:
        placed = read_proposals(args.file, sheet=args.sheet, geocoder=geocoder, sites=sites,
                                default_type=args.type)
        return check_proposals(placed, ctx), member
    if args.beds is None:
        raise DataError("--beds is required for a single check (bed spaces or people)")
    if (args.lat is None) != (args.lon is None) or (args.easting is None) != (args.northing is None):
        raise DataError("give both --lat and --lon, or both --easting and --northing")
    if all(v is None for v in (args.lat, args.easting, args.postcode, args.site_ref)):
        raise DataError("say where: --lat/--lon, --easting/--northing, --postcode or --site-ref (or --file)")
    proposal = single_proposal(site_type=args.type or "dispersed", people=args.beds, latitude=args.lat,
                               longitude=args.lon, easting=args.easting, northing=args.northing,
                               postcode=args.postcode, address=args.address, reference=args.site_ref,
                               provider=args.provider, geocoder=geocoder, sites=sites)
    return check_proposals(PlacedProposals(proposal), ctx), member


def cmd_check(args: argparse.Namespace) -> int:
    result, member = run_check(args)
    single = args.file is None
    if single and result.rejected:
        raise DataError("; ".join(f"{r['column']}: {r['reason']}" for r in result.rejected))
    if args.add:
        from geo.check.register import Register

        reg = Register(args.db)
        settings = reg.settings(args.organisation)
        for answer in result.results:
            answer["register_id"] = reg.add(answer, organisation=args.organisation, entered_by=member.email,
                                            provider=args.provider, received=args.received,
                                            deadline=args.deadline, settings=settings)
    if args.json:
        out: Any = result.results[0] if single else result.to_dict()
        print(json.dumps(out, ensure_ascii=False, default=str))
        return 0
    for answer in result.results:
        print(f"{answer['reference']}: {answer['ward_name']} ward ({answer['ward_code']}), {answer['lad_name']}")
        print(f"  {answer['summary']}")
        if answer["counted_together"]:
            print(f"  {answer['counted_together']}")
        if "register_id" in answer:
            print(f"  Kept in the register as proposal {answer['register_id']}.")
    for r in result.rejected:
        print(f"row {r['row']}, column '{r['column']}': {r['reason']}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from geo.check.actions import visible_proposals
    from geo.check.register import Register

    _store_path(args.db)
    table = visible_proposals(Register(args.db), _member(args), args.organisation)
    if args.json:
        print(json.dumps(table.to_dict("records"), default=str, ensure_ascii=False))
    else:
        shown = table.assign(overdue=table["overdue"].map({True: "OVERDUE", False: ""}),
                             procured_after_objection=table["procured_after_objection"].map(
                                 {True: "FLAGGED", False: ""}))
        shown = shown[["id", "reference", "provider", "ward_code", "received", "deadline", "recommendation",
                       "decision", "site_reference", "overdue", "procured_after_objection"]].fillna("")
        sys.stdout.write(shown.to_string(index=False) + "\n" if len(table) else "no proposals yet\n")
    return 0


def cmd_decide(args: argparse.Namespace) -> int:
    from geo.check.actions import decide
    from geo.check.register import Register

    reg = Register(_store_path(args.db))
    decide(reg, _member(args), args.id, args.decision, args.reason, decided_by=args.by)
    print(f"proposal {args.id}: {args.decision} recorded")
    return 0


def cmd_procure(args: argparse.Namespace) -> int:
    from geo.check.actions import own_proposal, procure
    from geo.check.register import Register
    from geo.model import load_ward_layer

    reg = Register(_store_path(args.db))
    member = _member(args)
    own_proposal(reg, member, args.id, "procure")  # before loading the ward layer: refused in a moment
    done = procure(reg, member, args.id, wards=load_ward_layer(args.data_dir), status=args.status,
                   site_reference=args.site_ref)
    flag = " (FLAGGED: procured after the council objected)" if done.after_objection else ""
    print(f"proposal {args.id}: site {done.site_reference} recorded as {done.status} (batch {done.batch}){flag}")
    return 0


def cmd_response(args: argparse.Namespace) -> int:
    from geo.check.actions import own_proposal
    from geo.check.register import Register
    from geo.model import load_model
    from geo.render.response import write_response

    reg = Register(_store_path(args.db))
    member = _member(args)
    own_proposal(reg, member, args.id, "download the response for")
    model = load_model(args.data_dir, allow_download=False)
    out = write_response(reg, args.id, model, args.out, made_by=args.by or member.email, member=member,
                         db=args.db)
    print(out)
    return 0
