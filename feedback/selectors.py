"""Reads for 1022 feedback that pages, the API and the routing share."""

from django.db.models import QuerySet

from feedback.models import Category


def categories_active() -> QuerySet[Category]:
    """The categories a reporter may choose, with the department that answers city-tier ones."""
    return Category.objects.filter(is_active=True).select_related("handling_department")


def category_get(code: str) -> Category | None:
    return Category.objects.select_related("handling_department").filter(code=code).first()


def report_get(code: str):
    """One report by its code, with what its pages show (category, place, units); None if unknown."""
    from feedback.models import Report

    return (
        Report.objects.select_related("category", "unit", "receiving_unit", "handling_unit", "assigned_to")
        .filter(code=code)
        .first()
    )


def report_timeline(report) -> QuerySet:
    """The report's events, oldest first (append-only: the audit trail)."""
    return report.events.select_related("actor", "unit").order_by("at", "id")


def reports_of_reporter(user) -> QuerySet:
    """The reports a citizen filed with their account, newest first."""
    from feedback.models import Report

    return Report.objects.filter(applicant=user).select_related("category", "unit").order_by("-created_at")
