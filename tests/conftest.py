"""Shared pytest setup: where the official files are, what CI insists on, and the one model fixture.

`geo` and `ui` are imported from the editable install `make` does (no sys.path patch here).

Outside CI a test that needs ../shared/data (or Chromium) is skipped with its reason. In CI
(`CI=true`, or `AAM_REQUIRE_DATA=1` for the data alone) the same test FAILS, so a checkout without
the official files can never pass by skipping, and a run in which no test passed fails too.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from geo.model import Model

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

IN_CI = os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}
REQUIRE_DATA = IN_CI or os.environ.get("AAM_REQUIRE_DATA") == "1"
REQUIRE_E2E = IN_CI or os.environ.get("AAM_REQUIRE_E2E") == "1"

# Fixture modules shared by several test files (the local ArcGIS stand-in, the served app, site files).
pytest_plugins = ["arcgis_server", "e2e_server", "fixtures_sites", "pg_server"]

# Mark a test or module (pytestmark = needs_shared) that reads the official files.
needs_shared = pytest.mark.shared_data


def require_shared(what: str = "") -> None:
    """Skip, or fail in CI, when the official files are not beside the checkout."""
    if SHARED.is_dir():
        return
    missing(f"official data files not found: {SHARED} (../shared/data beside the checkout){what}",
            required=REQUIRE_DATA)


def missing(reason: str, *, required: bool) -> None:
    """A resource a test needs is absent: fail with the reason when it is required, else skip."""
    if required:
        pytest.fail(f"{reason}; required here (CI=true or AAM_REQUIRE_*=1)", pytrace=False)
    pytest.skip(reason)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end tests in headless Chromium")
    config.addinivalue_line("markers", "shared_data: reads the official files in ../shared/data")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("shared_data") is not None:
        require_shared()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI, a run in which no test passed is a failure even if nothing failed (all skipped)."""
    if not IN_CI or exitstatus != 0:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    passed = len(reporter.stats.get("passed", [])) if reporter is not None else 0
    if passed == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def model() -> Model:
    """The model built once per session from the official files, for every test that reads them.

    It uses the normal build cache (keyed by the files' checksums), so a developer's second run
    reads it back in a second; CI starts with no cache and builds it cold once. The cold build is
    also covered on its own by `python -m geo build --cache-dir` in test_sources_model.
    """
    from geo.errors import SourceMissing
    from geo.model import load_model

    require_shared()
    try:
        return load_model(allow_download=False)
    except SourceMissing as exc:
        missing(f"official data files not available (../shared/data): {exc}", required=REQUIRE_DATA)
        raise  # unreachable: missing() always raises
