"""The North West example (docs/fair-share.md, and its short form in the README) is what the command
line prints today (issue 25)."""
from __future__ import annotations

import importlib.util

from conftest import ROOT, needs_shared

pytestmark = needs_shared


def test_north_west_example_matches_the_command_line() -> None:
    spec = importlib.util.spec_from_file_location("fair_share_example", ROOT / "scripts" / "fair_share_example.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    doc = (ROOT / "docs" / "fair-share.md").read_text(encoding="utf-8")
    assert module.example() in doc, "regenerate with: .venv/bin/python scripts/fair_share_example.py"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert module.readme_example() in readme, "regenerate with: scripts/fair_share_example.py --readme"
