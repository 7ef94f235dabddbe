"""Hypothesis properties of the rules the portal's promises rest on (issue 12.3).

The working-day calendar (due dates), the personal ID number, the payment
callback signature, and the dossier and 1022 report transition tables through
their real services on the real database. Examples are derandomized (the same inputs on every run,
so CI is stable) and kept small so that the file runs in well under a minute.
"""

from __future__ import annotations

import string
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from govportal.cases import actors
from govportal.tiers import calendar as cal
from identity.personal_id import CENTURY_DIGITS, parse_personal_id
from payments.gateways.base import SIGNATURE_FIELD, read_callback, sign, signature_ok

FAST = settings(derandomize=True, deadline=None, max_examples=150, database=None)

# --- the working-day calendar -----------------------------------------------------------

CALENDAR = cal.WorkCalendar()  # Vietnam's holidays and their swaps, as the portal uses them
MICROSECOND_HOURS = 1 / 3_600_000_000

instants = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2027, 6, 30)).map(
    lambda naive: naive.replace(tzinfo=cal.TZ)
)
day_counts = st.integers(min_value=0, max_value=40)


# Calendars as admins shape them: extra days off, make-up working days, half days, over the holidays.
calendars = st.lists(
    st.builds(
        cal.Override,
        day=st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
        kind=st.sampled_from([cal.OFF, cal.WORKING]),
        part=st.sampled_from([cal.ALL_DAY, cal.MORNING, cal.AFTERNOON]),
    ),
    max_size=12,
).map(lambda overrides: cal.WorkCalendar(overrides=overrides))


def _in_a_session(calendar: cal.WorkCalendar, instant: datetime) -> bool:
    local = instant.astimezone(cal.TZ)
    return any(start < local <= end for start, end in calendar.sessions_on(local.date()))


@FAST
@given(calendar=calendars, start=instants, days=st.integers(min_value=1, max_value=40))
def test_adding_working_days_lands_inside_a_session_of_a_working_day(calendar, start, days):
    due = calendar.add_working_days(start, days)
    assert calendar.is_working_day(due.astimezone(cal.TZ).date())
    assert _in_a_session(calendar, due)
    assert due > start


@FAST
@given(calendar=calendars, start=instants, days=day_counts, more=day_counts)
def test_adding_working_days_is_monotonic_in_the_count(calendar, start, days, more):
    assert calendar.add_working_days(start, days) <= calendar.add_working_days(start, days + more)


@FAST
@given(
    calendar=calendars,
    start=instants,
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
    days=day_counts,
)
def test_adding_working_days_is_monotonic_in_the_start(calendar, start, later, days):
    assert calendar.add_working_days(start, days) <= calendar.add_working_days(start + later, days)
    assert calendar.deadline(start, days=days) <= calendar.deadline(start + later, days=days)


@FAST
@given(calendar=calendars, start=instants, days=day_counts, half=st.booleans())
def test_counting_the_working_hours_back_gives_the_limit(calendar, start, days, half):
    limit = Decimal(days) + (Decimal("0.5") if half else 0)
    due = calendar.add_working_days(start, limit)
    assert calendar.working_hours_between(start, due) == pytest.approx(
        float(limit) * cal.HOURS_PER_DAY, abs=MICROSECOND_HOURS
    )
    assert calendar.working_hours_between(due, start) == -calendar.working_hours_between(start, due)


@FAST
@given(received=instants, days=st.integers(min_value=1, max_value=30), data=st.data())
def test_a_pause_never_shortens_the_due_date(received, days, data):
    """Pause (supplement, payment awaited) then resume through the service's clock step: the due date only moves on."""
    from procedures import services, workflow

    due = CALENDAR.deadline(received, days=days)
    paused = data.draw(st.datetimes(min_value=received.replace(tzinfo=None), max_value=due.replace(tzinfo=None)))
    paused = paused.replace(tzinfo=cal.TZ)
    resumed = paused + data.draw(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=15)), label="pause")
    dossier = SimpleNamespace(due_at=due, paused_at=None, remaining_hours=None, status_before_pause="", closed_at=None)
    with mock.patch.object(services, "work_calendar", return_value=CALENDAR):
        services._apply_clock(dossier, workflow.PAUSE, from_status="processing", now=paused)
        assert dossier.paused_at == paused
        services._apply_clock(dossier, workflow.RESUME, from_status="supplement_requested", now=resumed)
    assert dossier.paused_at is None
    assert dossier.due_at >= due
    # The working time left at the pause is all still there after it.
    left = CALENDAR.working_hours_between(paused, due)
    if left > 0:  # (paused at the due instant: nothing was left, the due date stays)
        assert CALENDAR.working_hours_between(CALENDAR.clock_start(resumed), dossier.due_at) >= left - MICROSECOND_HOURS


# --- the personal ID number -------------------------------------------------------------


def _province_codes() -> list[str]:
    from govportal.tiers.unit_data import load_id_province_codes

    return sorted(load_id_province_codes())


PROVINCES = _province_codes()
DIGIT_FOR = {(century, sex): digit for digit, (century, sex) in CENTURY_DIGITS.items()}


@st.composite
def valid_ids(draw):
    """A number as the registry issues it, with the facts it encodes."""
    province = draw(st.sampled_from(PROVINCES))
    birth_year = draw(st.integers(min_value=1800, max_value=date.today().year))
    sex = draw(st.sampled_from(["male", "female"]))
    serial = draw(st.text(string.digits, min_size=6, max_size=6))
    digit = DIGIT_FOR[(birth_year // 100 * 100, sex)]
    return f"{province}{digit}{birth_year % 100:02d}{serial}", province, sex, birth_year


@FAST
@given(valid_ids())
def test_every_issued_number_validates_with_its_facts(issued):
    number, province, sex, birth_year = issued
    parsed = parse_personal_id(number, birth_date=date(birth_year, 6, 1))
    assert (parsed.number, parsed.province_code, parsed.sex, parsed.birth_year) == (number, province, sex, birth_year)
    assert parse_personal_id(f"  {number}\n").number == number


@FAST
@given(issued=valid_ids(), position=st.integers(min_value=0, max_value=5), digit=st.sampled_from(string.digits))
def test_a_changed_digit_is_refused_or_read_as_the_new_facts(issued, position, digit):
    """Changing the province, sex/century or year digits never passes as the old facts; with the birth date, a
    different birth year is refused."""
    number, province, sex, birth_year = issued
    mutated = number[:position] + digit + number[position + 1 :]
    assume(mutated != number)
    try:
        parsed = parse_personal_id(mutated)
    except ValidationError as error:
        assert error.code in ("id_province", "id_birth_year")
    else:
        assert (parsed.province_code, parsed.sex, parsed.birth_year) != (province, sex, birth_year)
        if parsed.birth_year != birth_year:
            with pytest.raises(ValidationError) as refused:
                parse_personal_id(mutated, birth_date=date(birth_year, 6, 1))
            assert refused.value.code == "id_birth_mismatch"


@FAST
@given(
    issued=valid_ids(),
    cut=st.integers(min_value=0, max_value=11),
    extra=st.text(string.digits, min_size=1, max_size=4),
    junk=st.characters(blacklist_categories=("Nd",)),
)
def test_a_wrong_length_or_a_non_digit_is_refused(issued, cut, extra, junk):
    number = issued[0]
    for wrong in (number[:cut], number + extra, number[:cut] + junk + number[cut + 1 :]):
        assume(wrong.strip() != number)
        with pytest.raises(ValidationError) as refused:
            parse_personal_id(wrong)
        assert refused.value.code in ("id_format", "id_province")


@FAST
@given(st.one_of(st.text(max_size=30), st.none()))
def test_any_text_is_a_clean_answer_never_an_exception(value):
    try:
        parse_personal_id(value)
    except ValidationError as error:
        assert error.code in ("id_format", "id_province", "id_birth_year")


# --- payment callback signatures ---------------------------------------------------------

SECRET = "property-secret"
# Field values as gateways send them, `&`, `=`, `%` and `+` included: the canonical form URL-encodes values, so
# {"a": "1&b=2"} and {"a": "1", "b": "2"} do not sign alike (see test_merged_fields_do_not_share_a_signature).
wire_text = st.text(alphabet=string.ascii_letters + string.digits + "-_.:/ &=%+", min_size=1, max_size=20)
callbacks = st.fixed_dictionaries(
    {
        "reference": wire_text,
        "amount": st.integers(min_value=0, max_value=10**10).map(str),
        "currency": st.just("VND"),
        "result_code": st.sampled_from(["00", "24", "51", "99"]),
        "transaction_no": wire_text,
        "bank_code": st.sampled_from(["NCB", "VCB", "BIDV"]),
    }
)


def _signed(fields: dict) -> dict:
    return {**fields, SIGNATURE_FIELD: sign(fields, SECRET)}


@FAST
@given(callbacks)
def test_merged_fields_do_not_share_a_signature(fields):
    """Folding the next field into a value (`reference=A&amount=5`) must not keep the signature valid."""
    merged = dict(fields)
    merged["currency"] = f"VND&reference={fields['reference']}"
    del merged["reference"]
    assert sign(merged, SECRET) != sign(fields, SECRET)


@FAST
@given(callbacks, st.booleans())
def test_a_signed_callback_verifies(fields, upper):
    signed = _signed(fields)
    if upper:  # gateways differ in the hex case they send
        signed[SIGNATURE_FIELD] = signed[SIGNATURE_FIELD].upper()
    read = read_callback(signed, SECRET)
    assert read.signature_valid
    assert (read.reference, read.amount_vnd, read.result_code) == (
        fields["reference"],
        int(fields["amount"]),
        fields["result_code"],
    )


@FAST
@given(fields=callbacks, data=st.data())
def test_any_changed_field_or_signature_is_refused(fields, data):
    signed = _signed(fields)
    name = data.draw(st.sampled_from(sorted(signed)), label="field")
    value = data.draw(wire_text, label="new value")
    assume(value != signed[name] and value.lower() != signed[name])
    tampered = {**signed, name: value}
    assert not signature_ok(tampered, SECRET)
    assert not read_callback(tampered, SECRET).signature_valid
    assert not signature_ok(signed, "another-secret")
    without = {key: val for key, val in signed.items() if key != name}
    if name != SIGNATURE_FIELD:
        assert not signature_ok(without, SECRET)


@FAST
@given(
    st.dictionaries(
        st.one_of(st.text(max_size=12), st.binary(max_size=12)),
        st.one_of(st.text(max_size=40), st.binary(max_size=40), st.integers(), st.none()),
        max_size=8,
    )
)
def test_garbage_is_refused_cleanly(params):
    read = read_callback(params, SECRET)
    assert read.signature_valid is False or signature_ok({str(k): str(v) for k, v in params.items()}, SECRET)
    assert not read_callback({**params, SIGNATURE_FIELD: "00"}, SECRET).signature_valid


def test_payment_state_table_never_leaves_a_final_state():
    from payments import workflow

    for source in workflow.PaymentStatus.values:
        for target in workflow.PaymentStatus.values:
            allowed = workflow.can_move(source, target)
            assert allowed == (target in workflow.TRANSITIONS[source])
            if source in workflow.FINAL and allowed:
                assert (source, target) == (workflow.S.SUCCEEDED, workflow.S.REFUNDED)
    assert not workflow.can_move("nonsense", workflow.S.SUCCEEDED)


# --- the transition tables through the real services (dossiers and 1022 reports) -----------

ACTORS = ["applicant", "other_citizen", "officer", "head", "officer_elsewhere", "city_admin", "system"]
# Who plays each actor kind of a table on the cases filed below (at Phường Bến Thành, transferred to Sài Gòn).
PLAYERS = {
    actors.APPLICANT: ["applicant"],
    actors.STAFF: ["officer", "head"],
    actors.HEAD: ["head"],
    actors.TARGET_STAFF: ["officer_elsewhere"],
    actors.SYSTEM: ["system"],
}
# Actions that end a case early (or do nothing more to it): taken less often, so that the steps go deep.
ENDINGS = {"withdraw", "refuse_receipt", "stop", "reject", "rate", "unpublish", "claim", "assign", "apologise"}
# What a refused action must leave as it was (beyond the status, the version and the events).
WATCHED = ("status", "version", "assigned_to_id", "handling_unit_id", "pending_transfer_unit_id", "due_at", "closed_at")


@pytest.fixture
def world(demo_users):
    from django.contrib.auth import get_user_model

    from feedback.services import categories_load
    from govportal.tiers.models import Unit
    from tests.procedures.conftest import make_procedure

    categories_load()
    users = {u.username: u for u in get_user_model().objects.all()}
    return SimpleNamespace(
        procedure=make_procedure(),
        home_unit=Unit.objects.get(code="26743"),
        target_unit=Unit.objects.get(code="26740"),
        actors={
            "applicant": users["079085001234"],
            "other_citizen": users["079190004567"],
            "officer": users["officer.benthanh"],
            "head": users["head.benthanh"],
            "officer_elsewhere": users["officer.saigon"],
            "city_admin": users["admin.city"],
            "system": None,
        },
    )


def _file_dossier(world):
    """A submitted, routed dossier, filed through the services (no registry prefill: it is not needed here)."""
    from procedures import services
    from procedures.routing import dossier_route
    from tests.procedures.conftest import pdf_upload

    applicant = world.actors["applicant"]
    dossier = services.dossier_draft_create(
        procedure=world.procedure, applicant=applicant, receiving_unit=world.home_unit, eid_level=2
    )
    services.dossier_draft_update(
        dossier=dossier, actor=applicant, form_data={"full_name": "Nguyễn Văn An", "partner_name": "Phạm Thị Hoa"}
    )
    services.document_attach(dossier=dossier, actor=applicant, upload=pdf_upload(), key="to-khai")
    services.dossier_transition(dossier=dossier, action="submit", actor=applicant, eid_level=2)
    dossier_route(dossier_id=dossier.pk)
    dossier.refresh_from_db()
    return dossier


def _file_report(world):
    """A report of a ward-tier category by a citizen with an account, recorded (status `new`)."""
    from feedback.models import Category
    from feedback.services import report_create
    from govportal.tiers.models import Tier

    return report_create(
        category=Category.objects.filter(tier=Tier.COMMUNE).order_by("code").first(),
        text="Đèn đường trước nhà số 12 bị hỏng từ ba ngày nay.",
        unit=world.home_unit,
        address="12 Lê Lợi",
        reporter=world.actors["applicant"],
    )


def _dossier_params(action: str, case, world, with_note: bool, rating: int) -> dict:
    from tests.procedures.conftest import pdf_upload

    params = {"note": "Lý do cụ thể." if with_note else ""}
    if action == "transfer":
        params.update(unit=world.target_unit, reason="wrong_area")
    elif action == "decide":
        params["result_upload"] = pdf_upload("ket-qua.pdf")
    elif action == "assign":
        params["assignee"] = world.actors["officer"]
    elif action == "rate":
        params["rating"] = rating
    elif action == "apologise" and case.due_at:
        params["new_due_at"] = case.due_at + timedelta(days=2)
    return params


def _report_params(action: str, case, world, with_note: bool, rating: int) -> dict:
    params = {"note": "Lý do cụ thể." if with_note else ""}
    if action == "transfer":
        params.update(unit=world.target_unit, reason="wrong_area")
    elif action == "reject":
        params["reason"] = "spam"
    elif action == "assign":
        params["assignee"] = world.actors["officer"]
    elif action == "rate":
        params["rating"] = rating
    elif action == "post_progress" and case.due_at:
        params["committed_at"] = case.due_at + timedelta(days=1)
    elif action == "publish":
        params.update(public_text="Đèn đường hỏng.", public_answer="Đã thay bóng đèn.")
    return params


def _kinds():
    from feedback import services as report_services
    from feedback import workflow as report_workflow
    from feedback.models import Report
    from procedures import services as dossier_services
    from procedures import workflow as dossier_workflow
    from procedures.models import Dossier

    return {
        "dossier": SimpleNamespace(
            model=Dossier,
            workflow=dossier_workflow,
            file=_file_dossier,
            params=_dossier_params,
            apply=lambda case, **kw: dossier_services.dossier_transition(dossier=case, **kw),
            paused_statuses={dossier_workflow.S.SUPPLEMENT_REQUESTED, dossier_workflow.S.PAYMENT_REQUIRED},
            first_status={dossier_workflow.S.DRAFT},
        ),
        "report": SimpleNamespace(
            model=Report,
            workflow=report_workflow,
            file=_file_report,
            params=_report_params,
            apply=lambda case, **kw: report_services.report_transition(report=case, **kw),
            paused_statuses=set(),
            first_status={report_workflow.ReportStatus.NEW},
        ),
    }


def _step(data, table, status: str) -> tuple[str, str, bool, int]:
    """Mostly an action the table offers from `status` by someone it names (to go deep); else anything by anyone."""
    offered = table.actions_from(status)
    onward = [rule for rule in offered if rule.action not in ENDINGS]
    if onward and data.draw(st.integers(min_value=0, max_value=3), label="onward") > 0:
        offered = onward
    if offered and data.draw(st.integers(min_value=0, max_value=4), label="from the table") > 0:
        rule = data.draw(st.sampled_from(offered), label="rule")
        players = sorted({who for kind in rule.actors for who in PLAYERS.get(kind, [])}) or ACTORS
        action, who = rule.action, data.draw(st.sampled_from(players), label="actor")
    else:
        action = data.draw(st.sampled_from(sorted(table.actions)), label="action")
        who = data.draw(st.sampled_from(ACTORS), label="actor")
    with_note = data.draw(st.integers(min_value=0, max_value=4), label="note") > 0  # mostly with a note
    return action, who, with_note, data.draw(st.integers(min_value=0, max_value=6), label="rating")


@pytest.mark.django_db
@settings(
    derandomize=True,
    deadline=None,
    max_examples=50,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(kind_name=st.sampled_from(["dossier", "report"]), data=st.data(), length=st.integers(min_value=1, max_value=12))
def test_random_actions_by_random_people_follow_the_table(world, kind_name, data, length):
    """Each step through the kind's transition service: a refusal changes nothing and records nothing; an
    acceptance records exactly one event, allowed by the table, and the status is always one the table reaches."""
    from django.db.models import Max
    from django.utils import timezone

    from govportal.api.errors import ApplicationError

    kind = _kinds()[kind_name]
    table = kind.workflow.TABLE
    reachable = kind.first_status | {r.target for r in table.rules if r.target} - {"previous"}
    case = kind.file(world)
    for step in range(length):
        before = kind.model.objects.get(pk=case.pk)
        action, who, with_note, rating = _step(data, table, before.status)
        events_before = before.events.count()
        last_before = before.events.aggregate(last=Max("pk"))["last"]
        try:
            kind.apply(
                before,
                action=action,
                actor=world.actors[who],
                now=timezone.now() + timedelta(hours=step),
                **kind.params(action, before, world, with_note, rating),
            )
        except ApplicationError as refused:
            after = kind.model.objects.get(pk=case.pk)
            assert refused.status_code in (400, 403, 409), refused.code
            assert [getattr(after, name) for name in WATCHED] == [getattr(before, name) for name in WATCHED]
            assert after.events.count() == events_before
        else:
            after = kind.model.objects.get(pk=case.pk)
            rule = table.rule_for(before.status, action)
            assert rule is not None, (before.status, action)
            new_events = list(after.events.filter(pk__gt=last_before or 0))
            assert [(e.action, e.from_status, e.to_status) for e in new_events] == [
                (action, before.status, after.status)
            ]
            if rule.target == "previous":
                assert after.status == before.status_before_pause
            elif rule.target is not None:
                assert after.status == rule.target
            else:
                assert after.status == before.status
            assert after.version == before.version + 1
        assert after.status in reachable
        assert after.paused_at is None or after.status in kind.paused_statuses


def test_every_status_of_the_tables_is_a_declared_status():
    """The tables name only declared statuses, and every rule can be reached by someone."""
    from feedback import workflow as feedback_workflow
    from feedback.workflow import ReportStatus
    from procedures import workflow as dossier_workflow
    from procedures.workflow import DossierStatus

    for table, statuses in (
        (dossier_workflow.TABLE, DossierStatus.values),
        (feedback_workflow.TABLE, ReportStatus.values),
    ):
        for rule in table.rules:
            assert rule.sources <= set(statuses), rule.action
            assert rule.target in (None, dossier_workflow.PREVIOUS, *statuses), rule.action
            assert rule.actors, rule.action
