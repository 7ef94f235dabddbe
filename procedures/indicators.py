"""Counts of dossiers behind the service indicators (Decision 766/QĐ-TTg), per unit or field and day of filing.

The rules of each indicator live here, next to the data they read, and nowhere
else (docs/0009): the dashboards store these counts per unit and day and add
them up; tests recount them. Each dossier counts for the unit answering for it
(the handling unit, or the receiving one until it is routed) on the local day
it was submitted. The counts:

* total / online: submitted dossiers, and those filed online (`channel`);
* evaluated / on_time / late_open / second_supplement: the on-time rate. A
  dossier is judged once it is finished (decided, stopped, refused at receipt
  after its clock started) or late: the one definition of overdue (`overdue_q`:
  the legal due date, supplement time excluded; an apology's promised date
  never counts) or a second supplement request. Open dossiers past due are
  late; withdrawn dossiers and dossiers never received are not judged;
* fee_settled / paid_online: fee-bearing dossiers whose fee was paid, and those
  paid through the gateway;
* decided / digitised: results issued (approved: a refusal issues no result
  paper), and those whose dossier has electronic files and an electronic result;
* reuse_eligible / reused: registry fields and documents the procedure could
  take from the registry, and those it took;
* rated / satisfied / rating_sum: the applicants' ratings (satisfied: 4 or 5).
"""

from datetime import date, datetime

from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Concat

from govportal.cases import indicators as calendar
from govportal.cases.indicators import SATISFIED_FROM
from procedures.models import Channel, Dossier, DossierDocument, DossierEvent, Procedure, overdue_q
from procedures.workflow import OPEN, DossierStatus

COUNTERS = (
    "total",
    "online",
    "evaluated",
    "on_time",
    "late_open",
    "second_supplement",
    "fee_settled",
    "paid_online",
    "decided",
    "digitised",
    "reuse_eligible",
    "reused",
    "rated",
    "satisfied",
    "rating_sum",
)

# A second supplement request is the unit's fault in the evaluation: the dossier counts as late.
SUPPLEMENTS_ALLOWED = 1


def _reuse_eligible_by_procedure() -> Case:
    """How many fields and documents each procedure could take from the registry (catalogue data, a few dozen)."""
    whens = []
    for procedure in Procedure.objects.prefetch_related("documents"):
        count = sum(1 for spec in procedure.form_fields if spec.get("prefill")) + sum(
            1 for document in procedure.documents.all() if document.replaceable_by_registry
        )
        if count:
            whens.append(When(procedure_id=procedure.pk, then=Value(count)))
    return Case(*whens, default=Value(0), output_field=IntegerField())


class _JSONArrayLength(Coalesce):
    """Length of a JSON array in `reused_data` (0 when absent), on PostgreSQL and SQLite."""

    def __init__(self, key: str):
        from django.db.models import Func

        class Length(Func):
            function = "json_array_length"
            output_field = IntegerField()

            def as_postgresql(self, compiler, connection, **extra):
                return self.as_sql(compiler, connection, function="jsonb_array_length", **extra)

        super().__init__(Length(F(f"reused_data__{key}")), Value(0), output_field=IntegerField())


def _paid_online() -> Exists:
    from payments.selectors import paid_online_subjects

    return Exists(paid_online_subjects().filter(subject=Concat(Value("dossier:"), OuterRef("code"))))


def _counts(now: datetime) -> dict:
    evaluated_dossier = Q(due_at__isnull=False) & ~Q(status=DossierStatus.WITHDRAWN)
    finished = Q(decided_at__isnull=False) | Q(closed_at__isnull=False)
    second_supplement = Q(supplement_count__gt=SUPPLEMENTS_ALLOWED)
    late = overdue_q(now) | second_supplement
    unfinished = Q(decided_at__isnull=True, closed_at__isnull=True)
    decided = Q(decided_at__isnull=False, outcome="approved")
    return {
        "total": Count("id"),
        "online": Count("id", filter=Q(channel=Channel.ONLINE)),
        "evaluated": Count("id", filter=evaluated_dossier & (finished | late)),
        "on_time": Count("id", filter=evaluated_dossier & finished & ~late),
        "late_open": Count("id", filter=evaluated_dossier & unfinished & late),
        "second_supplement": Count("id", filter=evaluated_dossier & second_supplement),
        "fee_settled": Count("id", filter=Q(is_fee_settled=True)),
        "paid_online": Count("id", filter=Q(is_fee_settled=True, is_paid_online=True)),
        "decided": Count("id", filter=decided),
        "digitised": Count("id", filter=decided & Q(has_files=True, has_result=True)),
        "reuse_eligible": Coalesce(Sum("reuse_eligible"), 0),
        "reused": Coalesce(Sum("reused_items"), 0),
        "rated": Count("id", filter=Q(satisfaction__isnull=False)),
        "satisfied": Count("id", filter=Q(satisfaction__gte=SATISFIED_FROM)),
        "rating_sum": Coalesce(Sum("satisfaction"), 0),
    }


def dossier_counts(*, now: datetime, by=("unit",), days=None, unit_id=None, day_from=None, day_to=None):
    """The counters grouped by `by` ("unit", "field" or both) and local day of filing: a list of dicts.

    `days` limits to those days (the aggregates' recount), `day_from`/`day_to`
    (inclusive) to a period, `unit_id` to one unit. Without them: every dossier.
    """
    keys = {"unit": "acting_unit", "field": "procedure__field"}
    dossiers = Dossier.objects.exclude(status=DossierStatus.DRAFT).filter(submitted_at__isnull=False)
    if days is not None:
        dossiers = dossiers.filter(calendar.days_q(days))
    dossiers = calendar.with_acting_unit(calendar.in_period(dossiers, day_from=day_from, day_to=day_to))
    if unit_id is not None:
        dossiers = dossiers.filter(acting_unit=unit_id)
    settled_events = DossierEvent.objects.filter(dossier=OuterRef("pk"), action__in=["payment_received", "fee_paid"])
    documents = DossierDocument.objects.filter(dossier=OuterRef("pk"))
    rows = (
        dossiers.alias(
            is_fee_settled=Exists(settled_events),
            is_paid_online=_paid_online(),
            has_files=Exists(documents.filter(role__in=["application", "supplement"])),
            has_result=Exists(documents.filter(role="result")),
            reuse_eligible=_reuse_eligible_by_procedure(),
            reused_items=_JSONArrayLength("fields") + _JSONArrayLength("documents"),
        )
        .annotate(**{f"by_{name}": F(keys[name]) for name in by}, day=calendar.filing_day())
        .values(*(f"by_{name}" for name in by), "day")
        .annotate(**_counts(now))
        .order_by()
    )
    return list(rows)


def days_turning_late(*, since: datetime, until: datetime) -> set[date]:
    """Filing days of open dossiers whose legal due date passed in (since, until]."""
    return calendar.days_turning_late(Dossier.objects.all(), open_statuses=OPEN, since=since, until=until)


def late_dossiers(*, unit_id: int, day_from: date, day_to: date, now: datetime):
    """The dossiers behind a unit's late count in a period (drill-down), latest due first."""
    late = overdue_q(now) | Q(supplement_count__gt=SUPPLEMENTS_ALLOWED)
    dossiers = calendar.in_period(Dossier.objects.filter(due_at__isnull=False), day_from=day_from, day_to=day_to)
    return (
        calendar.with_acting_unit(dossiers.exclude(status__in=[DossierStatus.DRAFT, DossierStatus.WITHDRAWN]))
        .filter(late, acting_unit=unit_id)
        .select_related("procedure", "assigned_to", "handling_unit", "receiving_unit")
        .order_by("-due_at", "-id")
    )
