"""What every page's header needs to know about the visitor."""

from identity.access import is_staff_member


def portal_nav(request):
    user = getattr(request, "user", None)
    return {"is_staff_member": bool(user is not None and is_staff_member(user))}
