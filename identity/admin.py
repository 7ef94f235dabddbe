from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from govportal.admin_mixins import AuditTrailAdmin
from identity import lockout
from identity.models import AccountEvent, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "personal_id", "eid_level", "residence_unit", "is_staff"]
    search_fields = ["username", "full_name", "personal_id", "email"]
    list_filter = ["is_staff", "is_superuser", "is_active", "eid_level"]
    autocomplete_fields = ["residence_unit"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("Citizen"), {"fields": ("personal_id", "full_name", "birth_date", "phone", "eid_level", "residence_unit")}),
    )
    actions = ["unlock_logins"]

    @admin.action(description=_("Unlock logins locked after failed attempts"), permissions=["change"])
    def unlock_logins(self, request, queryset):
        """Ends every failed-login lock on these user names (audited: identity.lockout)."""
        for user in queryset:
            lockout.unlock(username=user.username, by=request.user, request=request)
        self.message_user(request, _("Logins unlocked: %(count)d.") % {"count": queryset.count()}, messages.SUCCESS)


@admin.register(AccountEvent)
class AccountEventAdmin(AuditTrailAdmin):
    """Read-only: the audit trail is never edited."""

    list_display = ["at", "user", "action", "ip_address"]
    list_filter = ["action"]
    search_fields = ["user__username", "user__full_name"]


import identity.registry.admin  # noqa: E402,F401  (registry admin lives with the registry)
