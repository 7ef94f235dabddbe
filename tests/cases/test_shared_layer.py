"""The shared case layer (govportal.cases, docs/0007): the registry, assignment across kinds, its boundaries."""

import ast
import dataclasses
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from govportal.cases import kinds
from govportal.cases.routing import least_loaded_officer
from govportal.cases.tasks import route_case, run_case_clocks, sweep_unrouted_cases
from govportal.tiers.models import Unit
from govportal.tiers.services import posting_ensure
from identity.models import User
from procedures.case_kind import dossier_kind
from procedures.models import Dossier, DossierEvent
from procedures.workflow import DossierStatus
from tests.procedures.conftest import make_procedure, submitted_dossier

CASES = Path(__file__).resolve().parents[2] / "govportal" / "cases"


def test_the_shared_layer_never_imports_a_case_app():
    """procedures and feedback depend on govportal.cases, never the other way round."""
    imported = set()
    for path in CASES.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    assert imported, "the scan read nothing"
    assert not imported & {"procedures", "feedback", "payments"}


def test_procedures_registers_the_dossier_kind():
    kind = kinds.get("dossier")
    assert kind is dossier_kind()
    assert kind.model is Dossier and kind.event_model is DossierEvent
    assert kind in kinds.registered()
    with pytest.raises(LookupError):
        kinds.get("no-such-kind")


@pytest.mark.django_db
def test_inheriting_the_shared_fields_changes_no_schema():
    """The abstract bases keep the dossier tables as their migrations made them (no new migration)."""
    out = StringIO()
    call_command("makemigrations", "procedures", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()
    relations = {f.name: f.remote_field.related_name for f in Dossier._meta.fields if f.is_relation}
    assert relations["receiving_unit"] == "received_dossiers"
    assert relations["assigned_to"] == "assigned_dossiers"
    assert relations["pending_transfer_unit"] == "incoming_transfers"


@pytest.fixture
def second_kind():
    """A second kind of case on the same table, counting drafts as open work (as a report kind would count its own)."""
    kind = kinds.register(dataclasses.replace(dossier_kind(), name="second", open_statuses=frozenset({"draft"})))
    yield kind
    kinds._KINDS.pop("second", None)


@pytest.mark.django_db
def test_least_loaded_assignment_counts_open_cases_of_every_kind(units, request):
    unit = Unit.objects.get(code="26743")
    first, second = (User.objects.create(username=f"officer.k{n}", full_name=f"Cán bộ {n}") for n in (1, 2))
    for user in (first, second):
        posting_ensure(user=user, unit=unit, role="officer")
    # The first officer holds a case that dossiers do not count as open (a draft); the second kind does.
    Dossier.objects.create(
        procedure=make_procedure(), applicant=second, receiving_unit=unit, assigned_to=first, status=DossierStatus.DRAFT
    )
    today = date(2026, 3, 10)
    assert least_loaded_officer(unit_id=unit.pk, today=today) == first  # equal load: the lowest id

    request.getfixturevalue("second_kind")
    assert least_loaded_officer(unit_id=unit.pk, today=today) == second


@pytest.fixture
def generic_kind():
    """A kind without tasks of its own: the generic `cases.*` tasks route it by its name."""
    kind = kinds.register(dataclasses.replace(dossier_kind(), name="generic", route_task=None))
    yield kind
    kinds._KINDS.pop("generic", None)


@pytest.mark.django_db
def test_the_generic_sweep_routes_a_kind_without_tasks_of_its_own(generic_kind, demo_users, population, settings):
    """What the beat entry "cases.sweep_unrouted" with the kind's name does after a broker outage."""
    settings.ROUTING_SWEEP_AFTER_SECONDS = 0
    dossier = submitted_dossier(make_procedure(), User.objects.get(username="079085001234"), route=False)
    assert dossier.routed_at is None
    assert sweep_unrouted_cases.delay("generic").get() == 1
    routed = Dossier.objects.get(pk=dossier.pk)
    assert routed.routed_at is not None and routed.handling_unit.code == "26743"
    assert DossierEvent.objects.filter(dossier=dossier, action="route").count() == 1
    assert sweep_unrouted_cases.delay("generic").get() == 0  # nothing left: routing ran once
    assert route_case.delay("generic", dossier.pk).get() is False  # and again changes nothing


@pytest.mark.django_db
def test_the_generic_clock_task_runs_the_clocks_of_a_kind_by_name(units):
    counts = run_case_clocks.delay("dossier").get()
    assert counts == {"due_soon": 0, "overdue": 0, "escalated_to_head": 0, "escalated_to_city": 0, "errors": 0}
    with pytest.raises(LookupError):
        run_case_clocks.delay("no-such-kind").get()
