"""The illustrative sample is labelled in every export: the briefing pack on its cover and every page,
and the stamp (footer line, metadata) of any file drawn from a store holding the sample."""
from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from conftest import needs_shared

pytestmark = needs_shared


def _pages_text(path: Path) -> list[str]:
    from pypdf import PdfReader

    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(path.read_bytes())).pages]


def test_a_briefing_pack_from_the_sample_says_so_on_every_page(model, tmp_path: Path) -> None:
    from geo.access.tracing import ILLUSTRATIVE
    from geo.render.briefing import briefing_pack
    from geo.sites.sample import generate_sample, totals_from_asy_d11

    lad = "E09000017"
    sample = generate_sample(model.wards, totals_from_asy_d11(model.stats), lads=(lad,))
    from geo.sites.importer import import_sites

    path = tmp_path / "sample.csv"
    sample.to_csv(path, index=False)
    import_sites(path, tmp_path / "s.sqlite", model.wards)
    from geo.sites.store import SiteStore

    sites = SiteStore(tmp_path / "s.sqlite").current_sites()
    pack = briefing_pack(model, lad_code=lad, out=tmp_path / "pack.pdf", made_on=date.today(), sites=sites)
    pages = _pages_text(pack)
    assert len(pages) > 3 and all(ILLUSTRATIVE in text for text in pages)
    plain = briefing_pack(model, lad_code=lad, out=tmp_path / "plain.pdf", made_on=date.today())
    assert not any(ILLUSTRATIVE in text for text in _pages_text(plain))
