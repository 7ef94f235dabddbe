"""Every rule of the workflow table, allowed and refused by role, through the one transition service.

Dossiers are brought to each status by walking the real services from a
submitted dossier (never by writing `status`), so a broken step shows up here
too. The cases are generated from `workflow.RULES`: a new rule is tested the
day it is added. A few go through the workbench over HTTP, and the legal clock
is checked with fixed dates (time_machine).
"""

from collections import deque
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from govportal.tiers.models import Unit
from govportal.tiers.selectors import work_calendar
from procedures import selectors, services, workflow
from procedures.deadlines import deadline_for
from procedures.models import Dossier, DossierEvent
from procedures.services import DossierError
from procedures.workflow import FINAL, RULES, TABLE, DossierStatus
from tests.procedures.conftest import client_for, make_procedure, pdf_upload, submitted_dossier

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
HOME_UNIT = "26743"  # Phường Bến Thành: where the fixtures' dossiers are filed and handled
OTHER_UNIT = "26740"

# How a dossier reaches each status through the real services, starting from "submitted".
PATHS = {
    DossierStatus.SUBMITTED: [],
    DossierStatus.RECEIVED: ["receive"],
    DossierStatus.NOT_RECEIVED: ["refuse_receipt"],
    DossierStatus.PROCESSING: ["receive", "start_processing"],
    DossierStatus.SUPPLEMENT_REQUESTED: ["receive", "request_supplement"],
    DossierStatus.PAYMENT_REQUIRED: ["receive", "require_payment"],
    DossierStatus.WITHDRAWN: ["withdraw"],
    DossierStatus.STOPPED: ["receive", "start_processing", "stop"],
    DossierStatus.DECIDED: ["receive", "start_processing", "decide"],
    DossierStatus.RESULT_RETURNED: ["receive", "start_processing", "decide", "return_result"],
}


@pytest.fixture
def procedure(units):
    """A fee-bearing procedure, so that every rule can be walked ("require_payment" is refused at 0 ₫:
    tests/procedures/test_payment_request.py)."""
    procedure = make_procedure()
    procedure.fee_lines.update(amount_vnd=50_000)
    return procedure


# The people a rule is tried with. "system" is the portal itself (actor=None).
ACTOR_KINDS = ["applicant", "officer", "head", "other_officer", "other_citizen", "city_admin", "system"]


def allowed_kinds(rule: workflow.Rule) -> list[str]:
    kinds = []
    if workflow.APPLICANT in rule.actors:
        kinds.append("applicant")
    if workflow.STAFF in rule.actors:
        kinds += ["officer", "head"]
    elif workflow.HEAD in rule.actors:
        kinds.append("head")
    if workflow.SYSTEM in rule.actors:
        kinds.append("system")
    if workflow.TARGET_STAFF in rule.actors:
        kinds.append("other_officer")  # staff of the unit the transfer waits at (see prepare)
    return kinds


def refused_kinds(rule: workflow.Rule) -> list[str]:
    return [kind for kind in ACTOR_KINDS if kind not in allowed_kinds(rule)]


TRANSITIONS = sorted(TABLE)  # (source status, action)
ALLOWED = [(source, action, kind) for source, action in TRANSITIONS for kind in allowed_kinds(TABLE[source, action])]
NOTE_RULES = [(source, action) for source, action in TRANSITIONS if TABLE[source, action].needs_note]


@pytest.fixture
def actors(people):
    return {
        "applicant": people["079085001234"],
        "officer": people["officer.benthanh"],
        "head": people["head.benthanh"],
        "other_officer": people["officer.saigon"],
        "other_citizen": people["079190004567"],
        "city_admin": people["admin.city"],
        "system": None,
    }


def inputs_for(action: str, dossier: Dossier, actors) -> dict:
    """Everything the rule needs, complete and valid, so a refusal is about the role and nothing else."""
    rule = workflow.ACTIONS[action]
    inputs = {}
    if rule.needs_note:
        inputs["note"] = f"Lý do: {action}"
    if rule.needs_unit:
        inputs["unit"] = Unit.objects.get(
            code=OTHER_UNIT if dossier.acting_unit_id != _unit_id(OTHER_UNIT) else HOME_UNIT
        )
    if rule.needs_result:
        inputs["result_upload"] = pdf_upload("ket-qua.pdf")
    if action == "apologise":
        base = dossier.due_at or datetime(2030, 1, 1, tzinfo=TZ)
        inputs["new_due_at"] = base + timedelta(days=2)
    if action == "assign":
        inputs["assignee"] = actors["officer"]
    if action == "submit":
        inputs["eid_level"] = 2  # the level of the submitting login (checked at submission too)
    if action == "rate":
        inputs["rating"] = 4  # the applicant's rating, 1-5 (checked by the service)
    if rule.needs_reason:
        inputs["reason"] = "wrong_area"
    return inputs


def prepare(dossier: Dossier, action: str, actors) -> Dossier:
    """Rules answered by the unit a transfer waits at need a transfer waiting there (the other unit)."""
    if (
        workflow.TARGET_STAFF in workflow.ACTIONS[action].actors
        and dossier.status in workflow.ACTIONS["transfer"].sources
    ):
        return services.dossier_transition(
            dossier=dossier,
            action="transfer",
            actor=actors["officer"],
            unit=Unit.objects.get(code=OTHER_UNIT),
            reason="wrong_area",
            note="Thuộc địa bàn khác",
        )
    return dossier


def _unit_id(code: str) -> int:
    return Unit.objects.only("pk").get(code=code).pk


def step(dossier: Dossier, action: str, actors) -> Dossier:
    """One step of a walk, by the natural actor of the rule."""
    kind = "applicant" if workflow.APPLICANT in workflow.ACTIONS[action].actors else "officer"
    return services.dossier_transition(
        dossier=dossier, action=action, actor=actors[kind], **inputs_for(action, dossier, actors)
    )


def complete_draft(procedure, citizen) -> Dossier:
    """A draft with everything a submission needs (what `submitted_dossier` does, minus the submit)."""
    dossier = services.dossier_draft_create(
        procedure=procedure, applicant=citizen, receiving_unit=Unit.objects.get(code=HOME_UNIT), eid_level=2
    )
    services.dossier_prefill_from_registry(dossier=dossier, actor=citizen)
    services.dossier_draft_update(dossier=dossier, actor=citizen, form_data={"partner_name": "Phạm Thị Hoa"})
    services.document_attach(dossier=dossier, actor=citizen, upload=pdf_upload(), key="to-khai")
    return Dossier.objects.get(pk=dossier.pk)


def dossier_in(status: str, procedure, actors) -> Dossier:
    if status == DossierStatus.DRAFT:
        return complete_draft(procedure, actors["applicant"])
    dossier = submitted_dossier(procedure, actors["applicant"])
    for action in PATHS[status]:
        dossier = step(dossier, action, actors)
    assert dossier.status == status
    return dossier


def snapshot(dossier: Dossier) -> tuple:
    fresh = Dossier.objects.get(pk=dossier.pk)
    return (
        fresh.status,
        fresh.version,
        fresh.due_at,
        fresh.promised_at,
        fresh.handling_unit_id,
        fresh.assigned_to_id,
        fresh.transfer_count,
        fresh.pending_transfer_unit_id,
        fresh.supplement_count,
        DossierEvent.objects.filter(dossier=dossier).count(),
        fresh.documents.count(),
    )


def refused(dossier: Dossier, action: str, actor, **inputs) -> DossierError:
    before = snapshot(dossier)
    with pytest.raises(DossierError) as caught:
        services.dossier_transition(dossier=dossier, action=action, actor=actor, **inputs)
    assert snapshot(dossier) == before, "a refused action must change nothing"
    return caught.value


# --- every transition, allowed --------------------------------------------------------------


@pytest.mark.parametrize(("source", "action", "kind"), ALLOWED, ids=[f"{a}-from-{s}-by-{k}" for s, a, k in ALLOWED])
def test_the_allowed_actor_applies_the_rule(source, action, kind, procedure, actors):
    rule = TABLE[source, action]
    dossier = prepare(dossier_in(source, procedure, actors), action, actors)
    before = Dossier.objects.get(pk=dossier.pk)
    actor = actors[kind]
    inputs = inputs_for(action, dossier, actors)

    result = services.dossier_transition(dossier=dossier, action=action, actor=actor, **inputs)

    if rule.target is None:
        expected = source
    elif rule.target == workflow.PREVIOUS:
        expected = DossierStatus.RECEIVED  # the walk requested the supplement from "received"
    else:
        expected = rule.target
    assert result.status == expected
    assert result.version == before.version + 1
    event = DossierEvent.objects.filter(dossier=dossier).latest("id")
    assert (event.action, event.from_status, event.to_status) == (action, source, expected)
    assert event.actor_id == (actor.pk if actor else None)
    if action == "claim":
        assert result.assigned_to == actor
    if action == "assign":
        assert result.assigned_to == actors["officer"]
    if action == "transfer":
        assert result.pending_transfer_unit == inputs["unit"] and result.transfer_count == 0
    if action == "accept_transfer":
        assert result.acting_unit_id == _unit_id(OTHER_UNIT) and result.transfer_count == 1
    if action == "return_transfer":
        assert result.pending_transfer_unit is None and result.acting_unit_id == _unit_id(HOME_UNIT)
    if rule.needs_result:
        assert result.documents.filter(role="result").count() == 1
    if action == "apologise":
        # The promise sits next to the legal due date, which never moves (docs/0006).
        assert result.promised_at == inputs["new_due_at"] and result.due_at == before.due_at
    if rule.clock == workflow.STOP:
        assert result.closed_at is not None


# --- every transition, refused to everyone else ----------------------------------------------


@pytest.mark.parametrize(("source", "action"), TRANSITIONS, ids=[f"{a}-from-{s}" for s, a in TRANSITIONS])
def test_everyone_else_is_refused_as_forbidden(source, action, procedure, actors):
    """The applicant (for staff rules), another unit's officer, another citizen, a city admin (they read, never act)."""
    dossier = prepare(dossier_in(source, procedure, actors), action, actors)
    kinds = refused_kinds(TABLE[source, action])
    assert "city_admin" in kinds and "other_citizen" in kinds
    assert "other_officer" in kinds or workflow.TARGET_STAFF in TABLE[source, action].actors
    for kind in kinds:
        error = refused(dossier, action, actors[kind], **inputs_for(action, dossier, actors))
        assert error.code == "forbidden", kind
        assert error.status_code == 403


@pytest.mark.parametrize(("source", "action"), NOTE_RULES, ids=[f"{a}-from-{s}" for s, a in NOTE_RULES])
def test_a_rule_that_needs_a_note_refuses_an_empty_one(source, action, procedure, actors):
    dossier = prepare(dossier_in(source, procedure, actors), action, actors)
    kind = allowed_kinds(TABLE[source, action])[0]
    for empty in ("", "   \n "):
        inputs = {**inputs_for(action, dossier, actors), "note": empty}
        error = refused(dossier, action, actors[kind], **inputs)
        assert error.code == "invalid"
        assert "note" in error.extra["errors"]


@pytest.mark.parametrize(
    ("action", "missing", "status"),
    [("transfer", "unit", "received"), ("decide", "result_upload", "processing"), ("assign", "assignee", "received")],
)
def test_a_rule_refuses_a_missing_unit_result_or_assignee(action, missing, status, procedure, actors):
    dossier = dossier_in(status, procedure, actors)
    kind = allowed_kinds(workflow.ACTIONS[action])[-1 if action == "assign" else 0]
    inputs = {**inputs_for(action, dossier, actors), missing: None}
    error = refused(dossier, action, actors[kind], **inputs)
    assert error.code == "invalid"
    assert {"result_upload": "result"}.get(missing, missing) in error.extra["errors"]


@pytest.mark.parametrize("status", DossierStatus.values)
def test_an_action_not_allowed_from_a_status_is_refused(status, procedure, actors):
    dossier = dossier_in(status, procedure, actors)
    allowed_here = {rule.action for rule in workflow.actions_from(status)}
    for rule in RULES:
        if rule.action in allowed_here:
            continue
        actor = actors[allowed_kinds(rule)[0]]
        error = refused(dossier, rule.action, actor, **inputs_for(rule.action, dossier, actors))
        assert error.code == "not_allowed", rule.action
        assert error.status_code == 409


# --- the table as a whole ------------------------------------------------------------------------


def test_every_status_except_draft_is_reachable_from_submitted():
    pause_sources = {s for s, a in TABLE if TABLE[s, a].clock == workflow.PAUSE}
    seen, todo = {DossierStatus.SUBMITTED}, deque([DossierStatus.SUBMITTED])
    while todo:
        status = todo.popleft()
        for rule in workflow.actions_from(status):
            if rule.target is None:
                targets = {status}
            elif rule.target == workflow.PREVIOUS:
                targets = pause_sources
            else:
                targets = {rule.target}
            for target in targets - seen:
                seen.add(target)
                todo.append(target)
    assert seen == set(DossierStatus.values) - {DossierStatus.DRAFT}


def test_every_status_except_draft_is_reached_through_the_services(procedure, actors):
    assert set(PATHS) == set(DossierStatus.values) - {DossierStatus.DRAFT}
    for status in PATHS:
        assert dossier_in(status, procedure, actors).status == status


def test_no_action_leaves_a_final_status():
    """Only events that change no status (the applicant's rating) follow a final status."""
    for status in FINAL:
        assert all(rule.target is None for rule in workflow.actions_from(status)), status
        assert {rule.action for rule in workflow.actions_from(status)} <= {"rate"}, status


def test_every_action_has_a_label_in_both_languages():
    for rule in RULES:
        for language in ("vi", "en"):
            with translation.override(language):
                assert str(rule.label).strip(), (rule.action, language)


def test_the_table_names_only_known_statuses_and_actors():
    statuses = set(DossierStatus.values)
    known_actors = {workflow.APPLICANT, workflow.STAFF, workflow.HEAD, workflow.SYSTEM, workflow.TARGET_STAFF}
    for rule in RULES:
        assert rule.sources and rule.sources <= statuses, rule.action
        assert rule.target in statuses | {None, workflow.PREVIOUS}, rule.action
        assert rule.actors and rule.actors <= known_actors, rule.action
    assert len({rule.action for rule in RULES}) == len(RULES)


def test_a_transfer_to_the_same_unit_is_refused(dossier, actors):
    error = refused(
        dossier, "transfer", actors["officer"], note="?", unit=Unit.objects.get(code=HOME_UNIT), reason="wrong_area"
    )
    assert error.code == "same_unit"


def test_a_stale_version_is_refused(dossier, actors):
    error = refused(dossier, "receive", actors["officer"], expected_version=dossier.version - 1)
    assert error.code == "stale"


# --- the legal clock ----------------------------------------------------------------------------


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def test_receipt_starts_the_clock_with_the_calendar(procedure, actors):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):  # a Monday
        dossier = submitted_dossier(procedure, actors["applicant"])
        assert dossier.due_at is None
        dossier = step(dossier, "receive", actors)
    assert dossier.received_at == at(2026, 3, 2, 9, 0)
    assert dossier.due_at == at(2026, 3, 5, 9, 0)  # 3 working days of 8 hours
    assert dossier.due_at == deadline_for(procedure, at(2026, 3, 2, 9, 0), work_calendar())
    event = dossier.events.get(action="receive")
    assert datetime.fromisoformat(event.data["due_at"]) == dossier.due_at


def test_a_supplement_request_pauses_the_clock_and_the_supplement_resumes_it(procedure, actors):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        dossier = step(submitted_dossier(procedure, actors["applicant"]), "receive", actors)
    with time_machine.travel(at(2026, 3, 3, 9, 0), tick=False):  # one working day used
        dossier = step(dossier, "request_supplement", actors)
    assert dossier.status == "supplement_requested"
    assert dossier.paused_at == at(2026, 3, 3, 9, 0)
    assert dossier.remaining_hours == Decimal("16.00")
    with time_machine.travel(at(2026, 3, 9, 9, 0), tick=False):  # the citizen answers the next Monday
        dossier = step(dossier, "supplement", actors)
    assert dossier.status == "received"
    assert dossier.paused_at is None and dossier.remaining_hours is None
    assert dossier.due_at == at(2026, 3, 11, 9, 0)  # the 16 hours left, counted from the answer


def test_a_receipt_after_15_00_starts_the_next_working_day(procedure, actors):
    with time_machine.travel(at(2026, 3, 2, 15, 30), tick=False):
        late = step(submitted_dossier(procedure, actors["applicant"]), "receive", actors)
    with time_machine.travel(at(2026, 3, 2, 15, 0), tick=False):
        on_time = step(submitted_dossier(procedure, actors["applicant"]), "receive", actors)
    assert late.due_at == at(2026, 3, 5, 17, 0)  # counted from Tuesday 07:30
    assert on_time.due_at == at(2026, 3, 5, 15, 0)  # exactly 15:00 is not late


def test_a_receipt_just_before_tet_2026_skips_the_holiday(procedure, actors):
    with time_machine.travel(at(2026, 2, 13, 10, 0), tick=False):  # Friday before Tết Bính Ngọ
        dossier = step(submitted_dossier(procedure, actors["applicant"]), "receive", actors)
    assert dossier.due_at == at(2026, 2, 25, 10, 0)


def test_a_second_supplement_request_counts_against_the_unit(procedure, actors):
    dossier = dossier_in("received", procedure, actors)
    dossier = step(dossier, "request_supplement", actors)
    dossier = step(dossier, "supplement", actors)
    dossier = step(dossier, "request_supplement", actors)
    requests = list(dossier.events.filter(action="request_supplement").order_by("id"))
    assert [e.data["request_number"] for e in requests] == [1, 2]
    assert [e.data["counts_against_unit"] for e in requests] == [False, True]
    assert Dossier.objects.get(pk=dossier.pk).supplement_count == 2


def test_the_apology_sets_the_new_date_and_the_citizen_sees_it(procedure, actors):
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        dossier = step(submitted_dossier(procedure, actors["applicant"]), "receive", actors)
    new_due = at(2026, 3, 9, 16, 0)
    with time_machine.travel(at(2026, 3, 4, 10, 0), tick=False):  # the working day before the deadline
        dossier = services.dossier_transition(
            dossier=dossier, action="apologise", actor=actors["officer"], note="Cần xác minh", new_due_at=new_due
        )
    assert dossier.promised_at == new_due and dossier.status == "received"
    assert dossier.due_at == at(2026, 3, 5, 9, 0)  # the legal due date does not move
    event = dossier.events.get(action="apologise")
    assert datetime.fromisoformat(event.data["new_due_at"]) == new_due
    assert datetime.fromisoformat(event.data["old_due_at"]) == at(2026, 3, 5, 9, 0)
    assert event.data["before_deadline"] is True
    seen = selectors.dossier_get_for(user=actors["applicant"], code=dossier.code)
    assert seen.promised_at == new_due and seen.due_at == at(2026, 3, 5, 9, 0)
    [shown] = [e for e in selectors.timeline(dossier=seen) if e.action == "apologise"]
    assert shown.new_due_at == new_due and shown.note == "Cần xác minh"


def test_an_apology_needs_a_later_date(procedure, actors):
    dossier = dossier_in("received", procedure, actors)
    for new_due in (None, dossier.due_at, dossier.due_at - timedelta(hours=1)):
        error = refused(dossier, "apologise", actors["officer"], note="Xin lỗi", new_due_at=new_due)
        assert error.code == "invalid" and "new_due_at" in error.extra["errors"]


def test_a_transfer_keeps_the_clock(procedure, actors):
    """Documented rule: a transfer does not restart the clock (the citizen does not pay for a wrong unit)."""
    with time_machine.travel(at(2026, 3, 2, 9, 0), tick=False):
        dossier = step(submitted_dossier(procedure, actors["applicant"]), "receive", actors)
    with time_machine.travel(at(2026, 3, 3, 9, 0), tick=False):
        moved = services.dossier_transition(
            dossier=dossier,
            action="transfer",
            actor=actors["officer"],
            note="Thuộc thẩm quyền phường Sài Gòn",
            unit=Unit.objects.get(code=OTHER_UNIT),
            reason="wrong_area",
        )
        moved = services.dossier_transition(dossier=moved, action="accept_transfer", actor=actors["other_officer"])
    assert moved.received_at == at(2026, 3, 2, 9, 0)
    assert moved.due_at == at(2026, 3, 5, 9, 0)
    assert moved.paused_at is None and moved.status == "received"
    assert moved.events.get(action="accept_transfer").data["hop"] == 1
    # The new unit acts now; the old one no longer may.
    refused(moved, "start_processing", actors["officer"])
    started = services.dossier_transition(dossier=moved, action="start_processing", actor=actors["other_officer"])
    assert started.status == "processing" and started.due_at == at(2026, 3, 5, 9, 0)


# --- a few through the workbench over HTTP ---------------------------------------------------


def post_action(client, dossier: Dossier, action: str, inputs: dict, *, version=None):
    data = {f"{action}-version": dossier.version if version is None else version}
    for name, value in inputs.items():
        field = {"result_upload": "result"}.get(name, name)
        if hasattr(value, "pk"):
            value = value.pk
        elif isinstance(value, datetime):
            value = value.astimezone(TZ).strftime("%Y-%m-%dT%H:%M")
        data[f"{action}-{field}"] = value
    return client.post(reverse("workbench-action", args=[dossier.code, action]), data)


HTTP_ALLOWED = [
    ("submitted", "receive", "officer"),
    ("submitted", "refuse_receipt", "head"),
    ("received", "start_processing", "officer"),
    ("processing", "request_supplement", "officer"),
    ("received", "require_payment", "officer"),
    ("payment_required", "payment_received", "officer"),
    ("processing", "stop", "head"),
    ("processing", "decide", "officer"),
    ("decided", "return_result", "officer"),
    ("processing", "assign", "head"),
]


@pytest.mark.parametrize(("source", "action", "kind"), HTTP_ALLOWED)
def test_the_workbench_applies_the_rule_for_the_allowed_actor(source, action, kind, procedure, actors):
    dossier = dossier_in(source, procedure, actors)
    inputs = inputs_for(action, dossier, actors)
    response = post_action(client_for(actors[kind]), dossier, action, inputs)
    assert response.status_code == 302
    rule = TABLE[source, action]
    assert Dossier.objects.get(pk=dossier.pk).status == (rule.target or source)
    assert dossier.events.filter(action=action).count() == 1


@pytest.mark.parametrize(
    ("kind", "status_code"),
    [("other_officer", 404), ("city_admin", 403), ("applicant", 403), ("other_citizen", 403)],
)
def test_the_workbench_refuses_everyone_else(kind, status_code, procedure, actors):
    dossier = dossier_in("received", procedure, actors)
    before = snapshot(dossier)
    response = post_action(client_for(actors[kind]), dossier, "start_processing", {})
    assert response.status_code == status_code
    assert snapshot(dossier) == before


def test_the_workbench_refuses_an_action_from_the_wrong_status(procedure, actors):
    dossier = dossier_in("submitted", procedure, actors)
    before = snapshot(dossier)
    response = post_action(client_for(actors["officer"]), dossier, "return_result", {})
    assert response.status_code == 409
    assert snapshot(dossier) == before
