"""The printed briefing pack a chief executive takes into a meeting: one call, one PDF.

Why reportlab: tables that flow over pages with repeated headers, embedded fonts and an
``invariant`` mode that keeps the file byte-identical for the same inputs. Maps are drawn by
geo.render.static_map (same classes as the screen) and embedded as 200 dpi images.

Made to survive a greyscale printer: the sequential ramp is monotonic in lightness, areas over
the 1:200 limit are hatched as well as outlined, and no table relies on colour. Every figure is
computed here from the model (geo.measures, geo.fair_share), never typed in.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib
import pandas as pd

from geo import disclosure, rules
from geo.errors import GeoError
from geo.exports import CAVEATS, source_rows
from geo.fair_share import NOT_COMPARED, fair_shares, region_shares
from geo.measures import Filters, change_notes, headline, lad_table, not_shown, rank
from geo.model import Model
from geo.render import marking as marking_rules
from geo.render import static_map as sm
from geo.text import joined, number, quarter_label, rank_text, signed

PAGE_MARGIN_MM = 14
MAP_MEASURE = "per_1000"
COUNCIL_MEASURE = "limit_used"
NEAR_LIMIT = 0.9  # share of the limit from which an authority is "close to the limit"
WARD_NEEDS_SITES = "Ward-level dispersal needs site records; none were loaded for this pack."


# ----------------------------------------------------------------------------- fonts & styles

def _fonts() -> tuple[str, str]:
    """Register matplotlib's bundled DejaVu fonts once, so PDF text matches the maps."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "DejaVu" not in pdfmetrics.getRegisteredFontNames():
        folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
        pdfmetrics.registerFont(TTFont("DejaVu", str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(folder / "DejaVuSans-Bold.ttf")))
        addMapping("DejaVu", 0, 0, "DejaVu")
        addMapping("DejaVu", 1, 0, "DejaVu-Bold")
    return "DejaVu", "DejaVu-Bold"


def _styles() -> dict[str, Any]:
    from reportlab.lib.styles import ParagraphStyle

    regular, bold = _fonts()
    base = ParagraphStyle("body", fontName=regular, fontSize=10, leading=13.5)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10.5),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.5, leading=9),
        "cover": ParagraphStyle("cover", parent=base, fontName=bold, fontSize=28, leading=34),
        "cover2": ParagraphStyle("cover2", parent=base, fontSize=16, leading=22),
        "h1": ParagraphStyle("h1", parent=base, fontName=bold, fontSize=17, leading=22, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontName=bold, fontSize=12, leading=16, spaceBefore=8,
                             spaceAfter=3),
        "big": ParagraphStyle("big", parent=base, fontName=bold, fontSize=13, leading=16),
    }


# ----------------------------------------------------------------------------- small helpers

def period_phrase(period: pd.Timestamp) -> str:
    """'quarter ending 30 September 2024', for use mid-sentence."""
    text = sm.period_text(period)
    return text[0].lower() + text[1:]


def percent(value: float | None) -> str:
    return "no estimate" if value is None or pd.isna(value) else f"{value:.0%}"


def _table(rows: list[list[Any]], widths: Sequence[float], *, header_rows: int = 1,
           bold_rows: Sequence[int] = (), align_right_from: int = 1, compact: bool = False) -> Any:
    """A greyscale-safe table: grey header, thin rules, numbers right-aligned."""
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    regular, bold = _fonts()
    style = [
        ("FONTNAME", (0, 0), (-1, -1), regular), ("FONTSIZE", (0, 0), (-1, -1), 7.8 if compact else 8.5),
        ("LEADING", (0, 0), (-1, -1), 9.2 if compact else 10.5),
        ("FONTNAME", (0, 0), (-1, header_rows - 1), bold),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), colors.HexColor("#d9d9d9")),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.HexColor("#999999")),
        ("LINEBELOW", (0, header_rows - 1), (-1, header_rows - 1), 0.8, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (align_right_from, 0), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.2 if compact else 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2 if compact else 2.5),
    ]
    for r in bold_rows:
        style += [("FONTNAME", (0, r), (-1, r), bold), ("BACKGROUND", (0, r), (-1, r), colors.HexColor("#f0f0f0"))]
    table = Table(rows, colWidths=list(widths), repeatRows=header_rows, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def _map_image(content: sm.MapContent, width_in: float, height_in: float, *, ranking: bool = True) -> Any:
    """A print-safe map panel as an embedded image of exactly the given size."""
    from reportlab.lib.units import inch
    from reportlab.platypus import Image

    with matplotlib.rc_context(sm.RC):
        fig = sm.new_figure(width_in, height_in)
        sm.draw_panel(fig, content, (0.05, 0.05, width_in - 0.1, height_in - 0.1), print_safe=True,
                      with_ranking=ranking, fontsize=8.5)
        png = sm.render_png_bytes(fig, dpi=200)
    return Image(io.BytesIO(png), width=width_in * inch, height=height_in * inch)


# ----------------------------------------------------------------------------- selection

class Selection:
    """What the pack is about: one authority, one region, or the UK, and the quarter."""

    def __init__(self, model: Model, lad_code: str | None, region: str | None,
                 period: pd.Timestamp | str | None) -> None:
        self.period = sm.check_period(model, period)
        self.lad_code = sm.check_lad(model, lad_code) if lad_code else None
        lads = model.lads.set_index("lad_code")
        self.lad_name: str | None
        self.region: str | None
        if self.lad_code:
            self.lad_name = str(lads.at[self.lad_code, "lad_name"])
            self.region = str(lads.at[self.lad_code, "region"])
        else:
            self.lad_name = None
            self.region = sm.check_region(model, region) if region else None

    @property
    def name(self) -> str:
        if self.lad_code:
            return f"{self.lad_name} ({self.region})"
        return self.region or "United Kingdom"

    @property
    def area(self) -> str:
        """The map area: the authority's region, the region, or the UK."""
        return self.region or "United Kingdom"

    def filters(self) -> Filters:
        return Filters(regions=(self.region,)) if self.region else Filters()


# ----------------------------------------------------------------------------- sections

def cover_release(model: Model, period: pd.Timestamp) -> str:
    """The release of the file that speaks for the pack's quarter (never Asy_D11's 'year ending
    September 2024' on a December 2025 pack), naming the file when it is not Asy_D11."""
    sid = model.period_source(period) or "asy_d11"
    prov = model.provenance.get(sid)
    if prov is None:
        return str(model.stats_release)
    return prov.release if sid == "asy_d11" else f"{prov.title}, {prov.release}"


def _cover(model: Model, sel: Selection, made_on: date, marking: str, sections: list[str],
           st: dict[str, Any]) -> list[Any]:
    from reportlab.platypus import Paragraph, Spacer

    release = cover_release(model, sel.period)
    flow = [Spacer(1, 50), Paragraph("Asylum accommodation briefing", st["cover"]), Spacer(1, 10),
            Paragraph(sel.name, st["cover2"]), Paragraph(sm.period_text(sel.period), st["cover2"]),
            Spacer(1, 18),
            Paragraph(f"Made on {quarter_label(made_on)} from Home Office statistics ({release}).", st["body"]),
            Paragraph(f"<b>Marking: {marking}.</b> {marking_rules.HANDLING[marking]}", st["body"]),
            Spacer(1, 18), Paragraph("In this pack", st["h2"])]
    flow += [Paragraph(f"{i}. {title}", st["body"]) for i, title in enumerate(sections, start=1)]
    return flow


def _map_page(model: Model, sel: Selection, st: dict[str, Any]) -> list[Any]:
    from reportlab.platypus import Paragraph

    content = sm.map_content(model, level="lad", measure=MAP_MEASURE, period=sel.period,
                             region=sel.region, lad_code=sel.lad_code)
    title = f"Where people are supported: {sel.area}"
    note = (f"{sm.MEASURES[MAP_MEASURE]}, {period_phrase(sel.period)}. Classes: "
            f"{content.classes.legend_title.lower()} of the areas shown. Hatched with a red outline: "
            f"dispersed accommodation over the {rules.LIMIT_NAME} limit.")
    return [Paragraph(title, st["h1"]), Paragraph(note, st["small"]), _map_image(content, 10.3, 5.75)]


def _council_content(model: Model, sel: Selection, ward_measures: pd.DataFrame | None) -> sm.MapContent:
    """The council by ward when site records give ward figures, else with its neighbours."""
    assert sel.lad_code is not None, "a council page needs a council"
    if ward_measures is not None:
        return sm.map_content(model, level="ward", measure=COUNCIL_MEASURE, period=sel.period,
                              lad_code=sel.lad_code, ward_measures=ward_measures)
    content = sm.map_content(model, level="lad", measure=COUNCIL_MEASURE, period=sel.period,
                             lad_code=sel.lad_code)
    shape = model.lads.loc[model.lads["lad_code"] == sel.lad_code].to_crs(sm.BNG).geometry.iloc[0]
    near = content.areas[content.areas.intersects(shape.buffer(3000))]
    return replace(content, areas=near.reset_index(drop=True), label_codes=[sel.lad_code],
                   area_label=f"{sel.lad_name} and neighbours")


def headline_rows(model: Model, sel: Selection) -> list[list[str]]:
    """Measure, value, change on the quarter and on the year, for the authority."""
    assert sel.lad_code is not None, "headline rows are for one council"
    table = lad_table(model, sel.period)
    row = table.loc[table["lad_code"] == sel.lad_code].iloc[0]
    pop = row["population"]
    before_q = row["supported"] - row["supported_change_q"] if pd.notna(row["supported_change_q"]) else None
    hotel_key = "hotel" if pd.notna(row["hotel"]) or pd.isna(row["contingency"]) else "contingency"
    hotel_label = "In contingency hotels" if hotel_key == "hotel" else "In contingency (hotels and other)"
    return [
        ["Measure", "Value", "Change on\nquarter", "Change on\nyear"],
        ["People supported", number(row["supported"]), signed(row["supported_change_q"]),
         signed(row["supported_change_y"])],
        # Reg_02 gives hotels and other contingency together; a quarter's file may give neither.
        [hotel_label, number(row[hotel_key], missing=not_shown(model, sel.period, hotel_key)),
         signed(row[f"{hotel_key}_change_q"]), signed(row[f"{hotel_key}_change_y"])],
        ["In dispersed accommodation", number(row["dispersed"], missing=not_shown(model, sel.period, "dispersed")),
         signed(row["dispersed_change_q"]), signed(row["dispersed_change_y"])],
        ["Supported per 1,000 residents", number(row["per_1000"], 2),
         signed(row["supported_change_q"] / pop * 1000, 2) if pd.notna(pop) and before_q is not None
         else "not available",
         signed(row["supported_change_y"] / pop * 1000, 2) if pd.notna(pop) and pd.notna(row["supported_change_y"])
         else "not available"],
        [f"Dispersal against {rules.LIMIT_NAME} (1.00 = at the limit)", number(row["limit_used"], 2),
         signed(rules.limit_used(row["dispersed_change_q"], pop), 2),
         signed(rules.limit_used(row["dispersed_change_y"], pop), 2)],
        ["Places under the limit (headroom)", number(rules.headroom(row["dispersed"], pop)), "", ""],
        ["Residents (population estimate)", number(pop), "", ""],
        [f"Rank per 1,000 in {row['region']}", rank_text(*rank(table, sel.lad_code, "per_1000", within="region")),
         "", ""],
        ["Rank per 1,000 in the UK", rank_text(*rank(table, sel.lad_code, "per_1000")), "", ""],
        [f"Share of {row['region']}'s supported people", percent(row["share_of_region"]), "", ""],
    ]


def area_headline_rows(model: Model, sel: Selection) -> list[list[str]]:
    """The four headline numbers for a region or the UK, with their changes."""
    heads = headline(model, sel.period, sel.filters())
    rows = [["Measure", "Value", "Change on\nquarter", "Change on\nyear"]]
    for key, item in heads.items():
        shown = not_shown(model, sel.period, _published_measure(key)) if pd.isna(item.value) else number(item.value)
        rows.append([item.label, shown, _change_cell(item.q, item.change_q), _change_cell(item.y, item.change_y)])
    return rows


def _published_measure(key: str) -> str:
    """The period-table measure behind a headline ('over' is judged on dispersed people)."""
    return "dispersed" if key == "over" else key


def _change_cell(change: Any, value: float | None) -> str:
    """'+171', or 'not comparable' where the one change rule finds no like-for-like base."""
    return change.figure() if change is not None else signed(value)


def change_note_lines(model: Model, sel: Selection) -> list[str]:
    """What each headline change was computed over, where that is not plain (geo.changes)."""
    return change_notes(headline(model, sel.period, sel.filters()))


def scheme_rows(model: Model, sel: Selection) -> list[list[str]]:
    """The other Home Office schemes for the pack's council or area: figure, rate, meaning (geo.schemes)."""
    from geo import schemes

    if sel.lad_code:
        figures = schemes.council_figures(model, sel.lad_code, sel.period)
    else:
        lads = model.lads if not sel.region else model.lads[model.lads["region"] == sel.region]
        figures = schemes.figures(model, sel.period, list(lads["lad_code"]))
    return [["Scheme", "People", "Per 10,000 residents", "What it counts"]] + [
        [f.label, f.value_text(), f.per_10k_text(), f.meaning] for f in figures]


def _schemes_block(model: Model, sel: Selection, st: dict[str, Any]) -> list[Any]:
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, Spacer

    from geo import schemes

    head = [Paragraph(f"Other Home Office schemes, {quarter_label(sel.period.date())}", st["h2"])]
    if schemes.at_period(model, sel.period).empty:
        return head + [Paragraph(f"Homes for Ukraine and the Afghan Resettlement Programme are "
                                 f"{schemes.NOT_PUBLISHED} for this quarter. "
                                 f"{schemes.source_line(model, sel.period)}", st["small"])]
    cell = st["cell"]
    rows = [[Paragraph(str(c), cell) for c in row] for row in scheme_rows(model, sel)]
    return head + [_table(rows, [1.9 * inch, 0.8 * inch, 0.8 * inch, 3.4 * inch], align_right_from=99,
                          compact=True),
                   Paragraph(schemes.source_line(model, sel.period), st["small"]), Spacer(1, 10)]


def _council_page(model: Model, sel: Selection, ward_measures: pd.DataFrame | None, made_on: date,
                  st: dict[str, Any]) -> list[Any]:
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, Spacer, Table

    content = _council_content(model, sel, ward_measures)
    figures = _table(headline_rows(model, sel), [2.6 * inch, 0.8 * inch, 0.8 * inch, 0.8 * inch])
    where = "by ward (from site records)" if ward_measures is not None else "and its neighbours"
    right = [Paragraph("Headline figures", st["h2"]), figures, Spacer(1, 6),
             Paragraph(f"Changes compare with the quarters ending "
                       f"{quarter_label((sel.period - pd.offsets.QuarterEnd(1)).date())} and "
                       f"{quarter_label((sel.period - pd.offsets.QuarterEnd(4)).date())}.", st["small"])]
    if ward_measures is None:
        right.append(Paragraph(WARD_NEEDS_SITES, st["small"]))
    layout = Table([[_map_image(content, 5.4, 5.5, ranking=False), right]],
                   colWidths=[5.55 * inch, 5.0 * inch], hAlign="LEFT")
    layout.setStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)])
    when = sm.period_text(sel.period)
    if ward_measures is not None:
        when = (f"Map: site records open on {quarter_label(made_on)}. Headline figures: Home Office "
                f"statistics, {period_phrase(sel.period)}.")
    return [Paragraph(f"{sel.lad_name}: {sm.MEASURES[COUNCIL_MEASURE].lower()}, {where}", st["h1"]),
            Paragraph(when, st["small"]), layout, *_schemes_block(model, sel, st)]


def _area_summary(model: Model, sel: Selection, st: dict[str, Any]) -> list[Any]:
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph, Spacer

    notes = [Paragraph(line, st["small"]) for line in change_note_lines(model, sel)]
    return [Paragraph(f"Headline figures: {sel.area}", st["h2"]),
            _table(area_headline_rows(model, sel), [2.6 * inch, 1.1 * inch, 1.3 * inch, 1.3 * inch]),
            *notes, Spacer(1, 16),  # the next section's heading would otherwise sit on the table's last rule
            *_schemes_block(model, sel, st)]


def _count_phrase(n: int) -> str:
    return "No authority" if n == 0 else f"{n} authorit{'y' if n == 1 else 'ies'}"


def _threshold_rows(frame: pd.DataFrame, name_cols: Sequence[str], hidden: pd.DataFrame | None = None
                    ) -> list[list[str]]:
    rows = []
    for i, r in frame.iterrows():
        dispersed = "[c]" if hidden is not None and "dispersed" in hidden and hidden.at[i, "dispersed"] \
            else number(r["dispersed"])
        headroom = rules.headroom(r["dispersed"], r["population"])  # negative: over by that many
        gives_back = dispersed == "[c]"  # issue 13: limit used and over by would give the hidden count back
        rows.append([*(str(r[c]) for c in name_cols), number(r["population"]), dispersed,
                     number(rules.capacity(r["population"])), "[c]" if gives_back else number(r["limit_used"], 2),
                     "[c]" if gives_back else number(abs(headroom))])
    return rows


def _over_page(model: Model, sel: Selection, ward_measures: pd.DataFrame | None,
               st: dict[str, Any]) -> list[Any]:
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph

    table = sel.filters().areas(lad_table(model, sel.period))
    over = table[table["over_threshold"].fillna(False).astype(bool)].sort_values("limit_used", ascending=False)
    near = table[(table["limit_used"] >= NEAR_LIMIT) & ~table["over_threshold"].fillna(False).astype(bool)]
    near = near.sort_values("limit_used", ascending=False)
    uk_over = headline(model, sel.period)["over"].value
    if pd.isna(uk_over):  # the quarter's file gives no dispersed figure: no status, not 'none over'
        return [Paragraph(f"Over the {rules.LIMIT_NAME} cluster limit: {sel.area}", st["h1"]),
                Paragraph(f"Not known for the {period_phrase(sel.period)}: people in dispersed accommodation are "
                          f"{not_shown(model, sel.period, 'dispersed')} "
                          f"({model.source_line(model.period_source(sel.period) or 'asy_d11')}).", st["body"])]
    widths = [2.2 * inch, 1.7 * inch, 1.05 * inch, 1.0 * inch, 1.15 * inch, 0.95 * inch, 1.3 * inch]
    head = ["Authority", "Region", "Residents", "Dispersed", f"Limit ({rules.LIMIT_NAME})", "Limit used"]
    flow = [Paragraph(f"Over the {rules.LIMIT_NAME} cluster limit: {sel.area}", st["h1"]),
            Paragraph(f"{_count_phrase(len(over))} in {sel.area} "
                      f"{'is' if len(over) <= 1 else 'are'} over the limit in the "
                      f"{period_phrase(sel.period)} ({uk_over} across the UK). The limit is "
                      f"residents ÷ {rules.CLUSTER_LIMIT}, in whole people; 'limit used' 1.00 means exactly at it.",
                      st["body"])]
    if len(over):
        flow.append(_table([head + ["Over by"]] + _threshold_rows(over, ["lad_name", "region"]), widths))
    flow.append(Paragraph(f"Close to the limit ({NEAR_LIMIT:.0%} or more of it used)", st["h2"]))
    if len(near):
        flow.append(_table([head + ["Places left"]] + _threshold_rows(near.head(15), ["lad_name", "region"]),
                           widths))
    else:
        flow.append(Paragraph(f"No {'other ' if len(over) else ''}authority in {sel.area} has used "
                              f"{NEAR_LIMIT:.0%} of its limit.",
                              st["body"]))
    flow.append(Paragraph("Wards over the limit", st["h2"]))
    if ward_measures is None:
        flow.append(Paragraph(WARD_NEEDS_SITES, st["body"]))
        return flow
    wards = sm.ward_table(model, ward_measures)
    if sel.lad_code:
        wards = wards[wards["lad_code"] == sel.lad_code]
    elif sel.region:
        wards = wards[wards["region"] == sel.region]
    hidden = disclosure.suppress(wards.reset_index(drop=True),  # cells of the full table (issue 13)
                                 full=sm.ward_table(model, ward_measures)).mask
    wards = wards.reset_index(drop=True)
    over_flag = wards["over_threshold"].fillna(False).astype(bool)
    if "over_threshold" in hidden.columns:  # being listed as over would give a hidden count away (issue 13)
        over_flag &= ~hidden["over_threshold"].to_numpy()
    over_w = wards[over_flag].sort_values("limit_used", ascending=False)
    if over_w.empty:
        flow.append(Paragraph("No ward in the selection is over the limit on the site records loaded.",
                              st["body"]))
    else:
        flow.append(_table([["Ward", "Authority"] + head[2:] + ["Over by"]] +
                           _threshold_rows(over_w.head(25), ["ward_name", "lad_name"], hidden), widths))
    flow.append(Paragraph("Ward figures come from the council's site records, not Home Office statistics. "
                          + disclosure.NOTE, st["small"]))
    return flow


def _sites_in(model: Model, sites: pd.DataFrame, sel: Selection) -> pd.DataFrame:
    frame = sm.sites_with_wards(model, sites)
    if sel.lad_code:
        return frame[frame["lad_code"] == sel.lad_code]
    if sel.region:
        codes = set(model.lads.loc[model.lads["region"] == sel.region, "lad_code"])
        return frame[frame["lad_code"].isin(codes)]
    return frame


def _dates(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(pd.NaT, index=frame.index)
    return pd.to_datetime(frame[column], errors="coerce")


def hotel_rows(model: Model, sites: pd.DataFrame, sel: Selection) -> tuple[list[list[str]], list[list[str]]]:
    """(hotels by status, openings/closures/acquisitions by quarter for the last year)."""
    frame = _sites_in(model, sites, sel)
    kind = frame.get("site_type", pd.Series("", index=frame.index)).astype(str)
    status = frame.get("status", pd.Series("open", index=frame.index)).fillna("open").astype(str).str.lower()
    hotels = frame[kind == "hotel"]
    beds = pd.to_numeric(hotels.get("bed_spaces"), errors="coerce") if "bed_spaces" in hotels else None
    people = pd.to_numeric(hotels.get("people"), errors="coerce") if "people" in hotels else None
    by_status = [["Hotel sites", "Sites", "Bed spaces", "People"]]
    for label in ("open", "planned", "closed"):
        mask = status[hotels.index] == label
        by_status.append([label.capitalize(), number(int(mask.sum())),
                          number(beds[mask].sum()) if beds is not None else "not recorded",
                          number(people[mask].sum()) if people is not None else "not recorded"])
    quarters = [sel.period - pd.offsets.QuarterEnd(i) for i in range(3, -1, -1)]
    opened, closed, acquired = _dates(hotels, "opened"), _dates(hotels, "closed"), _dates(frame, "acquired")
    changes = [["Quarter ending", "Hotels opened", "Hotels closed", "Properties acquired"]]
    for end in quarters:
        start = end - pd.offsets.QuarterEnd(1)
        counts = [int(((series > start) & (series <= end)).sum()) for series in (opened, closed, acquired)]
        changes.append([quarter_label(end.date()), *map(str, counts)])
    return by_status, changes


def _hotel_page(model: Model, sel: Selection, sites: pd.DataFrame, st: dict[str, Any]) -> list[Any]:
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph

    by_status, changes = hotel_rows(model, sites, sel)
    table = sel.filters().areas(lad_table(model, sel.period))
    if sel.lad_code:
        table = table[table["lad_code"] == sel.lad_code]
    published = int(table["hotel"].sum())
    return [Paragraph(f"Hotel use and acquisitions: {sel.lad_name or sel.area}", st["h1"]),
            Paragraph(f"From the site records loaded. For comparison, Home Office statistics count "
                      f"{published:,} people in contingency hotels here at "
                      f"{quarter_label(sel.period.date())}.", st["body"]),
            Paragraph("Hotels by status", st["h2"]),
            _table(by_status, [2.2 * inch, 1.1 * inch, 1.2 * inch, 1.1 * inch]),
            Paragraph("Openings, closures and acquisitions in the last four quarters", st["h2"]),
            _table(changes, [2.2 * inch, 1.3 * inch, 1.3 * inch, 1.6 * inch])]


def fair_share_rows(model: Model, sel: Selection) -> tuple[str, list[list[str]], list[int]]:
    """(heading, rows, rows to embolden): authorities in the region, or regions of the UK."""
    table = lad_table(model, sel.period)
    head = ["Residents", "Supported", "Fair share", "Difference", "Ratio", "Status"]
    if not sel.region:
        shares = region_shares(table, measure="supported").sort_values("ratio_to_fair", ascending=False)
        rows = [["Region or nation", *head]]
        for _, r in shares.iterrows():
            rows.append([str(r["region"]), number(r["population"]), number(r["supported"]),
                         number(r["fair_share_people"]), signed(r["difference_people"]),
                         number(r["ratio_to_fair"], 2), str(r["status"])])
        return "Fair share between regions and nations of the UK", rows, []
    shares = fair_shares(table, group="region", measure="supported")
    shares = shares[shares["group"] == sel.region].sort_values(["ratio_to_fair", "lad_name"],
                                                              ascending=[False, True], na_position="last")
    rows, bold = [["Authority", *head]], []
    for _, r in shares.iterrows():
        if r["lad_code"] == sel.lad_code:
            bold.append(len(rows))
        gap = str(r["status"]) if r["status"] in NOT_COMPARED else "not available"
        rows.append([str(r["lad_name"]), number(r["population"]), number(r["supported"], missing=gap),
                     number(r["fair_share_people"], missing=gap), signed(r["difference_people"]),
                     number(r["ratio_to_fair"], 2, missing=gap), str(r["status"])])
    return f"Fair share within {sel.region}", rows, bold


def not_compared_sentence(model: Model, period: pd.Timestamp) -> str:
    """' Barnsley and Sheffield: not in this file, so their residents are left out too.' or ''."""
    table = lad_table(model, period)
    gaps = fair_shares(table, group=None, measure="supported").attrs["authorities_not_compared"]
    if not gaps:
        return ""
    names = table.set_index("lad_code")["lad_name"]
    by_state: dict[str, list[str]] = {}
    for code, state in gaps.items():
        by_state.setdefault(state, []).append(str(names.get(code, code)))
    parts = [f"{joined(sorted(found))}: {state}" for state, found in by_state.items()]
    return (" " + "; ".join(parts) + ", so their residents are left out of every fair share too "
            "(the same councils on both sides of each ratio).")


def _fair_share_page(model: Model, sel: Selection, st: dict[str, Any]) -> list[Any]:
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph

    heading, rows, bold = fair_share_rows(model, sel)
    group = sel.region or "the UK"
    return [Paragraph(heading, st["h1"]),
            Paragraph(f"Fair share = people supported in {group} × the area's share of {group}'s "
                      f"residents. Ratio above 1 means more than its population share; 'at fair share' "
                      f"is within 5%. Areas without a population estimate are listed but not compared."
                      f"{not_compared_sentence(model, sel.period)}", st["small"]),
            _table(rows, [2.6 * inch, 1.05 * inch, 1.0 * inch, 1.0 * inch, 1.0 * inch, 0.7 * inch, 1.8 * inch],
                   bold_rows=bold, compact=len(rows) > 25)]


def place_share_rows(model: Model, sel: Selection, weights: Mapping[str, float] | None,
                     schemes: Sequence[str]) -> tuple[Any, list[list[str]], list[list[str]], list[str]]:
    """(result, indicator rows, rows of councils whose status moves, defaults left out) for the method page.

    ``weights`` None means the documented defaults (the memorandum's pressures), less those whose
    pressure file is not loaded: a pack made from the Home Office and ONS files alone still has its
    method page, and says which default weights it could not apply and why. Weights asked for by
    name are applied or refused, never dropped."""
    from geo import place_share
    from geo import pressure_share as ps

    left_out: list[str] = []
    if weights is None:
        found, absent = place_share.indicators(model, [])
        loaded = {i.key for i in found}
        chosen = {k: w for k, w in ps.MEMORANDUM_WEIGHTS.items() if k in loaded}
        left_out = [absent.get(k, k) for k in ps.MEMORANDUM_WEIGHTS if k not in loaded]
    else:
        chosen = dict(weights)
    request = place_share.Request(area=sel.region or place_share.UK, period=sel.period, schemes=tuple(schemes),
                                  weights=tuple(sorted(chosen.items())))
    result = place_share.compute(model, request)
    t = result.table
    rows = [["Indicator", "Weight", "Period", "Source", "Councils with a figure"]]
    for ind in result.indicators:
        rows.append([ind.label, number(result.weights.get(ind.key, 0.0), 2), ind.period, ind.source,
                     f"{int(t[f'value_{ind.key}'].notna().sum())} of {len(t)}"])
    moved = ps.status_changes(result)
    changes = [["Authority", "Population only", "Pressure-weighted", "Fair share (population)",
                "Fair share (weighted)"]]
    for _, r in moved.iterrows():
        changes.append([str(r["lad_name"]), str(r["status_population"]), str(r["status"]),
                        number(r["fair_share_population"]), number(r["fair_share"])])
    return result, rows, changes, left_out


def _place_share_page(model: Model, sel: Selection, st: dict[str, Any], weights: Mapping[str, float] | None,
                      schemes: Sequence[str]) -> list[Any]:
    """The place-based fair share's method: rule in words, formula, weights and sources, what moves."""
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph

    result, rows, changes, left_out = place_share_rows(model, sel, weights, schemes)
    cell = st["cell"]
    table_rows = [rows[0]] + [[Paragraph(str(c), cell) for c in r] for r in rows[1:]]
    flow = [Paragraph("Place-based fair share: method", st["h1"]),
            Paragraph(result.rule.words, st["small"]),
            Paragraph(f"Formula: {result.rule.formula}", st["small"]),
            _table(table_rows, [2.6 * inch, 0.7 * inch, 2.6 * inch, 3.6 * inch, 1.2 * inch], align_right_from=99,
                   compact=True)]
    if left_out:
        flow.append(Paragraph("Default weights not applied, because their files are not loaded: "
                              + "; ".join(left_out) + ".", st["small"]))
    if len(changes) > 1:
        flow += [Paragraph(f"Councils in {sel.area} whose status changes from population only", st["h2"]),
                 _table(changes, [2.6 * inch, 1.6 * inch, 1.6 * inch, 1.4 * inch, 1.4 * inch],
                        compact=len(changes) > 25)]
    else:
        flow.append(Paragraph(f"No council in {sel.area} changes status with these weights.", st["small"]))
    return flow


def _sources_page(model: Model, sel: Selection, sites_used: bool, st: dict[str, Any]) -> list[Any]:
    from reportlab.lib.units import inch
    from reportlab.platypus import Paragraph

    ids = sm.map_sources("ward" if sites_used else "lad", sites_used, model.period_source(sel.period))
    rows = [["Source", "Publisher and release", "File and SHA-256", "Licence"]]
    cell = st["cell"]
    for src in source_rows([model.provenance[i] for i in ids if i in model.provenance]):
        rows.append([Paragraph(src["title"], cell), Paragraph(f"{src['publisher']}<br/>{src['release']}", cell),
                     Paragraph(f"{src['file']}<br/><font size=6.5>{src['sha256']}</font>", cell),
                     Paragraph(src["licence"], cell)])
    flow = [Paragraph("Sources and caveats", st["h1"]), Paragraph("Caveats", st["h2"])]
    flow += [Paragraph(f"• {c}", st["small"]) for c in CAVEATS]
    if sites_used:
        flow.append(Paragraph("• Site records are the council's own, held under its data-sharing agreement; "
                              + disclosure.NOTE, st["small"]))
    flow += [Paragraph("Files used", st["h2"]),
             _table(rows, [2.5 * inch, 2.3 * inch, 3.2 * inch, 2.5 * inch], align_right_from=99, compact=True),
             Paragraph(sm.os_notice(model) + ". Open Government Licence v3.0.", st["small"])]
    return flow


# ----------------------------------------------------------------------------- the document

def _page_decorator(marking: str, selection: str, made_on: date) -> Callable[[Any, Any], None]:
    """Marking banners top and bottom of every page, with page number and date made."""
    from reportlab.lib import colors

    regular, bold = _fonts()

    def draw(canvas: Any, doc: Any) -> None:
        width, height = doc.pagesize
        band = 16
        canvas.saveState()
        canvas.setFillColor(colors.HexColor(marking_rules.banner_colour(marking)))
        canvas.rect(0, height - band, width, band, stroke=0, fill=1)
        canvas.rect(0, 0, width, band, stroke=0, fill=1)
        canvas.setFillColor(colors.white)
        canvas.setFont(bold, 9.5)
        canvas.drawCentredString(width / 2, height - band + 4.5, marking)
        canvas.drawCentredString(width / 2, 4.5, marking)
        canvas.setFillColor(colors.HexColor("#333333"))
        canvas.setFont(regular, 7.5)
        canvas.drawString(doc.leftMargin, band + 6, f"Asylum accommodation briefing: {selection}. "
                                                    f"Made on {quarter_label(made_on)}.")
        canvas.drawRightString(width - doc.rightMargin, band + 6, f"Page {doc.page}")
        canvas.restoreState()

    return draw


def section_titles(sel: Selection, sites: bool) -> list[str]:
    titles = [f"Map: where people are supported in {sel.area}"]
    if sel.lad_code:
        titles.append(f"{sel.lad_name}: map and headline figures")
    else:
        titles.append(f"Headline figures for {sel.area}")
    titles.append("Authorities and wards over the 1:200 limit")
    if sites:
        titles.append("Hotel use and acquisitions")
    titles += ["Fair share" + (f" within {sel.region}" if sel.region else " between regions"),
               "Place-based fair share: method", "Sources and caveats"]
    return titles


def briefing_pack(model: Model, *, lad_code: str | None = None, region: str | None = None,
                  period: pd.Timestamp | str | None = None, out: Path, made_on: date,
                  sites: pd.DataFrame | None = None, ward_measures: pd.DataFrame | None = None,
                  marking: str | None = None, illustrative: bool = False,
                  place_weights: Mapping[str, float] | None = None,
                  place_schemes: Sequence[str] = ("asylum",)) -> Path:
    """Write the A4 landscape briefing PDF for an authority, a region or the UK.

    Site records (a table or GeoDataFrame of sites) add ward-level dispersal and the hotel page
    and make the pack OFFICIAL-SENSITIVE; ward_measures may be passed instead of or with them.
    ``illustrative`` (or site records from the generated sample) labels the cover and every page
    "ILLUSTRATIVE - not real sites", so a sample pack is never taken for real. ``place_weights``
    and ``place_schemes`` set the place-based fair share's method page (None: the documented defaults).
    """
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.platypus import BaseDocTemplate, Frame, PageBreak, PageTemplate, Paragraph

    if lad_code and region:
        raise GeoError("give an authority or a region, not both")
    sel = Selection(model, lad_code, region, period)
    from geo.access.tracing import ILLUSTRATIVE, is_illustrative
    from geo.sites.sample import scaling_note

    illustrative = bool(illustrative or (sites is not None and is_illustrative(sites)))
    if ward_measures is None and sites is not None:
        ward_measures = sm.ward_measures_from_sites(model, sites, as_at=made_on)
    site_derived = sites is not None or ward_measures is not None
    chosen = marking_rules.check_marking(marking, marking_rules.marking_for(site_level=sites is not None,
                                                                           site_derived=site_derived))
    st = _styles()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    margin = PAGE_MARGIN_MM * mm
    doc = BaseDocTemplate(str(out), pagesize=landscape(A4), leftMargin=margin, rightMargin=margin,
                          topMargin=margin + 6, bottomMargin=margin + 10, invariant=1,
                          title=f"Asylum accommodation briefing: {sel.name}", author=sm.APP_NAME,
                          subject=chosen, creator=sm.APP_NAME, keywords=[chosen])
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body")
    shown = f"{ILLUSTRATIVE}: {sel.name}" if illustrative else sel.name
    doc.addPageTemplates([PageTemplate("page", [frame], onPage=_page_decorator(chosen, shown, made_on))])

    titles = section_titles(sel, sites is not None)
    story: list[Any] = _cover(model, sel, made_on, chosen, titles, st)
    if illustrative:
        scaled = scaling_note(sites["notes"], sel.period) if sites is not None and "notes" in sites else ""
        story.insert(1, Paragraph(f"<b>{ILLUSTRATIVE}.</b> Site figures in this pack come from the generated "
                                  f"sample, not from any council. Do not quote them.{scaled}", st["cover2"]))
    story.append(PageBreak())
    story += _map_page(model, sel, st) + [PageBreak()]
    if sel.lad_code:
        story += _council_page(model, sel, ward_measures, made_on, st) + [PageBreak()]
    else:
        story += _area_summary(model, sel, st)
    story += _over_page(model, sel, ward_measures, st) + [PageBreak()]
    if sites is not None:
        story += _hotel_page(model, sel, sites, st) + [PageBreak()]
    story += _fair_share_page(model, sel, st) + [PageBreak()]
    story += _place_share_page(model, sel, st, place_weights, place_schemes) + [PageBreak()]
    story += _sources_page(model, sel, site_derived, st)
    story.append(Paragraph(f"Marking: {chosen}.", st["small"]))
    doc.build(story)
    return out
