"""Admin for payments: read only, for city admins and operators.

Payments change only through `payments.services` and `payments.refunds` (one
write path that writes the audit events), so the admin shows payments with
their fee lines and events, the gateway's notifications as received, refunds
and reconciliation reports, and never edits them.
"""

from django.contrib import admin

from identity import access
from payments.models import GatewayCallback, Payment, PaymentEvent, PaymentLine, ReconciliationReport, Refund


class ReadOnlyForTheCity:
    """Viewable by city admins and operators (or a view permission), never added, changed or deleted here."""

    def has_module_permission(self, request):
        return access.is_city_admin(request.user) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return access.is_city_admin(request.user) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PaymentLineInline(ReadOnlyForTheCity, admin.TabularInline):
    model = PaymentLine
    extra = 0
    fields = ["kind", "name_vi", "name_en", "amount_vnd"]
    readonly_fields = fields


class PaymentEventInline(ReadOnlyForTheCity, admin.TabularInline):
    model = PaymentEvent
    extra = 0
    fields = ["at", "action", "from_status", "to_status", "actor", "data"]
    readonly_fields = fields


class RefundInline(ReadOnlyForTheCity, admin.TabularInline):
    model = Refund
    extra = 0
    fields = ["requested_at", "amount_vnd", "status", "requested_by", "decided_by", "decided_at", "gateway_refund_no"]
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(ReadOnlyForTheCity, admin.ModelAdmin):
    list_display = ["reference", "subject", "unit", "amount_vnd", "status", "receipt_number", "created_at"]
    list_filter = ["status", "gateway"]
    list_select_related = ["unit"]
    search_fields = ["reference", "subject", "receipt_number", "gateway_transaction_no"]
    date_hierarchy = "created_at"
    exclude = ["payer", "idempotency_key", "request_hash"]
    inlines = [PaymentLineInline, PaymentEventInline, RefundInline]


@admin.register(GatewayCallback)
class GatewayCallbackAdmin(ReadOnlyForTheCity, admin.ModelAdmin):
    list_display = ["received_at", "reference", "answer", "signature_valid", "gateway", "note"]
    list_filter = ["answer", "signature_valid", "gateway"]
    search_fields = ["reference"]
    date_hierarchy = "received_at"


@admin.register(Refund)
class RefundAdmin(ReadOnlyForTheCity, admin.ModelAdmin):
    list_display = ["payment", "amount_vnd", "status", "requested_at", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["payment"]
    search_fields = ["payment__reference"]


@admin.register(ReconciliationReport)
class ReconciliationReportAdmin(ReadOnlyForTheCity, admin.ModelAdmin):
    list_display = ["day", "unit", "matched", "mismatched", "unreachable", "generated_at"]
    list_filter = ["unreachable"]
    list_select_related = ["unit"]
    search_fields = ["unit__code", "unit__name"]
    date_hierarchy = "day"
