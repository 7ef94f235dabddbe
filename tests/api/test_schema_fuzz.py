"""Schemathesis over every operation of /api/schema/, as anonymous, citizen and officer: no server error,
no answer the schema does not describe (status, content type, headers, body).

One test (one database transaction, one data set) drives the WSGI app directly; for each role and
operation Hypothesis generates a few requests, half of them aimed at objects that exist (a real dossier,
draft, report, unit), so the fuzzing reaches past the 404s. Positive and negative data both.
"""

from collections import defaultdict

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from identity.services import api_token_issue
from procedures import services
from tests.conftest import require
from tests.procedures.conftest import make_procedure, submitted_dossier

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 6  # per operation, role and mode: ~33 operations x 3 roles x 2 modes
# Business rules a schema cannot state (a procedure code that exists, an action allowed in this status)
# make valid-looking data refused: these answers are "accepted as well-formed".
ACCEPTED_STATUSES = ["2xx", "400", "401", "403", "404", "409", "422"]


@pytest.fixture
def world(demo_users, population, settings):
    """Objects the generated requests can hit: a submitted dossier, a draft, a report, and tokens per role."""
    from feedback.models import Category
    from feedback.services import categories_load, report_create
    from govportal.tiers.models import Unit
    from identity.models import User

    settings.RATE_LIMITS = {scope: "100000/m" for scope in settings.RATE_LIMITS}
    categories_load()
    citizen = User.objects.get(username="079085001234")
    officer = User.objects.get(username="officer.benthanh")
    procedure = make_procedure()
    dossier = submitted_dossier(procedure, citizen)
    draft = services.dossier_draft_create(
        procedure=procedure, applicant=citizen, receiving_unit=dossier.receiving_unit, eid_level=2
    )
    ward = Unit.objects.get(code="26743")
    report = report_create(
        category=Category.objects.filter(is_active=True).first(),
        text="Đèn đường hỏng trước số 12 Lê Lợi.",
        unit=ward,
        address="12 Lê Lợi",
        reporter=citizen,
    )
    known = {
        "dossier": dossier.code,
        "draft": str(draft.uuid),
        "report": report.code,
        "unit": "79",
        "procedure": procedure.code,
    }
    roles = {
        "anonymous": {},
        "citizen": {"Authorization": f"Bearer {api_token_issue(user=citizen)}"},
        "officer": {"Authorization": f"Bearer {api_token_issue(user=officer)}"},
    }
    return known, roles


def known_path_parameters(path: str, known: dict) -> dict:
    """The existing object each path parameter can name."""
    values = {}
    if "{code}" in path:
        for prefix, key in (("dossiers", "dossier"), ("reports", "report"), ("track", "dossier")):
            if path.startswith(f"/api/v1/{prefix}/"):
                values["code"] = known[key]
        if path.startswith("/api/v1/units/") or path.startswith("/api/v1/stats/units/"):
            values["code"] = known["unit"]
        if path.startswith("/api/v1/procedures/"):
            values["code"] = known["procedure"]
    if "{uuid}" in path:
        values["uuid"] = known["draft"]
    return values


def fuzz(strategy, max_examples: int, record) -> None:
    """Run `max_examples` generated cases through the app with every check; `record` gets each status."""

    @given(case=strategy)
    @hypothesis_settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        with transaction.atomic():  # a failure (or a poisoned query) stays in its savepoint
            response = case.call_and_validate()
        record(response.status_code)

    run()


def test_every_operation_as_every_role_conforms_to_the_schema(world):
    require("postgres")
    known, roles = world
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
        schema.config.checks.positive_data_acceptance.expected_statuses = ACCEPTED_STATUSES
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 30
        failures = []
        statuses = defaultdict(set)
        for role, headers in roles.items():
            for operation in operations:
                fixed = known_path_parameters(operation.path, known)
                strategies = []
                for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
                    strategies.append(operation.as_strategy(mode, headers=headers or None))
                    if fixed:
                        strategies.append(operation.as_strategy(mode, headers=headers or None, path_parameters=fixed))
                if operation.label == "POST /api/v1/dossiers/{code}/actions/{action}/":  # an action that can succeed
                    strategies.append(
                        operation.as_strategy(
                            headers=headers or None,
                            path_parameters={"code": known["dossier"], "action": "receive"},
                            body={},
                            media_type="application/json",
                        )
                    )
                if operation.label == "POST /api/v1/dossiers/":  # a draft that can be started, not only 400s
                    body = {"procedure": known["procedure"], "receiving_unit": "26743", "form_data": {}}
                    strategies.append(
                        operation.as_strategy(headers=headers or None, body=body, media_type="application/json")
                    )

                try:
                    fuzz(st.one_of(strategies), MAX_EXAMPLES * len(strategies), statuses[(role, operation.label)].add)
                except Exception as error:  # noqa: BLE001 - collected, all reported at the end
                    failures.append(f"[{role}] {operation.label}: {error}")
        assert not failures, "\n\n".join(failures)
        assert len(statuses) == len(roles) * len(operations)  # every operation answered every role
        # The data set makes the fuzzing reach past authentication and 404s.
        assert statuses[("anonymous", "GET /api/v1/dossiers/")] == {401}
        assert 200 in statuses[("citizen", "GET /api/v1/dossiers/{code}/")]
        assert 200 in statuses[("officer", "GET /api/v1/dossiers/{code}/events/")]
        assert 200 in statuses[("citizen", "PATCH /api/v1/dossiers/drafts/{uuid}/")]
        assert 201 in statuses[("citizen", "POST /api/v1/dossiers/")]
        assert 200 in statuses[("officer", "POST /api/v1/dossiers/{code}/actions/{action}/")]
        assert 200 in statuses[("citizen", "GET /api/v1/reports/{code}/")]
        assert 200 in statuses[("anonymous", "GET /api/v1/units/{code}/")]
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_the_schema_documents_the_standard_errors_and_nullable_parent(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert schema["components"]["schemas"]["UnitOutput"]["properties"]["parent"]["nullable"] is True
    paths = schema["paths"]
    create = paths["/api/v1/dossiers/"]["post"]["responses"]
    assert {"400", "401", "403", "413", "415"} <= set(create)
    assert {"400", "401", "404"} <= set(paths["/api/v1/units/"]["get"]["responses"])  # page past the last: 404
    track = paths["/api/v1/track/{code}/"]["get"]["responses"]
    assert "429" in track
    assert "401" not in track  # no authentication there: nothing to fail
    error = schema["components"]["schemas"]["Error"]["properties"]
    assert {"code", "detail", "errors"} <= set(error)
