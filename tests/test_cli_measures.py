"""Issue 23 finding 6: the command line offers every measure the screen offers, for every quarter that has it.

`geo snapshot --measure hotel` at the latest quarter (Reg_02: hotels and other contingency sites
together) stopped with an error and the command line had no contingency measure. Uses the fixture
model, so nothing here needs the removed totals file.
"""
from __future__ import annotations

from datetime import date

import pytest

from figures_fixtures import REG02_QUARTER, figures_model
from geo import measures
from geo.errors import DataError
from geo.render import static_map as sm
from ui import state as views


@pytest.fixture(scope="module")
def figures():
    return figures_model()


def test_contingency_is_a_snapshot_measure_at_the_reg02_quarter(figures, tmp_path):
    out = sm.snapshot(figures, measure="contingency", period=REG02_QUARTER, out=tmp_path / "c.png",
                      made_on=date(2026, 1, 5))
    assert out.exists() and out.stat().st_size > 0
    assert sm.check_measure("contingency") == "contingency"


def test_hotel_at_the_reg02_quarter_names_the_measure_to_use(figures, tmp_path):
    with pytest.raises(DataError, match="--measure contingency"):
        sm.snapshot(figures, measure="hotel", period=REG02_QUARTER, out=tmp_path / "h.png", made_on=date(2026, 1, 5))


def test_every_screen_measure_is_a_command_line_measure():
    assert set(views.MAP_MEASURES) <= set(measures.MEASURES)
    assert "contingency" in measures.MEASURES  # the overview's contingency card at Reg_02 quarters
