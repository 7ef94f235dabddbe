"""`manage.py generate_city_data`: the synthetic city's rows, their consistency, and the aggregates after it."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import F

from tests.conftest import require

pytestmark = pytest.mark.django_db


@pytest.fixture
def city(units):
    require("postgres")
    from feedback.services import categories_load
    from procedures.catalogue import catalogue_load

    catalogue_load()
    categories_load()


def _generate(*args):
    from io import StringIO

    out = StringIO()
    call_command("generate_city_data", *args, stdout=out)
    return out.getvalue()


def test_generates_consistent_cases_and_the_aggregates_equal_a_recount(city):
    from feedback.models import Report
    from govportal.dashboard import aggregates, synthetic
    from govportal.dashboard.models import DossierUnitDay
    from payments.models import Payment
    from procedures.models import Dossier, DossierDocument, DossierEvent

    output = _generate("--dossiers", "2000", "--reports", "500", "--days", "120", "--batch", "700")

    assert "Added 2,000 dossiers" in output and "stats_rebuild" in output
    dossiers = Dossier.objects.filter(code__startswith=synthetic.DOSSIER_PREFIX)
    assert dossiers.count() == 2000
    assert Report.objects.filter(code__startswith=synthetic.REPORT_PREFIX).count() == 500
    statuses = set(dossiers.values_list("status", flat=True))
    assert {"result_returned", "processing", "not_received", "withdrawn", "stopped"} <= statuses
    assert dossiers.filter(channel="online").count() > dossiers.filter(channel="counter").count() > 0
    # Dates follow the status.
    assert not dossiers.filter(status="result_returned", closed_at__isnull=True).exists()
    assert not dossiers.filter(status="result_returned", decided_at__isnull=True).exists()
    assert not dossiers.filter(status="not_received", received_at__isnull=False).exists()
    assert not dossiers.filter(status__in=["supplement_requested", "payment_required"], paused_at=None).exists()
    assert not dossiers.filter(status="processing").exclude(decided_at=None, closed_at=None).exists()
    for row in dossiers.exclude(received_at=None).values("submitted_at", "received_at", "due_at", "decided_at"):
        assert row["submitted_at"] <= row["received_at"] < row["due_at"]
        assert row["decided_at"] is None or row["decided_at"] > row["received_at"]
    # Some late, some on time; some with a second supplement.
    late = dossiers.filter(decided_at__isnull=False, decided_at__gt=F("due_at"), paused_at=None).count()
    assert 0 < late < dossiers.filter(decided_at__isnull=False).count() / 2
    assert dossiers.filter(supplement_count=2).exists()
    # City-tier procedures are handled by their department, commune-tier ones by the unit of the place.
    assert (
        not dossiers.filter(procedure__tier="city").exclude(handling_unit=F("procedure__handling_department")).exists()
    )
    assert not dossiers.filter(procedure__tier="commune").exclude(handling_unit=F("receiving_unit")).exists()
    # Every gateway payment has its fee event and its dossier.
    payments = Payment.objects.filter(reference__startswith=synthetic.PAYMENT_PREFIX)
    assert payments.count() > 0
    assert set(payments.values_list("subject", flat=True)) <= {
        f"dossier:{code}" for code in dossiers.values_list("code", flat=True)
    }
    fee_events = DossierEvent.objects.filter(dossier__in=dossiers, action="payment_received")
    assert fee_events.count() >= payments.count()
    assert not payments.exclude(status="succeeded").exists()
    assert DossierDocument.objects.filter(dossier__in=dossiers, role="result").exists()
    assert dossiers.filter(satisfaction__isnull=False).exists()
    assert dossiers.exclude(reused_data={}).exists()

    # The aggregates the command rebuilt are those of a full recount at the same instant.
    until = aggregates.counted_until()
    assert until is not None
    expected = aggregates.recount_everything(now=until)
    stored = aggregates.stored_everything()
    assert set(stored) == set(expected) >= {"DossierUnitDay", "DossierFieldDay", "ReportUnitDay"}
    for table in expected:
        assert stored[table] == expected[table], table
    assert aggregates.stored(DossierUnitDay, "unit_id") == expected["DossierUnitDay"]
    assert sum(row.total for row in DossierUnitDay.objects.all()) == 2000 - dossiers.filter(submitted_at=None).count()

    # --replace deletes the previous synthetic rows; without it, rows are added.
    _generate("--dossiers", "30", "--reports", "10", "--replace", "--no-rebuild")
    assert dossiers.count() == 30
    _generate("--dossiers", "20", "--reports", "0", "--no-rebuild")
    assert dossiers.count() == 50
    assert Report.objects.filter(code__startswith=synthetic.REPORT_PREFIX).count() == 10
    assert (
        payments.count()
        == Payment.objects.filter(subject__in=[f"dossier:{c}" for c in dossiers.values_list("code", flat=True)]).count()
    )


def test_refused_without_allow_when_demo_is_off(city, settings):
    from procedures.models import Dossier

    settings.DEMO_ENABLED = False
    with pytest.raises(CommandError, match="--allow"):
        _generate("--dossiers", "5", "--reports", "0")
    assert not Dossier.objects.exists()

    _generate("--dossiers", "5", "--reports", "2", "--allow", "--no-rebuild")
    assert Dossier.objects.count() == 5


def test_refused_on_sqlite(city, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        _generate("--dossiers", "5", "--reports", "0")
