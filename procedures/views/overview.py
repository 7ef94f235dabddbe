"""The city admin's overview: open and late dossiers per unit, city-wide, read-only.

A stop-gap until the dashboards issue lands: one table of counts per unit (open,
overdue, due soon) and, per unit, the list behind each count, with links to the
dossier pages a city admin may read. Permission: `dashboard.view_city`.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from govportal.tiers.models import Unit
from identity import access
from procedures import selectors

PAGE_SIZE = 100
SHOW_CHOICES = {
    "open": _("Open dossiers"),
    "overdue": _("Overdue dossiers"),
    "due_soon": _("Dossiers due soon"),
}


def _require_city_view(user) -> None:
    if not access.can(user, "dashboard.view_city"):
        raise PermissionDenied


@login_required
@require_GET
def city_overview(request):
    """Counts per unit, the units with the most overdue dossiers first."""
    _require_city_view(request.user)
    rows = selectors.city_overview_by_unit()
    totals = {key: sum(row[key] for row in rows) for key in ("open", "overdue", "due_soon")}
    context = {
        "rows": rows,
        "totals": totals,
        "english": (get_language() or "").startswith("en"),
    }
    return render(request, "procedures/overview/city.html", context)


@login_required
@require_GET
def city_overview_unit(request, unit_code):
    """One unit's open dossiers (or only its overdue or due-soon ones), soonest due first."""
    _require_city_view(request.user)
    unit = get_object_or_404(Unit, code=unit_code)
    show = request.GET.get("show", "open")
    if show not in SHOW_CHOICES:
        show = "open"
    dossiers = selectors.city_overview_unit_dossiers(unit_id=unit.pk, show=show)
    page = Paginator(dossiers, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "unit": unit,
        "show": show,
        "show_label": SHOW_CHOICES[show],
        "show_choices": SHOW_CHOICES.items(),
        "page": page,
        "rows": list(page.object_list),
        "english": (get_language() or "").startswith("en"),
    }
    return render(request, "procedures/overview/unit.html", context)
