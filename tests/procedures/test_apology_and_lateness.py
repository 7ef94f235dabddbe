"""An apology never hides lateness; one definition of "overdue" (docs/0006).

The procedure fixture has a limit of 3 working days: received Monday 2 March
2026 09:00, its legal due date is Thursday 5 March 09:00. The apology must be
sent by Wednesday 4 March (the working day before), may promise at most the
limit again after the legal date (Tuesday 10 March 09:00), and a dossier
finished after Thursday 09:00 is late whatever it promised.
"""

from datetime import datetime, timedelta
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.urls import reverse

from procedures import services
from procedures.models import Dossier, FeeLine
from tests.procedures.conftest import client_for, pdf_upload, submitted_dossier

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
API = "/api/v1/dossiers/"


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


LEGAL_DUE = at(2026, 3, 5, 9, 0)


@pytest.fixture
def officer(people):
    return people["officer.benthanh"]


def act(dossier, action, actor, instant, **inputs):
    with time_machine.travel(instant, tick=False):
        return services.dossier_transition(
            dossier=Dossier.objects.get(pk=dossier.pk), action=action, actor=actor, **inputs
        )


@pytest.fixture
def received(dossier, officer):
    received = act(dossier, "receive", officer, at(2026, 3, 2, 9, 0))
    assert received.due_at == LEGAL_DUE
    return received


def page_apologise(client, dossier, instant, new_due_at, note="Cần xác minh thêm tại địa phương"):
    fresh = Dossier.objects.get(pk=dossier.pk)
    with time_machine.travel(instant, tick=False):
        return client.post(
            reverse("workbench-action", args=[fresh.code, "apologise"]),
            {
                "apologise-version": fresh.version,
                "apologise-note": note,
                "apologise-new_due_at": new_due_at.astimezone(TZ).strftime("%Y-%m-%dT%H:%M"),
            },
        )


def api_apologise(client, dossier, instant, new_due_at):
    fresh = Dossier.objects.get(pk=dossier.pk)
    with time_machine.travel(instant, tick=False):
        return client.post(
            f"{API}{fresh.code}/actions/apologise/",
            {"version": fresh.version, "note": "Cần xác minh", "new_due_at": new_due_at.isoformat()},
            content_type="application/json",
        )


def apology_offered(client, dossier, instant) -> bool:
    """Whether the officer's page and the API offer the apology (they must agree)."""
    with time_machine.travel(instant, tick=False):
        page = client.get(reverse("workbench-dossier", args=[dossier.code]))
        api = client.get(f"{API}{dossier.code}/")
    assert page.status_code == 200 and api.status_code == 200
    on_page = "apologise" in {form.rule.action for form in page.context["action_forms"]}
    assert on_page == ("apologise" in api.json()["available_actions"])
    return on_page


# --- when an apology may be sent -----------------------------------------------------------------


def test_an_apology_after_the_legal_due_date_is_refused_with_the_reason(received, officer):
    client = client_for(officer)
    late = at(2026, 3, 5, 10, 0)
    assert not apology_offered(client, received, late)
    response = page_apologise(client, received, late, at(2026, 3, 9, 9, 0))
    assert response.status_code == 409
    html = response.content.decode()
    # The message names the last day it was possible and the legal due date.
    assert "04/03/2026" in html and "05/03/2026 09:00" in html
    api = api_apologise(client, received, late, at(2026, 3, 9, 9, 0))
    assert api.status_code == 409 and api.json()["code"] == "apology_too_late"
    assert "04/03/2026" in api.json()["detail"]
    dossier = Dossier.objects.get(pk=received.pk)
    assert dossier.promised_at is None and dossier.due_at == LEGAL_DUE
    assert not dossier.events.filter(action="apologise").exists()


def test_an_apology_on_the_due_day_itself_is_refused_even_before_the_hour(received, officer):
    client = client_for(officer)
    same_day = at(2026, 3, 5, 7, 45)  # the due date is 09:00 the same day
    assert not apology_offered(client, received, same_day)
    response = api_apologise(client, received, same_day, at(2026, 3, 9, 9, 0))
    assert response.status_code == 409 and response.json()["code"] == "apology_too_late"
    assert Dossier.objects.get(pk=received.pk).promised_at is None


def test_the_working_day_before_is_the_last_day_and_a_weekend_does_not_count(procedure, citizen, officer):
    # Received Wednesday 4 March 09:00: due Monday 9 March 09:00. Friday is the last day, not Saturday.
    dossier = act(submitted_dossier(procedure, citizen), "receive", officer, at(2026, 3, 4, 9, 0))
    assert dossier.due_at == at(2026, 3, 9, 9, 0)
    client = client_for(officer)
    saturday = api_apologise(client, dossier, at(2026, 3, 7, 10, 0), at(2026, 3, 10, 9, 0))
    assert saturday.status_code == 409 and saturday.json()["code"] == "apology_too_late"
    friday_evening = api_apologise(client, dossier, at(2026, 3, 6, 18, 30), at(2026, 3, 10, 9, 0))
    assert friday_evening.status_code == 200, friday_evening.json()


def test_an_apology_the_working_day_before_through_the_page_keeps_the_legal_date(received, officer, citizen):
    client = client_for(officer)
    before = at(2026, 3, 4, 16, 30)
    assert apology_offered(client, received, before)
    response = page_apologise(client, received, before, at(2026, 3, 9, 16, 0))
    assert response.status_code == 302
    dossier = Dossier.objects.get(pk=received.pk)
    assert dossier.due_at == LEGAL_DUE  # the legal due date never moves
    assert dossier.promised_at == at(2026, 3, 9, 16, 0)
    # Both dates side by side: the officer's page, the citizen's page, the API.
    with time_machine.travel(at(2026, 3, 4, 17, 0), tick=False):
        staff_html = client.get(reverse("workbench-dossier", args=[dossier.code])).content.decode()
        citizen_client = client_for(citizen, eid_level=2)
        citizen_html = citizen_client.get(reverse("my-dossier", args=[dossier.code])).content.decode()
        detail = citizen_client.get(f"{API}{dossier.code}/").json()
    for html in (staff_html, citizen_html):
        assert 'id="dossier-due"' in html and "05/03/2026 09:00" in html
        assert 'id="dossier-promised"' in html and "09/03/2026 16:00" in html
    assert datetime.fromisoformat(detail["due_at"]) == LEGAL_DUE
    assert datetime.fromisoformat(detail["promised_at"]) == at(2026, 3, 9, 16, 0)
    assert detail["is_overdue"] is False


@pytest.mark.parametrize(
    "path",
    [["start_processing", "decide"], ["start_processing", "require_payment"], ["request_supplement"]],
    ids=["decided", "payment_required", "supplement_requested"],
)
def test_no_apology_while_the_units_clock_does_not_run(received, officer, path):
    FeeLine.objects.filter(procedure=received.procedure).update(amount_vnd=50_000)  # a fee to pay
    dossier = received
    for action in path:
        inputs = {"note": "Thiếu giấy tờ"} if action == "request_supplement" else {}
        if action == "decide":
            inputs["result_upload"] = pdf_upload("ket-qua.pdf")
        dossier = act(dossier, action, officer, at(2026, 3, 3, 9, 0), **inputs)
    client = client_for(officer)
    assert not apology_offered(client, dossier, at(2026, 3, 3, 10, 0))
    response = api_apologise(client, dossier, at(2026, 3, 3, 10, 0), at(2026, 3, 9, 9, 0))
    assert response.status_code == 409 and response.json()["code"] == "not_allowed"
    assert Dossier.objects.get(pk=dossier.pk).promised_at is None


def test_waiting_for_payment_pauses_the_units_clock(received, officer):
    FeeLine.objects.filter(procedure=received.procedure).update(amount_vnd=50_000)
    waiting = act(received, "require_payment", officer, at(2026, 3, 3, 9, 0))
    assert waiting.paused_at == at(2026, 3, 3, 9, 0) and float(waiting.remaining_hours) == 16.0
    # A week of waiting for the citizen's payment is not the unit's lateness.
    assert not Dossier.objects.overdue(at(2026, 3, 10, 9, 0)).filter(pk=received.pk).exists()
    paid = act(waiting, "payment_received", None, at(2026, 3, 10, 9, 0))
    assert paid.status == "processing" and paid.paused_at is None and paid.status_before_pause == ""
    assert paid.due_at == at(2026, 3, 12, 9, 0)  # the 16 working hours left, from the payment


# --- the new date -------------------------------------------------------------------------------


def test_the_new_date_is_after_the_legal_date_and_within_the_bound(received, officer, settings):
    client = client_for(officer)
    when = at(2026, 3, 3, 10, 0)
    for refused_date in (LEGAL_DUE, at(2026, 3, 4, 16, 0), at(2026, 3, 10, 9, 1), at(2026, 4, 30, 9, 0)):
        response = api_apologise(client, received, when, refused_date)
        assert response.status_code == 400, refused_date
        assert response.json()["code"] == "invalid" and "new_due_at" in response.json()["errors"]
    # The page says why, next to the field.
    response = page_apologise(client, received, when, at(2026, 3, 10, 9, 1))
    assert response.status_code == 400
    bound = {form.rule.action: form for form in response.context["action_forms"]}["apologise"]
    assert "10/03/2026 09:00" in str(bound.errors["new_due_at"])
    # The form says beforehand which dates are possible.
    assert "05/03/2026 09:00" in bound.fields["new_due_at"].help_text
    assert "10/03/2026 09:00" in bound.fields["new_due_at"].help_text
    assert Dossier.objects.get(pk=received.pk).promised_at is None
    # The bound is a setting: twice the limit (48 working hours) reaches Friday 13 March 09:00.
    settings.APOLOGY_MAX_EXTENSION_FACTOR = 2
    assert api_apologise(client, received, when, at(2026, 3, 13, 9, 1)).status_code == 400
    response = api_apologise(client, received, when, at(2026, 3, 13, 9, 0))
    assert response.status_code == 200, response.json()
    assert datetime.fromisoformat(response.json()["promised_at"]) == at(2026, 3, 13, 9, 0)


def test_the_bound_itself_is_allowed(received, officer):
    response = api_apologise(client_for(officer), received, at(2026, 3, 3, 10, 0), at(2026, 3, 10, 9, 0))
    assert response.status_code == 200, response.json()
    assert datetime.fromisoformat(response.json()["due_at"]) == LEGAL_DUE


# --- lateness, apology or not -------------------------------------------------------------------


def test_a_dossier_decided_after_the_legal_date_counts_late_despite_the_apology(received, officer, citizen):
    act(received, "apologise", officer, at(2026, 3, 4, 10, 0), note="Chờ xác minh", new_due_at=at(2026, 3, 9, 16, 0))
    act(received, "start_processing", officer, at(2026, 3, 4, 11, 0))
    decided = act(received, "decide", officer, at(2026, 3, 6, 10, 0), result_upload=pdf_upload("ket-qua.pdf"))
    # Decided before the promised date, after the legal one: late.
    assert decided.due_at == LEGAL_DUE and decided.finished_late
    assert Dossier.objects.finished_late().filter(pk=received.pk).exists()
    later = at(2026, 4, 1, 9, 0)
    assert Dossier.objects.overdue(later).filter(pk=received.pk).exists()
    returned = act(decided, "return_result", officer, at(2026, 3, 6, 11, 0))
    assert Dossier.objects.overdue(later).filter(pk=returned.pk).exists()  # closed, still late
    with time_machine.travel(later, tick=False):
        detail = client_for(citizen, eid_level=2).get(f"{API}{returned.code}/").json()
        listed = client_for(officer).get(API, {"overdue": "true"}).json()
    assert detail["is_overdue"] is True
    assert returned.code in {row["code"] for row in listed["results"]}


def test_a_dossier_decided_before_the_legal_date_is_on_time(received, officer):
    act(received, "start_processing", officer, at(2026, 3, 3, 9, 0))
    decided = act(received, "decide", officer, at(2026, 3, 5, 9, 0), result_upload=pdf_upload("ket-qua.pdf"))
    assert not decided.finished_late  # exactly at the due instant is on time
    assert not Dossier.objects.overdue(at(2026, 5, 1, 9, 0)).filter(pk=received.pk).exists()
    assert not Dossier.objects.finished_late().filter(pk=received.pk).exists()


@pytest.mark.parametrize(
    ("pause", "end"),
    [("require_payment", "stop"), ("require_payment", "withdraw"), ("request_supplement", "withdraw")],
)
def test_closing_while_the_citizen_owes_something_is_not_the_units_lateness(received, officer, citizen, pause, end):
    """Paused before the legal date, closed weeks later: the unit was not late."""
    FeeLine.objects.filter(procedure=received.procedure).update(amount_vnd=50_000)
    act(received, "start_processing", officer, at(2026, 3, 3, 8, 0))
    act(received, pause, officer, at(2026, 3, 3, 9, 0), note="Thiếu bản sao")
    actor = officer if end == "stop" else citizen
    closed = act(received, end, actor, at(2026, 3, 30, 9, 0), note="Quá hạn nộp phí")
    assert closed.finished_at == at(2026, 3, 30, 9, 0) and not closed.finished_late
    assert not Dossier.objects.finished_late().filter(pk=closed.pk).exists()
    assert not Dossier.objects.overdue(at(2026, 4, 1, 9, 0)).filter(pk=closed.pk).exists()


def test_a_supplement_asked_after_the_legal_date_does_not_wipe_the_lateness(received, officer, citizen):
    act(received, "request_supplement", officer, at(2026, 3, 6, 9, 0), note="Thiếu bản sao")
    assert Dossier.objects.overdue(at(2026, 3, 20, 9, 0)).filter(pk=received.pk).exists()  # paused, already late
    resumed = act(received, "supplement", citizen, at(2026, 3, 20, 9, 0))
    assert resumed.due_at == LEGAL_DUE  # no time was left to give back
    assert resumed.is_overdue_at(at(2026, 3, 20, 9, 0))


# --- one definition -----------------------------------------------------------------------------


def test_the_workbench_filter_its_rows_and_the_api_use_one_definition(procedure, citizen, officer):
    def received_on(instant):
        return act(submitted_dossier(procedure, citizen), "receive", officer, instant)

    on_time = received_on(at(2026, 3, 9, 9, 0))  # due Thursday 12 March
    late = received_on(at(2026, 3, 2, 9, 0))  # due 5 March, unfinished
    apologised = received_on(at(2026, 3, 2, 9, 0))
    act(apologised, "apologise", officer, at(2026, 3, 4, 9, 0), note="Chờ", new_due_at=at(2026, 3, 10, 9, 0))
    decided_late = received_on(at(2026, 3, 2, 9, 0))
    act(decided_late, "start_processing", officer, at(2026, 3, 2, 10, 0))
    act(decided_late, "decide", officer, at(2026, 3, 6, 9, 0), result_upload=pdf_upload("ket-qua.pdf"))
    decided_on_time = received_on(at(2026, 3, 2, 9, 0))
    act(decided_on_time, "start_processing", officer, at(2026, 3, 2, 10, 0))
    act(decided_on_time, "decide", officer, at(2026, 3, 4, 9, 0), result_upload=pdf_upload("ket-qua.pdf"))
    paused_in_time = received_on(at(2026, 3, 2, 9, 0))
    act(paused_in_time, "request_supplement", officer, at(2026, 3, 3, 9, 0), note="Thiếu")
    not_received = submitted_dossier(procedure, citizen)

    now = at(2026, 3, 9, 10, 0)  # after the apologised dossier's legal date, before its promise
    expected = {late.code, apologised.code, decided_late.code}
    every = [on_time, late, apologised, decided_late, decided_on_time, paused_in_time, not_received]
    assert {d.code for d in Dossier.objects.filter(pk__in=[d.pk for d in every]).overdue(now)} == expected
    assert {d.code for d in every if Dossier.objects.get(pk=d.pk).is_overdue_at(now)} == expected

    client = client_for(officer)
    with time_machine.travel(now, tick=False):
        queue = client.get(reverse("workbench"), {"overdue": "on"})
        rows = client.get(reverse("workbench"))
        api_overdue = client.get(API, {"overdue": "true"}).json()["results"]
        api_all = client.get(API).json()["results"]
        page = client.get(reverse("workbench-dossier", args=[apologised.code]))
    assert {d.code for d in queue.context["rows"]} == expected
    assert {d.code for d in rows.context["rows"] if d.overdue} == expected
    assert {row["code"] for row in api_overdue} == expected
    assert {row["code"] for row in api_all if row["is_overdue"]} == expected
    assert page.context["overdue"] is True  # apologised, and still overdue


def test_the_query_and_the_one_dossier_rule_agree_on_every_case(procedure, citizen):
    """Overdue in SQL (Dossier.objects.overdue) and in Python (is_overdue_at): the same answer."""
    due = at(2026, 3, 5, 9, 0)
    before, after = due - timedelta(hours=1), due + timedelta(hours=1)
    cases = []
    for paused_at in (None, before, after):
        for decided_at in (None, before, due, after):
            for closed_at in (None, before, after):
                cases.append({"paused_at": paused_at, "decided_at": decided_at, "closed_at": closed_at})
    dossiers = []
    for fields in [*cases, {"due_at": None}]:
        dossier = submitted_dossier(procedure, citizen)
        Dossier.objects.filter(pk=dossier.pk).update(**{"due_at": due, **fields})
        dossiers.append(dossier.pk)
    for now in (before, due, after, at(2026, 6, 1, 9, 0)):
        in_sql = set(Dossier.objects.filter(pk__in=dossiers).overdue(now).values_list("pk", flat=True))
        not_in_sql = set(Dossier.objects.filter(pk__in=dossiers).not_overdue(now).values_list("pk", flat=True))
        in_python = {d.pk for d in Dossier.objects.filter(pk__in=dossiers) if d.is_overdue_at(now)}
        assert in_sql == in_python, now
        assert in_sql | not_in_sql == set(dossiers) and not in_sql & not_in_sql
    late_in_sql = set(Dossier.objects.filter(pk__in=dossiers).finished_late().values_list("pk", flat=True))
    assert late_in_sql == {d.pk for d in Dossier.objects.filter(pk__in=dossiers) if d.finished_late}
    assert late_in_sql  # the matrix has late ones, and on-time ones:
    assert set(dossiers) - late_in_sql
    assert not Dossier.objects.filter(pk=dossiers[-1]).overdue(at(2030, 1, 1)).exists()  # never received


# --- the migration ------------------------------------------------------------------------------


def test_the_migration_puts_back_the_legal_date_of_an_apologised_dossier(received, officer):
    """Rows apologised under the old rule had `due_at` overwritten: the first apology's event knows the legal date."""
    act(received, "apologise", officer, at(2026, 3, 3, 9, 0), note="Chờ", new_due_at=at(2026, 3, 9, 9, 0))
    act(received, "apologise", officer, at(2026, 3, 4, 9, 0), note="Chờ", new_due_at=at(2026, 3, 10, 9, 0))
    # What the old code left behind: due_at = the last promise, no promised_at.
    Dossier.objects.filter(pk=received.pk).update(due_at=at(2026, 3, 10, 9, 0), promised_at=None)
    migration = import_module("procedures.migrations.0003_legal_and_promised_due_dates")
    migration.restore_legal_due_dates(apps, None)
    dossier = Dossier.objects.get(pk=received.pk)
    assert dossier.due_at == LEGAL_DUE and dossier.promised_at == at(2026, 3, 10, 9, 0)
