"""Every state change of a case writes an event: each event marks its case's filing day for a recount."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from feedback.models import ReportEvent
from govportal.dashboard.aggregates import mark_stale
from procedures.models import DossierEvent


@receiver(post_save, sender=DossierEvent, dispatch_uid="dashboard.dossier_event")
def dossier_event_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        mark_stale("dossier", instance.dossier.submitted_at)


@receiver(post_save, sender=ReportEvent, dispatch_uid="dashboard.report_event")
def report_event_saved(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        mark_stale("report", instance.report.submitted_at)
