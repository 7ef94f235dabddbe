"""Reads for 1022 feedback that pages, the API and the routing share."""

from django.db.models import QuerySet

from feedback.models import Category


def categories_active() -> QuerySet[Category]:
    """The categories a reporter may choose, with the department that answers city-tier ones."""
    return Category.objects.filter(is_active=True).select_related("handling_department")


def category_get(code: str) -> Category | None:
    return Category.objects.select_related("handling_department").filter(code=code).first()
