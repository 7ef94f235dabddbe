"""The report's timeline as its reporter follows it: the page and the API show them the same events and notes."""

from datetime import datetime

from django.utils.translation import gettext_lazy

from feedback import selectors, workflow

# Events the reporter does not follow: the unit's internal work and reminders, the board's moderation.
STAFF_ONLY_EVENTS = frozenset(
    {"claim", "assign", "due_soon", "escalated_to_head", "escalated_to_city", "publish", "unpublish", "return_transfer"}
)
# Events whose note is written for the reporter (the others' notes are the staff's).
REPORTER_NOTES = frozenset({"post_progress", "answer", "reject", "reopen"})
EVENT_LABELS = {
    "create": gettext_lazy("Report received"),
    "route": gettext_lazy("Sent to the handling unit"),
    "transfer": gettext_lazy("Sent to another unit"),
    "accept_transfer": gettext_lazy("Now handled by another unit"),
    "overdue": gettext_lazy("The legal due date has passed"),
    "contact_erased": gettext_lazy("Contact details erased at the end of their retention period"),
}
# What staff read besides (the clocks' reminders to the unit).
STAFF_EVENT_LABELS = {
    **EVENT_LABELS,
    "due_soon": gettext_lazy("Due soon: warning to the officers"),
    "escalated_to_head": gettext_lazy("Escalated to the head of unit"),
    "escalated_to_city": gettext_lazy("Escalated to the city"),
}


def reporter_timeline(report) -> list:
    """The events the reporter follows, labelled; no actor, and only the notes written for the reporter."""
    events = [e for e in selectors.report_timeline(report) if e.action not in STAFF_ONLY_EVENTS]
    for event in events:
        rule = workflow.ACTIONS.get(event.action)
        event.label = str(EVENT_LABELS.get(event.action) or (rule.label if rule else event.action))
        event.public_note = event.note if event.action in REPORTER_NOTES else ""
        committed = event.data.get("committed_at") if event.action == "post_progress" else None
        event.committed_at = datetime.fromisoformat(committed) if committed else None
        event.rating = event.data.get("rating") if event.action == "rate" else None
    return events


def staff_timeline(report) -> list:
    """Every event, oldest first, with its label, its actor, and the committed date of a progress post."""
    events = list(selectors.report_timeline(report))
    for event in events:
        rule = workflow.ACTIONS.get(event.action)
        label = STAFF_EVENT_LABELS.get(event.action) or (rule.label if rule else event.action)
        event.label = str(label)
        committed = event.data.get("committed_at") if event.action == "post_progress" else None
        event.committed_at = datetime.fromisoformat(committed) if committed else None
        event.shown_note = event.note
        event.merged_into = event.data.get("duplicate_of", "") if event.action == "reject" else ""
    return events
