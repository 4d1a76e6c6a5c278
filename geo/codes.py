"""Authority codes: predecessor mapping onto today's authorities, and nations from code prefixes.

The mapping lives in ``data/lad_code_changes.csv`` (data, with its source cited there) so a
new reorganisation is a new row, not a code change.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from geo.errors import DataError

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
CODE_CHANGES = DATA_DIR / "lad_code_changes.csv"

NATIONS = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}


def nation_of(code: str | None) -> str | None:
    """GSS codes start with the nation's letter, so the nation never needs a lookup."""
    if not isinstance(code, str) or not code:
        return None
    return NATIONS.get(code[0].upper())


@lru_cache(maxsize=4)
def _load_changes(path: Path = CODE_CHANGES) -> pd.DataFrame:
    table = pd.read_csv(path, comment="#", dtype=str)
    missing = {"old_code", "new_code", "new_name"} - set(table.columns)
    if missing:
        raise DataError(f"missing columns {sorted(missing)}", file=path)
    return table


def successor_map(path: Path = CODE_CHANGES) -> dict[str, tuple[str, str]]:
    """Old code -> (current code, current name), following chains to their end."""
    table = _load_changes(path)
    step = {r.old_code: (r.new_code, r.new_name) for r in table.itertuples()}
    resolved: dict[str, tuple[str, str]] = {}
    for old in step:
        code, name = step[old]
        seen = {old}
        while code in step:
            if code in seen:
                raise DataError(f"code change cycle at {code}", file=path)
            seen.add(code)
            code, name = step[code]
        resolved[old] = (code, name)
    return resolved


def align_to(codes: pd.Series, known: set[str] | frozenset[str],
             path: Path = CODE_CHANGES) -> tuple[pd.Series, dict[str, str]]:
    """Put codes onto the ones a boundary vintage uses, so files of different vintages still join.

    A code the boundaries lack moves forward to its successor when the boundaries are newer, or back
    to its predecessor when they are older, but only where that predecessor is the sole one (a
    recode or minor boundary change, never a merger). Returns the codes and the moves made.
    """
    forward = successor_map(path)
    table = _load_changes(path)
    back: dict[str, list[str]] = {}
    for row in table.itertuples():
        back.setdefault(row.new_code, []).append(row.old_code)

    def predecessor(code: str) -> str | None:
        seen: set[str] = set()
        while code not in known:
            olds = back.get(code, [])
            if len(olds) != 1 or code in seen:
                return None
            seen.add(code)
            code = olds[0]
        return code

    moves: dict[str, str] = {}
    for code in {c for c in codes.dropna().unique() if isinstance(c, str) and c not in known}:
        target = forward.get(code, (None, None))[0]
        target = target if target in known else predecessor(code)
        if target is not None:
            moves[code] = target
    return codes.map(lambda c: moves.get(c, c) if isinstance(c, str) else c), moves
