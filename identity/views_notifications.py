"""The in-app notifications page: newest first; reading is a GET, marking read a POST."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from identity.notifications import notification_list, notification_mark_read

PAGE_SIZE = 30


@login_required
def notifications(request):
    if request.method == "POST":
        # One notification ("notification" = its id) or, without it, all of them.
        raw = request.POST.get("notification", "")
        notification_mark_read(user=request.user, notification_id=int(raw) if raw.isdigit() else None)
        return redirect("notifications")
    page = Paginator(notification_list(user=request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    has_unread = any(n.read_at is None for n in page.object_list)
    return render(request, "identity/notifications.html", {"page": page, "has_unread": has_unread})
