"""Payments' pages and the gateway's notification URL (included at the site root)."""

from django.urls import path, re_path

from payments.views import callback
from payments.views import citizen as citizen_views
from payments.views import receipts as receipt_views
from payments.views import staff as staff_views

urlpatterns = [
    path("payments/paygov/callback/", callback.paygov_callback, name="paygov-callback"),
    # Paying online: start an attempt (then the gateway), and the display-only page the gateway returns to.
    path("payments/start/", citizen_views.payment_start_view, name="payment-start"),
    path("payments/<str:reference>/return/", citizen_views.payment_return, name="payment-return"),
    # Electronic receipts: the page and PDF (payer, unit staff, city), the public check the QR code opens.
    path("receipts/verify/<str:number>", receipt_views.receipt_verify, name="receipt-verify"),
    path("receipts/<str:number>.pdf", receipt_views.receipt_pdf, name="receipt-pdf"),
    path("receipts/<str:number>/", receipt_views.receipt, name="receipt"),
    # Staff: reconciliation reports (head of the unit, city), the unit's payments, refunds with approval.
    path("payments/reports/", staff_views.reports_list, name="payment-reports"),
    path("payments/reports/build/", staff_views.report_build, name="payment-report-build"),
    re_path(
        r"^payments/reports/(?P<unit_code>[\w-]+)/(?P<day>\d{4}-\d{2}-\d{2})\.csv$",
        staff_views.report_csv,
        name="payment-report-csv",
    ),
    re_path(
        r"^payments/reports/(?P<unit_code>[\w-]+)/(?P<day>\d{4}-\d{2}-\d{2})/$",
        staff_views.report_detail,
        name="payment-report",
    ),
    path("payments/unit/", staff_views.unit_payments, name="payments-unit"),
    path("payments/unit/<str:reference>/refund/", staff_views.refund_request, name="payment-refund-request"),
    path("payments/refunds/", staff_views.refunds_list, name="payment-refunds"),
    path("payments/refunds/<int:pk>/decide/", staff_views.refund_decide, name="payment-refund-decide"),
]
