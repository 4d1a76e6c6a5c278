"""End to end in real headless Chromium: the app served by ``streamlit run``, the deck.gl map drawn
with WebGL, the legend and headline numbers on screen, a ward view link reopening its ward."""
from __future__ import annotations

import io

import pandas as pd
import pytest

import published_files
from conftest import REQUIRE_E2E, SHARED, needs_shared
from e2e_server import CHROMIUM

WAIT_MS = 120_000
# CI sets this: there a missing browser must fail the run, not skip the end-to-end tests quietly.
REQUIRED = REQUIRE_E2E  # CI=true or AAM_REQUIRE_E2E=1: a missing browser fails

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED, reason="Debian's /usr/bin/chromium is not installed"),
    needs_shared,
]




@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    page.errors = []  # uncaught exceptions in the page
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    context.close()


def distinct_colours(png: bytes) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB").resize((240, 240))
    return len(image.getcolors(maxcolors=240 * 240))


# The element that holds a map: Streamlit's pydeck chart, or the frame of the app's own map
# component (ui/deck_component.py) that the overview, council, ward and presentation maps use.
MAP = "[data-testid=stDeckGlJsonChart], [data-testid=stCustomComponentV1]"


def map_canvas(page):
    """The map's deck.gl canvas, inside the component's frame when the map is the app's own."""
    if page.locator("[data-testid=stDeckGlJsonChart]").count():
        return page.locator("[data-testid=stDeckGlJsonChart] canvas").first
    return page.frame_locator("[data-testid=stCustomComponentV1]").first.locator("canvas").first


def map_tooltip(page):
    """The map's tooltip: deck.gl's own, or the component's (drawn inside its frame)."""
    if page.locator("[data-testid=stDeckGlJsonChart]").count():
        return page.locator(".deck-tooltip")
    return page.frame_locator("[data-testid=stCustomComponentV1]").first.locator("#tip")


MAPS_DRAWN = """() => {
  const frames = [...document.querySelectorAll('iframe[data-testid=stCustomComponentV1]')];
  const charts = [...document.querySelectorAll('[data-testid=stDeckGlJsonChart] canvas')];
  const shown = (e) => e.getBoundingClientRect().height > 0;
  const drawn = (f) => { try { return (f.contentWindow.aamMapLog || []).some((e) => e[0] === 'drawn'); }
                         catch (err) { return false; } };
  return frames.length + charts.length > 0 && frames.every((f) => shown(f) && drawn(f)) && charts.every(shown);
}"""


def wait_for_maps_drawn(page) -> None:
    """Every map on the page shown and (the app's own) drawn, waited for without scrolling: to screenshot
    a canvas partly below the window Playwright scrolls it into view, which is the test's scroll, not
    the page's. Under load a map's frame can still be 0 px tall when the script has finished."""
    page.wait_for_function(MAPS_DRAWN, timeout=WAIT_MS)


def wait_for_map(page, min_colours: int) -> bytes:
    """The deck.gl canvas, once WebGL has drawn into it (a blank canvas has one colour)."""
    canvas = map_canvas(page)
    canvas.wait_for(state="visible", timeout=WAIT_MS)
    shot = b""
    for _ in range(60):
        shot = canvas.screenshot()
        if distinct_colours(shot) >= min_colours:
            return shot
        page.wait_for_timeout(1000)
    raise AssertionError(f"the map canvas stayed blank ({distinct_colours(shot)} colours)")


def latest_supported() -> tuple[pd.Timestamp, int]:
    from geo.asylum_stats import read_asy_d11

    table = read_asy_d11(published_files.D11).table
    latest = table["period"].max()
    return latest, int(table.loc[table["period"] == latest, "people"].sum())


def test_overview_draws_the_map_legend_and_headlines(streamlit_app, page, tmp_path) -> None:
    latest, supported = latest_supported()
    # The latest quarter of Asy_D11 (later quarters come from Reg_02 and the totals series: issue 14).
    page.goto(streamlit_app + f"/?period={latest.date().isoformat()}", wait_until="domcontentloaded")
    page.get_by_text("Red outline: Over the 1:200 limit").wait_for(timeout=WAIT_MS)
    legend = page.locator(".aam-legend").first
    assert "Quantiles" in legend.inner_text() and "People supported per 1,000 residents" in legend.inner_text()
    values = page.get_by_test_id("stMetricValue")
    values.first.wait_for(timeout=WAIT_MS)
    assert values.first.inner_text().strip() == f"{supported:,}"
    assert page.get_by_text(f"As at {latest.day} {latest.strftime('%B %Y')}").count() >= 1
    shot = wait_for_map(page, min_colours=5)  # class colours, grey, boundaries, outline
    (tmp_path / "map.png").write_bytes(shot)
    page.screenshot(path=str(tmp_path / "overview.png"))
    assert (tmp_path / "overview.png").stat().st_size > 20_000
    assert f"period={latest.date().isoformat()}" in page.url  # the view is in the link
    assert_tooltip_not_clipped(page)
    assert not page.errors, page.errors


def assert_tooltip_not_clipped(page) -> None:
    """Hover a council on the east coast: its tooltip, wider than the room left of the map's edge,
    must still be seen whole. The map is drawn in a frame, which clips whatever runs past its
    edges, so the tooltip must turn to the pointer's left and stay inside the frame."""
    box = map_canvas(page).bounding_box()
    frame = page.locator("[data-testid=stCustomComponentV1]").first.bounding_box()
    tooltip = map_tooltip(page)
    y = box["y"] + 0.78 * box["height"]
    for step in range(30):  # walk in from the right until the pointer is over a council
        page.mouse.move(box["x"] + (0.97 - step * 0.02) * box["width"], y)
        page.wait_for_timeout(300)
        if tooltip.is_visible():
            break
    assert tooltip.is_visible(), "no council under the pointer on the east of the map"
    tip = tooltip.bounding_box()
    pointer_x = box["x"] + (0.97 - step * 0.02) * box["width"]
    assert pointer_x + 12 + tip["width"] > frame["x"] + frame["width"]  # no room for it on the right
    assert frame["x"] - 1 <= tip["x"] and tip["x"] + tip["width"] <= frame["x"] + frame["width"] + 1, (tip, frame)
    assert frame["y"] - 1 <= tip["y"] and tip["y"] + tip["height"] <= frame["y"] + frame["height"] + 1, (tip, frame)


def test_ward_link_reopens_the_ward_and_its_map(streamlit_app, page, tmp_path) -> None:
    wards = pd.read_csv(SHARED / "ons" / "ward_population_census2021_wd23.csv", encoding="utf-8-sig")
    row = wards[(wards["WD23NM"] == "Ainsdale") & (wards["LAD23NM"] == "Sefton")].iloc[0]
    page.goto(f"{streamlit_app}/ward?ward={row['WD23CD']}", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Ainsdale").wait_for(timeout=WAIT_MS)
    shot = wait_for_map(page, min_colours=4)
    (tmp_path / "ward-map.png").write_bytes(shot)
    page.screenshot(path=str(tmp_path / "ward.png"))
    assert page.get_by_test_id("stMetricValue").first.inner_text().strip() == f"{int(row['population']):,}"
    assert f"ward={row['WD23CD']}" in page.url
    assert not page.errors, page.errors


def test_clicking_a_neighbour_on_the_ward_map_opens_it(streamlit_app, page) -> None:
    wards = pd.read_csv(SHARED / "ons" / "ward_population_census2021_wd23.csv", encoding="utf-8-sig")
    row = wards[(wards["WD23NM"] == "Penny Lane") & (wards["LAD23NM"] == "Liverpool")].iloc[0]
    page.goto(f"{streamlit_app}/ward?ward={row['WD23CD']}", wait_until="domcontentloaded")
    page.get_by_role("heading", name="Penny Lane").wait_for(timeout=WAIT_MS)
    wait_for_map(page, min_colours=4)
    box = map_canvas(page).bounding_box()
    tooltip = map_tooltip(page)
    target = None
    for fy in (0.3, 0.5, 0.7):  # hover until the pointer is over a ward that is not Penny Lane
        for fx in (0.3, 0.4, 0.5, 0.6, 0.7):
            x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
            page.mouse.move(x, y)
            page.wait_for_timeout(300)
            name = tooltip.locator("b").first.inner_text().strip() if tooltip.is_visible() else ""
            if name and name != "Penny Lane":
                target = (x, y, name)
                break
        if target:
            break
    assert target, "no neighbouring ward under the pointer"
    x, y, name = target
    page.mouse.click(x, y)
    page.get_by_role("heading", name=name, exact=True).wait_for(timeout=WAIT_MS)
    codes = wards.loc[wards["WD23NM"] == name, "WD23CD"].tolist()  # the link names the ward clicked
    page.wait_for_function("codes => codes.some(c => window.location.search.includes('ward=' + c))",
                           arg=codes, timeout=WAIT_MS)
    assert not page.errors, page.errors
