"""The routing engine: one test per rule of the decision, with fixed data.

Pure tests: no Django, no database, no real clock.
Run alone with: pytest tests/tiers/test_routing_engine.py -p no:django
"""

from datetime import date, datetime

import pytest

from govportal.tiers.calendar import AFTERNOON, OFF, TZ, Override, WorkCalendar
from govportal.tiers.routing import (
    CaseInfo,
    NoRoutingRule,
    RoutingDecision,
    RuleData,
    decide_handling_unit,
    forward_deadline,
)

BEN_THANH, SAI_GON, TU_PHAP, Y_TE, CENTRE = 26743, 26740, 1001, 1002, 1003
NAMES = {
    BEN_THANH: "Phường Bến Thành",
    SAI_GON: "Phường Sài Gòn",
    TU_PHAP: "Sở Tư pháp",
    Y_TE: "Sở Y tế",
    CENTRE: "Trung tâm Phục vụ hành chính công",
}

# The shipped defaults (govportal.tiers.services.DEFAULT_ROUTING_RULES), as the selector loads them.
DEFAULTS = [
    RuleData(1, 10, tier="commune", target="receiving_unit", description="commune-tier procedure, decided by {unit}"),
    RuleData(2, 20, tier="city", target="procedure_department", description="city-tier procedure of {department}"),
    RuleData(3, 90, target="unit", target_unit_id=CENTRE, description="no other rule applies: {unit}"),
]


def name_of(unit_id):
    return NAMES[unit_id]


def decide(case, rules=DEFAULTS):
    return decide_handling_unit(case, rules, department_name_of=name_of)


def dossier(tier="commune", *, at=BEN_THANH, department=None, code="1.000656"):
    return CaseInfo(
        kind="dossier",
        tier=tier,
        receiving_unit_id=at,
        department_id=department,
        procedure_code=code,
        place_unit_id=at,
    )


# --- the default rules ----------------------------------------------------------------


def test_a_commune_tier_procedure_is_decided_by_the_receiving_unit():
    assert decide(dossier("commune", at=SAI_GON)) == RoutingDecision(
        unit_id=SAI_GON, reason="rule 10: commune-tier procedure, decided by Phường Sài Gòn", rule_number=1
    )


def test_a_city_tier_procedure_goes_to_its_department_whichever_ward_received_it():
    decision = decide(dossier("city", at=BEN_THANH, department=TU_PHAP))
    assert decision == RoutingDecision(TU_PHAP, "rule 20: city-tier procedure of Sở Tư pháp", 2)


def test_a_city_tier_procedure_without_a_department_falls_back_to_the_coordinating_unit():
    decision = decide(dossier("city", department=None))
    assert decision.unit_id == CENTRE and decision.rule_number == 3
    assert decision.reason == "rule 90: no other rule applies: Trung tâm Phục vụ hành chính công"


def test_no_matching_rule_raises_a_clear_error():
    with pytest.raises(NoRoutingRule, match="add a fallback rule") as caught:
        decide(dossier("city", department=None), rules=DEFAULTS[:2])
    assert caught.value.case.tier == "city"


# --- rules are data ---------------------------------------------------------------------


def test_rules_are_tried_by_priority_not_by_list_order():
    specific = RuleData(7, 5, procedure_code="1.000656", target="unit", target_unit_id=SAI_GON, description="pilot")
    assert decide(dossier(), rules=[*DEFAULTS, specific]) == RoutingDecision(SAI_GON, "rule 5: pilot", 7)
    assert decide(dossier(code="2.000001"), rules=[*DEFAULTS, specific]).unit_id == BEN_THANH


def test_a_rule_for_one_place_applies_only_there():
    saigon_only = RuleData(8, 15, tier="city", place_id=SAI_GON, target="unit", target_unit_id=CENTRE, description="x")
    rules = [*DEFAULTS, saigon_only]
    assert decide(dossier("city", at=SAI_GON, department=TU_PHAP), rules).unit_id == CENTRE
    assert decide(dossier("city", at=BEN_THANH, department=TU_PHAP), rules).unit_id == TU_PHAP


def test_a_report_is_routed_by_its_category_and_place():
    food = RuleData(
        9,
        30,
        case_kind="report",
        category_code="food-safety",
        target="unit",
        target_unit_id=Y_TE,
        description="food safety: {unit}",
    )
    dossier_only = RuleData(4, 1, case_kind="dossier", target="receiving_unit", description="dossiers")
    report = CaseInfo(
        kind="report", tier="", receiving_unit_id=None, category_code="food-safety", place_unit_id=BEN_THANH
    )
    rules = [*DEFAULTS, food, dossier_only]
    assert decide(report, rules) == RoutingDecision(Y_TE, "rule 30: food safety: Sở Y tế", 9)
    other = CaseInfo(kind="report", tier="", receiving_unit_id=None, category_code="noise", place_unit_id=BEN_THANH)
    assert decide(other, rules).unit_id == CENTRE


def test_a_rule_whose_target_the_case_lacks_is_skipped():
    """A report received nowhere cannot go to "the receiving unit": the next rule decides."""
    to_receiver = RuleData(5, 1, case_kind="report", target="receiving_unit", description="receiver")
    report = CaseInfo(kind="report", tier="", receiving_unit_id=None, place_unit_id=BEN_THANH)
    assert decide(report, [*DEFAULTS, to_receiver]).rule_number == 3


# --- the reason ---------------------------------------------------------------------------


def test_a_department_rule_names_the_department_even_without_a_placeholder():
    rules = [RuleData(2, 20, tier="city", target="procedure_department", description="city-tier procedure")]
    assert decide(dossier("city", department=TU_PHAP), rules).reason == "rule 20: city-tier procedure (Sở Tư pháp)"


def test_names_are_looked_up_only_when_the_text_needs_them():
    def no_lookup(unit_id):
        raise AssertionError("no lookup expected")

    rules = [RuleData(1, 10, target="receiving_unit", description="plain text")]
    assert decide_handling_unit(dossier(), rules, department_name_of=no_lookup).reason == "rule 10: plain text"


def test_a_stray_brace_is_shown_as_written_not_an_error():
    rules = [RuleData(1, 10, target="receiving_unit", description="see {note} and {")]
    assert decide(dossier(), rules).reason == "rule 10: see {note} and {"


def test_the_reason_fits_the_case_field():
    rules = [RuleData(1, 10, target="receiving_unit", description="x" * 400)]
    assert len(decide(dossier(), rules).reason) == 300


# --- forwarding: same working day, or the next after 15:00 -----------------------------


def at(*args):
    return datetime(*args, tzinfo=TZ)


@pytest.fixture
def cal():
    return WorkCalendar(holidays={date(2026, 4, 27)})


@pytest.mark.parametrize(
    ("received", "forward_by"),
    [
        (at(2026, 3, 10, 9, 0), at(2026, 3, 10, 17, 0)),  # Tuesday morning: the same day
        (at(2026, 3, 10, 15, 0), at(2026, 3, 10, 17, 0)),  # exactly 15:00 is not late
        (at(2026, 3, 10, 15, 1), at(2026, 3, 11, 17, 0)),  # after the cut-off: the next working day
        (at(2026, 3, 10, 6, 0), at(2026, 3, 10, 17, 0)),  # before opening: that day
        (at(2026, 3, 13, 16, 0), at(2026, 3, 16, 17, 0)),  # Friday after 15:00: Monday
        (at(2026, 3, 14, 10, 0), at(2026, 3, 16, 17, 0)),  # Saturday: Monday
        (at(2026, 4, 24, 16, 0), at(2026, 4, 28, 17, 0)),  # Friday late, Monday a holiday: Tuesday
    ],
)
def test_a_ward_forwards_a_city_tier_case_the_same_working_day_or_the_next_after_15(cal, received, forward_by):
    assert forward_deadline(received, cal) == forward_by


def test_on_a_half_day_the_forwarding_deadline_is_the_end_of_the_morning():
    cal = WorkCalendar(holidays=set(), overrides=[Override(date(2026, 3, 10), OFF, AFTERNOON)])
    assert forward_deadline(at(2026, 3, 10, 9, 0), cal) == at(2026, 3, 10, 11, 30)
    # Arrived during the afternoon off: the next working day.
    assert forward_deadline(at(2026, 3, 10, 14, 0), cal) == at(2026, 3, 11, 17, 0)
