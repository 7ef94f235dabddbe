"""What the header needs about the visitor's notifications."""

from identity.notifications import notification_unread_count


def unread_notifications(request) -> dict:
    """The number of unread notifications (one COUNT query, none for anonymous visitors)."""
    return {"unread_notifications": notification_unread_count(user=getattr(request, "user", None))}
