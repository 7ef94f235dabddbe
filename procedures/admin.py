"""Admin for the catalogue (editable) and for dossiers and their timeline (read only).

Dossiers change only through `procedures.services` (one write path that also
writes the audit event), so the admin shows them and never edits them.
"""

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from govportal.admin_mixins import AuditTrailAdmin
from govportal.tiers.models import Unit, UnitKind
from procedures.catalogue import form_fields_errors
from procedures.models import Dossier, DossierDocument, DossierEvent, FeeLine, Procedure, RequiredDocument


class FeeLineInline(admin.TabularInline):
    model = FeeLine
    extra = 0
    fields = ["kind", "name_vi", "name_en", "amount_vnd", "note"]


class RequiredDocumentInline(admin.TabularInline):
    model = RequiredDocument
    extra = 0
    fields = ["key", "name_vi", "name_en", "replaceable_by_registry", "is_required"]


class ProcedureAdminForm(forms.ModelForm):
    class Meta:
        model = Procedure
        fields = [
            "code",
            "national_code",
            "name_vi",
            "name_en",
            "field",
            "tier",
            "is_active",
            "handling_department",
            "handling_agency_vi",
            "handling_agency_en",
            "time_limit_value",
            "time_limit_unit",
            "min_eid_level",
            "online_level",
            "form_fields",
            "legal_basis",
            "sources",
            "confidence",
        ]

    def clean_form_fields(self):
        value = self.cleaned_data.get("form_fields")
        errors = form_fields_errors(value if value is not None else [])
        if errors:
            raise forms.ValidationError(errors)
        return value

    def clean(self):
        cleaned = super().clean()
        # The routing engine sends city-tier dossiers to this department; commune-tier ones to the receiving unit.
        tier, department = cleaned.get("tier"), cleaned.get("handling_department")
        if tier == "city" and department is None:
            self.add_error("handling_department", _("A city-tier procedure needs the department that decides it."))
        if tier == "commune" and department is not None:
            self.add_error("handling_department", _("Commune-level procedures are decided by the receiving unit."))
        return cleaned


# The reference data's confidence words, as the city admin reads them.
CONFIDENCE_LABELS = {"high": _("high"), "medium": _("medium"), "low": _("low")}


class ConfidenceFilter(admin.SimpleListFilter):
    title = _("confidence of the reference data")
    parameter_name = "confidence"

    def lookups(self, request, model_admin):
        return list(CONFIDENCE_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(confidence=self.value()) if self.value() else queryset


@admin.register(Procedure)
class ProcedureAdmin(admin.ModelAdmin):
    form = ProcedureAdminForm
    list_display = [
        "code",
        "name_vi",
        "tier",
        "field",
        "handling_department",
        "time_limit_value",
        "time_limit_unit",
        "online_level",
        "confidence_label",
        "is_active",
    ]
    list_display_links = ["code", "name_vi"]
    list_filter = ["tier", "field", "online_level", ConfidenceFilter, "is_active", "min_eid_level"]

    @admin.display(description=_("confidence of the reference data"), ordering="confidence")
    def confidence_label(self, procedure):
        return CONFIDENCE_LABELS.get(procedure.confidence, procedure.confidence)

    list_select_related = ["handling_department"]
    search_fields = ["code", "national_code", "name_vi", "name_en", "search_text"]
    inlines = [FeeLineInline, RequiredDocumentInline]
    fieldsets = [
        (None, {"fields": ["code", "national_code", "name_vi", "name_en", "field", "tier", "is_active"]}),
        (
            _("Who decides"),
            {"fields": ["handling_department", "handling_agency_vi", "handling_agency_en"]},
        ),
        (
            _("Time limit and access"),
            {"fields": ["time_limit_value", "time_limit_unit", "min_eid_level", "online_level", "fee_due_at_filing"]},
        ),
        (_("Online form"), {"fields": ["form_fields"]}),
        (
            _("Reference data"),
            {
                "fields": ["legal_basis", "sources", "confidence"],
                "description": _(
                    "Illustrative demo data, not legal advice. Confidence comes from the researched reference data: "
                    "high, medium or low."
                ),
            },
        ),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "handling_department":
            kwargs["queryset"] = Unit.objects.filter(kind=UnitKind.DEPARTMENT).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class DossierEventInline(admin.TabularInline):
    model = DossierEvent
    extra = 0
    fields = ["at", "action", "from_status", "to_status", "actor", "unit", "note"]
    readonly_fields = fields
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DossierDocumentInline(admin.TabularInline):
    model = DossierDocument
    extra = 0
    fields = ["key", "role", "original_name", "content_type", "size", "uploaded_by", "uploaded_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OverdueFilter(admin.SimpleListFilter):
    """The one definition of overdue (Dossier.objects.overdue), not a stored flag."""

    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue(timezone.now())
        if self.value() == "no":
            return queryset.not_overdue(timezone.now())
        return queryset


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    """View only: every change (status, unit, clock, assignment) goes through the services and leaves an event."""

    list_display = [
        "code",
        "procedure",
        "status",
        "receiving_unit",
        "handling_unit",
        "due_at",
        "promised_at",
        "overdue",
        "submitted_at",
    ]
    list_filter = ["status", OverdueFilter, "procedure__tier", "procedure__field", "outcome"]
    list_select_related = ["procedure", "receiving_unit", "handling_unit"]
    search_fields = ["code"]
    date_hierarchy = "submitted_at"
    inlines = [DossierDocumentInline, DossierEventInline]

    @admin.display(boolean=True, description=_("overdue"))
    def overdue(self, dossier):
        return dossier.is_overdue

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DossierEvent)
class DossierEventAdmin(AuditTrailAdmin):
    list_display = ["at", "dossier", "action", "from_status", "to_status", "actor", "unit"]
    list_filter = ["action", "to_status"]
    list_select_related = ["dossier", "actor", "unit"]
    search_fields = ["dossier__code"]
    date_hierarchy = "at"
