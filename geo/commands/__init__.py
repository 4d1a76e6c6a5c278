"""Command line entry: each command group registers itself; errors become one line, never a traceback."""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from geo import logs
from geo.errors import GeoError

# Modules that provide `register(subparsers)`; optional ones may be absent in a partial install.
COMMAND_MODULES = ("geo.commands.data", "geo.commands.sites", "geo.commands.render", "geo.commands.access",
                   "geo.commands.audit", "geo.commands.check", "geo.commands.releases", "geo.commands.db",
                   "geo.commands.fair_share")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geo", description="Asylum Accommodation Map data tools")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="say what is happening: downloads, cache builds, imports (-vv: every request)")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.configure(logs.level_for(args.verbose))
    try:
        return int(args.func(args) or 0)
    except GeoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        where = getattr(exc, "filename", None)
        print(f"error: {where + ': ' if where else ''}{exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the one boundary (issue 13): traceback to the error log, one line here
        from geo.failures import report

        print(f"error: {report(exc, where=str(getattr(args, 'command', '')))}", file=sys.stderr)
        return 1
