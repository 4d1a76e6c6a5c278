"""Issue 27: the Export panel's files as a person receives them (briefing pack, table CSV, names)."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from access_fixtures import ADMIN_A, two_councils


@pytest.fixture
def store(tmp_path: Path):
    return two_councils(tmp_path)


def test_the_briefing_pack_button_stamps_and_traces_its_pdf(store, monkeypatch) -> None:
    """Finding 1: the pack's download called stamp_files with request.fmt, which BriefingRequest lacked."""
    import streamlit as st

    from geo.access.identity import member_for
    from geo.access.tracing import trace
    from ui import exports as ER
    from ui import routing

    st.session_state[routing.ROUTED_KEY] = True  # imported outside a page run: nothing to route through
    from ui.export_panel import _traced

    monkeypatch.setenv("AAM_SITES_DB", str(store.db))
    request = ER.BriefingRequest(period="2025-12-31", made_on=date(2026, 1, 5), lad_code="E08000012",
                                 lad_name="Liverpool")
    pdf = _minimal_pdf()
    out = _traced({request.file_name: pdf}, request, (), member_for(store.db, ADMIN_A, has_provider=False))
    made = out[request.file_name]
    assert made.startswith(b"%PDF") and made != pdf
    assert trace(made, store.db)["member"] == ADMIN_A


def _minimal_pdf() -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import io

    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(2, 2))
    fig.text(0.1, 0.5, "pack")
    buf = io.BytesIO()
    fig.savefig(buf, format="pdf")
    plt.close(fig)
    return buf.getvalue()

