"""Personal data kept only as long as needed: one run over every kind (beat task and `manage.py retention_run`).

The rules live with their data (feedback.retention, procedures.retention,
identity.retention);
this runs them with the configured periods, in bounded batches, and records
each real run (a log line and a RetentionRun row). Idempotent: what was erased
or deleted no longer qualifies, so a second run does nothing.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from feedback import retention as report_retention
from govportal.operations.models import RetentionRun
from identity import retention as code_retention
from procedures import retention as draft_retention

logger = logging.getLogger(__name__)


def retention_run(*, dry_run: bool = False, now: datetime | None = None) -> dict:
    """Erase expired report contacts and delete expired drafts (or, dry, only say which); return a summary."""
    now = now or timezone.now()
    contact_days, draft_days = settings.RETENTION_REPORT_CONTACT_DAYS, settings.RETENTION_DRAFT_DAYS
    code_days, batch = settings.RETENTION_ONE_TIME_CODE_DAYS, settings.RETENTION_BATCH_SIZE
    reports = list(
        report_retention.reports_with_expired_contact(now=now, days=contact_days)
        .order_by("closed_at", "id")
        .values_list("pk", "code")[:batch]
    )
    drafts = list(
        draft_retention.expired_drafts(now=now, days=draft_days)
        .order_by("updated_at", "id")
        .values_list("pk", "uuid")[:batch]
    )
    summary = {
        "dry_run": dry_run,
        "report_contact_days": contact_days,
        "draft_days": draft_days,
        "reports": [code for _pk, code in reports],
        "drafts": [str(uuid) for _pk, uuid in drafts],
        "files": 0,
        "codes": code_retention.expired_codes(now=now, days=code_days).count(),
    }
    if dry_run:
        logger.info(
            "Retention dry run: %d report contact(s), %d draft(s) and %d one-time code(s) would go",
            len(reports),
            len(drafts),
            summary["codes"],
        )
        return summary

    summary["reports"] = [
        code for pk, code in reports if report_retention.report_contact_erase(report_id=pk, now=now, days=contact_days)
    ]
    deleted = [draft_retention.draft_delete(dossier_id=pk, now=now, days=draft_days) for pk, _uuid in drafts]
    deleted = [item for item in deleted if item is not None]
    summary["drafts"] = [item["uuid"] for item in deleted]
    summary["files"] = sum(item["documents"] for item in deleted)
    summary["codes"] = code_retention.codes_delete(now=now, days=code_days, limit=batch)
    RetentionRun.objects.create(
        at=now,
        report_contact_days=contact_days,
        draft_days=draft_days,
        reports_erased=len(summary["reports"]),
        drafts_deleted=len(summary["drafts"]),
        files_deleted=summary["files"],
        codes_deleted=summary["codes"],
        detail={"reports": summary["reports"], "drafts": summary["drafts"]},
    )
    logger.info(
        "Retention run: erased the contact of %d report(s), deleted %d draft(s), %d file(s) and %d one-time code(s)",
        len(summary["reports"]),
        len(summary["drafts"]),
        summary["files"],
        summary["codes"],
    )
    return summary
