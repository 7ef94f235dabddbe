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
    """Create the demo citizens and staff, the city admin in its admin group (idempotent: matched by username)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP
    from django.conf import settings
    from django.db import transaction

    from govportal.tiers.models import Unit
    from govportal.tiers.services import posting_ensure
    from identity.demo import DEMO_CITIZENS, DEMO_STAFF, DEMO_STAFF_PASSWORD, demo_totp_secret

    if not settings.DEMO_ENABLED:
        raise RuntimeError("The demo dataset is refused when DEMO_ENABLED is off (production).")

    counts = {"created": 0, "existing": 0}
    codes = {c.residence_unit_code for c in DEMO_CITIZENS} | {s.unit_code for s in DEMO_STAFF}
    units = {u.code: u for u in Unit.objects.filter(code__in=codes)}
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
            if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
                TOTP.activate(user, demo_totp_secret(staff.username))
            posting_ensure(user=user, unit=units[staff.unit_code], role=staff.role)
            if staff.role == "city_admin" and not staff.is_superuser:
                user.groups.add(city_admin_group_ensure())
            counts["created" if created else "existing"] += 1
    return counts


def city_admin_group_ensure():
    """The group that opens the catalogue, report category and calendar admin pages to city admins (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    from identity.demo import CITY_ADMIN_GROUP, CITY_ADMIN_PERMISSIONS

    group, _ = Group.objects.get_or_create(name=CITY_ADMIN_GROUP)
    permissions = Permission.objects.filter(
        content_type__app_label__in=("procedures", "tiers"), codename__in=CITY_ADMIN_PERMISSIONS
    )
    # The 1022 report categories too (switched off, never deleted: reports refer to them).
    report_categories = Permission.objects.filter(
        content_type__app_label="feedback", codename__in=("view_category", "add_category", "change_category")
    )
    group.permissions.add(*permissions, *report_categories)
    return group


def citizen_fill_from_eid(*, user: User, identity) -> User:
    """Fill a new, unsaved citizen from a verified e-ID identity (no password: e-ID only).

    allauth saves the user afterwards; uniqueness of the ID number is the
    database's job, and pre_social_login has already attached a known number
    to its existing account.
    """
    user.username = identity.personal_id
    user.personal_id = identity.personal_id
    user.full_name = identity.full_name
    user.birth_date = identity.birth_date
    user.eid_level = identity.eid_level
    user.set_unusable_password()
    user.full_clean(exclude=["password"], validate_unique=False)
    return user


def citizen_update_from_eid(*, user: User, identity) -> User:
    """Later logins refresh what the e-ID asserts: name, birth date and level."""
    changed = []
    for field in ("full_name", "birth_date", "eid_level"):
        value = getattr(identity, field)
        if value is not None and getattr(user, field) != value:
            setattr(user, field, value)
            changed.append(field)
    if changed:
        user.save(update_fields=changed)
    return user


def citizen_residence_fill(*, user: User) -> None:
    """On the first e-ID login, take the permanent residence from the registry (an audited read)."""
    from govportal.tiers.models import Unit
    from identity.registry.services import registry_lookup

    if user.residence_unit_id or not user.personal_id:
        return
    record = registry_lookup(personal_id=user.personal_id, actor=user, purpose="e-ID first login")
    if record is None:
        return
    unit = Unit.objects.filter(code=record.permanent_residence_unit_code).first()
    if unit is not None:
        user.residence_unit = unit
        user.save(update_fields=["residence_unit"])


def contact_preferences_update(*, user: User, data: dict) -> User:
    """Phone, email and notification choices (and their language): the only profile data a citizen edits."""
    fields = ["phone", "email", "notify_by_email", "notify_by_sms", "language"]
    for field in fields:
        if field in data:  # a form without the language keeps the user's
            setattr(user, field, data[field])
    user.full_clean(exclude=["password"])
    user.save(update_fields=fields)
    account_event_record(user=user, action="contact_updated", fields=fields)
    return user


def account_event_record(*, user, action: str, request=None, **detail) -> None:
    """Append one row to the account audit trail."""
    from identity.lockout import address_of
    from identity.models import AccountEvent

    AccountEvent.objects.create(user=user, action=action, detail=detail, ip_address=address_of(request))
