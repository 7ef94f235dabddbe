"""Reads of the local registry that views share (never the audited lookup: see services.registry_lookup)."""

from django.db.models import QuerySet

from identity.registry.models import RegistryPerson


def demo_pick_people() -> QuerySet[RegistryPerson]:
    """The people the mock e-ID provider offers to log in as (demo only), with their unit."""
    return (
        RegistryPerson.objects.filter(is_demo_pick=True)
        .select_related("permanent_residence_unit")
        .order_by("full_name", "personal_id")
    )
