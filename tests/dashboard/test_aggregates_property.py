"""The aggregates equal a full recount after any sequence of operations (hypothesis, docs/0009).

Hypothesis draws a sequence of what the portal's users and clocks do: file
dossiers and reports, act on them through the services (refusals are part of
the game), pay online, transfer between units, let time pass, and refresh the
aggregates now and then. After the sequence and one last refresh, the stored
rows must equal a recount of every case from scratch at the same instant.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.models import Category, Report
from govportal.api.errors import ApplicationError
from govportal.dashboard import aggregates
from govportal.dashboard.models import DossierUnitDay
from govportal.tiers.models import Unit
from payments.models import Payment
from payments.workflow import PaymentStatus
from procedures import payment_kind, services
from procedures.models import Dossier, FeeLine
from tests.procedures.conftest import pdf_upload, submitted_dossier

pytestmark = pytest.mark.django_db(transaction=False)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 3, 2, 8, 0, tzinfo=TZ)  # a Monday

DOSSIER_ACTIONS = [
    "receive",
    "start_processing",
    "request_supplement",
    "supplement",
    "require_payment",
    "payment_received",
    "pay_online",
    "decide",
    "stop",
    "return_result",
    "withdraw",
    "transfer",
    "accept_transfer",
    "apologise",
    "refuse_receipt",
]
REPORT_ACTIONS = ["start", "answer", "rate", "reopen", "reject_duplicate", "close", "transfer", "accept_transfer"]

operations = st.lists(
    st.one_of(
        st.tuples(st.just("file"), st.integers(0, 2)),
        st.tuples(st.just("dossier"), st.integers(0, 9), st.sampled_from(DOSSIER_ACTIONS)),
        st.tuples(st.just("dossier"), st.integers(0, 9), st.sampled_from(DOSSIER_ACTIONS)),
        st.tuples(st.just("report_new"), st.integers(0, 2)),
        st.tuples(st.just("report"), st.integers(0, 5), st.sampled_from(REPORT_ACTIONS), st.integers(1, 5)),
        st.tuples(st.just("wait"), st.integers(1, 120)),
        st.tuples(st.just("refresh")),
    ),
    min_size=5,
    max_size=30,
)


class World:
    """The people and places of one sequence, and its clock."""

    def __init__(self, people, procedure, category):
        self.citizen = people["079085001234"]
        self.officers = {
            Unit.objects.get(code="26743").pk: people["officer.benthanh"],
            Unit.objects.get(code="26740").pk: people["officer.saigon"],
        }
        self.saigon = Unit.objects.get(code="26740")
        self.benthanh = Unit.objects.get(code="26743")
        self.procedure = procedure
        self.category = category
        self.now = START
        self.dossiers: list[int] = []
        self.reports: list[int] = []

    def staff_for(self, case):
        return self.officers.get(case.acting_unit_id) or self.officers[self.benthanh.pk]


def _file(world: World, unit_choice: int) -> None:
    unit_code = ["26743", "26740", "26743"][unit_choice]
    dossier = submitted_dossier(world.procedure, world.citizen, unit_code=unit_code)
    world.dossiers.append(dossier.pk)


def _dossier_act(world: World, index: int, action: str) -> None:
    if not world.dossiers:
        return
    dossier = Dossier.objects.get(pk=world.dossiers[index % len(world.dossiers)])
    staff = world.staff_for(dossier)
    call = {"dossier": dossier, "actor": staff, "action": action}
    if action == "supplement":
        if dossier.status == "supplement_requested":
            services.document_attach(
                dossier=dossier, actor=world.citizen, upload=pdf_upload("bo-sung.pdf"), role="supplement"
            )
        call["actor"] = world.citizen
    elif action == "withdraw":
        call["actor"] = world.citizen
    elif action in ("request_supplement", "stop", "refuse_receipt"):
        call["note"] = "Thiếu giấy tờ"
    elif action == "decide":
        call["result_upload"] = pdf_upload("ket-qua.pdf")
    elif action == "transfer":
        target = world.saigon if dossier.acting_unit_id != world.saigon.pk else world.benthanh
        call.update(unit=target, reason="wrong_area", note="Không thuộc thẩm quyền")
    elif action == "accept_transfer":
        if dossier.pending_transfer_unit_id is None:
            return
        call["actor"] = world.officers[dossier.pending_transfer_unit_id]
    elif action == "apologise":
        call.update(note="Cần xác minh", new_due_at=(dossier.due_at or world.now) + timedelta(days=2))
    elif action == "pay_online":
        if dossier.status != "payment_required":
            return
        payment = Payment.objects.create(
            reference=f"P{dossier.pk:06d}{Payment.objects.count():04d}",
            subject=payment_kind.subject_of(dossier),
            description=dossier.code,
            payer=world.citizen,
            unit_id=dossier.acting_unit_id,
            amount_vnd=30_000,
            status=PaymentStatus.SUCCEEDED,
            gateway="paygov-sim",
            expires_at=world.now,
            paid_at=world.now,
        )
        payment_kind.on_succeeded(payment)
        return
    try:
        services.dossier_transition(**call)
    except ApplicationError:
        pass  # refused as it would be refused to the person: nothing changed


def _report_new(world: World, unit_choice: int) -> None:
    from feedback.case_kind import report_kind
    from feedback.services import report_create
    from govportal.cases import routing

    unit = [world.benthanh, world.saigon, world.benthanh][unit_choice]
    report = report_create(
        category=world.category, text="Ngập nước sau mưa", unit=unit, address="1 Lê Lợi", reporter=world.citizen
    )
    routing.route(report_kind(), case_id=report.pk)
    world.reports.append(report.pk)


def _report_act(world: World, index: int, action: str, rating: int) -> None:
    from feedback.services import report_transition

    if not world.reports:
        return
    report = Report.objects.get(pk=world.reports[index % len(world.reports)])
    call = {"report": report, "actor": world.staff_for(report), "action": action}
    if action == "answer":
        call["note"] = "Đã xử lý"
    elif action == "rate":
        call.update(actor=world.citizen, rating=rating)
    elif action == "reopen":
        call.update(actor=world.citizen, note="Chưa xử lý xong")
    elif action == "reject_duplicate":
        others = [pk for pk in world.reports if pk != report.pk]
        if not others:
            return
        call.update(
            action="reject",
            reason="duplicate",
            note="Trùng",
            duplicate_of=Report.objects.get(pk=others[rating % len(others)]),
        )
    elif action == "transfer":
        target = world.saigon if report.acting_unit_id != world.saigon.pk else world.benthanh
        call.update(unit=target, reason="wrong_area", note="Không thuộc địa bàn")
    elif action == "accept_transfer":
        if report.pending_transfer_unit_id is None:
            return
        call["actor"] = world.officers[report.pending_transfer_unit_id]
    try:
        report_transition(**call)
    except ApplicationError:
        pass


def run(world: World, ops) -> None:
    for op in ops:
        kind = op[0]
        if kind == "wait":
            world.now += timedelta(hours=op[1])
            continue
        with time_machine.travel(world.now, tick=False):
            if kind == "file":
                _file(world, op[1])
            elif kind == "dossier":
                _dossier_act(world, op[1], op[2])
            elif kind == "report_new":
                _report_new(world, op[1])
            elif kind == "report":
                _report_act(world, op[1], op[2], op[3])
            elif kind == "refresh":
                aggregates.stats_refresh(now=timezone.now())
        world.now += timedelta(minutes=7)


def stored_now() -> dict:
    stored = aggregates.stored_everything()
    assert set(stored) == {
        "DossierUnitDay",
        "DossierUnitFieldDay",
        "DossierFieldDay",
        "DossierUnitMonth",
        "ReportUnitDay",
        "ReportCategoryDay",
        "ReportUnitMonth",
    }
    return stored


@pytest.fixture
def category(units):
    from feedback.services import categories_load

    categories_load()
    return Category.objects.filter(tier="commune", is_active=True).order_by("code").first()


@pytest.fixture
def fee_procedure(procedure):
    FeeLine.objects.filter(procedure=procedure).update(amount_vnd=30_000)
    return procedure


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(ops=operations)
def test_aggregates_equal_a_full_recount_after_any_sequence(people, fee_procedure, category, ops):
    with transaction.atomic():
        world = World(people, fee_procedure, category)
        with time_machine.travel(world.now, tick=False):
            aggregates.stats_refresh(now=world.now)  # the portal starts counting: empty
        # Every sequence starts with a case on each side whose clock runs and a refresh, so that time alone
        # (a later wait) can make them late: the change no event announces.
        run(world, [("file", 0), ("dossier", 0, "receive"), ("report_new", 1), ("refresh",)])
        run(world, ops)
        with time_machine.travel(world.now, tick=False):
            aggregates.stats_refresh(now=world.now)
        assert stored_now() == aggregates.recount_everything(now=world.now)
        transaction.set_rollback(True)


def test_a_sequence_that_moves_a_dossier_between_units_and_lets_it_turn_late(people, fee_procedure, category):
    """The shapes the property relies on, spelled out once: a transfer moves the count, time makes it late."""
    world = World(people, fee_procedure, category)
    aggregates.stats_refresh(now=world.now)
    run(world, [("file", 0), ("dossier", 0, "receive"), ("refresh",), ("dossier", 0, "transfer")])
    run(world, [("dossier", 0, "accept_transfer"), ("refresh",)])
    with time_machine.travel(world.now, tick=False):
        aggregates.stats_refresh(now=world.now)
    rows = {row.unit_id: row for row in DossierUnitDay.objects.all()}
    assert set(rows) == {world.saigon.pk}  # counted at the unit that now handles it, and only there
    assert rows[world.saigon.pk].late_open == 0
    world.now += timedelta(days=7)  # well past the 3-working-day limit, with no event at all
    with time_machine.travel(world.now, tick=False):
        aggregates.stats_refresh(now=world.now)
    assert DossierUnitDay.objects.get(unit=world.saigon).late_open == 1
    assert stored_now() == aggregates.recount_everything(now=world.now)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=st.integers(0, 420), length=st.integers(0, 400))
def test_a_period_sums_whole_months_and_edge_days_to_the_same_as_its_days(units, start, length):
    """The monthly rollup is only a shortcut: any period adds up to the sum of its days."""
    from datetime import date

    from django.db.models import Sum

    from govportal.dashboard import selectors
    from govportal.dashboard.models import DossierUnitDay

    with transaction.atomic():
        if not DossierUnitDay.objects.exists():
            unit_ids = list(Unit.objects.filter(code__in=["26743", "26740"]).values_list("pk", flat=True))
            first = date(2025, 7, 1)
            DossierUnitDay.objects.bulk_create(
                DossierUnitDay(unit_id=unit_id, day=first + timedelta(days=offset), total=offset % 7 + 1, on_time=1)
                for offset in range(0, 800, 3)
                for unit_id in unit_ids
            )
            aggregates._roll_up(aggregates.KINDS["dossier"])
        period = selectors.Period(
            date(2025, 7, 1) + timedelta(days=start), date(2025, 7, 1) + timedelta(days=start + length)
        )
        expected = {
            row["unit_id"]: row["total"]
            for row in DossierUnitDay.objects.filter(day__gte=period.day_from, day__lte=period.day_to)
            .values("unit_id")
            .annotate(total=Sum("total"))
        }
        got = {unit_id: counts["dossier"]["total"] for unit_id, counts in selectors.counts_by_unit(period).items()}
        assert got == expected
