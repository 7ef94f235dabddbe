"""Audit trails are append-only in the database itself (govportal.audit_guard): no UPDATE, DELETE or TRUNCATE.

The models refuse too, but raw SQL, bulk querysets, cascades and the admin
must meet the same wall.
"""

import sqlite3
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.contrib import admin
from django.db import DatabaseError, connection, transaction
from django.db.models import F, QuerySet
from django.test import RequestFactory
from django.utils import timezone

from feedback.models import ReportEvent
from govportal import audit_guard
from govportal.operations.models import RetentionRun
from identity.models import AccountEvent, User
from identity.registry.models import RegistryAccessLog
from payments.models import GatewayCallback, Payment, PaymentEvent
from procedures.models import Dossier, DossierEvent
from tests.conftest import require
from tests.security.audit_world import draft, report, world

# Every append-only table, with its model.
APPEND_ONLY = [
    DossierEvent,
    ReportEvent,
    PaymentEvent,
    GatewayCallback,
    AccountEvent,
    RegistryAccessLog,
    RetentionRun,
]


@pytest.fixture
def rows(db):
    """One row in each append-only table."""
    require("postgres")
    w = world()
    now = timezone.now()
    dossier = draft(w, days_ago=1)
    reported = report(w, "PA-99901-260101-0001")
    payment = Payment.objects.create(
        reference="TEST0001",
        subject="dossier:HCM-99901-260101-0001",
        description="Lệ phí",
        unit=w["unit"],
        amount_vnd=50_000,
        gateway="paygov",
        expires_at=now + timedelta(minutes=90),
    )
    return {
        DossierEvent: DossierEvent.objects.get(dossier=dossier),
        ReportEvent: ReportEvent.objects.get(report=reported),
        PaymentEvent: PaymentEvent.objects.create(payment=payment, action="create", to_status="created", at=now),
        GatewayCallback: GatewayCallback.objects.create(gateway="paygov", reference="TEST0001", answer="00"),
        AccountEvent: AccountEvent.objects.create(user=w["citizen"], action="logout"),
        RegistryAccessLog: RegistryAccessLog.objects.create(personal_id="079085001111", purpose="profile", found=True),
        RetentionRun: RetentionRun.objects.create(at=now, report_contact_days=365, draft_days=90),
        "dossier": dossier,
    }


@contextmanager
def refused():
    """The statement in the block fails in the database with the trigger's message (in a savepoint: the test goes on)."""
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        yield


def _sql(statement: str, params=()) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_every_append_only_table_has_its_triggers(rows):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgfoid = 'govportal_append_only'::regproc"
        )
        found = set(cursor.fetchall())
    for model in APPEND_ONLY:
        table = model._meta.db_table
        assert {(table, f"{table}_append_only"), (table, f"{table}_no_truncate")} <= found, table


def test_raw_sql_update_delete_and_truncate_are_refused(rows):
    for model in APPEND_ONLY:
        table, pk = model._meta.db_table, rows[model].pk
        with refused():
            _sql(f'UPDATE "{table}" SET id = id WHERE id = %s', [pk])
        with refused():
            _sql(f'DELETE FROM "{table}" WHERE id = %s', [pk])
        with refused():
            # The test suite's own sessions may TRUNCATE (the flush); a portal session may not.
            _sql("SELECT set_config(%s, 'off', true)", [audit_guard.TRUNCATE_SETTING])
            _sql("SET CONSTRAINTS ALL IMMEDIATE")  # else: "pending trigger events" of this test's own inserts
            _sql(f'TRUNCATE "{table}" CASCADE')
        assert model.objects.filter(pk=pk).exists()


def test_orm_bulk_update_and_delete_and_cascades_are_refused(rows):
    for model in APPEND_ONLY:
        # A plain queryset: past any Python guard of the model's own manager (the registry log has one).
        rows_of = QuerySet(model=model).filter(pk=rows[model].pk)
        with refused():
            rows_of.update(id=F("id"))
        with refused():
            rows_of.delete()
        assert rows_of.exists()
    # A dossier's deletion would take its trail with it: refused too.
    with refused():
        Dossier.objects.filter(pk=rows["dossier"].pk).delete()
    assert Dossier.objects.filter(pk=rows["dossier"].pk).exists()


def test_a_deliberate_purge_may_delete_but_never_update(rows):
    event = rows[DossierEvent]
    with audit_guard.audit_purge():
        with refused():
            DossierEvent.objects.filter(pk=event.pk).update(note="sửa")
        Dossier.objects.filter(pk=rows["dossier"].pk).delete()
        assert not DossierEvent.objects.filter(pk=event.pk).exists()
    # Off again after the block, in the same transaction.
    with refused():
        ReportEvent.objects.filter(pk=rows[ReportEvent].pk).delete()


def test_the_admin_never_adds_changes_or_deletes_audit_rows(rows):
    request = RequestFactory().get("/admin/")
    request.user = User.objects.create(username="root.audit", is_staff=True, is_superuser=True)
    checked = set()
    for model_admin in admin.site._registry.values():
        inlines = [inline(model_admin.model, admin.site) for inline in model_admin.inlines]
        if model_admin.model in APPEND_ONLY:
            assert not model_admin.has_add_permission(request)
        for candidate in inlines:
            if candidate.model in APPEND_ONLY:
                assert not candidate.has_add_permission(request, None)
        for candidate in [model_admin, *inlines]:
            if candidate.model in APPEND_ONLY:
                assert not candidate.has_change_permission(request, rows[candidate.model])
                assert not candidate.has_delete_permission(request, rows[candidate.model])
                checked.add(candidate.model)
    # Those the admin shows at all (as a page or inside their case's page).
    assert {DossierEvent, PaymentEvent, GatewayCallback, AccountEvent, RegistryAccessLog} <= checked


def test_the_sqlite_trigger_refuses_updates():
    """SQLite (make run's embedded default) gets the UPDATE trigger: checked on an in-memory database."""
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE trail (id INTEGER PRIMARY KEY, note TEXT)")
    for statement in audit_guard._sqlite_create("trail"):
        db.execute(statement)
    db.execute("INSERT INTO trail (note) VALUES ('a')")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        db.execute("UPDATE trail SET note = 'b'")
    assert db.execute("SELECT note FROM trail").fetchall() == [("a",)]
