"""The recommendation: which of a council's rules fire for a checked proposal, in plain English.

Objections come first (the ward or council over or going over 1:200, too many sites or people
nearby, a second hotel in a ward), then conditions (no population estimate, little room left),
else support. The first rule that fired is the one named beside the answer; every one that fired
is kept in ``reasons``. Figures are written with ``geo.text``.
"""
from __future__ import annotations

from typing import Any

from geo import rules, text
from geo.check.settings import CheckSettings

SUPPORT = "support"
OBJECT = "object"
CONDITIONS = "support with conditions"
DECISIONS: tuple[str, ...] = (SUPPORT, OBJECT, CONDITIONS)


def recommend(a: dict[str, Any], s: CheckSettings) -> dict[str, Any]:
    """The answer and the rule that produced it; every rule that fired is kept in ``reasons``."""
    ward, lad = a["ward_name"], a["lad_name"]
    objections: list[tuple[str, str]] = []
    conditions: list[tuple[str, str]] = []
    over = (rules.AFTER_ALREADY_OVER, rules.AFTER_WOULD_GO_OVER)
    if s.object_ward_over and a["ward_status_after"] in over:
        objections.append((
            "Object when the ward is already over 1:200 or would go over with this property.",
            f"{ward} ward {a['ward_status_after']} 1:200: {text.people(a['ward_dispersed_now'])} people in dispersed "
            f"accommodation now{_with_earlier(a['earlier_in_list_same_ward'])}, "
            f"{text.people(a['ward_dispersed_now'] + a['added_to_limit'])} with this property, "
            f"against a limit of {text.people(a['ward_limit'])}."))
    if s.object_council_over and a["lad_status_after"] in over:
        objections.append((
            "Object when the council is already over 1:200 or would go over with this property.",
            f"{lad} {a['lad_status_after']} 1:200: {text.people(a['lad_dispersed_now'])} people in dispersed "
            f"accommodation, {text.people(a['lad_dispersed_now'] + a['added_to_limit'])} with this property, "
            f"against a limit of {text.people(a['lad_limit'])}."))
    r = s.concentration_radius_m
    sites_near, people_near = a[f"sites_within_{r}m"], a[f"people_within_{r}m"]
    if sites_near > s.max_sites_nearby or people_near > s.max_people_nearby:
        objections.append((
            f"Object when more than {s.max_sites_nearby} sites or more than {s.max_people_nearby} people already "
            f"lie within {r} m.",
            f"{sites_near} sites with {text.people(people_near)} people already lie within {r} m."))
    if s.object_hotel_in_ward and a["type"] == "hotel" and a["hotels_in_ward"] > 0:
        objections.append(("Object to a hotel in a ward that already has one.",
                           f"{ward} ward already has {a['hotels_in_ward']} "
                           f"{'hotel' if a['hotels_in_ward'] == 1 else 'hotels'}."))
    if s.conditions_no_estimate and a["ward_status_after"] == rules.AFTER_NO_ESTIMATE:
        conditions.append(("Support with conditions where the ward has no population estimate.",
                           f"{ward} ward has no population estimate, so it cannot be judged against 1:200."))
    limit, room = a["ward_limit"], a["ward_headroom_after"]
    if (s.conditions_headroom_share > 0 and a["ward_status_after"] == rules.AFTER_WITHIN and limit
            and room is not None and room < s.conditions_headroom_share * limit):
        conditions.append((
            f"Support with conditions when less than {s.conditions_headroom_share:.0%} of the ward's limit would "
            "be left.",
            f"Only {text.people(room)} of {ward} ward's limit of {text.people(limit)} would be left."))
    if objections:
        decision, fired = OBJECT, objections
    elif conditions:
        decision, fired = CONDITIONS, conditions
    else:
        decision = SUPPORT
        fired = [("Support when no rule objects.",
                  f"{_standing(ward + ' ward', a['ward_status_after'], room)}, "
                  f"{_standing(lad, a['lad_status_after'], a['lad_headroom_after'])}, and nothing nearby crosses "
                  "the concentration thresholds.")]
    reasons = [why for _, why in objections + conditions] or [fired[0][1]]
    summary = f"{decision.capitalize()}: {fired[0][1]}"
    if len(reasons) > 1:
        summary += f" ({len(reasons) - 1} more {'reason' if len(reasons) == 2 else 'reasons'} below.)"
    return {"recommendation": decision, "rule": fired[0][0], "reasons": reasons, "summary": summary,
            "rules_applied": s.describe()}


def _with_earlier(n: int) -> str:
    """' (counting 2 earlier proposals in this list)' when a list's earlier proposals are in the figure."""
    return f" (counting {n} earlier {'proposal' if n == 1 else 'proposals'} in this list)" if n else ""


def _standing(area: str, status_after: str, room: Any) -> str:
    """'X stays within 1:200 (12 people of headroom after this property)' or 'X has no population estimate'."""
    if status_after == rules.AFTER_WITHIN:
        return f"{area} stays within 1:200 ({text.people(room)} people of headroom after this property)"
    return f"{area} has no population estimate"
