"""Celery tasks of payments: thin, they call the services (beat entries in govportal/settings/celery.py)."""

import logging

from celery import shared_task

from govportal.tasks import PortalTask

logger = logging.getLogger(__name__)


@shared_task(base=PortalTask, name="payments.reconcile", ignore_result=True)
def reconcile() -> dict:
    """Ask the gateway about payments pending too long and expire abandoned ones (beat, every 5 minutes).

    Idempotent: a settled or expired payment is final and a second run leaves it.
    """
    from payments.services import payments_reconcile

    counts = payments_reconcile()
    if counts.get("unreachable"):
        logger.warning("Payment reconciliation: the gateway did not answer for %s payment(s).", counts["unreachable"])
    return counts


@shared_task(base=PortalTask, name="payments.daily_report", ignore_result=True)
def daily_report() -> int:
    """Build yesterday's reconciliation report of every unit that had payments (beat, 01:00 local).

    Built again in place if run twice; returns how many reports were built.
    """
    from payments.reconciliation import daily_reports_build

    reports = daily_reports_build()
    unreachable = [report for report in reports if report.unreachable]
    if unreachable:
        logger.warning("Daily reconciliation: the gateway did not answer for %s unit report(s).", len(unreachable))
    return len(reports)
