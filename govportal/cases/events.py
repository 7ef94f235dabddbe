"""The event trail of every case: one writer of the append-only events."""

from django.utils import timezone


def event_append(kind, *, case, actor, action, from_status, to_status, note="", data=None, now=None):
    """Append one event to the case's trail (append-only: events are never changed or deleted).

    The one writer of every kind's events. Workflow actions reach it through
    their app's transition service, which checks status and actor first. The
    routing service and the clocks (govportal.cases) call it directly: they are
    system writes outside the transition tables (the status does not change, no
    person acts, and each claims its own change with a conditional UPDATE so
    that repeated or concurrent task runs write once), so the tables' status and
    actor checks do not apply to them.
    """
    return kind.event_model.objects.create(
        **{kind.event_case_field: case},
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        unit_id=case.acting_unit_id,
        note=note,
        data=data or {},
        at=now or timezone.now(),
    )
