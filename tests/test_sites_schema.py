"""Heading and value matching for council site files (geo.sites.schema)."""
from __future__ import annotations

import pytest

from geo.errors import DataError
from geo.sites import schema


@pytest.mark.parametrize("heading, field", [
    ("Post Code", "postcode"), ("Postcode", "postcode"), ("POST_CODE", "postcode"),
    ("Bed spaces", "bed_spaces"), ("Beds", "bed_spaces"), ("Lat", "latitude"), ("Latitude", "latitude"),
    ("Long", "longitude"), ("Lon", "longitude"), ("Lng", "longitude"), ("Easting", "easting"),
    ("X", "easting"), ("Y", "northing"), ("Occupancy", "people"), ("People accommodated", "people"),
    ("Ref", "reference"), ("Site ID", "reference"), ("Accommodation type", "site_type"),
    ("Date acquired", "acquired"), ("Comments", "notes"),
])
def test_common_headings_match(heading: str, field: str) -> None:
    assert schema.match_headers([heading]) == {field: heading}


def test_earlier_spelling_wins_and_one_column_feeds_one_field() -> None:
    mapping = schema.match_headers(["ID", "Site reference", "Lat", "Latitude", "Long"])
    assert mapping["reference"] == "Site reference"   # listed before plain 'id'
    assert mapping["latitude"] == "Latitude"
    assert len(set(mapping.values())) == len(mapping)


def test_overrides_win_and_can_unmap() -> None:
    cols = ["Ref", "Beds", "Total people", "Notes"]
    mapping = schema.match_headers(cols, overrides={"people": "Total people", "notes": None,
                                                    "bed_spaces": "Notes"})
    assert mapping == {"reference": "Ref", "people": "Total people", "bed_spaces": "Notes"}
    with pytest.raises(DataError, match="no column 'Nope'"):
        schema.match_headers(cols, overrides={"people": "Nope"})
    with pytest.raises(DataError, match="not a site field"):
        schema.match_headers(cols, overrides={"colour": "Ref"})


@pytest.mark.parametrize("value, canonical", [
    ("Hotel", "hotel"), ("Dispersed property", "dispersed"), ("Dispersal accommodation", "dispersed"),
    ("IA", "initial"), ("Initial Accommodation", "initial"), ("Large site", "other_contingency"),
    ("Contingency - other", "other_contingency"), ("other_contingency", "other_contingency"),
    ("Contingency Accommodation - Hotel", "hotel"), ("Flat", None), ("", None),
])
def test_site_type_spellings(value: str, canonical: str | None) -> None:
    assert schema.normalise_site_type(value) == canonical


def test_statuses() -> None:
    assert schema.normalise_status("Stood down") == "closed"
    assert schema.normalise_status("OPEN") == "open"
    assert schema.normalise_status("in the pipeline") is None


def test_alias_file_has_no_spelling_under_two_fields() -> None:
    aliases = schema.load_aliases()
    owner: dict[str, str] = {}
    for field, spellings in aliases["fields"].items():
        assert field in schema.FIELDS
        for s in [*spellings, field]:
            key = schema.squash(s)
            assert owner.setdefault(key, field) == field, f"{s!r} is under {owner[key]} and {field}"
    for kind in ("site_types", "statuses"):
        seen: dict[str, str] = {}
        for canonical, spellings in aliases[kind].items():
            for s in [*spellings, canonical]:
                assert seen.setdefault(schema.value_key(s), canonical) == canonical
