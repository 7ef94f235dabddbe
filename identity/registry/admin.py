"""Admin for the local registry and its access log (imported by identity/admin.py).

Registry people are read-only here: the registry is a source the portal reads,
not a form officers edit (in production it is the national database). The
access log is an audit trail: nobody adds, changes or deletes a row.
"""

from django.contrib import admin

from govportal.admin_mixins import AuditTrailAdmin
from identity.registry.models import RegistryAccessLog, RegistryPerson


@admin.register(RegistryPerson)
class RegistryPersonAdmin(admin.ModelAdmin):
    list_display = [
        "personal_id",
        "full_name",
        "birth_date",
        "sex",
        "permanent_residence_unit",
        "household_id",
        "relation_to_head",
        "is_demo_pick",
    ]
    list_filter = ["sex", "marital_status", "relation_to_head", "is_demo_pick"]
    search_fields = ["personal_id", "full_name", "household_id"]
    list_select_related = ["permanent_residence_unit"]
    readonly_fields = [
        "personal_id",
        "full_name",
        "birth_date",
        "sex",
        "permanent_residence_unit",
        "permanent_address",
        "marital_status",
        "household_id",
        "relation_to_head",
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RegistryAccessLog)
class RegistryAccessLogAdmin(AuditTrailAdmin):
    list_display = ["at", "actor", "personal_id", "purpose", "case_ref", "found"]
    list_filter = ["found", "purpose"]
    search_fields = ["personal_id", "case_ref", "actor__username", "actor__full_name"]
    list_select_related = ["actor"]
    date_hierarchy = "at"
