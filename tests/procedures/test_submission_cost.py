"""Submission at city scale: a bounded number of queries, and codes that no submission waits for."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from govportal.cases.codes import claim_number, close_own_connection
from procedures import services
from procedures.models import CodeSequence, Dossier
from tests.conftest import require
from tests.procedures.conftest import make_procedure, pdf_upload
from tests.procedures.test_api_dossiers import new_draft

API = "/api/v1/dossiers/"
# Measured when the bound was set (issue 13): 21 statements to create the draft (with the registry prefill
# and its audit row), 18 to submit it (22 before the code was claimed apart: get_or_create and SELECT FOR UPDATE
# of the counter), plus one on the claim connection.
MAX_CREATE_QUERIES = 21
MAX_SUBMIT_QUERIES = 18


class Queries:
    """Every statement run on the connection (CaptureQueriesContext loses those of a request: Django resets
    its log when a request starts)."""

    def __init__(self):
        self.sql = []

    def __call__(self, execute, sql, params, many, context):
        self.sql.append(sql)
        return execute(sql, params, many, context)


def counted(call):
    queries = Queries()
    with connection.execute_wrapper(queries):
        response = call()
    return response, queries.sql


@pytest.mark.django_db
def test_a_submission_takes_a_bounded_number_of_queries(citizen_client, procedure, django_capture_on_commit_callbacks):
    require("postgres")  # the bound is PostgreSQL's (SQLite takes the number inside the transaction)
    response, create = counted(lambda: new_draft(citizen_client, procedure, partner_name="Phạm Thị Hoa"))
    assert response.status_code == 201, response.json()
    uuid = response.json()["uuid"]
    upload = citizen_client.post(f"{API}drafts/{uuid}/documents/", {"key": "to-khai", "file": pdf_upload()})
    assert upload.status_code == 201, upload.json()
    with django_capture_on_commit_callbacks(execute=False):
        response, submit = counted(lambda: citizen_client.post(f"{API}drafts/{uuid}/submit/"))
    assert response.status_code == 200, response.json()
    assert response.json()["code"].startswith("HCM-26743-")
    assert len(create) <= MAX_CREATE_QUERIES, create
    assert len(submit) <= MAX_SUBMIT_QUERIES, submit
    # The code counter is never locked by the submission's own transaction (it is claimed apart).
    assert not any("FOR UPDATE" in sql and "codesequence" in sql for sql in submit)


def _in_thread(target, results, index, *args):
    try:
        results[index] = target(*args)
    except Exception as error:  # reported by the assertion in the test
        results[index] = error
    finally:
        close_own_connection()
        connection.close()


@pytest.mark.django_db
def test_a_claim_does_not_wait_for_an_open_submission():
    """One submission holds its transaction open after taking its number; ten others still get theirs."""
    require("postgres")
    key = "99999-" + timezone.localtime().strftime("%y%m%d")
    claimed, release = threading.Event(), threading.Event()

    def slow_submission():
        with transaction.atomic():
            number = claim_number(CodeSequence, key)
            claimed.set()
            release.wait(30)  # still open while the others claim (released by the test)
            return number

    def quick_submission():
        with transaction.atomic():
            return claim_number(CodeSequence, key)

    results = [None] * 11
    slow = threading.Thread(target=_in_thread, args=(slow_submission, results, 0))
    slow.start()
    assert claimed.wait(10)
    quick = [threading.Thread(target=_in_thread, args=(quick_submission, results, i)) for i in range(1, 11)]
    for thread in quick:
        thread.start()
    deadline = time.monotonic() + 5  # one deadline for all: the slow submission holds on for 30 s
    for thread in quick:
        thread.join(max(0.0, deadline - time.monotonic()))
    finished_while_open = not any(thread.is_alive() for thread in quick)
    release.set()
    slow.join(10)
    for thread in quick:
        thread.join(10)
    assert finished_while_open, "a claim waited for another submission's transaction"
    assert all(isinstance(n, int) for n in results), results
    assert sorted(results) == list(range(results[0], results[0] + 11))


@pytest.mark.django_db(transaction=True)
def test_parallel_submissions_of_one_unit_and_day_get_unique_codes(units, population):
    require("postgres")
    from identity.models import User
    from identity.services import demo_dataset_seed

    demo_dataset_seed()
    citizen = User.objects.get(username="079085001234")
    procedure = make_procedure()
    from govportal.tiers.models import Unit

    unit = Unit.objects.get(code="26743")
    drafts = []
    for _ in range(10):
        draft = services.dossier_draft_create(procedure=procedure, applicant=citizen, receiving_unit=unit, eid_level=2)
        services.dossier_prefill_from_registry(dossier=draft, actor=citizen)
        services.dossier_draft_update(dossier=draft, actor=citizen, form_data={"partner_name": "Phạm Thị Hoa"})
        services.document_attach(dossier=draft, actor=citizen, upload=pdf_upload(), key="to-khai")
        drafts.append(draft.pk)
    start = threading.Barrier(10)

    def submit(dossier_id):
        dossier = Dossier.objects.get(pk=dossier_id)
        start.wait(10)
        return services.dossier_transition(dossier=dossier, action="submit", actor=citizen, eid_level=2).code

    results = [None] * 10
    threads = [threading.Thread(target=_in_thread, args=(submit, results, i, pk)) for i, pk in enumerate(drafts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(isinstance(code, str) for code in results), results
    day = timezone.localtime().strftime("%y%m%d")
    assert all(code.startswith(f"HCM-26743-{day}-") for code in results), results
    assert len(set(results)) == 10
    assert set(Dossier.objects.filter(pk__in=drafts).values_list("code", flat=True)) == set(results)
