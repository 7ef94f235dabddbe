"""Admin building blocks shared by the apps."""

from django.contrib import admin


class AuditTrailAdmin(admin.ModelAdmin):
    """An append-only audit trail: readable in the admin, never added, edited or deleted there."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
