"""Where each role lands after logging in, and which menu links it sees.

Both follow `identity.access`, so a menu never offers a page that answers 403:
officers and heads work their units' queue, city admins (and the operator)
read the city overview, citizens manage their own dossiers and profile.
"""

from django.urls import reverse

from identity import access


def menu_for(user) -> dict:
    """What the header may offer this user (anonymous visitors get only the public pages)."""
    if not getattr(user, "is_authenticated", False):
        return {
            "is_citizen": False,
            "can_use_workbench": False,
            "can_view_city_overview": False,
            "can_see_unit_payments": False,
            "can_see_payment_reports": False,
            "can_admin": False,
            "can_view_city_dashboard": False,
            "unit_dashboards": [],
        }
    return {
        "is_citizen": access.CITIZEN in access.roles_of(user),
        "can_use_workbench": bool(access.units_where(user, access.OFFICER, access.HEAD)),
        "can_view_city_overview": access.can(user, "dashboard.view_city"),
        # The fees their unit collects (officers, heads); the reconciliation reports (heads, the city).
        "can_see_unit_payments": bool(access.units_where(user, access.OFFICER, access.HEAD)),
        "can_see_payment_reports": bool(access.units_where(user, access.HEAD)) or access.is_city_admin(user),
        # The admin site, only when it has a page for them (an empty admin index is no use).
        "can_admin": bool(user.is_active and user.is_staff and (user.is_superuser or user.get_all_permissions())),
        # The dashboards: the city's for city admins, each unit's for its head (one link per unit headed).
        "can_view_city_dashboard": access.can(user, "dashboard.view_city"),
        "unit_dashboards": _headed_units(user),
    }


def _headed_units(user) -> list[dict]:
    """The units whose dashboard a head opens from the menu (city admins reach every unit from the city's)."""
    headed = access.units_where(user, access.HEAD)
    if not headed:
        return []
    from govportal.tiers.models import Unit

    return [
        {"code": code, "name": name, "url": reverse("dashboard-unit", args=[code])}
        for code, name in Unit.objects.filter(pk__in=headed).order_by("name").values_list("code", "name")
    ]


def landing_url(user) -> str:
    """The first page after login: the work of the role with the most to do there.

    A staff member who is also a citizen lands on their staff page; the menu
    still offers their own dossiers.
    """
    menu = menu_for(user)
    if menu["can_use_workbench"]:
        return reverse("workbench")
    if menu["can_view_city_dashboard"]:
        return reverse("dashboard-city")
    if menu["can_view_city_overview"]:
        return reverse("city-overview")
    return reverse("profile")
