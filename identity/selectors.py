"""Reads about users and their postings."""

from django.db.models import QuerySet

from govportal.tiers.models import Posting


def user_postings(*, user) -> QuerySet[Posting]:
    return Posting.objects.filter(user=user, is_active=True).select_related("unit").order_by("unit__code", "role")
