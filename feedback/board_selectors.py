"""Reads of the public board, its feeds and the Open311 endpoints: only what a unit published, never personal data.

The board shows a report once its unit published it (`is_public`), with the
texts the unit checked (`public_text`, `public_answer`); the reporter's own
words, name, phone, email, account and the staff's names are never read here
into anything public. The per-unit table is computed by aggregate queries in
the database, over every finished report (published or not: the numbers name
no one), per handling unit.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, F, Prefetch, Q, QuerySet
from django.utils import timezone

from feedback.models import Category, PhotoRole, Report, ReportPhoto
from feedback.workflow import ReportStatus
from govportal.tiers.models import Tier, Unit

# Finished: the unit's work ended (answered, then closed, or rejected).
FINISHED = (ReportStatus.ANSWERED, ReportStatus.CLOSED, ReportStatus.REJECTED)
# Open311 "closed".
OPEN311_CLOSED = FINISHED

# Only the columns a public page may show are loaded (no reporter's text, contact or staff).
PUBLIC_FIELDS = (
    "id",
    "code",
    "status",
    "category__code",
    "category__name_vi",
    "category__name_en",
    "category__tier",
    "unit__code",
    "unit__name",
    "unit__name_en",
    "handling_unit__name",
    "public_text",
    "public_answer",
    "published_at",
    "submitted_at",
    "created_at",
    "updated_at",
    "answered_at",
    "due_at",
    "is_public",
    "address",
    "latitude",
    "longitude",
)


def _answer_photos() -> Prefetch:
    return Prefetch(
        "photos",
        queryset=ReportPhoto.objects.filter(role=PhotoRole.ANSWER).only("id", "report_id", "role", "width", "height"),
        to_attr="answer_photos",
    )


def board_reports(*, unit_code: str = "", category_code: str = "") -> QuerySet[Report]:
    """Published reports, newest published first, filtered by place (unit code) and category code."""
    reports = (
        Report.objects.filter(is_public=True)
        .select_related("category", "unit")
        .only(
            "id",
            "code",
            "category__code",
            "category__name_vi",
            "category__name_en",
            "unit__code",
            "unit__name",
            "unit__name_en",
            "public_text",
            "public_answer",
            "published_at",
            "submitted_at",
            "answered_at",
            "is_public",
        )
        .prefetch_related(_answer_photos())
        .order_by("-published_at", "-id")
    )
    if unit_code:
        reports = reports.filter(unit__code=unit_code)
    if category_code:
        reports = reports.filter(category__code=category_code)
    return reports


def board_report(code: str) -> Report | None:
    """One published report by its code (None when unknown or not published)."""
    return board_reports().filter(code=code).first()


def board_filter_units() -> QuerySet[Unit]:
    """The places a visitor may filter by: active wards, communes and the special zone."""
    return Unit.objects.filter(is_active=True, tier=Tier.COMMUNE).only("code", "name", "name_en").order_by("name")


def board_filter_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).only("code", "name_vi", "name_en", "tier").order_by("name_vi")


@dataclass(frozen=True)
class UnitScore:
    unit_code: str
    unit_name: str
    finished: int
    answered: int
    on_time: int
    ratings: int
    average_rating: float | None

    @property
    def on_time_rate(self) -> float | None:
        """Answered on or before the legal due date, over answered (None when nothing was answered)."""
        return self.on_time / self.answered if self.answered else None

    @property
    def on_time_percent(self) -> int | None:
        rate = self.on_time_rate
        return None if rate is None else round(rate * 100)


def board_unit_scores(*, category_code: str = "") -> list[UnitScore]:
    """Per handling unit with at least one finished report: answered, answered on time, ratings and their average.

    One aggregate query (GROUP BY the handling unit). On time = answered_at on
    or before the legal due_at; the promised date never counts (docs/0006).
    """
    reports = Report.objects.filter(status__in=FINISHED, handling_unit__isnull=False)
    if category_code:
        reports = reports.filter(category__code=category_code)
    rows = (
        reports.values("handling_unit__code", "handling_unit__name")
        .annotate(
            finished=Count("id"),
            answered=Count("id", filter=Q(answered_at__isnull=False)),
            on_time=Count(
                "id", filter=Q(answered_at__isnull=False, due_at__isnull=False, answered_at__lte=F("due_at"))
            ),
            ratings=Count("satisfaction"),
            average_rating=Avg("satisfaction"),
        )
        .order_by("handling_unit__name")
    )
    return [
        UnitScore(
            unit_code=row["handling_unit__code"],
            unit_name=row["handling_unit__name"],
            finished=row["finished"],
            answered=row["answered"],
            on_time=row["on_time"],
            ratings=row["ratings"],
            average_rating=None if row["average_rating"] is None else round(float(row["average_rating"]), 2),
        )
        for row in rows
    ]


# --- Open311 -----------------------------------------------------------------------------------

OPEN311_MAX_REQUESTS = 1000
OPEN311_DEFAULT_DAYS = 90


def open311_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).order_by("tier", "code")


def open311_wards() -> QuerySet[Unit]:
    """The values of the required `ward` attribute: active commune-tier units."""
    return Unit.objects.filter(is_active=True, tier=Tier.COMMUNE).only("code", "name").order_by("name")


def open311_requests(
    *,
    service_codes: list[str] | None = None,
    status: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    request_ids: list[str] | None = None,
    now: datetime | None = None,
) -> list[Report]:
    """Reports as Open311 requests: by default those requested in the last 90 days, at most 1000, newest first.

    Loads only public columns; the Open311 view still shows the published texts,
    address and coordinates only for published reports.
    """
    reports = Report.objects.select_related("category", "unit", "handling_unit").only(*PUBLIC_FIELDS)
    if request_ids:
        reports = reports.filter(code__in=request_ids)
    elif start is None and end is None:
        start = (now or timezone.now()) - timedelta(days=OPEN311_DEFAULT_DAYS)
    if service_codes:
        reports = reports.filter(category__code__in=service_codes)
    if status == "open":
        reports = reports.exclude(status__in=OPEN311_CLOSED)
    elif status == "closed":
        reports = reports.filter(status__in=OPEN311_CLOSED)
    if start is not None:
        reports = reports.filter(submitted_at__gte=start)
    if end is not None:
        reports = reports.filter(submitted_at__lte=end)
    return list(reports.order_by("-submitted_at", "-id")[:OPEN311_MAX_REQUESTS])


def open311_request(code: str) -> Report | None:
    return (
        Report.objects.select_related("category", "unit", "handling_unit")
        .only(*PUBLIC_FIELDS)
        .filter(code=code)
        .first()
    )
