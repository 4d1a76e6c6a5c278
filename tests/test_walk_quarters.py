"""Issue 23 "done when": walk every quarter the loaded files cover, March 2014 to the latest, on every surface.

For each quarter: the headline changes (overview, presentation, briefing) equal the sum of the
per-council changes the council table reports; a measure the quarter's file does not publish reads
"not published in this release" on every surface (cards, council and ward figures, the over-1:200
banner and key, export cells, the briefing), never 0, blank or nan; and Glasgow's limit reads
3,251 everywhere (council table, fair-share headroom and allocation tables, briefing).

Two models are walked: the fixture (tests/figures_fixtures.py: Asy_D11, a totals series without
Barnsley and Sheffield, Reg_02) and the official files (Glasgow's residents from the published
Reg_02 .ods). The cheap surfaces are checked at every quarter; those that draw or write (map key,
CSV file, briefing tables, allocation) at the first and last quarter of each source and of each
change in what it publishes (and the quarters either side), so the walk stays within minutes on a
shared machine while covering every situation a quarter can be in.
"""
from __future__ import annotations

import re
from datetime import date

import pandas as pd
import pytest

from figures_fixtures import GLASGOW, GLASGOW_LIMIT, figures_model
from geo import fair_share as fs
from geo import gaps, measures, rules, text
from geo.period_table import measure_published, published_types
from geo.render import briefing
from geo.render import static_map as sm
from ui import exports as ER
from ui import fair_share as fair_view

COUNTS = ("supported", "hotel", "contingency", "dispersed")
NAN = re.compile(r"\bnan\b", re.IGNORECASE)


@pytest.fixture(scope="module", params=["fixture", "official"])
def walked(request):
    if request.param == "fixture":
        return figures_model()
    return request.getfixturevalue("model")  # the official files; skipped (or failed in CI) without them


def _full_quarters(model) -> set[pd.Timestamp]:
    """Quarters where the drawing and writing surfaces are checked too (see the module docstring)."""
    keys = [(model.period_source(p), published_types(model.stats, p)) for p in model.periods]
    out = set()
    for i, p in enumerate(model.periods):
        if i == 0 or i == len(keys) - 1 or keys[i] != keys[i - 1] or keys[i] != keys[i + 1]:
            out.add(p)
    return out


def _no_nan(*texts: str) -> None:
    for t in texts:
        assert not NAN.search(t), t


def test_every_quarter_on_every_surface(walked, tmp_path):
    model = walked
    full = _full_quarters(model)
    assert model.periods[0] == pd.Timestamp("2014-03-31")
    for period in model.periods:
        table = measures.lad_table(model, period)
        heads = measures.headline(model, period)
        glasgow = table.set_index("lad_code").loc[GLASGOW]

        # 1. Headline changes are the councils' own changes summed, or not comparable with no number.
        for key in COUNTS:
            for span in ("q", "y"):
                change = getattr(heads[key], f"change_{span}")
                per_council = table[f"{key}_change_{span}"]
                if change is None:
                    assert per_council.isna().all(), (period, key, span)
                    assert getattr(heads[key], span).figure() == "not comparable"
                else:
                    assert change == pytest.approx(per_council.sum()), (period, key, span)
        over_now = table["over_threshold"].astype("Float64").astype("float64")
        for span in ("q", "y"):
            change = getattr(heads["over"], f"change_{span}")
            if change is not None:
                assert change == pytest.approx((over_now - table[f"over_before_{span}"]).sum()), (period, span)

        # 2. Not published on one surface is not published on every surface.
        for key in ("hotel", "contingency", "dispersed"):
            if measure_published(model.stats, key, period):
                blank = table[key].isna()
                assert (measures.gap_states(model, table, key)[blank] != "").all(), (period, key)
                continue
            assert pd.isna(heads[key].value), (period, key)
            assert table[key].isna().all()
            assert (measures.gap_states(model, table, key) == gaps.NOT_PUBLISHED).all()
            row = table[table["lad_code"] == GLASGOW].iloc[0]  # the council and ward views' figure
            assert measures.figure_or_gap(model, row, key) == gaps.NOT_PUBLISHED
        count, gap = measures.over_state(model, table)
        if not measure_published(model.stats, "dispersed", period):
            assert count is None and gap == gaps.NOT_PUBLISHED and pd.isna(heads["over"].value)
        else:
            assert count == int(table["over_threshold"].fillna(False).astype(bool).sum())
        row = table[table["lad_code"] == GLASGOW].iloc[0]
        _no_nan(measures.contingency_phrase(model, row), measures.share_sentence(model, table, GLASGOW))

        # 3. Glasgow's limit is 3,251 wherever a limit is shown.
        assert f"{int(glasgow['capacity']):,}" == GLASGOW_LIMIT
        assert f"{int(rules.capacity(glasgow['population'])):,}" == GLASGOW_LIMIT

        if period not in full:
            continue
        _drawn_and_written(model, period, table, heads, tmp_path)


def _drawn_and_written(model, period, table, heads, tmp_path) -> None:
    """The surfaces that draw or write: map key, CSV cells, briefing tables, fair-share tables."""
    published = {k: measure_published(model.stats, k, period) for k in ("hotel", "contingency", "dispersed")}

    # Snapshot key: one counted grey entry per reason; the over entry says not published, never 0.
    content = sm.map_content(model, measure="per_1000", period=period)
    labels = [h.get_label() for h in sm.legend_handles(content)]
    over_label = next(lb for lb in labels if lb.startswith("Over the 1:200 limit"))
    if not published["dispersed"]:
        assert over_label == f"Over the 1:200 limit ({gaps.NOT_PUBLISHED})"
    _no_nan(*labels)

    # CSV export: each blank cell says why; a column a quarter does not publish says so in every row.
    cols = ["lad_code", "lad_name", "population", "capacity", "supported", "hotel", "contingency", "dispersed",
            "limit_used", "supported_change_q", "supported_change_y"]
    request = ER.TableRequest("councils", "lad", date(2026, 1, 5), fmt="csv", period=period.date().isoformat(),
                              columns=tuple(cols))
    out = ER.make_table(model, request, table[cols], tmp_path)[0]
    rows = pd.read_csv(out, dtype=str, comment="#", keep_default_na=False).set_index("lad_code")
    assert not (rows == "").any().any(), period  # never a silent blank
    assert not rows.apply(lambda c: c.str.fullmatch("nan", case=False)).any().any()
    for key, ok in published.items():
        if not ok:
            assert (rows[key] == gaps.NOT_PUBLISHED).all(), (period, key)
    assert f"{int(float(rows.at[GLASGOW, 'capacity'])):,}" == GLASGOW_LIMIT

    # Briefing: the headline table and the council table say the same as the screens.
    area = briefing.area_headline_rows(model, briefing.Selection(model, None, None, period))
    for head_row in area[1:]:
        _no_nan(*head_row)
        key = next(k for k, h in heads.items() if h.label == head_row[0])
        if pd.isna(heads[key].value):
            assert head_row[1] == gaps.NOT_PUBLISHED, (period, head_row)
        for span, cell in zip(("q", "y"), head_row[2:], strict=True):
            change = getattr(heads[key], f"change_{span}")
            assert cell == ("not comparable" if change is None else text.signed(change))
    council = briefing.headline_rows(model, briefing.Selection(model, GLASGOW, None, period))
    _no_nan(*(c for r in council for c in r))
    _, fair_rows, _ = briefing.fair_share_rows(model, briefing.Selection(model, GLASGOW, None, period))
    _no_nan(*(c for r in fair_rows for c in r))

    # Fair share page: headroom and allocation tables carry the same limit.
    area_rows = table[table["region"] == table.set_index("lad_code").at[GLASGOW, "region"]].reset_index(drop=True)
    summary = fair_view.authority_summary(area_rows, group="region")
    limit_col = "Limit (residents ÷ 200)"
    room = fair_view.headroom_display(summary).set_index("Authority")
    name = table.set_index("lad_code").at[GLASGOW, "lad_name"]
    assert f"{int(room.at[name, limit_col]):,}" == GLASGOW_LIMIT
    if published["dispersed"]:
        alloc = fair_view.allocation_display(fs.allocate(area_rows, 100), area_rows).set_index("Authority")
        assert f"{int(alloc.at[name, limit_col]):,}" == GLASGOW_LIMIT
