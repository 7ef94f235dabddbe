"""The legal clocks (beat): due soon, overdue, escalation to the head and then the city.

Dates are frozen with time_machine. The procedure fixture has a limit of 3
working days: received Monday 2 March 2026 09:00, it is due Thursday 5 March
09:00; 80% of its 24 working hours is used on Wednesday 4 March at 13:42.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from govportal.cases import clocks as engine
from govportal.tiers.models import Unit
from govportal.tiers.selectors import COORDINATING_UNIT_CODE, work_calendar
from govportal.tiers.services import posting_ensure
from identity.models import Notification, User
from procedures import clocks, services
from procedures.clock_tasks import run_dossier_clocks
from procedures.models import Dossier, DossierEvent
from tests.procedures.conftest import pdf_upload, submitted_dossier

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOTHING = {"due_soon": 0, "overdue": 0, "escalated_to_head": 0, "escalated_to_city": 0, "errors": 0}


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def fired(**kinds) -> dict:
    return {**NOTHING, **kinds}


@pytest.fixture
def officer(people):
    return people["officer.benthanh"]


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """One beat run at a frozen instant, with the on-commit notifications executed."""

    def run_at(instant: datetime) -> dict:
        with time_machine.travel(instant, tick=False), django_capture_on_commit_callbacks(execute=True):
            return clocks.clocks_run()

    return run_at


def receive(dossier: Dossier, officer, instant: datetime) -> Dossier:
    with time_machine.travel(instant, tick=False):
        return services.dossier_transition(dossier=dossier, action="receive", actor=officer)


def act(dossier: Dossier, action: str, actor, instant: datetime, **inputs) -> Dossier:
    with time_machine.travel(instant, tick=False):
        return services.dossier_transition(dossier=dossier, action=action, actor=actor, **inputs)


def clock_events(dossier: Dossier) -> list[str]:
    return list(DossierEvent.objects.filter(dossier=dossier, action__in=clocks.KINDS).values_list("action", flat=True))


def notified(kind: str) -> set[str]:
    event_ids = DossierEvent.objects.filter(action=kind).values_list("pk", flat=True)
    sources = [f"dossier-staff:{pk}" for pk in event_ids]
    return {n.user.username for n in Notification.objects.select_related("user").filter(source__in=sources)}


@pytest.fixture
def received(dossier, officer):
    """The fixture dossier, received on Monday 2 March 2026 at 09:00 (due Thursday 5 March 09:00)."""
    dossier = receive(dossier, officer, at(2026, 3, 2, 9, 0))
    assert dossier.due_at == at(2026, 3, 5, 9, 0)
    return dossier


# --- due soon -----------------------------------------------------------------------------------


def test_due_soon_fires_at_80_percent_of_the_limit_and_not_before(received, run):
    assert run(at(2026, 3, 4, 13, 41, 59)) == NOTHING
    assert clock_events(received) == []
    assert run(at(2026, 3, 4, 13, 42)) == fired(due_soon=1)
    dossier = Dossier.objects.get(pk=received.pk)
    assert dossier.due_soon_warned_at == at(2026, 3, 4, 13, 42)
    assert not dossier.is_overdue_at(at(2026, 3, 4, 13, 42)) and dossier.status == "received"
    event = DossierEvent.objects.get(dossier=dossier, action="due_soon")
    assert event.actor is None and event.from_status == event.to_status == "received"
    assert event.unit_id == dossier.acting_unit_id
    assert datetime.fromisoformat(event.data["due_at"]) == dossier.due_at
    assert event.data["share"] == 0.8 and event.data["hours_left"] == 4.8


def test_the_due_soon_share_is_a_setting(received, run, settings):
    settings.CLOCK_DUE_SOON_SHARE = 0.5
    # Half of 24 working hours: Tuesday 3 March 14:30 (Mon 6.5 h + Tue 7:30-11:30 and 13:00-14:30).
    assert run(at(2026, 3, 3, 14, 29)) == NOTHING
    assert run(at(2026, 3, 3, 14, 30)) == fired(due_soon=1)
    assert DossierEvent.objects.get(dossier=received, action="due_soon").data["share"] == 0.5


def test_due_soon_goes_to_the_assigned_officer(received, officer, run):
    other = User.objects.create(username="officer2.benthanh", full_name="Cán bộ hai")
    posting_ensure(user=other, unit=Unit.objects.get(code="26743"), role="officer")
    act(received, "start_processing", officer, at(2026, 3, 2, 10, 0))  # assigns the officer who starts
    run(at(2026, 3, 4, 14, 0))
    assert notified("due_soon") == {"officer.benthanh"}


def test_due_soon_without_an_assignee_goes_to_the_staff_of_the_unit(received, run):
    other = User.objects.create(username="officer2.benthanh", full_name="Cán bộ hai")
    posting_ensure(user=other, unit=Unit.objects.get(code="26743"), role="officer")
    run(at(2026, 3, 4, 14, 0))
    # The one recipient rule (procedures.notifications.case_staff): unassigned, every officer and head.
    assert notified("due_soon") == {"officer.benthanh", "officer2.benthanh", "head.benthanh"}
    notification = Notification.objects.get(user=other)
    assert received.code in notification.subject
    assert notification.link.endswith(f"/workbench/dossiers/{received.code}/")
    assert "80%" in notification.body and "05/03/2026 09:00" in notification.body


def test_a_dossier_found_already_late_is_flagged_overdue_without_a_due_soon_warning(received, run):
    assert run(at(2026, 3, 5, 10, 0)) == fired(overdue=1, escalated_to_head=1)
    assert clock_events(received) == ["overdue", "escalated_to_head"]


# --- overdue and escalation to the head ----------------------------------------------------------


def test_overdue_is_flagged_at_the_deadline_and_not_a_second_before(received, run):
    run(at(2026, 3, 4, 13, 42))  # the warning
    assert run(at(2026, 3, 5, 8, 59, 59)) == NOTHING
    assert not Dossier.objects.get(pk=received.pk).is_overdue_at(at(2026, 3, 5, 8, 59, 59))
    assert not Dossier.objects.overdue(at(2026, 3, 5, 8, 59, 59)).filter(pk=received.pk).exists()
    assert run(at(2026, 3, 5, 9, 0)) == fired(overdue=1, escalated_to_head=1)
    dossier = Dossier.objects.get(pk=received.pk)
    assert dossier.is_overdue_at(at(2026, 3, 5, 9, 0))
    assert Dossier.objects.overdue(at(2026, 3, 5, 9, 0)).filter(pk=received.pk).exists()
    assert dossier.overdue_flagged_at == dossier.escalated_to_head_at == at(2026, 3, 5, 9, 0)
    assert dossier.status == "received"  # overdue is a flag, not a status
    assert clock_events(dossier) == ["due_soon", "overdue", "escalated_to_head"]


def test_overdue_goes_to_the_assigned_officer_and_the_heads_escalation_to_the_heads(received, officer, run):
    act(received, "start_processing", officer, at(2026, 3, 2, 10, 0))
    run(at(2026, 3, 5, 9, 0))
    assert notified("overdue") == {"officer.benthanh", "head.benthanh"}
    assert notified("escalated_to_head") == {"head.benthanh"}
    assert "079085001234" not in notified("overdue")  # the citizen hears from the unit's apology


def test_a_second_run_fires_nothing_more(received, run):
    for instant in (at(2026, 3, 4, 13, 42), at(2026, 3, 5, 9, 0), at(2026, 3, 9, 9, 0)):
        run(instant)
    before = Notification.objects.count()
    assert run(at(2026, 3, 9, 9, 0)) == NOTHING
    assert run(at(2026, 3, 20, 9, 0)) == NOTHING
    assert sorted(clock_events(received)) == sorted(clocks.KINDS)  # exactly one event of each kind
    assert Notification.objects.count() == before
    sources = list(Notification.objects.filter(source__startswith="dossier-staff:").values_list("user", "source"))
    assert len(sources) == len(set(sources))


def test_a_step_called_twice_fires_once_and_a_step_not_due_does_not_fire(received):
    assert clocks.dossier_flag_overdue(dossier=received, now=at(2026, 3, 5, 8, 59)) is None
    assert clocks.dossier_escalate_to_head(dossier=received, now=at(2026, 3, 5, 9, 0)) is None  # not flagged yet
    first = clocks.dossier_flag_overdue(dossier=received, now=at(2026, 3, 5, 9, 0))
    assert first is not None and first.action == "overdue"
    assert clocks.dossier_flag_overdue(dossier=received, now=at(2026, 3, 5, 9, 5)) is None
    assert clock_events(received) == ["overdue"]


def test_notifying_one_clock_event_twice_sends_nothing_more(received, run):
    run(at(2026, 3, 5, 9, 0))
    event = DossierEvent.objects.get(dossier=received, action="overdue")
    assert clocks.dossier_clock_notify(event_id=event.pk) == 0
    # Nobody assigned: the unit's officer and its head, once each.
    assert Notification.objects.filter(source=f"dossier-staff:{event.pk}").count() == 2


# --- escalation to the city ----------------------------------------------------------------------


def test_escalation_to_the_city_after_two_more_working_days(received, people, run):
    run(at(2026, 3, 5, 9, 0))
    assert run(at(2026, 3, 6, 9, 0)) == NOTHING  # one working day late
    assert run(at(2026, 3, 8, 9, 0)) == NOTHING  # Sunday: weekends do not count
    assert run(at(2026, 3, 9, 8, 59)) == NOTHING
    assert run(at(2026, 3, 9, 9, 0)) == fired(escalated_to_city=1)
    event = DossierEvent.objects.get(dossier=received, action="escalated_to_city")
    centre = Unit.objects.get(code=COORDINATING_UNIT_CODE)
    assert event.data["after_working_days"] == 2 and event.data["coordinating_unit"] == centre.pk
    assert notified("escalated_to_city") == {"admin.city", "operator"}


def test_escalation_to_the_city_reaches_the_coordinating_units_staff(received, run):
    centre = Unit.objects.get(code="trung-tam-phuc-vu-hcc")
    coordinator = User.objects.create(username="officer.hcc", full_name="Cán bộ điều phối")
    posting_ensure(user=coordinator, unit=centre, role="officer")
    run(at(2026, 3, 9, 9, 0))
    assert notified("escalated_to_city") == {"admin.city", "operator", "officer.hcc"}


def test_the_city_itself_coordinates_when_the_service_centre_is_not_loaded(units):
    Unit.objects.filter(code="trung-tam-phuc-vu-hcc").update(code="renamed")
    assert clocks.coordinating_unit().code == "79"


def test_the_number_of_working_days_before_the_city_is_a_setting(received, run, settings):
    settings.CLOCK_ESCALATE_TO_CITY_AFTER_WORKING_DAYS = 1
    run(at(2026, 3, 5, 9, 0))
    assert run(at(2026, 3, 6, 8, 59)) == NOTHING
    assert run(at(2026, 3, 6, 9, 0)) == fired(escalated_to_city=1)


def test_escalation_across_tet_2026(dossier, officer, run):
    # Friday 13 February, the last working day before Tết Bính Ngọ (16-20 February off).
    dossier = receive(dossier, officer, at(2026, 2, 13, 10, 0))
    assert dossier.due_at == at(2026, 2, 25, 10, 0)
    for day in range(13, 24):  # through Tết and the weekends around it, nothing fires
        assert run(at(2026, 2, day, 16, 0)) == NOTHING
    assert run(at(2026, 2, 24, 14, 41)) == NOTHING
    assert run(at(2026, 2, 24, 14, 42)) == fired(due_soon=1)  # 4.8 working hours left
    assert run(at(2026, 2, 25, 9, 59, 59)) == NOTHING
    assert run(at(2026, 2, 25, 10, 0)) == fired(overdue=1, escalated_to_head=1)
    assert run(at(2026, 2, 26, 10, 0)) == NOTHING  # one working day late
    assert run(at(2026, 2, 27, 9, 59)) == NOTHING
    assert run(at(2026, 2, 27, 10, 0)) == fired(escalated_to_city=1)
    assert run(at(2026, 3, 31, 10, 0)) == NOTHING
    dossier = Dossier.objects.get(pk=dossier.pk)
    assert (dossier.due_soon_warned_at, dossier.overdue_flagged_at, dossier.escalated_to_city_at) == (
        at(2026, 2, 24, 14, 42),
        at(2026, 2, 25, 10, 0),
        at(2026, 2, 27, 10, 0),
    )


def test_an_apology_defers_the_escalations_to_the_promised_date_not_the_overdue_flag(received, officer, run):
    # Apologised on Wednesday (the working day before the legal date), promising Monday 9 March 09:00.
    act(received, "apologise", officer, at(2026, 3, 4, 10, 0), note="Chờ xác minh", new_due_at=at(2026, 3, 9, 9, 0))
    # The legal date passes: overdue all the same (an apology never hides lateness), the head not yet told.
    assert run(at(2026, 3, 5, 9, 0)) == fired(overdue=1)
    assert run(at(2026, 3, 6, 9, 0)) == NOTHING
    assert run(at(2026, 3, 9, 9, 0)) == fired(escalated_to_head=1)  # the promise missed
    assert run(at(2026, 3, 10, 9, 0)) == NOTHING
    assert run(at(2026, 3, 11, 9, 0)) == fired(escalated_to_city=1)  # two working days after the promise


def test_an_apology_rearms_only_the_warning_against_the_promised_date(received, officer, run):
    assert run(at(2026, 3, 4, 13, 42)) == fired(due_soon=1)
    apologised = act(
        received, "apologise", officer, at(2026, 3, 4, 14, 0), note="Chờ xác minh", new_due_at=at(2026, 3, 9, 9, 0)
    )
    assert apologised.due_at == at(2026, 3, 5, 9, 0) and apologised.promised_at == at(2026, 3, 9, 9, 0)
    assert apologised.due_soon_warned_at is None
    event = DossierEvent.objects.get(dossier=received, action="apologise")
    assert event.data["rearmed"] == ["due_soon_warned_at"]
    # The legal date still makes it overdue, in the one definition and in the clock.
    assert run(at(2026, 3, 5, 9, 0)) == fired(overdue=1)
    # 80% of the 24 working hours before Monday 9 March 09:00: the warning for the promise.
    assert run(at(2026, 3, 6, 13, 41)) == NOTHING
    assert run(at(2026, 3, 6, 13, 42)) == fired(due_soon=1)
    warning = DossierEvent.objects.filter(dossier=received, action="due_soon").latest("id")
    assert datetime.fromisoformat(warning.data["due_at"]) == at(2026, 3, 9, 9, 0)
    assert datetime.fromisoformat(warning.data["legal_due_at"]) == at(2026, 3, 5, 9, 0)
    assert run(at(2026, 3, 9, 9, 0)) == fired(escalated_to_head=1)
    assert run(at(2026, 3, 9, 9, 5)) == NOTHING  # once
    assert Dossier.objects.get(pk=received.pk).is_overdue_at(at(2026, 3, 9, 9, 5))
    assert clock_events(received) == ["due_soon", "overdue", "due_soon", "escalated_to_head"]


def test_a_dossier_decided_on_time_but_not_yet_handed_over_fires_nothing(received, officer, run):
    dossier = act(received, "start_processing", officer, at(2026, 3, 3, 9, 0))
    act(dossier, "decide", officer, at(2026, 3, 4, 9, 0), result_upload=pdf_upload("ket-qua.pdf"))
    assert run(at(2026, 3, 5, 9, 0)) == NOTHING
    assert run(at(2026, 4, 30, 9, 0)) == NOTHING
    assert not Dossier.objects.overdue(at(2026, 4, 30, 9, 0)).filter(pk=received.pk).exists()


# --- clocks that do not run ----------------------------------------------------------------------


def test_a_paused_dossier_fires_nothing(received, officer, run):
    act(received, "request_supplement", officer, at(2026, 3, 3, 9, 0), note="Thiếu bản sao giấy khai sinh")
    assert run(at(2026, 3, 4, 14, 0)) == NOTHING
    assert run(at(2026, 4, 30, 9, 0)) == NOTHING
    assert clock_events(received) == []


def test_after_the_supplement_the_warning_counts_the_hours_left(received, officer, citizen, run):
    act(received, "request_supplement", officer, at(2026, 3, 3, 9, 0), note="Thiếu bản sao giấy khai sinh")
    resumed = act(Dossier.objects.get(pk=received.pk), "supplement", citizen, at(2026, 3, 9, 9, 0))
    assert resumed.due_at == at(2026, 3, 11, 9, 0)  # the 16 hours left
    assert run(at(2026, 3, 10, 13, 41)) == NOTHING
    assert run(at(2026, 3, 10, 13, 42)) == fired(due_soon=1)  # 4.8 of the 24 hours left


@pytest.mark.parametrize(
    "actions",
    [
        [("withdraw", "citizen")],
        [("start_processing", "officer"), ("decide", "officer"), ("return_result", "officer")],
        [("start_processing", "officer"), ("stop", "officer")],
    ],
    ids=["withdrawn", "result_returned", "stopped"],
)
def test_a_closed_dossier_fires_nothing(received, officer, citizen, run, actions):
    actors = {"officer": officer, "citizen": citizen}
    dossier = received
    for action, who in actions:
        inputs = {"note": "Lý do"} if action in ("withdraw", "stop") else {}
        if action == "decide":
            inputs["result_upload"] = pdf_upload("ket-qua.pdf")
        dossier = act(dossier, action, actors[who], at(2026, 3, 3, 9, 0), **inputs)
    for instant in (at(2026, 3, 4, 14, 0), at(2026, 3, 5, 9, 0), at(2026, 4, 30, 9, 0)):
        assert run(instant) == NOTHING
    assert clock_events(dossier) == []


def test_a_submitted_dossier_not_yet_received_fires_nothing(dossier, run):
    assert dossier.due_at is None
    assert run(at(2030, 1, 1, 9, 0)) == NOTHING


# --- the sweep ---------------------------------------------------------------------------------


def test_the_beat_task_runs_the_clocks(received, django_capture_on_commit_callbacks):
    with time_machine.travel(at(2026, 3, 5, 9, 0), tick=False), django_capture_on_commit_callbacks(execute=True):
        result = run_dossier_clocks.delay().get()
    assert result == fired(overdue=1, escalated_to_head=1)
    assert run_dossier_clocks.name == "procedures.run_dossier_clocks"
    assert notified("escalated_to_head") == {"head.benthanh"}


def test_idle_dossiers_cost_no_query(procedure, citizen, officer, monkeypatch):
    checked = []
    real_rule = engine.due_soon_reached  # the shared clock engine that runs the dossiers' clocks
    monkeypatch.setattr(engine, "due_soon_reached", lambda k, d, **kw: checked.append(d.pk) or real_rule(k, d, **kw))
    now = at(2026, 3, 4, 10, 0)  # Wednesday

    def queries():
        with time_machine.travel(now, tick=False), CaptureQueriesContext(connection) as captured:
            assert clocks.clocks_run() == NOTHING
        return len(captured)

    def idle_dossier(received_on):
        return receive(submitted_dossier(procedure, citizen), officer, received_on)

    idle_dossier(at(2026, 3, 4, 9, 0))
    one = queries()
    for _ in range(4):  # received the day before: 14.5 of 24 working hours left
        idle_dossier(at(2026, 3, 3, 9, 0))
    act(idle_dossier(at(2026, 3, 2, 9, 0)), "request_supplement", officer, at(2026, 3, 2, 9, 30), note="Thiếu")
    act(idle_dossier(at(2026, 2, 2, 9, 0)), "withdraw", citizen, at(2026, 2, 2, 9, 30))
    submitted_dossier(procedure, citizen)
    assert queries() == one
    assert checked == []  # none of them was even loaded: the look-ahead is a SQL filter


def test_the_limit_in_working_hours_of_a_procedure_in_calendar_days(procedure):
    procedure.time_limit_unit, procedure.time_limit_value = "days", 7
    received_on = at(2026, 3, 2, 9, 0)  # Monday: due at the close of Monday 9 March
    hours = clocks.limit_hours(procedure, received_on, work_calendar())
    assert hours == 6.5 + 4 * 8 + 8  # Monday from 09:00, four more weekdays, and Monday 9 March
