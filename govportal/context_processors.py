"""What every page's header needs to know about the visitor."""

from identity.access import is_staff_member
from identity.landing import menu_for


def portal_nav(request):
    """The menu links the visitor's roles may open (see `identity.landing.menu_for`)."""
    user = getattr(request, "user", None)
    return {"is_staff_member": bool(user is not None and is_staff_member(user)), "menu": menu_for(user)}
