"""Admin for the 1022 report categories: city admins edit them (identity.access "catalogue.edit").

Django's model permissions open the pages (the "City administrators" group
holds them); the access rule is checked as well, so a permission granted by
mistake to someone who is not a city admin opens nothing. Categories are
switched off, never deleted: reports refer to them.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from feedback.models import Category, Open311Client
from identity.access import can


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_vi",
        "tier",
        "handling_department",
        "time_limit_working_days",
        "photo_expected",
        "confidence",
        "is_active",
    ]
    list_display_links = ["code", "name_vi"]
    list_filter = ["tier", "photo_expected", "confidence", "is_active", "handling_department"]
    list_select_related = ["handling_department"]
    search_fields = ["code", "name_vi", "name_en"]
    fieldsets = [
        (None, {"fields": ["code", "name_vi", "name_en", "tier", "is_active"]}),
        (_("Who answers"), {"fields": ["handling_department", "handling_agency_vi"]}),
        (_("Time limit and intake"), {"fields": ["time_limit_working_days", "photo_expected"]}),
        (_("Examples"), {"fields": ["examples_vi", "examples_en"]}),
        (
            _("Reference data"),
            {
                "fields": ["sources", "confidence"],
                "description": _(
                    "Illustrative demo data, not legal advice. Confidence comes from the researched reference data: "
                    "high, medium or low."
                ),
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        # The code names the category in routing rules and report codes: fixed once created.
        return ["code"] if obj is not None else []

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and can(request.user, "catalogue.edit")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and can(request.user, "catalogue.edit")

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and can(request.user, "catalogue.edit")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    """Read-only: keys are issued and revoked with `manage.py open311_key` (the key itself is never stored)."""

    list_display = ["name", "contact", "key_prefix", "is_active", "created_at", "last_used_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "contact", "key_prefix"]
    fields = ["name", "contact", "key_prefix", "is_active", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and can(request.user, "catalogue.edit")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
