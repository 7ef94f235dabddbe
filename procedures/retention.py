"""Drafts never submitted deleted, with their files, once their retention period is over.

A draft nobody submitted was seen by nobody but its citizen; after
settings.RETENTION_DRAFT_DAYS without a change (the draft, a file, an event)
it goes with its documents, their stored files and its own trail. Deleting
that trail is the one deliberate purge of dossier events (govportal.audit_guard);
a dossier that was ever submitted is never touched.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet

from govportal.audit_guard import audit_purge
from procedures.models import Dossier, DossierDocument, DossierEvent
from procedures.uploads import discard
from procedures.workflow import DossierStatus


def expired_drafts(*, now: datetime, days: int) -> QuerySet[Dossier]:
    """Drafts never submitted whose last change (row, document, event) is older than the cutoff."""
    cutoff = now - timedelta(days=days)
    return (
        Dossier.objects.filter(
            status=DossierStatus.DRAFT, submitted_at__isnull=True, code__isnull=True, updated_at__lte=cutoff
        )
        .exclude(Exists(DossierDocument.objects.filter(dossier=OuterRef("pk"), uploaded_at__gt=cutoff)))
        .exclude(Exists(DossierEvent.objects.filter(dossier=OuterRef("pk"), at__gt=cutoff)))
    )


def draft_delete(*, dossier_id: int, now: datetime, days: int) -> dict | None:
    """Delete one expired draft with its documents and trail; its files go once that commits. None if it changed."""
    with audit_purge():
        dossier = expired_drafts(now=now, days=days).select_for_update().filter(pk=dossier_id).first()
        if dossier is None:  # edited, submitted or deleted meanwhile
            return None
        stored_names = list(DossierDocument.objects.filter(dossier=dossier).values_list("stored_name", flat=True))
        summary = {"uuid": str(dossier.uuid), "documents": len(stored_names)}
        dossier.delete()
        transaction.on_commit(lambda: [discard(name) for name in stored_names])
    return summary
