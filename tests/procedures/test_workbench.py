"""The officer workbench over HTTP: the queue, its filters and htmx partial, bulk receipt, one dossier, actions."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from govportal.tiers.models import Unit
from identity.registry.models import RegistryAccessLog
from procedures import services
from procedures.models import Dossier, DossierEvent
from tests.procedures.conftest import client_for, make_procedure, pdf_upload, submitted_dossier

pytestmark = pytest.mark.django_db

QUEUE = "/workbench/"
QUEUE_QUERY_BUDGET = 10


def dossier_url(dossier):
    return reverse("workbench-dossier", args=[dossier.code])


def action_url(dossier, action):
    return reverse("workbench-action", args=[dossier.code, action])


def message_levels(response):
    return [m.level_tag for m in get_messages(response.wsgi_request)]


def refreshed(dossier):
    return Dossier.objects.get(pk=dossier.pk)


def bulk_dossiers(count, *, procedure, applicant, unit_code="26743", start=0, **fields):
    """`count` submitted dossiers at one unit, written with one bulk_create (no services: only rows for the queue)."""
    unit = Unit.objects.get(code=unit_code)
    now = timezone.now()
    rows = [
        Dossier(
            code=f"HCM-{unit_code}-260101-{start + i:04d}",
            procedure=procedure,
            applicant=applicant,
            receiving_unit=unit,
            handling_unit=unit,
            status="submitted",
            submitted_at=now,
            due_at=now + timedelta(hours=i + 1),
            **fields,
        )
        for i in range(count)
    ]
    return Dossier.objects.bulk_create(rows)


# --- who may open the workbench ------------------------------------------------------


def test_the_queue_asks_anonymous_visitors_to_log_in(client, units):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


@pytest.mark.parametrize("username", ["079085001234", "admin.city"])
def test_the_queue_is_refused_to_citizens_and_city_admins(people, username):
    """Citizens have their own pages; city admins act for no unit, so they have no queue (they read dossiers)."""
    response = client_for(people[username]).get(QUEUE)
    assert response.status_code == 403
    assert "403.html" in [t.name for t in response.templates]


def test_the_queue_lists_the_dossiers_of_the_officers_units_only(people, procedure, citizen, dossier):
    other = submitted_dossier(procedure, citizen, unit_code="26740")
    response = client_for(people["officer.benthanh"]).get(QUEUE)
    assert response.status_code == 200
    codes = [d.code for d in response.context["rows"]]
    assert codes == [dossier.code]
    assert other.code not in response.content.decode()
    saigon = client_for(people["officer.saigon"]).get(QUEUE)
    assert [d.code for d in saigon.context["rows"]] == [other.code]


def test_the_queue_is_sorted_by_due_date_and_shows_every_column(people, procedure, citizen):
    officer = people["officer.benthanh"]
    rows = bulk_dossiers(3, procedure=procedure, applicant=citizen, assigned_to=officer)
    Dossier.objects.filter(pk=rows[0].pk).update(due_at=timezone.now() + timedelta(days=5))
    response = client_for(officer).get(QUEUE)
    codes = [d.code for d in response.context["rows"]]
    assert codes == [rows[1].code, rows[2].code, rows[0].code]
    html = response.content.decode()
    assert f'href="{dossier_url(rows[1])}"' in html
    assert procedure.name_vi in html
    assert citizen.full_name in html
    assert "Phường Bến Thành" in html
    assert 'class="status status-submitted"' in html
    assert officer.full_name in html


def test_an_overdue_dossier_is_marked_with_text_not_only_colour(people, procedure, citizen):
    late, on_time = bulk_dossiers(2, procedure=procedure, applicant=citizen)
    Dossier.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(hours=2))
    response = client_for(people["officer.benthanh"]).get(QUEUE)
    flags = {d.code: d.overdue for d in response.context["rows"]}
    assert flags == {late.code: True, on_time.code: False}
    html = response.content.decode()
    start = html.rindex("<tr", 0, html.index(f'id="row-{late.code}"'))
    row = html[start : html.index("</tr>", start)]
    assert 'data-overdue="true"' in row
    assert 'class="status status-overdue"' in row  # a text badge ("Quá hạn"), besides the red date
    assert 'class="error"' in row


# --- filters and htmx --------------------------------------------------------------------


def test_the_filters_narrow_the_queue(people, procedure, citizen):
    officer = people["officer.benthanh"]
    other_procedure = make_procedure(code="2.000001")
    a, b, c, d = bulk_dossiers(4, procedure=procedure, applicant=citizen)
    Dossier.objects.filter(pk=a.pk).update(status="processing", assigned_to=officer)
    Dossier.objects.filter(pk=b.pk).update(due_at=timezone.now() - timedelta(hours=1))
    Dossier.objects.filter(pk=c.pk).update(procedure=other_procedure, due_at=timezone.now() + timedelta(days=9))
    client = client_for(officer)

    def codes(query):
        response = client.get(QUEUE, query)
        assert response.status_code == 200
        return {row.code for row in response.context["rows"]}

    assert codes({}) == {a.code, b.code, c.code, d.code}
    assert codes({"status": "processing"}) == {a.code}
    assert codes({"procedure": "2.000001"}) == {c.code}
    assert codes({"overdue": "on"}) == {b.code}
    assert codes({"due_soon": "on"}) == {a.code, d.code}
    assert codes({"mine": "on"}) == {a.code}
    assert codes({"status": "submitted", "procedure": procedure.code}) == {b.code, d.code}


def test_the_filter_form_works_without_javascript_and_targets_the_table_with_htmx(officer_client, dossier):
    response = officer_client.get(QUEUE, {"status": "submitted"})
    html = response.content.decode()
    assert "<html" in html and 'id="queue-region"' in html
    form = html[html.index('<form method="get"') : html.index(">", html.index('<form method="get"'))]
    assert 'action="/workbench/"' in form
    assert 'hx-get="/workbench/"' in form
    assert 'hx-target="#queue-region"' in form
    assert 'hx-push-url="true"' in form
    assert "/static/js/htmx.min.js" in html
    assert "HX-Request" in response["Vary"]


def test_an_htmx_request_gets_only_the_table(officer_client, dossier):
    response = officer_client.get(QUEUE, {"status": "submitted"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and '<form method="get"' not in html
    assert 'id="queue-table"' in html and dossier.code in html
    assert [t.name for t in response.templates][0] == "procedures/workbench/queue_table.html"
    assert "HX-Request" in response["Vary"]


def test_an_htmx_history_restore_gets_the_whole_page(officer_client, dossier):
    response = officer_client.get(QUEUE, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


def test_an_invalid_filter_value_is_not_an_error(officer_client, dossier):
    response = officer_client.get(QUEUE, {"status": "nonsense", "page": "x"})
    assert response.status_code == 200
    assert [d.code for d in response.context["rows"]] == [dossier.code]


@pytest.mark.parametrize("size", [10, 500])
def test_the_queue_takes_a_fixed_number_of_queries(people, procedure, citizen, size, django_assert_max_num_queries):
    officer = people["officer.benthanh"]
    bulk_dossiers(size, procedure=procedure, applicant=citizen, assigned_to=officer)
    client = client_for(officer)
    client.get(QUEUE)  # warm up the session
    with django_assert_max_num_queries(QUEUE_QUERY_BUDGET):
        response = client.get(QUEUE)
    # A cursor page (issue 13): no total is counted, a next link when more follow.
    assert len(response.context["rows"]) == min(size, 50)
    assert bool(response.context["next_cursor"]) == (size > 50)


def test_the_number_of_queries_does_not_grow_with_the_queue(people, procedure, citizen):
    officer = people["officer.benthanh"]
    client = client_for(officer)

    def count():
        client.get(QUEUE)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(QUEUE).status_code == 200
        return len(queries)

    bulk_dossiers(10, procedure=procedure, applicant=citizen, assigned_to=officer)
    small = count()
    bulk_dossiers(490, procedure=procedure, applicant=citizen, assigned_to=officer, start=10)
    assert count() == small


def test_the_queue_pages_keep_the_filters(people, procedure, citizen):
    bulk_dossiers(70, procedure=procedure, applicant=citizen)
    client = client_for(people["officer.benthanh"])
    first = client.get(QUEUE, {"status": "submitted"})
    cursor = first.context["next_cursor"]
    assert f'href="?status=submitted&amp;after={cursor}"' in first.content.decode()
    second = client.get(QUEUE, {"status": "submitted", "after": cursor})
    assert len(second.context["rows"]) == 20 and not second.context["next_cursor"]
    assert 'href="?status=submitted"' in second.content.decode()  # back to the first page, filters kept


# --- bulk receipt ------------------------------------------------------------------------


def test_bulk_receipt_receives_the_selected_dossiers_and_reports_the_failures(people, procedure, citizen):
    officer, colleague = people["officer.benthanh"], people["head.benthanh"]
    first, second, already = (submitted_dossier(procedure, citizen) for _ in range(3))
    services.dossier_transition(dossier=already, action="receive", actor=colleague)
    elsewhere = submitted_dossier(procedure, citizen, unit_code="26740")
    client = client_for(officer)
    response = client.post(
        reverse("workbench-bulk-receive"),
        {
            "dossiers": [first.code, second.code, already.code, elsewhere.code, "HCM-NOPE", first.code],
            "query": "status=submitted",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/workbench/?status=submitted"
    assert refreshed(first).status == refreshed(second).status == "received"
    assert refreshed(elsewhere).status == "submitted"
    assert DossierEvent.objects.filter(dossier=already, action="receive").count() == 1
    assert DossierEvent.objects.filter(dossier=first, action="receive", actor=officer).count() == 1
    messages = list(get_messages(response.wsgi_request))
    assert [m.level_tag for m in messages] == ["success", "error", "error", "error", "error"]
    text = [str(m) for m in messages]
    assert first.code in text[0] and second.code in text[0]
    assert {t.split(":")[0] for t in text[2:]} == {already.code, elsewhere.code, "HCM-NOPE"}


def test_bulk_receipt_with_nothing_selected_only_says_so(officer_client, dossier):
    response = officer_client.post(reverse("workbench-bulk-receive"), {})
    assert response.status_code == 302
    assert message_levels(response) == ["warning"]
    assert refreshed(dossier).status == "submitted"


def test_bulk_receipt_refuses_more_than_a_page_at_once(officer_client, dossier):
    codes = [dossier.code] + [f"HCM-X-{i}" for i in range(100)]
    response = officer_client.post(reverse("workbench-bulk-receive"), {"dossiers": codes})
    assert response.status_code == 302
    assert message_levels(response) == ["error"]
    assert refreshed(dossier).status == "submitted"


def test_bulk_receipt_survives_hostile_input(officer_client, dossier):
    response = officer_client.post(
        reverse("workbench-bulk-receive"),
        {"dossiers": ["x" * 5000, "<script>", "'; DROP TABLE x;--"], "query": "a=1&b=%00\r\nLocation: evil"},
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/workbench/?")
    assert "\n" not in response["Location"]


def test_the_bulk_receipt_form_offers_checkboxes_on_submitted_dossiers_only(people, procedure, citizen):
    waiting, taken = bulk_dossiers(2, procedure=procedure, applicant=citizen)
    Dossier.objects.filter(pk=taken.pk).update(status="received")
    html = client_for(people["officer.benthanh"]).get(QUEUE).content.decode()
    assert f'value="{waiting.code}" id="select-{waiting.code}"' in html
    assert f'id="select-{taken.code}"' not in html
    assert 'id="bulk-receive-button"' in html


def test_bulk_receipt_is_refused_to_citizens(citizen_client, dossier):
    response = citizen_client.post(reverse("workbench-bulk-receive"), {"dossiers": [dossier.code]})
    assert response.status_code == 403
    assert refreshed(dossier).status == "submitted"


# --- one dossier -------------------------------------------------------------------------


def test_the_dossier_page_shows_what_the_officer_needs(officer_client, people, dossier, citizen):
    response = officer_client.get(dossier_url(dossier))
    assert response.status_code == 200
    html = response.content.decode()
    assert citizen.full_name in html and citizen.personal_id in html
    assert "Phạm Thị Hoa" in html  # form data
    rows = {row["label"]: row for row in response.context["form_rows"]}
    assert rows["Họ và tên"]["reused"] is True and rows["Họ tên người kết hôn"]["reused"] is False
    assert response.context["reused_documents"] == ["Giấy tờ tùy thân"]
    document = dossier.documents.get()
    assert f'href="/dossiers/{dossier.code}/documents/{document.pk}/"' in html
    assert 'id="registry-record"' in html
    assert [e.action for e in response.context["events"]] == ["create_draft", "submit", "route"]
    assert "slip-link" not in html  # before receipt there is no appointment slip


def test_reading_the_registry_for_a_dossier_is_logged(officer_client, people, dossier):
    officer_client.get(dossier_url(dossier))
    log = RegistryAccessLog.objects.get(actor=people["officer.benthanh"])
    assert (log.purpose, log.case_ref, log.found) == ("dossier review", f"dossier:{dossier.code}", True)
    assert log.personal_id == dossier.applicant.personal_id


def test_a_city_admin_reads_the_dossier_but_neither_the_registry_nor_any_action(people, dossier):
    admin = people["admin.city"]
    response = client_for(admin).get(dossier_url(dossier))
    assert response.status_code == 200
    assert response.context["action_forms"] == []
    assert response.context["record"] is None
    assert not RegistryAccessLog.objects.filter(actor=admin).exists()
    assert 'id="registry-not-allowed"' in response.content.decode()


def test_another_units_officer_gets_404_and_a_citizen_403(people, dossier, citizen_client):
    assert client_for(people["officer.saigon"]).get(dossier_url(dossier)).status_code == 404
    assert citizen_client.get(dossier_url(dossier)).status_code == 403
    assert client_for(people["officer.benthanh"]).get("/workbench/dossiers/HCM-NOPE/").status_code == 404


def test_the_action_forms_follow_the_table_and_the_role(people, dossier):
    officer = client_for(people["officer.benthanh"]).get(dossier_url(dossier))
    assert [f.rule.action for f in officer.context["action_forms"]] == [
        "receive",
        "refuse_receipt",
        "request_supplement",
        "transfer",
        "claim",
    ]
    head = client_for(people["head.benthanh"]).get(dossier_url(dossier))
    assert [f.rule.action for f in head.context["action_forms"]] == [
        "receive",
        "refuse_receipt",
        "request_supplement",
        "transfer",
        "claim",
        "assign",
    ]
    forms = {f.rule.action: f for f in head.context["action_forms"]}
    assert set(forms["refuse_receipt"].fields) == {"version", "note"}
    assert set(forms["transfer"].fields) == {"version", "note", "unit", "reason"}
    assert set(forms["receive"].fields) == {"version"}
    assert forms["receive"].initial["version"] == dossier.version
    units = [key for _group, choices in forms["transfer"].fields["unit"].choices[1:] for key, _label in choices]
    assert str(Unit.objects.get(code="26740").pk) in units
    assert str(dossier.acting_unit_id) not in units  # never "transfer" to where it already is
    officers = set(forms["assign"].fields["assignee"].queryset.values_list("username", flat=True))
    assert officers == {"officer.benthanh", "head.benthanh"}
    html = head.content.decode()
    assert f'action="{action_url(dossier, "assign")}"' in html
    assert f'name="receive-version" value="{dossier.version}"' in html


def test_the_decide_form_has_a_file_input_and_the_apology_a_datetime(people, dossier):
    officer = people["officer.benthanh"]
    d = services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    d = services.dossier_transition(dossier=d, action="start_processing", actor=officer)
    response = client_for(officer).get(dossier_url(d))
    forms = {f.rule.action: f for f in response.context["action_forms"]}
    assert "claim" not in forms  # already assigned to this officer
    assert set(forms["decide"].fields) == {"version", "result"}
    assert set(forms["apologise"].fields) == {"version", "note", "new_due_at"}
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'type="datetime-local" name="apologise-new_due_at"' in html
    assert 'type="file" name="decide-result"' in html


def test_receiving_through_the_page_redirects_with_a_message_and_offers_the_slip(officer_client, dossier):
    response = officer_client.post(action_url(dossier, "receive"), {"receive-version": dossier.version})
    assert response.status_code == 302
    assert response["Location"] == dossier_url(dossier)
    assert message_levels(response) == ["success"]
    assert refreshed(dossier).status == "received"
    page = officer_client.get(dossier_url(dossier))
    assert f'href="/dossiers/{dossier.code}/slip/"' in page.content.decode()


def test_a_note_is_required_where_the_rule_says_so(officer_client, dossier):
    response = officer_client.post(action_url(dossier, "refuse_receipt"), {"refuse_receipt-version": dossier.version})
    assert response.status_code == 400
    bound = {f.rule.action: f for f in response.context["action_forms"]}["refuse_receipt"]
    assert "note" in bound.errors
    assert refreshed(dossier).status == "submitted" and refreshed(dossier).version == dossier.version


def test_an_action_the_user_may_not_take_is_refused_and_changes_nothing(officer_client, people, dossier):
    officer = people["officer.benthanh"]
    response = officer_client.post(
        action_url(dossier, "assign"), {"assign-version": dossier.version, "assign-assignee": officer.pk}
    )
    assert response.status_code == 403
    assert message_levels(response) == ["error"]
    assert refreshed(dossier).assigned_to is None
    assert not DossierEvent.objects.filter(dossier=dossier, action="assign").exists()


def test_an_unknown_action_is_404(officer_client, dossier):
    assert officer_client.post(action_url(dossier, "explode"), {"explode-version": 0}).status_code == 404


def test_the_action_urls_refuse_get(officer_client, dossier):
    assert officer_client.get(action_url(dossier, "receive")).status_code == 405


def test_the_head_assigns_through_the_page(people, dossier):
    head, officer = people["head.benthanh"], people["officer.benthanh"]
    response = client_for(head).post(
        action_url(dossier, "assign"), {"assign-version": dossier.version, "assign-assignee": officer.pk}
    )
    assert response.status_code == 302
    assert refreshed(dossier).assigned_to == officer


def test_claim_takes_the_dossier(officer_client, people, dossier):
    response = officer_client.post(action_url(dossier, "claim"), {"claim-version": dossier.version})
    assert response.status_code == 302
    assert refreshed(dossier).assigned_to == people["officer.benthanh"]


def test_transfer_through_the_page(officer_client, dossier, people):
    saigon = Unit.objects.get(code="26740")
    response = officer_client.post(
        action_url(dossier, "transfer"),
        {
            "transfer-version": dossier.version,
            "transfer-note": "Thuộc thẩm quyền phường Sài Gòn",
            "transfer-unit": saigon.pk,
            "transfer-reason": "wrong_area",
        },
    )
    assert response.status_code == 302
    assert refreshed(dossier).pending_transfer_unit == saigon
    # Phường Sài Gòn sees it in its queue and accepts it on the page.
    saigon_client = client_for(people["officer.saigon"])
    assert dossier.pk in [row.pk for row in saigon_client.get(QUEUE).context["rows"]]
    response = saigon_client.post(
        action_url(dossier, "accept_transfer"), {"accept_transfer-version": refreshed(dossier).version}
    )
    assert response.status_code == 302
    assert refreshed(dossier).handling_unit == saigon
    # The dossier left the unit: its officers no longer see it in their queue.
    assert officer_client.get(QUEUE).context["rows"] == []


def test_decide_with_a_result_file_and_refuse_a_fake_one(people, dossier):
    officer = people["officer.benthanh"]
    d = services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    d = services.dossier_transition(dossier=d, action="start_processing", actor=officer)
    client = client_for(officer)
    fake = pdf_upload("ket-qua.pdf", content=b"MZ not a pdf")
    response = client.post(action_url(d, "decide"), {"decide-version": d.version, "decide-result": fake})
    assert response.status_code == 400
    assert refreshed(d).status == "processing"
    response = client.post(
        action_url(d, "decide"), {"decide-version": d.version, "decide-result": pdf_upload("kq.pdf")}
    )
    assert response.status_code == 302
    assert refreshed(d).status == "decided"
    assert d.documents.filter(role="result").count() == 1


def test_apologise_through_the_page_sets_the_new_date(people, dossier):
    officer = people["officer.benthanh"]
    d = services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    new_due = timezone.localtime(d.due_at + timedelta(days=3)).replace(second=0, microsecond=0)
    client = client_for(officer)
    too_early = timezone.localtime(d.due_at - timedelta(hours=1))
    response = client.post(
        action_url(d, "apologise"),
        {
            "apologise-version": d.version,
            "apologise-note": "Cần xác minh thêm",
            "apologise-new_due_at": too_early.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 400
    bound = {f.rule.action: f for f in response.context["action_forms"]}["apologise"]
    assert "new_due_at" in bound.errors
    response = client.post(
        action_url(d, "apologise"),
        {
            "apologise-version": d.version,
            "apologise-note": "Cần xác minh thêm",
            "apologise-new_due_at": new_due.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    # The promise sits next to the legal due date, which does not move (docs/0006).
    assert refreshed(d).promised_at == new_due and refreshed(d).due_at == d.due_at


# --- two officers at once ------------------------------------------------------------------


def test_two_officers_receiving_at_once_cannot_both_succeed(people, dossier):
    first, second = client_for(people["officer.benthanh"]), client_for(people["head.benthanh"])
    versions = []
    for client in (first, second):
        page = client.get(dossier_url(dossier))
        versions.append({f.rule.action: f for f in page.context["action_forms"]}["receive"].initial["version"])
    assert versions[0] == versions[1]
    won = first.post(action_url(dossier, "receive"), {"receive-version": versions[0]})
    lost = second.post(action_url(dossier, "receive"), {"receive-version": versions[1]})
    assert won.status_code == 302
    assert lost.status_code == 409
    assert message_levels(lost) == ["error"]
    assert refreshed(dossier).status == "received"
    assert DossierEvent.objects.filter(dossier=dossier, action="receive").count() == 1
    # The loser now sees the dossier as it is: no "receive" form any more.
    assert "receive" not in [f.rule.action for f in lost.context["action_forms"]]


def test_a_stale_form_keeps_the_officers_note(people, dossier):
    officer, head = people["officer.benthanh"], people["head.benthanh"]
    version = dossier.version
    services.dossier_transition(dossier=dossier, action="claim", actor=head)
    response = client_for(officer).post(
        action_url(dossier, "request_supplement"),
        {"request_supplement-version": version, "request_supplement-note": "Thiếu giấy xác nhận"},
    )
    assert response.status_code == 409
    assert refreshed(dossier).status == "submitted"
    form = {f.rule.action: f for f in response.context["action_forms"]}["request_supplement"]
    assert form.initial["note"] == "Thiếu giấy xác nhận"
    assert form.initial["version"] == version + 1
