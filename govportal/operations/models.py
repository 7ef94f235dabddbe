"""The record of each retention run (govportal.operations.retention): what was erased or deleted, and when."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RetentionRun(models.Model):
    """One run that changed something or not (a dry run leaves no row); append-only like the other trails."""

    at = models.DateTimeField(_("at"), db_index=True)
    report_contact_days = models.PositiveIntegerField(_("report contacts kept (days)"))
    draft_days = models.PositiveIntegerField(_("drafts kept (days)"))
    reports_erased = models.PositiveIntegerField(_("report contacts erased"), default=0)
    drafts_deleted = models.PositiveIntegerField(_("drafts deleted"), default=0)
    files_deleted = models.PositiveIntegerField(_("files deleted"), default=0)
    codes_deleted = models.PositiveIntegerField(_("one-time codes deleted"), default=0)
    # Report codes and draft uuids only: never personal data.
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")

    def __str__(self) -> str:
        return f"{self.at:%d/%m/%Y %H:%M}: {self.reports_erased} / {self.drafts_deleted}"
