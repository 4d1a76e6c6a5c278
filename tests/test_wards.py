"""geo.wards: ward neighbours on the official boundaries (touching, mutual, never far away)."""
from __future__ import annotations

import pytest

from geo import wards as W


def test_neighbours_touch_and_are_mutual(model) -> None:
    wards = model.wards
    code = wards.loc[wards["ward_name"] == "Ainsdale", "ward_code"].iloc[0]
    near = W.neighbours(wards, code)
    assert 2 <= len(near) <= 15
    assert code not in set(near["ward_code"])
    assert (near["shared_m"] > 0).all()
    own = wards.loc[wards["ward_code"] == code, "geometry"].iloc[0]
    for geom in wards.set_index("ward_code").loc[near["ward_code"], "geometry"]:
        assert own.buffer(0.001).intersects(geom)  # within about 60 m (degrees)
    for other in near["ward_code"]:
        assert code in set(W.neighbours(wards, other)["ward_code"])
    far = wards[~wards.intersects(own.buffer(0.05))]
    assert not set(far["ward_code"]) & set(near["ward_code"])


def test_neighbours_of_unknown_ward(model) -> None:
    with pytest.raises(KeyError):
        W.neighbours(model.wards, "E05999999")
