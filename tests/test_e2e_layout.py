"""Screens in headless Chromium at 1920x1080, 1440x900, 1366x768 and 1280x720 (issue 17): nothing is
cut off (every metric, caption, heading, button and table cell is measured: scrollWidth larger than
clientWidth means an ellipsis or a clipped word), no table needs sideways scrolling, pages open at
their top, the overview is one screen on a laptop, presentation mode fills the screen, and the arrow
keys step its quarter. Screenshots go to the test's tmp folder, or to docs/ with
AAM_DOCS_SCREENSHOTS=1 (the README's presentation-mode pictures)."""
from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import ROOT, SHARED, needs_shared
from e2e_server import CHROMIUM
from test_e2e_chromium import REQUIRED, WAIT_MS, wait_for_map, wait_for_maps_drawn

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED, reason="Debian's /usr/bin/chromium is not installed"),
    needs_shared,  # skipped outside CI when ../shared/data is absent; a failure in CI
]

SIZES = [(1920, 1080), (1440, 900), (1366, 768), (1280, 720)]
LAPTOPS = {(1440, 900), (1366, 768)}
BIRMINGHAM = "E08000025"  # the most residents of any council: the "1,183,..." finding
FULL_QUARTER = "2024-09-30"  # a quarter with every measure published by council (Asy_D11)
DOCS = os.environ.get("AAM_DOCS_SCREENSHOTS") == "1"
# Council and ward views on a laptop: title, controls (in the title row), the numbers, the 1:200
# status box (.aam-over) and the map, all wholly in the window without scrolling.
ONE_SCREEN = ("title", "map", "numbers", "over")

MEASURE = """() => {
  const cut = [];
  const seen = e => e.offsetParent !== null || getComputedStyle(e).position === 'fixed';
  const sel = ['[data-testid=stMetric]', '[data-testid=stMetric] *', '.aam-card *', '[data-testid=stCaptionContainer]',
               'h1', 'h2', 'h3',
               'button', 'label', 'td', 'th', '.aam-over', '.aam-legend *'].join(',');
  for (const e of document.querySelectorAll(sel)) {
    if (!seen(e) || e.closest('[data-testid=stSidebar]')) continue;
    const style = getComputedStyle(e);
    const clips = style.overflowX !== 'visible' || style.textOverflow === 'ellipsis';
    if (clips && e.scrollWidth > e.clientWidth + 1) {
      cut.push([(e.innerText || '').trim().slice(0, 50), e.scrollWidth, e.clientWidth]);
    }
  }
  // A number or word that overflows visibly can still be cut by its card: measure the text itself.
  for (const e of document.querySelectorAll('[data-testid=stMetricValue], .aam-card .value')) {
    if (!seen(e)) continue;
    const card = e.closest('[data-testid=stMetric], .aam-card').getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(e);
    const text = range.getBoundingClientRect();
    if (text.right > card.right + 1 || text.left < card.left - 1) {
      cut.push([(e.innerText || '').trim().slice(0, 50), Math.round(text.right), Math.round(card.right)]);
    }
    const px = parseFloat(getComputedStyle(e).fontSize);  // one line is 1.1-1.3 of it, two lines over 2
    if (/[0-9]/.test(e.innerText) && text.height > 1.8 * px) {
      cut.push(['number broken across lines', e.innerText.trim()]);
    }
  }
  for (const e of document.querySelectorAll('[data-testid=stDataFrame] .dvn-scroller')) {
    if (e.scrollWidth > e.clientWidth + 1) cut.push(['table needs sideways scrolling', e.scrollWidth, e.clientWidth]);
  }
  const main = document.querySelector('[data-testid=stMain], .stMain');
  const box = e => {
    const r = e.getBoundingClientRect();
    return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width, height: r.height};
  };
  const all = s => [...document.querySelectorAll(s)].filter(seen).map(box);
  // The captions beside and under the first map: in the outermost row of columns that holds it.
  const first = document.querySelector('[data-testid=stCustomComponentV1], [data-testid=stDeckGlJsonChart]');
  let row = null;
  for (let e = first; e; e = e.parentElement) if (e.matches('[data-testid=stHorizontalBlock]')) row = e;
  const captions = row ? [...row.querySelectorAll('[data-testid=stCaptionContainer]')].filter(seen).map(box) : [];
  return {cut, scrolled: Math.max(window.scrollY, main ? main.scrollTop : 0), height: innerHeight, width: innerWidth,
          title: all('h1').slice(0, 1), slider: all('[data-testid=stSlider]'),
          map: all('[data-testid=stDeckGlJsonChart], [data-testid=stCustomComponentV1]'),
          numbers: all('[data-testid=stMetric], .aam-card'), over: all('.aam-over'), captions};
}"""




def _settled(page) -> None:
    """The script has finished its run (Streamlit marks the app 'notRunning')."""
    page.wait_for_function("() => { const a = document.querySelector('[data-test-script-state]');"
                           " return a && a.getAttribute('data-test-script-state') === 'notRunning'; }",
                           timeout=WAIT_MS)
    page.wait_for_timeout(1500)  # late layout: the map's chunk, fonts


def _open(browser, url: str, size: tuple[int, int]):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.goto(url, wait_until="domcontentloaded")
    _arrive(page)
    return context, page


def _reload(page) -> None:
    """The same page again in the same browser. The first load is laid out for ``ui.screen.DEFAULT``
    (the server has not yet seen the window); by now the page script has stored the window's size
    in a cookie, so this one is laid out for the window itself, as every later run is."""
    page.reload(wait_until="domcontentloaded")
    _arrive(page)


def _arrive(page) -> None:
    """Wait for the page to arrive, noting in ``page.opened_scroll`` any scroll it made on its own:
    once its script has finished, and again once its maps have drawn (a late map can make the page
    follow its bottom). Then wait for the map's pixels, for the screenshots, and go back to the top:
    that wait screenshots the canvas, which scrolls a map partly below the window into view (the
    test's scroll, not the page's; 49-51 px in CI when the maps were not yet shown)."""
    _settled(page)
    scrolled = _scrolled(page)
    wait_for_maps_drawn(page)
    _settled(page)
    page.opened_scroll = max(scrolled, _scrolled(page))
    wait_for_map(page, min_colours=4)
    page.evaluate("() => { const m = document.querySelector('[data-testid=stMain], .stMain');"
                  " if (m) m.scrollTop = 0; window.scrollTo(0, 0); }")


def _scrolled(page) -> float:
    return page.evaluate("() => { const m = document.querySelector('[data-testid=stMain], .stMain');"
                         " return Math.max(window.scrollY, m ? m.scrollTop : 0); }")


def _shoot(page, path: Path) -> None:
    """A screenshot, as a 256-colour PNG (maps and text keep every colour that matters; a fraction of the size)."""
    from PIL import Image

    image = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


DOC_SIZES = {(1920, 1080), (1366, 768)}  # docs/screens.md shows each page at these sizes


def _shot_path(tmp_path: Path, name: str, size: tuple[int, int]) -> Path:
    """Where a page's screenshot goes: docs/<name>-<w>x<h>.png with AAM_DOCS_SCREENSHOTS=1 at the
    sizes docs/screens.md shows, else the test's tmp folder."""
    if DOCS and size in DOC_SIZES:
        return ROOT / "docs" / f"{name}-{size[0]}x{size[1]}.png"
    return tmp_path / f"{name}.png"


def _fits(found: dict, names: tuple[str, ...]) -> list[str]:
    """What of ``names`` is not wholly inside the window (without scrolling)."""
    out = []
    for name in names:
        boxes = found[name]
        if not boxes:
            out.append(f"{name}: not on the page")
        for b in boxes:
            if b["top"] < -1 or b["bottom"] > found["height"] + 1 or b["right"] > found["width"] + 1:
                out.append(f"{name}: {b['top']:.0f}-{b['bottom']:.0f} px in a {found['height']} px window")
    return out


def _check(page, size: tuple[int, int], one_screen: tuple[str, ...]) -> dict:
    found = page.evaluate(MEASURE)
    assert not found["cut"], f"cut off at {size}: {found['cut']}"
    assert page.opened_scroll == 0, f"opened scrolled by {page.opened_scroll} px at {size}"
    problems = _fits(found, one_screen)
    assert not problems, f"not one screen at {size}: {problems}"
    assert not page.errors, page.errors
    return found


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_overview_fits_and_nothing_is_cut_off(streamlit_app, browser, tmp_path, size) -> None:
    context, page = _open(browser, streamlit_app + "/", size)
    try:
        if size in LAPTOPS:  # laid out for this window (the server has seen it), as every later visit is
            _reload(page)
        _shoot(page, _shot_path(tmp_path, "overview", size))
        _check(page, size, ("title", "slider", "map", "numbers", "over") if size in LAPTOPS else ())
        # Issue 27 asks that the captions beside and under the map stay in a 1366x768 window too
        # (``found["captions"]``). Not yet met: the cards' change lines and the like-for-like notes under
        # them end 20-250 px below it, so it is not asserted here.
    finally:
        context.close()


@pytest.mark.parametrize("size", [(1440, 900), (1366, 768)], ids=["1440x900", "1366x768"])
def test_overview_words_in_a_metric_card_are_not_cut_off(streamlit_app, browser, tmp_path, size) -> None:
    """Regression: at a quarter only the totals file covers (September 2025), three cards said "Not
    published"; the words ran past their card and read "Not publish" at 1440 px. The published files
    alone give such a card before December 2022 (hotels not yet split out by council)."""
    context, page = _open(browser, streamlit_app + "/?period=2022-09-30", size)
    try:
        values = [v.strip() for v in page.get_by_test_id("stMetricValue").all_inner_texts()]
        assert any(not any(ch.isdigit() for ch in v) for v in values), values  # a card in words
        _check(page, size, ())
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_council_view_has_no_cut_off_number_or_column(streamlit_app, browser, tmp_path, size) -> None:
    context, page = _open(browser, f"{streamlit_app}/council?lad={BIRMINGHAM}&period={FULL_QUARTER}", size)
    try:
        _shoot(page, _shot_path(tmp_path, "council", size))
        values = [v.strip() for v in page.get_by_test_id("stMetricValue").all_inner_texts()]
        assert not [v for v in values if v.endswith("…") or v.endswith("...")], values
        _check(page, size, ONE_SCREEN if size in LAPTOPS else ())
        if size in LAPTOPS:  # laid out for this window (the ward map's height comes from it) it still fits
            _reload(page)
            _shoot(page, tmp_path / "council-sized.png")
            _check(page, size, ONE_SCREEN)
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_ward_view_has_nothing_cut_off(streamlit_app, browser, tmp_path, size) -> None:
    wards = pd.read_csv(SHARED / "ons" / "ward_population_census2021_wd23.csv", encoding="utf-8-sig")
    code = wards[(wards["WD23NM"] == "Ainsdale") & (wards["LAD23NM"] == "Sefton")]["WD23CD"].iloc[0]
    context, page = _open(browser, f"{streamlit_app}/ward?ward={code}&period={FULL_QUARTER}", size)
    try:
        _shoot(page, _shot_path(tmp_path, "ward", size))
        _check(page, size, ONE_SCREEN if size in LAPTOPS else ())
        if size in LAPTOPS:  # laid out for this window (the map's height comes from it) it still fits
            _reload(page)
            _shoot(page, tmp_path / "ward-sized.png")
            _check(page, size, ONE_SCREEN)
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_presentation_mode_fills_the_screen(streamlit_app, browser, tmp_path, size) -> None:
    context, page = _open(browser, streamlit_app + "/?present=1", size)
    try:
        # The page stores the window size and redraws once for it; wait until the map is framed for it.
        page.wait_for_function("s => document.getElementById('aam-page-js')?.dataset.screen === s",
                               arg=f"{size[0]}x{size[1]}", timeout=WAIT_MS)
        opened = page.opened_scroll
        _arrive(page)  # the redrawn page
        page.opened_scroll = max(opened, page.opened_scroll)
        found = _check(page, size, ("title", "slider", "map", "numbers", "over"))
        for_readme = DOCS and size in {(1920, 1080), (1366, 768), (1280, 720)}
        shot = ROOT / "docs" / f"presentation-{size[0]}x{size[1]}.png" if for_readme else tmp_path / "present.png"
        _shoot(page, shot)
        assert shot.stat().st_size < 300_000
        the_map = found["map"][0]
        assert the_map["height"] >= 0.75 * size[1], f"the map is {the_map['height']:.0f} px tall of {size[1]}"
        assert the_map["width"] >= 0.3 * size[0], f"the map is {the_map['width']:.0f} px wide of {size[0]}"
        assert len(found["numbers"]) == 4
        value_px = page.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('.aam-card .value')).fontSize)")
        assert value_px >= 0.035 * size[1], f"numbers {value_px}px high: too small to read across a room"
        small = page.evaluate("""() => [...document.querySelectorAll('.aam-card *, .aam-over, .aam-present-source')]
            .filter(e => parseFloat(getComputedStyle(e).fontSize) < 13.5).map(e => e.innerText.slice(0, 40))""")
        assert not small, f"small text a chief executive needs: {small}"
    finally:
        context.close()


def test_arrow_keys_step_the_quarter_in_presentation_mode(streamlit_app, browser, model) -> None:
    context, page = _open(browser, streamlit_app + "/?present=1", (1280, 720))
    try:
        page.wait_for_function("() => document.getElementById('aam-page-js')?.dataset.screen === '1280x720'",
                               timeout=WAIT_MS)
        _settled(page)
        before = page.evaluate("() => new URLSearchParams(location.search).get('period')")
        page.locator("h1").first.click()  # focus on the page, not on a control
        page.keyboard.press("ArrowLeft")
        page.wait_for_function("p => new URLSearchParams(location.search).get('period') !== p", arg=before,
                               timeout=WAIT_MS)
        after = page.evaluate("() => new URLSearchParams(location.search).get('period')")
        # The quarter before, among those the loaded files cover (the published files skip from
        # September 2024 to December 2025).
        periods = sorted(model.periods)
        assert pd.Timestamp(after) == periods[periods.index(pd.Timestamp(before)) - 1]
        page.keyboard.press("ArrowRight")
        page.wait_for_function("p => new URLSearchParams(location.search).get('period') === p", arg=before,
                               timeout=WAIT_MS)
        assert not page.errors, page.errors
    finally:
        context.close()


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)], ids=["1366x768", "1920x1080"])
def test_council_presentation_mode_has_no_cut_off_number(streamlit_app, browser, tmp_path, size) -> None:
    """Regression: in presentation mode the five council cards forced 3.1rem numbers, and Birmingham's
    residents read "1,183,6" at 1366 px."""
    context, page = _open(browser, f"{streamlit_app}/council?lad={BIRMINGHAM}&period={FULL_QUARTER}&present=1", size)
    try:
        _shoot(page, tmp_path / "council-present.png")
        _check(page, size, ())
    finally:
        context.close()


def _drawn_height(png: bytes) -> int:
    """Rows of a map screenshot that hold anything but the page's white: how tall the drawing is."""
    from PIL import Image, ImageChops

    image = Image.open(io.BytesIO(png)).convert("RGB")
    box = ImageChops.difference(image, Image.new("RGB", image.size, (255, 255, 255))).getbbox()
    return 0 if box is None else box[3] - box[1]


def test_council_ward_map_is_large_on_a_first_visit_at_1920(streamlit_app, browser) -> None:
    """Issue 27, finding 8: at 1920x1080 the council's ward map was about 230x280 px. A first visit is
    laid out before the server knows the window (for a laptop's); the map's frame now takes its height
    from the window and the browser frames the wards for the size it really has."""
    size = (1920, 1080)
    context, page = _open(browser, f"{streamlit_app}/council?lad={BIRMINGHAM}&period={FULL_QUARTER}", size)
    try:
        frame = page.locator("[data-testid=stCustomComponentV1]").first
        box = frame.bounding_box()
        assert box and box["height"] >= 0.5 * size[1], f"the map's frame is {box} in a {size} window"
        # The browser re-frames the wards for the frame's real size: wait until they fill it (or time out).
        deadline, drawn = time.monotonic() + WAIT_MS / 1000, 0
        while drawn < 0.85 * box["height"] and time.monotonic() < deadline:
            drawn = _drawn_height(frame.screenshot())
        assert drawn >= 0.85 * box["height"], f"the wards are drawn {drawn} px tall in a {box['height']:.0f} px frame"
        _check(page, size, ())
    finally:
        context.close()


PAGES_WITH_TABLES = [("check", "/check"), ("fair-share", "/fair_share")]


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
@pytest.mark.parametrize("name, path", PAGES_WITH_TABLES, ids=[n for n, _ in PAGES_WITH_TABLES])
def test_every_table_fits_on_the_check_and_fair_share_pages(streamlit_app, browser, tmp_path, size,
                                                                      name, path) -> None:
    """Issue 27, finding 9: cells cut off in the check's evidence table, nearby sites' "Distance (m)",
    the register and "Times fair share". Every table cell and heading is measured (``MEASURE``); the
    check page is measured with an answer on screen."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    try:
        page.goto(streamlit_app + path, wait_until="domcontentloaded")
        _settled(page)
        if name == "check":
            page.get_by_label("Latitude / easting / postcode / site reference").fill("52.4733")
            page.get_by_label("Longitude / northing (for coordinates)").fill("-1.8026")
            page.get_by_role("button", name="Check").click()
            page.get_by_test_id("stTable").first.wait_for(timeout=WAIT_MS)
            _settled(page)
        _shoot(page, _shot_path(tmp_path, name, size))
        found = page.evaluate(MEASURE)
        assert not found["cut"], f"cut off at {size}: {found['cut']}"
        assert not page.errors, page.errors
    finally:
        context.close()
