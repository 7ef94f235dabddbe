"""Citizens rate a finished dossier (the satisfaction indicator, issue 11 item 1).

The rule is one entry of the workflow table ("rate": the applicant, once the
unit has finished, no status change) and one effect in the service (an integer
1-5, the latest counts, the event keeps the previous one). The page and the
API go through the same service and meet the same refusals.
"""

import re

import pytest
from django.urls import reverse

from procedures import selectors, services, workflow
from procedures.models import Dossier, DossierEvent
from procedures.services import DossierError
from procedures.workflow import DossierStatus as S
from tests.procedures.conftest import client_for, pdf_upload

pytestmark = pytest.mark.django_db

API = "/api/v1/dossiers/"

# How the unit finishes a dossier (or does not yet), by its officer.
WALKS = {
    S.PROCESSING: [("receive", {}), ("start_processing", {})],
    S.DECIDED: [("receive", {}), ("start_processing", {}), ("decide", {})],
    S.RESULT_RETURNED: [("receive", {}), ("start_processing", {}), ("decide", {}), ("return_result", {})],
    S.STOPPED: [("receive", {}), ("start_processing", {}), ("stop", {"note": "Không đủ điều kiện"})],
    S.NOT_RECEIVED: [("refuse_receipt", {"note": "Hồ sơ không thuộc thẩm quyền"})],
}


def walk(dossier, people, status):
    officer = people["officer.benthanh"]
    for action, inputs in WALKS[status]:
        if action == "decide":
            inputs = {"result_upload": pdf_upload("ket-qua.pdf")}
        dossier = services.dossier_transition(dossier=dossier, action=action, actor=officer, **inputs)
    assert dossier.status == status
    return dossier


@pytest.fixture
def finished(dossier, people):
    return walk(dossier, people, S.RESULT_RETURNED)


def rate_events(dossier):
    return list(DossierEvent.objects.filter(dossier=dossier, action="rate").order_by("id"))


def page_url(dossier):
    return reverse("my-dossier", args=[dossier.code])


def rate_api(client, dossier, body):
    return client.post(f"{API}{dossier.code}/actions/rate/", body, content_type="application/json")


# --- the table ---------------------------------------------------------------------------------


def test_the_rule_is_the_applicants_once_the_unit_has_finished_and_changes_no_status():
    rule = workflow.ACTIONS["rate"]
    assert rule.sources == {S.RESULT_RETURNED, S.STOPPED, S.NOT_RECEIVED}
    assert rule.actors == {workflow.APPLICANT}
    assert rule.target is None and rule.clock is None


# --- through the page ------------------------------------------------------------------------------


def test_the_citizen_rates_on_the_dossier_page(finished, citizen_client):
    page = citizen_client.get(page_url(finished))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="rate"' in html and 'name="action" value="rate"' in html
    assert '<fieldset id="id_rating"' in html and "<legend>" in html
    assert html.count('type="radio" name="rating"') == 5
    assert 'id="dossier-rating"' not in html  # not rated yet

    response = citizen_client.post(page_url(finished), {"action": "rate", "rating": "4"}, follow=True)

    assert response.redirect_chain[-1][0] == page_url(finished)
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    stored = Dossier.objects.get(pk=finished.pk)
    assert stored.satisfaction == 4
    assert stored.status == S.RESULT_RETURNED and stored.version == finished.version + 1
    (event,) = rate_events(finished)
    assert (event.actor_id, event.from_status, event.to_status) == (
        finished.applicant_id,
        S.RESULT_RETURNED,
        S.RESULT_RETURNED,
    )
    assert event.data == {"rating": 4, "previous": None}
    html = response.content.decode()
    rated = html[html.index('id="dossier-rating"') :]
    assert "4/5" in rated[: rated.index("</p>")]
    # The form offers to change it, with the current answer ticked.
    radios = [tag for tag in re.findall(r"<input [^>]*>", html) if 'name="rating"' in tag]
    assert len(radios) == 5
    assert [tag for tag in radios if "checked" in tag] == [tag for tag in radios if 'value="4"' in tag]
    # The citizen's timeline shows the rating with its value.
    timeline = html[html.index('id="timeline-title"') :]
    assert "4/5" in timeline


def test_re_rating_on_the_page_replaces_the_rating_and_keeps_the_previous_in_the_event(finished, citizen_client):
    citizen_client.post(page_url(finished), {"action": "rate", "rating": "4"})
    response = citizen_client.post(page_url(finished), {"action": "rate", "rating": "2"})
    assert response.status_code == 302
    assert Dossier.objects.get(pk=finished.pk).satisfaction == 2
    assert [e.data for e in rate_events(finished)] == [{"rating": 4, "previous": None}, {"rating": 2, "previous": 4}]


@pytest.mark.parametrize("value", ["0", "6", "x", "", "4.5"])
def test_the_page_refuses_a_value_that_is_not_a_rating_next_to_the_field(finished, citizen_client, value):
    response = citizen_client.post(page_url(finished), {"action": "rate", "rating": value})
    assert response.status_code == 400
    assert list(response.context["rate_form"].errors) == ["rating"]
    html = response.content.decode()
    assert 'id="id_rating_error"' in html and 'href="#id_rating"' in html  # the summary links to the fieldset
    assert Dossier.objects.get(pk=finished.pk).satisfaction is None
    assert rate_events(finished) == []


def test_the_page_takes_the_services_field_refusal_too(finished, citizen_client, monkeypatch):
    """A value the form lets through but the service refuses (its rule, not the form's) lands on the field."""
    from procedures.forms import RateForm

    monkeypatch.setattr(RateForm.base_fields["rating"], "choices", [(7, "7")])
    response = citizen_client.post(page_url(finished), {"action": "rate", "rating": "7"})
    assert response.status_code == 400
    assert list(response.context["rate_form"].errors) == ["rating"]
    assert Dossier.objects.get(pk=finished.pk).satisfaction is None


@pytest.mark.parametrize("status", [S.PROCESSING, S.DECIDED])
def test_the_page_offers_no_rating_and_refuses_one_before_the_unit_has_finished(
    dossier, people, citizen_client, status
):
    before = walk(dossier, people, status)
    assert 'value="rate"' not in citizen_client.get(page_url(before)).content.decode()

    response = citizen_client.post(page_url(before), {"action": "rate", "rating": "5"}, follow=True)

    assert response.redirect_chain[-1][0] == page_url(before)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Dossier.objects.get(pk=before.pk).satisfaction is None
    assert rate_events(before) == []


def test_another_citizen_cannot_rate_on_the_page(finished, people):
    other = client_for(people["079190004567"], eid_level=2)
    response = other.post(page_url(finished), {"action": "rate", "rating": "1"})
    assert response.status_code == 404
    assert Dossier.objects.get(pk=finished.pk).satisfaction is None


def test_a_post_without_the_rate_action_changes_nothing(finished, citizen_client):
    response = citizen_client.post(page_url(finished), {"rating": "5"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert Dossier.objects.get(pk=finished.pk).satisfaction is None


# --- through the API ---------------------------------------------------------------------------------


def test_the_citizen_rates_through_the_api(finished, citizen_client):
    detail = citizen_client.get(f"{API}{finished.code}/").json()
    assert detail["satisfaction"] is None
    assert detail["available_actions"] == ["rate"]

    response = rate_api(citizen_client, finished, {"rating": 5})

    assert response.status_code == 200, response.json()
    assert response.json()["satisfaction"] == 5
    assert response.json()["status"] == S.RESULT_RETURNED
    (event,) = rate_events(finished)
    assert event.data == {"rating": 5, "previous": None}

    again = rate_api(citizen_client, finished, {"rating": 3})
    assert again.status_code == 200
    assert again.json()["satisfaction"] == 3
    assert [e.data for e in rate_events(finished)][-1] == {"rating": 3, "previous": 5}
    events = citizen_client.get(f"{API}{finished.code}/events/").json()
    assert [e["label"] for e in events if e["action"] == "rate"][-1].count("3/5") == 1


@pytest.mark.parametrize("body", [{"rating": 0}, {"rating": 6}, {"rating": "x"}, {"rating": None}, {}, {"rating": 2.5}])
def test_the_api_refuses_a_value_that_is_not_a_rating_with_a_field_error(finished, citizen_client, body):
    response = rate_api(citizen_client, finished, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert list(response.json()["errors"]) == ["rating"]
    assert Dossier.objects.get(pk=finished.pk).satisfaction is None
    assert rate_events(finished) == []


@pytest.mark.parametrize("status", [S.PROCESSING, S.DECIDED])
def test_the_api_refuses_a_rating_before_the_unit_has_finished(dossier, people, citizen_client, status):
    before = walk(dossier, people, status)
    assert "rate" not in citizen_client.get(f"{API}{before.code}/").json()["available_actions"]
    response = rate_api(citizen_client, before, {"rating": 5})
    assert response.status_code == 409
    assert response.json()["code"] == "not_allowed"
    assert Dossier.objects.get(pk=before.pk).satisfaction is None


def test_staff_cannot_rate_through_the_api_and_other_citizens_do_not_see_the_dossier(finished, people):
    officer = client_for(people["officer.benthanh"])
    response = rate_api(officer, finished, {"rating": 5})
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    stranger = client_for(people["079190004567"], eid_level=2)
    assert rate_api(stranger, finished, {"rating": 5}).status_code == 404
    assert Dossier.objects.get(pk=finished.pk).satisfaction is None
    assert rate_events(finished) == []


# --- the service -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [S.RESULT_RETURNED, S.STOPPED, S.NOT_RECEIVED])
def test_the_applicant_may_rate_whatever_the_outcome(dossier, people, status):
    done = walk(dossier, people, status)
    rated = services.dossier_transition(dossier=done, action="rate", actor=done.applicant, rating=1)
    assert rated.status == status and rated.satisfaction == 1
    assert rate_events(done)[0].data == {"rating": 1, "previous": None}


def test_a_withdrawn_dossier_is_not_rated(dossier):
    withdrawn = services.dossier_transition(dossier=dossier, action="withdraw", actor=dossier.applicant)
    with pytest.raises(DossierError) as caught:
        services.dossier_transition(dossier=withdrawn, action="rate", actor=withdrawn.applicant, rating=5)
    assert (caught.value.code, caught.value.status_code) == ("not_allowed", 409)


@pytest.mark.parametrize("who", ["officer.benthanh", "head.benthanh", "admin.city", "079190004567"])
def test_nobody_but_the_applicant_rates(finished, people, who):
    with pytest.raises(DossierError) as caught:
        services.dossier_transition(dossier=finished, action="rate", actor=people[who], rating=5)
    assert (caught.value.code, caught.value.status_code) == ("forbidden", 403)
    assert Dossier.objects.get(pk=finished.pk).satisfaction is None


@pytest.mark.parametrize("value", [0, 6, -1, "4", "x", 4.0, True, None])
def test_the_service_takes_only_an_integer_from_1_to_5(finished, value):
    with pytest.raises(DossierError) as caught:
        services.dossier_transition(dossier=finished, action="rate", actor=finished.applicant, rating=value)
    assert caught.value.code == "invalid"
    assert list(caught.value.extra["errors"]) == ["rating"]
    fresh = Dossier.objects.get(pk=finished.pk)
    assert fresh.satisfaction is None and fresh.version == finished.version
    assert rate_events(finished) == []


def test_the_timeline_labels_the_rating_with_its_value(finished):
    services.dossier_transition(dossier=finished, action="rate", actor=finished.applicant, rating=4)
    events = selectors.timeline(dossier=finished, for_citizen=True)
    (rated,) = [e for e in events if e.action == "rate"]
    assert "4/5" in rated.label
