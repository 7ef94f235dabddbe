"""Routing a submitted dossier: the rules as data, forwarding deadlines, idempotence,
dispatch on commit, the sweep after a broker outage, and auto-assignment.

The pure decision has its own tests (tests/tiers/test_routing_engine.py); these
run the service and the tasks against the database with the default rules.
"""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from govportal.tiers.calendar import TZ
from govportal.tiers.models import Posting, RoutingRule, Unit
from govportal.tiers.selectors import COORDINATING_UNIT_CODE
from govportal.tiers.services import routing_rules_seed
from identity.models import User
from procedures import routing_tasks
from procedures.models import Dossier, DossierEvent
from procedures.routing import dossier_route, least_loaded_officer, unrouted_dossier_ids
from procedures.workflow import DossierStatus
from tests.procedures.conftest import submitted_dossier

pytestmark = pytest.mark.django_db

TUESDAY_MORNING = datetime(2026, 3, 10, 10, 0, tzinfo=TZ)


def route_events(dossier):
    return list(DossierEvent.objects.filter(dossier=dossier, action="route"))


def local(value):
    return timezone.localtime(value, TZ).replace(tzinfo=None)


# --- the default rules ----------------------------------------------------------------------


def test_the_default_rules_load_once_and_keep_admin_edits(units):
    assert list(RoutingRule.objects.values_list("priority", "tier", "target")) == [
        (10, "commune", "receiving_unit"),
        (20, "city", "procedure_department"),
        (90, "", "unit"),
    ]
    assert RoutingRule.objects.get(priority=90).target_unit.code == COORDINATING_UNIT_CODE
    RoutingRule.objects.filter(priority=10).update(priority=11, is_active=False, description="edited")
    result = routing_rules_seed()
    assert (result.created, result.kept) == (0, 3)
    assert RoutingRule.objects.get(priority=11).description == "edited"


def test_the_load_routing_rules_command_is_idempotent(units):
    from io import StringIO

    from django.core.management import call_command

    RoutingRule.objects.filter(seed_key="fallback").delete()
    out = StringIO()
    call_command("load_routing_rules", stdout=out)
    call_command("load_routing_rules", stdout=out)
    assert out.getvalue().splitlines() == ["Routing rules: 1 created, 2 kept.", "Routing rules: 0 created, 3 kept."]


def test_a_commune_tier_dossier_is_routed_to_the_receiving_unit(procedure, citizen):
    with time_machine.travel(TUESDAY_MORNING, tick=False):
        dossier = submitted_dossier(procedure, citizen)
    assert dossier.handling_unit.code == "26743"
    assert dossier.routing_reason == "rule 10: commune-tier procedure, decided by Phường Bến Thành"
    assert dossier.routed_at == TUESDAY_MORNING and dossier.forward_by is None
    (event,) = route_events(dossier)
    assert event.actor is None and event.unit.code == "26743" and event.to_status == "submitted"
    assert event.data["rule"] == RoutingRule.objects.get(priority=10).pk
    assert event.data["reason"] == dossier.routing_reason and event.data["assigned_to"] is None


@pytest.mark.parametrize(
    ("submitted", "forward_by"),
    [
        (datetime(2026, 3, 10, 14, 59, tzinfo=TZ), datetime(2026, 3, 10, 17, 0)),  # before 15:00: the same day
        (datetime(2026, 3, 10, 15, 30, tzinfo=TZ), datetime(2026, 3, 11, 17, 0)),  # after 15:00: the next day
        (datetime(2026, 3, 13, 16, 0, tzinfo=TZ), datetime(2026, 3, 16, 17, 0)),  # Friday late: Monday
    ],
)
def test_a_city_tier_dossier_received_at_a_ward_goes_to_its_department_with_a_forwarding_deadline(
    city_procedure, citizen, submitted, forward_by
):
    with time_machine.travel(submitted, tick=False):
        dossier = submitted_dossier(city_procedure, citizen, unit_code="26743")
    assert dossier.handling_unit.code == "so-tu-phap"
    assert dossier.routing_reason == "rule 20: city-tier procedure of Sở Tư pháp"
    assert local(dossier.forward_by) == forward_by
    assert datetime.fromisoformat(route_events(dossier)[0].data["forward_by"]) == dossier.forward_by


def test_a_city_tier_dossier_filed_at_the_city_has_nothing_to_forward(city_procedure, citizen):
    dossier = submitted_dossier(city_procedure, citizen, unit_code="trung-tam-phuc-vu-hcc")
    assert dossier.handling_unit.code == "so-tu-phap" and dossier.forward_by is None


# --- rules are data ------------------------------------------------------------------------


def test_a_rule_added_in_the_database_changes_the_outcome(procedure, citizen):
    saigon = Unit.objects.get(code="26740")
    RoutingRule.objects.create(
        priority=5,
        case_kind="dossier",
        procedure_code=procedure.code,
        place=Unit.objects.get(code="26743"),
        target="unit",
        target_unit=saigon,
        description="marriages filed at Bến Thành are decided by {unit}",
    )
    dossier = submitted_dossier(procedure, citizen)
    assert dossier.handling_unit == saigon
    assert dossier.routing_reason == "rule 5: marriages filed at Bến Thành are decided by Phường Sài Gòn"
    # Elsewhere the default still applies.
    assert submitted_dossier(procedure, citizen, unit_code="26740").routing_reason.startswith("rule 10: ")


def test_a_switched_off_rule_is_skipped_and_the_fallback_decides(procedure, citizen):
    RoutingRule.objects.filter(priority=10).update(is_active=False)
    dossier = submitted_dossier(procedure, citizen)
    assert dossier.handling_unit.code == COORDINATING_UNIT_CODE
    assert dossier.routing_reason.startswith("rule 90: ")


def test_without_any_matching_rule_routing_fails_loudly_and_leaves_the_dossier_unrouted(procedure, citizen):
    from govportal.tiers.routing import NoRoutingRule

    RoutingRule.objects.all().delete()
    dossier = submitted_dossier(procedure, citizen, route=False)
    with pytest.raises(NoRoutingRule):
        dossier_route(dossier_id=dossier.pk)
    assert Dossier.objects.get(pk=dossier.pk).routed_at is None and route_events(dossier) == []


def test_rules_are_validated_in_the_admin_form(units):
    from django.core.exceptions import ValidationError

    rule = RoutingRule(priority=50, target="unit", description="{nope}", case_kind="report", procedure_code="1.0")
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    assert set(caught.value.message_dict) == {"target_unit", "description", "procedure_code"}


# --- idempotent -------------------------------------------------------------------------


def test_routing_twice_routes_once_and_writes_one_event(procedure, citizen):
    dossier = submitted_dossier(procedure, citizen, route=False)
    assert dossier_route(dossier_id=dossier.pk) is True
    version = Dossier.objects.get(pk=dossier.pk).version
    assert dossier_route(dossier_id=dossier.pk) is False
    routing_tasks.route_dossier.delay(dossier.pk)
    assert len(route_events(dossier)) == 1
    assert Dossier.objects.get(pk=dossier.pk).version == version


def test_a_worker_that_loses_the_race_writes_nothing(procedure, citizen, monkeypatch):
    """Another worker commits its routing between this one's read and write (no row locks on SQLite)."""
    from procedures import routing

    dossier = submitted_dossier(procedure, citizen, route=False)
    real_rules = routing.routing_rules

    def rules_then_the_other_worker_wins():
        Dossier.objects.filter(pk=dossier.pk).update(routed_at=timezone.now())
        return real_rules()

    monkeypatch.setattr(routing, "routing_rules", rules_then_the_other_worker_wins)
    assert dossier_route(dossier_id=dossier.pk) is False
    assert route_events(dossier) == [] and Dossier.objects.get(pk=dossier.pk).handling_unit is None


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_route_once_on_postgresql(procedure, citizen, monkeypatch):
    """Two workers at once: the second waits on the row lock until the first commits, then finds it routed."""
    import threading
    import time

    from django.db import connection

    from procedures import routing
    from tests.conftest import require

    require("postgres")
    from procedures import services

    monkeypatch.setattr(services, "_dispatch_routing", lambda dossier_id: None)  # commits run here: no eager routing
    dossier = submitted_dossier(procedure, citizen, route=False)
    real_rules = routing.routing_rules

    def slow_rules():
        time.sleep(0.5)  # hold the lock long enough for the other worker to queue behind it
        return real_rules()

    monkeypatch.setattr(routing, "routing_rules", slow_rules)
    start = threading.Barrier(2)
    results = []

    def worker():
        start.wait()
        try:
            results.append(dossier_route(dossier_id=dossier.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == [False, True]
    assert len(route_events(dossier)) == 1


def test_a_draft_or_a_missing_dossier_is_not_routed(procedure, citizen, units):
    from procedures import services

    draft = services.dossier_draft_create(
        procedure=procedure, applicant=citizen, receiving_unit=Unit.objects.get(code="26743"), eid_level=2
    )
    assert dossier_route(dossier_id=draft.pk) is False
    assert dossier_route(dossier_id=999_999) is False


def test_a_unit_chosen_by_staff_before_routing_is_kept(procedure, citizen):
    dossier = submitted_dossier(procedure, citizen, route=False)
    saigon = Unit.objects.get(code="26740")
    Dossier.objects.filter(pk=dossier.pk).update(handling_unit=saigon)
    assert dossier_route(dossier_id=dossier.pk) is True
    routed = Dossier.objects.get(pk=dossier.pk)
    assert routed.handling_unit == saigon and routed.routed_at is not None
    assert route_events(dossier)[0].data["kept"] is True


# --- on commit, and the sweep after a broker outage --------------------------------------------


def test_submission_does_not_route_by_itself_but_dispatches_on_commit(
    procedure, citizen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        dossier = submitted_dossier(procedure, citizen, route=False)
    assert Dossier.objects.get(pk=dossier.pk).routed_at is None
    submit = DossierEvent.objects.get(dossier=dossier, action="submit")
    assert "handling_unit" not in submit.data and "routing_reason" not in submit.data

    with django_capture_on_commit_callbacks(execute=True):
        dossier = submitted_dossier(procedure, citizen, route=False)
    routed = Dossier.objects.get(pk=dossier.pk)
    assert routed.handling_unit.code == "26743" and routed.routed_at is not None
    assert len(route_events(dossier)) == 1
    assert len(callbacks) >= 1


def test_a_broker_outage_never_fails_the_submission_and_the_sweep_routes_it_later(
    procedure, citizen, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    def broker_down(*args, **kwargs):
        raise BrokerError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    with time_machine.travel(TUESDAY_MORNING, tick=False):
        monkeypatch.setattr(routing_tasks.route_dossier, "delay", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            dossier = submitted_dossier(procedure, citizen, route=False)
        monkeypatch.undo()  # the broker is back
    stored = Dossier.objects.get(pk=dossier.pk)
    assert stored.status == DossierStatus.SUBMITTED and stored.code
    assert stored.routed_at is None and stored.handling_unit is None
    assert "the routing sweep will queue it again" in caplog.text

    with time_machine.travel(TUESDAY_MORNING + timedelta(seconds=30), tick=False):
        assert routing_tasks.sweep_unrouted_dossiers.delay().get() == 0  # not yet a minute old
    with time_machine.travel(TUESDAY_MORNING + timedelta(seconds=61), tick=False):
        assert routing_tasks.sweep_unrouted_dossiers.delay().get() == 1
        assert routing_tasks.sweep_unrouted_dossiers.delay().get() == 0  # routed: nothing left
    routed = Dossier.objects.get(pk=dossier.pk)
    assert routed.handling_unit.code == "26743" and len(route_events(dossier)) == 1


def test_the_sweep_skips_drafts_and_routed_dossiers(procedure, citizen):
    from procedures import services

    with time_machine.travel(TUESDAY_MORNING, tick=False):
        services.dossier_draft_create(
            procedure=procedure, applicant=citizen, receiving_unit=Unit.objects.get(code="26743"), eid_level=2
        )
        submitted_dossier(procedure, citizen)
        waiting = submitted_dossier(procedure, citizen, route=False)
    later = TUESDAY_MORNING + timedelta(minutes=5)
    assert unrouted_dossier_ids(older_than=timedelta(seconds=60), now=later) == [waiting.pk]


def test_the_routing_tasks_are_named_for_the_routing_queue():
    from django.conf import settings

    assert routing_tasks.route_dossier.name == "procedures.route_dossier"
    assert routing_tasks.sweep_unrouted_dossiers.name == "procedures.sweep_unrouted_dossiers"
    assert (
        settings.CELERY_BEAT_SCHEDULE["sweep-unrouted-dossiers"]["task"] == routing_tasks.sweep_unrouted_dossiers.name
    )
    assert routing_tasks.route_dossier.acks_late is True
    from procedures import tasks

    assert tasks.route_dossier is routing_tasks.route_dossier


# --- auto-assignment ----------------------------------------------------------------------------


def officer(username, unit_code="26743", **posting):
    user = User.objects.create_user(username=username, password="x", full_name=username)
    Posting.objects.create(user=user, unit=Unit.objects.get(code=unit_code), role="officer", **posting)
    return user


def give(user, procedure, citizen, *statuses):
    unit = Unit.objects.get(code="26743")
    for status in statuses:
        Dossier.objects.create(
            procedure=procedure,
            applicant=citizen,
            receiving_unit=unit,
            handling_unit=unit,
            status=status,
            assigned_to=user,
        )


def test_auto_assign_picks_the_officer_with_the_fewest_open_dossiers(procedure, citizen, people, settings):
    settings.ROUTING_AUTO_ASSIGN = True
    busy = people["officer.benthanh"]
    give(busy, procedure, citizen, DossierStatus.RECEIVED, DossierStatus.PROCESSING)
    lighter = officer("officer.b")
    # Closed dossiers are not work: only the one being processed counts.
    give(lighter, procedure, citizen, DossierStatus.PROCESSING, DossierStatus.RESULT_RETURNED, DossierStatus.WITHDRAWN)
    officer("officer.inactive", is_active=False)
    officer("officer.elsewhere", unit_code="26740")

    dossier = submitted_dossier(procedure, citizen)
    assert dossier.assigned_to == lighter
    assert route_events(dossier)[0].data["assigned_to"] == lighter.pk


def test_auto_assign_skips_an_officer_away_today(procedure, citizen, people, settings):
    settings.ROUTING_AUTO_ASSIGN = True
    busy = people["officer.benthanh"]
    give(busy, procedure, citizen, DossierStatus.PROCESSING)
    with time_machine.travel(TUESDAY_MORNING, tick=False):
        officer("officer.leave", away_from=date(2026, 3, 9), away_until=date(2026, 3, 10))  # back tomorrow
        dossier = submitted_dossier(procedure, citizen)
    assert dossier.assigned_to == busy


def test_an_officer_back_from_leave_or_leaving_later_is_available(procedure, citizen, people, settings):
    settings.ROUTING_AUTO_ASSIGN = True
    give(people["officer.benthanh"], procedure, citizen, DossierStatus.PROCESSING)
    today = date(2026, 3, 10)
    back = officer("officer.back", away_from=date(2026, 3, 2), away_until=date(2026, 3, 9))
    later = officer("officer.later", away_from=date(2026, 3, 20), away_until=date(2026, 3, 27))
    open_ended = officer("officer.openended", away_from=date(2026, 3, 1))
    chosen = least_loaded_officer(unit_id=Unit.objects.get(code="26743").pk, today=today)
    assert chosen == min(back, later, key=lambda u: u.pk)  # equal load: the lowest id
    assert open_ended != chosen


def test_auto_assign_is_off_by_default(procedure, citizen, people, settings):
    settings.ROUTING_AUTO_ASSIGN = False
    assert submitted_dossier(procedure, citizen).assigned_to is None


def test_auto_assign_leaves_a_unit_without_officers_unassigned(city_procedure, citizen, settings):
    settings.ROUTING_AUTO_ASSIGN = True
    Posting.objects.filter(unit__code="so-tu-phap").update(is_active=False)
    dossier = submitted_dossier(city_procedure, citizen)
    assert dossier.handling_unit.code == "so-tu-phap" and dossier.assigned_to is None


# --- the admin ----------------------------------------------------------------------------------


@pytest.fixture
def admin_client(units):
    from allauth.mfa.totp.internal.auth import TOTP
    from django.test import Client

    superuser = User.objects.create_superuser(username="admin.rules", password="A-long-enough-pass-42")
    TOTP.activate(superuser, "JBSWY3DPEHPK3PXP")
    client = Client()
    client.force_login(superuser)
    return client


def test_the_admin_lists_the_rules_and_edits_number_and_active_in_place(admin_client):
    response = admin_client.get("/admin/tiers/routingrule/")
    assert response.status_code == 200
    rules = list(RoutingRule.objects.order_by("priority"))
    data = {
        "form-TOTAL_FORMS": str(len(rules)),
        "form-INITIAL_FORMS": str(len(rules)),
        "_save": "Save",
    }
    for i, rule in enumerate(rules):
        data[f"form-{i}-id"] = str(rule.pk)
        data[f"form-{i}-priority"] = str(rule.priority + (5 if rule.priority == 10 else 0))
        if rule.priority != 20:
            data[f"form-{i}-is_active"] = "on"
    response = admin_client.post("/admin/tiers/routingrule/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(RoutingRule.objects.values_list("priority", "is_active")) == [(15, True), (20, False), (90, True)]
    change = admin_client.get(f"/admin/tiers/routingrule/{rules[0].pk}/change/")
    assert change.status_code == 200 and "{department}" in change.content.decode()
