from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from govportal.tiers.models import CalendarOverride, Posting, RoutingRule, Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "filing_code", "name", "kind", "tier", "is_active"]
    list_filter = ["tier", "kind", "is_active"]
    search_fields = ["code", "filing_code", "name", "name_en", "search_name"]
    readonly_fields = ["search_name"]


@admin.register(Posting)
class PostingAdmin(admin.ModelAdmin):
    list_display = ["user", "unit", "role", "is_active", "away_from", "away_until"]
    list_filter = ["role", "is_active", "unit__tier"]
    search_fields = ["user__username", "user__full_name", "unit__name", "unit__code"]
    autocomplete_fields = ["user", "unit"]


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ["day", "kind", "part", "reason"]
    list_filter = ["kind", "part"]
    date_hierarchy = "day"


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    """The routing table: rules are tried from the lowest number up; the first match decides."""

    list_display = [
        "priority",
        "is_active",
        "case_kind",
        "tier",
        "procedure_code",
        "category_code",
        "place",
        "target",
        "target_unit",
        "description",
    ]
    list_display_links = ["description"]
    list_editable = ["priority", "is_active"]
    list_filter = ["is_active", "case_kind", "tier", "target"]
    search_fields = ["description", "procedure_code", "category_code"]
    autocomplete_fields = ["place", "target_unit"]
    list_select_related = ["place", "target_unit"]
    fieldsets = [
        (None, {"fields": ["priority", "is_active", "description"]}),
        (_("When"), {"fields": ["case_kind", "tier", "procedure_code", "category_code", "place"]}),
        (_("Send to"), {"fields": ["target", "target_unit"]}),
    ]
