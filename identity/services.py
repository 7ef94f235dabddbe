"""Writes for identity: API tokens (more arrive with the e-ID login)."""

from rest_framework.authtoken.models import Token

from identity.models import User


def api_token_issue(*, user: User, rotate: bool = False) -> str:
    """Return the user's bearer token, creating it (or replacing it when rotate=True)."""
    if rotate:
        Token.objects.filter(user=user).delete()
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def demo_dataset_seed() -> dict[str, int]:
    """Create the demo citizens and staff (idempotent: matched by username)."""
    from django.conf import settings
    from django.db import transaction

    from govportal.tiers.models import Unit
    from govportal.tiers.services import posting_ensure
    from identity.demo import DEMO_CITIZENS, DEMO_STAFF, DEMO_STAFF_PASSWORD

    if not settings.DEMO_ENABLED:
        raise RuntimeError("The demo dataset is refused when DEMO_ENABLED is off (production).")

    counts = {"created": 0, "existing": 0}
    units = {u.code: u for u in Unit.objects.filter(code__in={c.residence_unit_code for c in DEMO_CITIZENS} | {s.unit_code for s in DEMO_STAFF})}
    with transaction.atomic():
        for citizen in DEMO_CITIZENS:
            user, created = User.objects.get_or_create(
                username=citizen.username,
                defaults={
                    "personal_id": citizen.personal_id,
                    "full_name": citizen.full_name,
                    "birth_date": citizen.birth_date,
                    "eid_level": citizen.eid_level,
                    "residence_unit": units[citizen.residence_unit_code],
                },
            )
            if created:
                # Citizens log in with their e-ID only, never with a password.
                user.set_unusable_password()
                user.full_clean()
                user.save()
            counts["created" if created else "existing"] += 1
        for staff in DEMO_STAFF:
            user, created = User.objects.get_or_create(
                username=staff.username,
                defaults={
                    "full_name": staff.full_name,
                    "is_staff": staff.role == "city_admin",
                    "is_superuser": staff.is_superuser,
                },
            )
            if created:
                user.set_password(DEMO_STAFF_PASSWORD)
                user.save()
            posting_ensure(user=user, unit=units[staff.unit_code], role=staff.role)
            counts["created" if created else "existing"] += 1
    return counts
