"""The rules a council applies to a proposed property, and the thresholds it may change.

Councils answer providers' proposals by their own local policy: one objects to anything in a
ward already over 1:200, another also to clusters of sites on one street. So the rules are data,
kept per organisation in the register (``geo.check.register``) and shown beside every answer,
never buried in code. The 1:200 arithmetic itself is not a setting: it is ``geo.rules``.

Defaults (why):
- object when the ward, or the council, is already over 1:200 or would go over with this
  property: the 2019 memorandum's cluster limit, applied as the memorandum words it;
- object when more than 5 sites or more than 30 people already lie within 500 m: a street-level
  concentration the ward figure can hide in a large ward;
- object to a hotel when the ward already has one;
- support with conditions when the ward has no population estimate (it cannot be judged against
  1:200) or when, after the property, less than 10% of the ward's limit is left;
- hotels and "other" properties do not count toward 1:200, which is about dispersed
  accommodation; a council may count every type.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from geo.errors import DataError

PROPOSAL_TYPES: tuple[str, ...] = ("dispersed", "hotel", "other")
RADII_M: tuple[int, ...] = (250, 500, 1000)


@dataclass(frozen=True)
class CheckSettings:
    """One organisation's rules for answering proposals (see the module docstring for defaults)."""

    object_ward_over: bool = True
    object_council_over: bool = True
    concentration_radius_m: int = 500
    max_sites_nearby: int = 5
    max_people_nearby: int = 30
    object_hotel_in_ward: bool = True
    conditions_no_estimate: bool = True
    conditions_headroom_share: float = 0.10
    count_all_types: bool = False

    def __post_init__(self) -> None:
        if self.concentration_radius_m not in RADII_M:
            raise DataError(f"concentration radius must be one of {RADII_M} metres, not "
                            f"{self.concentration_radius_m}", column="concentration_radius_m")
        for name in ("max_sites_nearby", "max_people_nearby"):
            if int(getattr(self, name)) < 0:
                raise DataError(f"{name} must be 0 or more", column=name)
        if not 0 <= float(self.conditions_headroom_share) < 1:
            raise DataError("conditions_headroom_share must be between 0 and 1", column="conditions_headroom_share")

    def counts_toward_limit(self, proposal_type: str) -> bool:
        """True when people in this type of property count toward the 1:200 limit."""
        return self.count_all_types or proposal_type == "dispersed"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> CheckSettings:
        """Settings from stored JSON; unknown keys are refused (a typo must not silently do nothing)."""
        data = dict(data or {})
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise DataError(f"unknown check settings {unknown} (known: {', '.join(known)})")
        typed: dict[str, Any] = {}
        for name, value in data.items():
            default = getattr(cls(), name)
            try:
                if isinstance(default, bool):
                    typed[name] = value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")
                elif isinstance(default, int):
                    typed[name] = int(value)
                else:
                    typed[name] = float(value)
            except (TypeError, ValueError) as exc:
                raise DataError(f"check setting {name}: {value!r} is not a number", column=name) from exc
        return cls(**typed)

    def describe(self) -> list[str]:
        """The rules in plain English, in the order the check applies them (shown beside answers)."""
        lines = []
        if self.object_ward_over:
            lines.append("Object when the ward is already over 1:200 or would go over with this property.")
        if self.object_council_over:
            lines.append("Object when the council is already over 1:200 or would go over with this property.")
        lines.append(f"Object when more than {self.max_sites_nearby} sites or more than "
                     f"{self.max_people_nearby} people already lie within {self.concentration_radius_m} m.")
        if self.object_hotel_in_ward:
            lines.append("Object to a hotel in a ward that already has one.")
        if self.conditions_no_estimate:
            lines.append("Support with conditions where the ward has no population estimate.")
        if self.conditions_headroom_share > 0:
            lines.append(f"Support with conditions when less than {self.conditions_headroom_share:.0%} of the "
                         "ward's limit would be left.")
        lines.append("All property types count toward 1:200." if self.count_all_types
                     else "Only dispersed properties count toward 1:200 (hotels and other types do not).")
        return lines
