"""Closed reports' contact details erased once their retention period is over (govportal.operations.retention).

A reporter without an account leaves a name and a phone or email so that the
unit can answer; once the report is closed (or rejected) and the period in
settings.RETENTION_REPORT_CONTACT_DAYS has passed, they are erased. The report,
its answer and its timeline stay. The events hold no contact details, so
nothing append-only is touched: the erasure itself is one more event. The
notices sent to the reporter name the phone or address they went to
("sms:<phone>"): those names are erased too, the notice itself stays.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Q, QuerySet

from feedback import workflow
from feedback.case_kind import report_kind
from feedback.models import Report, ReportNotice

CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email")
ERASED_ACTION = "contact_erased"
ERASED_RECIPIENT = " (erased)"


def reports_with_expired_contact(*, now: datetime, days: int) -> QuerySet[Report]:
    """Closed or rejected before the cutoff, with a contact left; a duplicate waits for the report it repeats.

    (The report that stands for its duplicates answers their reporters too.)
    """
    cutoff = now - timedelta(days=days)
    original_done = Q(duplicate_of__isnull=True) | Q(
        duplicate_of__status__in=workflow.FINAL, duplicate_of__closed_at__lte=cutoff
    )
    return (
        Report.objects.filter(status__in=workflow.FINAL, closed_at__lte=cutoff)
        .filter(original_done)
        .exclude(contact_name="", contact_phone="", contact_email="")
    )


def report_contact_erase(*, report_id: int, now: datetime, days: int) -> bool:
    """Erase one report's contact details and record it on its timeline; False if it no longer qualifies."""
    with transaction.atomic():
        report = (
            reports_with_expired_contact(now=now, days=days)
            .select_for_update(of=("self",))
            .filter(pk=report_id)
            .first()
        )
        if report is None:  # reopened, already erased, or erased by a concurrent run
            return False
        erased = [name for name in CONTACT_FIELDS if getattr(report, name)]
        Report.objects.filter(pk=report.pk).update(
            **dict.fromkeys(CONTACT_FIELDS, ""), version=F("version") + 1, updated_at=now
        )
        for notice in ReportNotice.objects.filter(event__report=report, recipient__regex=r"^(sms|email):").exclude(
            recipient__endswith=ERASED_RECIPIENT
        ):
            channel = notice.recipient.split(":", 1)[0]
            # The id keeps (event, recipient) unique when one event went to two numbers.
            ReportNotice.objects.filter(pk=notice.pk).update(recipient=f"{channel}:#{notice.pk}{ERASED_RECIPIENT}")
        report_kind().append_event(
            case=report,
            actor=None,
            action=ERASED_ACTION,
            from_status=report.status,
            to_status=report.status,
            data={"fields": erased, "retention_days": days},
            now=now,
        )
    return True
