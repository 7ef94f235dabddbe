from django.contrib import admin

from govportal.tiers.models import CalendarOverride, Posting, Unit


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "tier", "is_active"]
    list_filter = ["tier", "kind", "is_active"]
    search_fields = ["code", "name", "name_en", "search_name"]
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
