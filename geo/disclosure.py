"""Disclosure control done once: the same hidden cells in every table, export, tooltip and map.

Why: ward figures built from site records can single out a household. The ONS and Home Office
suppress small counts and mark them ``[c]`` (confidential); we do the same for every ward-level
figure and never for the authority-level figures the Home Office already publishes.

Rules, kept simple so an analyst can check them by hand:

1. Primary: a ward count of 1 to 4 people (fewer than ``THRESHOLD``) is hidden. Zero is shown:
   "nobody" identifies nobody.
2. Secondary: authority totals are published, so within one authority the hidden cells of a
   column must not be recoverable by subtraction. Cells are added, smallest first, until at
   least two are hidden and together they hold at least ``THRESHOLD`` people; a ward with 0 is
   never chosen (hiding a zero protects nothing: the total minus the shown wards would still
   give the primary cell exactly). Where a ward's total (supported) is the sum of its parts
   (hotel, dispersed...), a row with one hidden part hides its total too, and so on until stable.
3. Figures computed from a hidden count (per 1,000, share of the 1:200 limit, headroom, over or
   not, change) are hidden with it, since they give the count back.
4. The hidden cells are computed per authority from the *full* ward table (``full=``), never
   from a filtered view, so "only wards with sites" on or off, a region or a single council
   all hide the same cells, and exports put side by side give nothing away.
5. Across a series of dates (``suppress_series``): a cell hidden at one date stays hidden at the
   next and the previous date where its value is unchanged, and each date protects it again, so
   the dates side by side cannot give it back (``audit_series`` checks).

:func:`audit` checks the result: for every hidden cell it finds, by linear programming, the
smallest and largest values consistent with everything published (authority totals, the
shown cells, row totals) and requires them to differ by at least the threshold (or by the
authority's whole column total where that is smaller, which no suppression can improve).

Release of site-level records is role-based (``Role``, from the data-sharing agreement).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

import pandas as pd

from geo.errors import GeoError

THRESHOLD = 5
SUPPRESSED = "[c]"
FLAG_SUFFIX = "_suppressed"
# Count columns checked at ward level (statistics' names and the site measures' names).
COUNT_COLUMNS = ("supported", "dispersed", "hotel", "initial", "other_contingency", "people",
                 "hotel_people", "dispersed_people", "initial_people", "other_people", "dispersed_sites",
                 "hotel_sites", "properties_acquired")
_FROM_DISPERSED = ("dispersal_ratio", "limit_used", "headroom", "over_by", "over_threshold", "threshold_status",
                   "status", "against_limit", "dispersed_change_q", "dispersed_change_y")
# The columns that give each count back.
DERIVED = {
    "supported": ("per_1000", "share_of_region", "share_of_uk", "supported_change_q", "supported_change_y"),
    "dispersed": _FROM_DISPERSED,
    "dispersed_people": _FROM_DISPERSED,
    "hotel": ("hotel_change_q", "hotel_change_y"),
    "people": ("per_1000",),
}
# Row relations: a ward's total is the sum of its parts (used when the data bear it out).
RELATIONS = (("supported", ("hotel", "dispersed", "initial", "other_contingency")),)
NOTE = (f"[c] = suppressed: ward counts of 1 to {THRESHOLD - 1} people are not shown, and further wards "
        f"are hidden with them (never a ward with none) until the hidden wards of an authority hold at "
        f"least {THRESHOLD} people, so the authority total cannot give them back. Rates and statuses "
        "built from a hidden count are hidden with it. The same wards are hidden in every table, map "
        "and export.")


class Role(str, Enum):  # noqa: UP042 - a str subclass so roles compare equal to their names
    """What a user may take out, as set by the data-sharing agreement."""

    VIEWER = "viewer"      # published statistics only
    OFFICER = "officer"    # plus suppressed ward figures
    ANALYST = "analyst"    # plus site-level records
    ADMIN = "admin"        # everything, including managing the agreement

    @classmethod
    def parse(cls, value: str | Role) -> Role:
        """Role from text such as 'Analyst', naming the valid roles when it is not one."""
        if isinstance(value, Role):
            return value
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            raise GeoError(f"unknown role {value!r}; roles: {', '.join(r.value for r in cls)}") from None


SITE_EXPORT_ROLES = frozenset({Role.ANALYST, Role.ADMIN})


class DisclosureError(GeoError, PermissionError):
    """An export the user's role does not allow (a GeoError, so the CLI prints one line)."""


def can_export_sites(role: Role | str) -> bool:
    """Whether site-level records may leave the system for this role."""
    return Role.parse(role) in SITE_EXPORT_ROLES


def require_site_export(role: Role | str) -> None:
    """Raise DisclosureError unless the role may export site-level records."""
    parsed = Role.parse(role)
    if parsed not in SITE_EXPORT_ROLES:
        allowed = ", ".join(sorted(r.value for r in SITE_EXPORT_ROLES))
        raise DisclosureError(f"role '{parsed.value}' may not export site-level records under the "
                              f"data-sharing agreement (allowed: {allowed}); export ward or authority "
                              "figures instead")


@dataclass(frozen=True)
class Suppression:
    """The original values, which cells are hidden (same shape), and the note to print."""

    frame: pd.DataFrame
    mask: pd.DataFrame
    note: str

    @property
    def any(self) -> bool:
        return bool(self.mask.to_numpy().any())

    def as_text(self) -> pd.DataFrame:
        """For CSV and Excel: hidden cells read ``[c]``."""
        out = self.frame.copy()
        for col in self.mask.columns:
            if self.mask[col].any():
                out[col] = out[col].astype(object).where(~self.mask[col], SUPPRESSED)
        return out

    def as_flagged(self) -> pd.DataFrame:
        """For GeoJSON and GeoPackage: hidden cells blank, with a ``<col>_suppressed`` flag column."""
        out = self.frame.copy()
        for col in self.mask.columns:
            if self.mask[col].any():
                out[col] = out[col].astype(object).where(~self.mask[col], None)
                out[col + FLAG_SUFFIX] = self.mask[col].to_numpy()
        return out


def primary(values: pd.Series, threshold: int = THRESHOLD) -> pd.Series:
    """Counts of 1 to threshold-1: the cells a publisher would hide."""
    numbers = pd.to_numeric(values, errors="coerce")
    return ((numbers > 0) & (numbers < threshold)).fillna(False).astype(bool)


def _pick(values: pd.Series, keys: pd.Series, hidden: pd.Series, need: float) -> object | None:
    """The index of the cell to hide next: the smallest positive shown cell holding at least
    ``need`` people, else the largest (and more will follow); None when there is none."""
    cands = pd.DataFrame({"v": values, "k": keys.astype(str)})[~hidden & (values > 0) & values.notna()]
    if cands.empty:
        return None
    cands = cands.sort_values(["v", "k"], kind="stable")
    enough = cands[cands["v"] >= need]
    return (enough if not enough.empty else cands.iloc[[-1]]).index[0]


def secondary(values: pd.Series, hidden: pd.Series, groups: pd.Series, keys: pd.Series,
              threshold: int = THRESHOLD) -> tuple[pd.Series, set[str]]:
    """Hide further cells per group until each group's hidden cells are 0 or at least two
    holding at least ``threshold`` together; returns the mask and the groups that cannot be
    protected (too few positive cells)."""
    hidden = hidden.copy()
    numbers = pd.to_numeric(values, errors="coerce")
    short: set[str] = set()
    for name, rows in hidden.groupby(groups, sort=True, dropna=False):
        idx = rows.index
        while True:
            h = hidden.loc[idx]
            count, total = int(h.sum()), float(numbers.loc[idx][h].sum())
            if count == 0 or (count >= 2 and total >= threshold):
                break
            chosen = _pick(numbers.loc[idx], keys.loc[idx], h, threshold - total)
            if chosen is None:
                short.add(str(name))
                break
            hidden.loc[chosen] = True
    return hidden, short


def _relations(frame: pd.DataFrame) -> list[tuple[str, list[str]]]:
    """The row relations that hold in this table (total equals the sum of the parts present)."""
    found = []
    for total, parts in RELATIONS:
        present = [p for p in parts if p in frame.columns]
        if total not in frame.columns or not present:
            continue
        lhs = pd.to_numeric(frame[total], errors="coerce")
        rhs = frame[present].apply(pd.to_numeric, errors="coerce").sum(axis=1, min_count=1)
        if bool(((lhs - rhs).abs() < 1e-9).all()):
            found.append((total, present))
    return found


def _row_step(frame: pd.DataFrame, mask: pd.DataFrame, relations: list[tuple[str, list[str]]],
              threshold: int) -> bool:
    """Within each ward, a hidden part must not be the total minus the shown parts; True if changed."""
    changed = False
    for total, parts in relations:
        cols = [total, *parts]
        values = frame[cols].apply(pd.to_numeric, errors="coerce").fillna(0)
        for i in frame.index[mask.loc[:, cols].any(axis=1)]:
            hidden_parts = [p for p in parts if mask.at[i, p]]
            if mask.at[i, total]:
                if len(hidden_parts) == 0:
                    # the total alone is hidden: it is the sum of the shown parts
                    best = next((p for p in sorted(parts, key=lambda c: values.at[i, c]) if values.at[i, p] > 0),
                                None)
                    target = best or parts[0]
                    mask.at[i, target] = True
                    changed = True
                continue
            # the total is shown: the hidden parts must hold at least the threshold together
            if sum(values.at[i, p] for p in hidden_parts) < threshold or len(hidden_parts) == 1:
                mask.at[i, total] = True
                changed = True
    return changed


def hidden_cells(frame: pd.DataFrame, *, counts: Sequence[str] | None = None, group: str = "lad_code",
                 key: str = "ward_code", threshold: int = THRESHOLD,
                 start: pd.DataFrame | None = None) -> tuple[pd.DataFrame, set[str]]:
    """The mask of hidden count cells (primary, secondary and row steps until stable) and the
    groups that cannot be fully protected. ``start``: cells hidden already (another date of the
    same series), protected like primary ones."""
    counts = [c for c in (counts or COUNT_COLUMNS) if c in frame.columns]
    groups = frame[group].astype(object) if group in frame.columns else pd.Series("all", index=frame.index)
    keys = frame[key] if key in frame.columns else pd.Series(range(len(frame)), index=frame.index)
    mask = pd.DataFrame({c: primary(frame[c], threshold) for c in counts}, index=frame.index)
    if start is not None:
        for col in counts:
            if col in start.columns:
                mask[col] |= start[col].reindex(frame.index).fillna(False).astype(bool)
    relations = [(t, [p for p in ps if p in counts]) for t, ps in _relations(frame) if t in counts]
    relations = [(t, ps) for t, ps in relations if ps]
    short: set[str] = set()
    for _ in range(50):  # each pass only adds hidden cells, so this ends
        before = int(mask.to_numpy().sum())
        for col in counts:
            mask[col], lost = secondary(frame[col], mask[col], groups, keys, threshold)
            short |= lost
        _row_step(frame, mask, relations, threshold)
        if int(mask.to_numpy().sum()) == before:
            break
    return mask, short


def _full_mask(frame: pd.DataFrame, full: pd.DataFrame, counts: Sequence[str] | None, group: str, key: str,
               threshold: int) -> tuple[pd.DataFrame, set[str]]:
    """The full table's hidden cells, lined up on the rows of ``frame`` by ``key``."""
    if key not in frame.columns or key not in full.columns:
        raise GeoError(f"suppression from the full table needs the {key!r} column in both tables")
    reference = pd.DataFrame(full).drop_duplicates(key).reset_index(drop=True)
    mask, short = hidden_cells(reference, counts=counts, group=group, key=key, threshold=threshold)
    mask.index = reference[key].to_numpy()
    aligned = mask.reindex(frame[key].to_numpy()).fillna(False).astype(bool)
    aligned.index = frame.index
    # a row the full table lacks is judged on its own values (never shown when small)
    missing = ~frame[key].isin(reference[key]).to_numpy()
    if missing.any():
        own, more = hidden_cells(frame.loc[missing], counts=counts, group=group, key=key, threshold=threshold)
        aligned.loc[missing, own.columns] = own
        short |= more
    return aligned, short


def suppress(frame: pd.DataFrame, *, counts: Sequence[str] | None = None, group: str = "lad_code",
             key: str = "ward_code", threshold: int = THRESHOLD, full: pd.DataFrame | None = None) -> Suppression:
    """Primary and secondary suppression of ward counts and the figures built from them.

    ``full`` is the whole ward table the figures come from (every ward of every authority shown,
    before any screen filter): the hidden cells are computed there, so every view of it hides
    the same cells. Without it, ``frame`` itself is taken as the full table.
    """
    if full is not None:
        count_mask, short = _full_mask(frame, full, counts, group, key, threshold)
    else:
        count_mask, short = hidden_cells(frame, counts=counts, group=group, key=key, threshold=threshold)
    return _suppression(frame, count_mask, short, threshold)


def _suppression(frame: pd.DataFrame, count_mask: pd.DataFrame, short: set[str], threshold: int) -> Suppression:
    """The hidden count cells spread to the figures built from them, with the note to print."""
    mask = pd.DataFrame(False, index=frame.index, columns=list(frame.columns))
    for col in count_mask.columns:
        hidden_here = count_mask[col].to_numpy()
        if col in mask.columns:
            mask[col] = hidden_here
        for derived in DERIVED.get(col, ()):  # even when the count itself is not in this view
            if derived in mask.columns:
                mask[derived] |= hidden_here
    mask = mask.loc[:, mask.any()]
    note = NOTE
    if short:
        note += (" These authorities have too few wards with people to hide a small count by difference, "
                 f"and their published totals are below {threshold}: {', '.join(sorted(short))}.")
    return Suppression(frame, mask, note)


def suppress_series(frames: Sequence[pd.DataFrame], *, counts: Sequence[str] | None = None,
                    group: str = "lad_code", key: str = "ward_code",
                    threshold: int = THRESHOLD) -> list[Suppression]:
    """:func:`suppress` for every date of a published series (oldest first), hiding the same
    unchanged cells across it (:func:`series_masks`), so dates side by side give nothing back."""
    masks = series_masks(frames, counts=counts, group=group, key=key, threshold=threshold)
    return [_suppression(f, m, hidden_cells(f, counts=counts, group=group, key=key, threshold=threshold)[1],
                         threshold) for f, m in zip(frames, masks, strict=True)]


# ----------------------------------------------------------------------------- a series of dates

def _carried(before: pd.DataFrame, before_mask: pd.DataFrame, after: pd.DataFrame, after_mask: pd.DataFrame,
             counts: Sequence[str], key: str) -> pd.DataFrame:
    """Cells of ``after`` to hide because the same ward's same count is hidden in ``before`` with the
    same value: shown here, it would give the hidden one there back (same index as ``after``)."""
    out = pd.DataFrame(False, index=after.index, columns=list(counts))
    if key not in before.columns or key not in after.columns:
        return out
    first = before.drop_duplicates(key)
    old = first.set_index(key)
    old_mask = before_mask.loc[first.index]
    old_mask.index = old.index
    at = after[key].to_numpy()
    for col in counts:
        if col not in old.columns or col not in old_mask.columns:
            continue
        was_hidden = old_mask[col].reindex(at).fillna(False).astype(bool).to_numpy()
        same = (pd.to_numeric(old[col], errors="coerce").reindex(at).to_numpy()
                == pd.to_numeric(after[col], errors="coerce").to_numpy())
        out[col] = was_hidden & same & ~after_mask[col].to_numpy()
    return out


def series_masks(tables: Sequence[pd.DataFrame], *, counts: Sequence[str] | None = None, group: str = "lad_code",
                 key: str = "ward_code", threshold: int = THRESHOLD) -> list[pd.DataFrame]:
    """The hidden count cells of each table of a published series (oldest first), consistent across it.

    Why: each date suppressed on its own holds on its own, but the dates side by side do not. A
    ward hidden at one date (say the second cell hiding a ward of 3) and shown unchanged at the
    next gives its value back, and the first date's total then gives the ward of 3 back. So a
    cell hidden at one date stays hidden at the neighbouring dates where its value is the same,
    each date protects what it now hides (secondary suppression again), and this repeats, forward
    and back, until nothing changes. A cell whose value changed may be shown: it says nothing
    exact about the earlier value.
    """
    counts = list(counts or COUNT_COLUMNS)
    masks = [hidden_cells(t, counts=counts, group=group, key=key, threshold=threshold)[0] for t in tables]
    for _ in range(100):  # every pass only adds hidden cells, so this ends
        changed = False
        for a, b in [(i, i + 1) for i in range(len(tables) - 1)] + [(i + 1, i) for i in range(len(tables) - 1)]:
            cols = [c for c in masks[a].columns if c in masks[b].columns]
            more = _carried(tables[a], masks[a][cols], tables[b], masks[b][cols], cols, key)
            if more.to_numpy().any():
                masks[b] = hidden_cells(tables[b], counts=counts, group=group, key=key, threshold=threshold,
                                        start=masks[b] | more.reindex(columns=masks[b].columns, fill_value=False))[0]
                changed = True
        if not changed:
            break
    return masks


def audit_series(tables: Sequence[pd.DataFrame], masks: Sequence[pd.DataFrame], *,
                 counts: Sequence[str] | None = None, group: str = "lad_code", key: str = "ward_code",
                 threshold: int = THRESHOLD) -> list[tuple[int, AuditFinding]]:
    """The differencing audit over consecutive dates: (index of the date, finding) for every hidden
    cell that someone comparing the published series can narrow below the threshold.

    Whoever reads the series takes a ward's count as unchanged from one date to the next. So a cell
    hidden at one date and shown at a neighbouring date with the same value is given back (found,
    with its exact value); and, knowing it, each date's own audit is run again without it.
    """
    counts = list(counts or COUNT_COLUMNS)
    masks = [m.reindex(columns=list(dict.fromkeys([*m.columns, *(c for c in counts if c in t.columns)])),
                       fill_value=False).astype(bool) for t, m in zip(tables, masks, strict=True)]
    found: list[tuple[int, AuditFinding]] = []
    for t, (table, mask) in enumerate(zip(tables, masks, strict=True)):
        known = pd.DataFrame(False, index=table.index, columns=mask.columns)
        for n in (t - 1, t + 1):
            if 0 <= n < len(tables):
                cols = [c for c in mask.columns if c in masks[n].columns and c in counts]
                shown_there = ~masks[n][cols]
                known[cols] |= _carried(tables[n], shown_there, table, ~mask[cols], cols, key)[cols]
        groups = table[group].astype(object) if group in table.columns else pd.Series("all", index=table.index)
        keys = table[key] if key in table.columns else pd.Series(range(len(table)), index=table.index)
        for col in known.columns:
            for i in table.index[known[col].to_numpy()]:
                value = float(pd.to_numeric(table.at[i, col], errors="coerce"))
                found.append((t, AuditFinding(str(groups.at[i]), str(keys.at[i]), col, value, value, threshold)))
        found += [(t, f) for f in audit(table, mask & ~known, counts=counts, group=group, key=key,
                                        threshold=threshold)]
    return found


# ----------------------------------------------------------------------------- audit

@dataclass(frozen=True)
class AuditFinding:
    """A hidden cell whose feasible range, given everything published, is too narrow."""

    group: str
    key: str
    column: str
    low: float
    high: float
    needed: float

    def __str__(self) -> str:
        return (f"{self.column} of {self.key} ({self.group}) can be narrowed to {self.low:g}..{self.high:g}, "
                f"a range under {self.needed:g}")


def audit(frame: pd.DataFrame, mask: pd.DataFrame, *, counts: Sequence[str] | None = None,
          group: str = "lad_code", key: str = "ward_code", threshold: int = THRESHOLD) -> list[AuditFinding]:
    """Every hidden count cell whose smallest and largest values consistent with what is published
    differ by less than the threshold (empty: the suppression holds).

    Published: every shown count, each authority's total of each count column, and the row
    relations (a ward's total as the sum of its parts). Each authority is one small linear
    programme (scipy's HiGHS): minimise and maximise each hidden cell over non-negative values.
    Where an authority's whole column total is under the threshold no suppression can reach it;
    the range needed is then that total.
    """
    from scipy.optimize import linprog

    counts = [c for c in (counts or COUNT_COLUMNS) if c in frame.columns and c in mask.columns]
    relations = [(t, [p for p in ps if p in counts]) for t, ps in _relations(frame) if t in counts]
    groups = frame[group].astype(object) if group in frame.columns else pd.Series("all", index=frame.index)
    keys = frame[key] if key in frame.columns else pd.Series(range(len(frame)), index=frame.index)
    values = frame[counts].apply(pd.to_numeric, errors="coerce").fillna(0)
    findings: list[AuditFinding] = []
    for name, rows in frame.groupby(groups, sort=True, dropna=False):
        idx = rows.index
        cells = [(i, c) for c in counts for i in idx if bool(mask.at[i, c])]
        if not cells:
            continue
        pos = {cell: n for n, cell in enumerate(cells)}
        a_eq, b_eq = [], []
        for c in counts:  # column totals of the authority
            hidden = [pos[(i, c)] for i in idx if (i, c) in pos]
            if hidden:
                row = [0.0] * len(cells)
                for n in hidden:
                    row[n] = 1.0
                a_eq.append(row)
                b_eq.append(float(sum(values.at[cells[n][0], c] for n in hidden)))
        for total, parts in relations:  # total - sum(parts) = 0 on every ward
            for i in idx:
                involved = [(total, 1.0)] + [(p, -1.0) for p in parts]
                if not any((i, c) in pos for c, _ in involved):
                    continue
                row, known = [0.0] * len(cells), 0.0
                for c, sign in involved:
                    if (i, c) in pos:
                        row[pos[(i, c)]] = sign
                    else:
                        known += sign * float(values.at[i, c])
                a_eq.append(row)
                b_eq.append(-known)
        for n, (i, c) in enumerate(cells):
            objective = [0.0] * len(cells)
            objective[n] = 1.0
            low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            high = linprog([-v for v in objective], A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
            lo = float(low.fun) if low.status == 0 else 0.0
            hi = float("inf") if high.status == 3 else (-float(high.fun) if high.status == 0 else float("inf"))
            needed = min(float(threshold), float(values.loc[idx, c].sum()))
            if hi - lo < needed - 1e-6:
                findings.append(AuditFinding(str(name), str(keys.at[i]), c, lo, hi, needed))
    return findings


def needs_suppression(level: str) -> bool:
    """Ward figures are controlled. Published authority figures are not, and site records go
    only to roles trusted with them whole (``require_site_export``)."""
    return level == "ward"


def suppressed_columns(columns: Iterable[str]) -> list[str]:
    """The ``*_suppressed`` flag columns in a reopened GeoJSON/GeoPackage."""
    return [c for c in columns if str(c).endswith(FLAG_SUFFIX)]
