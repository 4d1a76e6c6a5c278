"""Shared pytest setup: make the repository root importable (``import geo``)."""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data (official files) is not beside this checkout")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end tests in headless Chromium")


@pytest.fixture(scope="session")
def model():
    """The model built once from the official files for every test that reads them."""
    from geo.errors import SourceMissing
    from geo.model import load_model

    try:
        return load_model(allow_download=False)
    except SourceMissing as exc:
        pytest.skip(f"official data files not available (../shared/data): {exc}")
