"""The one change rule: a change on the quarter or the year is like for like, and says so.

Two quarters can be spoken for by different files (Asy_D11, Reg_02, the quarterly totals series)
that list different councils: the totals series has no Barnsley or Sheffield rows before December
2025, and only Asy_D11 counts people with no council recorded. Subtracting one quarter's total from
another's would then compare different sets of people, so every surface (overview, council view,
briefing, exports, presentation) takes its changes from here:

- a council's change is its figure now minus its figure then, only where BOTH files give the
  council a figure (``council_change``; NaN otherwise, never a guess of 0);
- a headline change is the sum of those council changes, over the councils present in both
  quarters (``summarise``), so it always equals the sum of the per-council changes shown;
- it carries words naming the councils compared, those left out and the files each quarter comes
  from; where no council is in both (the measure is not published in one of them, or the
  earlier quarter is not loaded) it reads "not comparable", never a number.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo import text

NOT_COMPARABLE = "not comparable"
QUARTERS = {"q": 1, "y": 4}
SPANS = {"q": "on the quarter", "y": "on the year"}


def council_change(now: pd.Series, before: pd.Series) -> pd.Series:
    """now - before per council, NaN unless both quarters' files give the council a figure."""
    now_f = pd.to_numeric(now, errors="coerce").astype("float64")
    before_f = pd.to_numeric(before, errors="coerce").astype("float64")
    return (now_f - before_f).where(now_f.notna() & before_f.notna())


@dataclass(frozen=True)
class Change:
    """A headline change and what it was computed over.

    ``value`` is None when not comparable. ``councils`` were in both quarters' files;
    ``only_now`` and ``only_before`` name councils with a figure in one quarter only.
    """

    value: float | None
    span: str
    base_period: pd.Timestamp | None
    councils: int
    only_now: tuple[str, ...] = ()
    only_before: tuple[str, ...] = ()
    now_source: str | None = None
    base_source: str | None = None
    reason: str = ""
    unplaced: bool = False  # people with no council recorded in either quarter: in the totals, not the change

    @property
    def comparable(self) -> bool:
        return self.value is not None

    @property
    def plain(self) -> bool:
        """Same file, same councils on both sides: nothing a reader needs told."""
        return (self.value is not None and self.now_source == self.base_source
                and not self.only_now and not self.only_before and not self.unplaced)

    def figure(self) -> str:
        """'+171', '−94', 'no change', or 'not comparable'."""
        return NOT_COMPARABLE if self.value is None else text.signed(self.value)

    def words(self) -> str:
        """'change over the 359 councils in both releases; Barnsley and Sheffield not in the earlier file'."""
        if self.value is None:
            return f"{NOT_COMPARABLE}: {self.reason}" if self.reason else NOT_COMPARABLE
        both = "both releases" if self.now_source != self.base_source else "both quarters"
        out = f"change over the {self.councils:,} council{'s' if self.councils != 1 else ''} in {both}"
        if self.base_period is not None and self.base_source:
            out += f" (compared with {text.quarter_label(self.base_period)}, from {self.base_source})"
        if self.only_now:
            out += f"; {text.joined(self.only_now)} not in the earlier file"
        if self.only_before:
            out += f"; {text.joined(self.only_before)} not in the later file"
        if self.unplaced:
            out += "; people with no council recorded are in the totals but not in the change"
        return out


def summarise(now: pd.Series, before: pd.Series | None, names: pd.Series, *, span: str,
              base_period: pd.Timestamp | None, now_source: str | None = None,
              base_source: str | None = None, missing_reason: str = "", unplaced: bool = False) -> Change:
    """The headline change over the councils in both quarters (all three Series share one index).

    ``before`` None: the earlier quarter is not in the loaded files. ``missing_reason`` says why
    there is no comparison when neither quarter shares a council (e.g. 'not published in the
    earlier release').
    """
    if before is None or base_period is None:
        return Change(None, span, None, 0, reason="the earlier quarter is not in the loaded files")
    per = council_change(now, before)
    has_now = now.notna()
    has_before = before.notna()
    both = int(per.notna().sum())
    only_now = tuple(sorted(str(n) for n in names[has_now & ~has_before]))
    only_before = tuple(sorted(str(n) for n in names[has_before & ~has_now]))
    if both == 0:
        reason = missing_reason or (f"{text.joined(only_now)} not in the earlier file" if only_now else
                                    f"{text.joined(only_before)} not in the later file" if only_before else
                                    "no council has a figure in both quarters")
        return Change(None, span, base_period, 0, now_source=now_source, base_source=base_source,
                      reason=reason)
    return Change(float(per.sum()), span, base_period, both, only_now, only_before, now_source,
                  base_source, unplaced=unplaced)
