"""One-time codes deleted once their retention period is over (govportal.operations.retention).

Each row names the phone or email a code was sent to (a reporter without an
account proving their contact): kept settings.RETENTION_ONE_TIME_CODE_DAYS as
the audit of the issue (abuse, disputes), then deleted. Nothing refers to them.
"""

from datetime import datetime, timedelta

from django.db.models import QuerySet

from identity.models import OneTimeCode


def expired_codes(*, now: datetime, days: int) -> QuerySet[OneTimeCode]:
    return OneTimeCode.objects.filter(created_at__lte=now - timedelta(days=days))


def codes_delete(*, now: datetime, days: int, limit: int) -> int:
    """Delete at most `limit` expired codes, oldest first; how many went."""
    ids = list(expired_codes(now=now, days=days).order_by("pk").values_list("pk", flat=True)[:limit])
    return OneTimeCode.objects.filter(pk__in=ids).delete()[0]
