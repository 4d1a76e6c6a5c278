"""What a reader is told (issue 27, findings 8 and 9): the council's wards are coloured by something
about asylum where site records allow it; a page names its source files once, at its foot, not in
the same long paragraph under every section; and a card whose label switches between quarters says
why."""
from __future__ import annotations

import pytest

from apptest import run_app
from conftest import needs_shared
from geo import measures
from test_app_exports import LIVERPOOL, PERIOD, site_store  # noqa: F401 (a fixture)


def _words(at) -> list[str]:
    """The page's captions and its foot (where the sources are named)."""
    return [m.value for m in at.markdown if "aam-source" in m.value] + [c.value for c in at.caption]


@needs_shared
@pytest.mark.parametrize("page, params", [(None, {}), ("pages/council.py", {"lad": "E08000025"}),
                                          ("pages/ward.py", {"ward": "E05011170"}), ("pages/fair_share.py", {})],
                         ids=["overview", "council", "ward", "fair-share"])
def test_a_page_names_each_source_file_once(model, page, params) -> None:
    at = run_app(page, **params)
    words = _words(at)
    for sid in ("asy_d11", "reg02"):
        name = model.provenance[sid].file_name
        said = sum(w.count(name) for w in words)
        assert said <= 1, f"{name} said {said} times on {page or 'the overview'}"


@needs_shared
def test_the_contingency_card_says_why_its_label_is_not_hotels() -> None:
    at = run_app()  # the latest quarter: Reg_02 gives hotels and other contingency sites together
    labels = [m.label for m in at.metric]
    assert measures.CONTINGENCY_LABEL in labels
    assert any(measures.HOTELS_NOT_SPLIT in c.value for c in at.caption)


@needs_shared
def test_council_wards_are_coloured_by_dispersal_first_when_site_records_allow(site_store, monkeypatch):  # noqa: F811
    monkeypatch.setenv("AAM_SITES_DB", str(site_store))
    at = run_app("pages/council.py", lad=LIVERPOOL, period=PERIOD)
    assert at.radio(key="ward_colour").value == "dispersal_ratio"
    assert at.radio(key="ward_colour").options[0] != "Residents"
