"""Staff pages of payments: reconciliation reports (list, build now, CSV), the unit's payments, refunds.

Thin views: permissions come from `identity.access` (a report is shown to who
may see the unit's dashboard: its head, the city), every write goes through
`payments.reconciliation` or `payments.refunds`, and their errors (stable
codes) are shown as form errors or messages, never as a 500.
"""

from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from govportal.api.errors import ApplicationError
from govportal.tiers.models import Unit
from identity import access
from payments import refunds as refund_services
from payments.models import Payment, ReconciliationReport, Refund
from payments.reconciliation import OUTCOMES, reason_label, reconciliation_build, reconciliation_csv
from payments.workflow import PaymentStatus

PAGE_SIZE = 50


def _english() -> bool:
    return (get_language() or "").startswith("en")


# --- reconciliation reports ------------------------------------------------------------------------------


def _report_units(user):
    """The units whose reports `user` may see: every unit for the city, the units they head otherwise."""
    if access.is_city_admin(user):
        return Unit.objects.all()
    return Unit.objects.filter(pk__in=access.units_where(user, access.HEAD))


def _require_report_access(user) -> None:
    if not (access.is_city_admin(user) or access.units_where(user, access.HEAD)):
        raise PermissionDenied


class BuildReportForm(forms.Form):
    unit = forms.ModelChoiceField(label=gettext_lazy("Unit"), queryset=Unit.objects.none(), to_field_name="code")
    day = forms.DateField(
        label=gettext_lazy("Day"),
        help_text=gettext_lazy("dd/mm/yyyy"),
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        widget=forms.DateInput(format="%d/%m/%Y", attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _report_units(user).order_by("name")
        self.fields["unit"].label_from_instance = lambda unit: (
            unit.name_en if _english() and unit.name_en else unit.name
        )
        for name, field in self.fields.items():
            described = [f"id_{name}_helptext"] if field.help_text else []
            if self.is_bound and name in self.errors:
                described.append(f"id_{name}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)

    def clean_day(self):
        day = self.cleaned_data["day"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("Choose today or a day in the past."))
        return day


@login_required
@require_GET
def reports_list(request):
    """The reports of the units the user may see, newest day first, with a "build now" form."""
    _require_report_access(request.user)
    reports = ReconciliationReport.objects.select_related("unit").filter(unit__in=_report_units(request.user))
    unit_code = request.GET.get("unit", "").strip()
    if unit_code:
        reports = reports.filter(unit__code=unit_code)
    page = Paginator(reports.order_by("-day", "unit__name"), PAGE_SIZE).get_page(request.GET.get("page"))
    yesterday = timezone.localdate().toordinal() - 1
    initial = {"day": date.fromordinal(yesterday)}
    units = list(_report_units(request.user).values_list("code", flat=True)[:2])
    if len(units) == 1:  # a head of one unit: nothing to choose
        initial["unit"] = units[0]
    form = BuildReportForm(user=request.user, initial=initial)
    context = {
        "page": page,
        "rows": list(page.object_list),
        "form": form,
        "unit_code": unit_code,
        "english": _english(),
    }
    return render(request, "payments/staff/reports.html", context)


@login_required
@require_POST
def report_build(request):
    """Build (or build again) one unit's report of one day now, asking the gateway."""
    _require_report_access(request.user)
    form = BuildReportForm(request.POST, user=request.user)
    if not form.is_valid():
        reports = ReconciliationReport.objects.select_related("unit").filter(unit__in=_report_units(request.user))
        page = Paginator(reports.order_by("-day", "unit__name"), PAGE_SIZE).get_page(1)
        context = {"page": page, "rows": list(page.object_list), "form": form, "unit_code": "", "english": _english()}
        return render(request, "payments/staff/reports.html", context, status=400)
    unit, day = form.cleaned_data["unit"], form.cleaned_data["day"]
    if not access.can(request.user, "dashboard.view_unit", unit):
        raise PermissionDenied
    report = reconciliation_build(unit, day)
    if report.unreachable:
        messages.warning(
            request,
            _("The payment gateway did not answer: the report of %(day)s is incomplete. Build it again later.")
            % {"day": day.strftime("%d/%m/%Y")},
        )
    else:
        messages.success(
            request,
            _("Report of %(day)s built: %(matched)s matched, %(mismatched)s mismatched.")
            % {"day": day.strftime("%d/%m/%Y"), "matched": report.matched, "mismatched": report.mismatched},
        )
    return redirect("payment-reports")


def _report_for(request, unit_code: str, day: str) -> ReconciliationReport:
    try:
        the_day = date.fromisoformat(day)
    except ValueError as error:
        raise Http404 from error
    unit = get_object_or_404(Unit, code=unit_code)
    if not access.can(request.user, "dashboard.view_unit", unit):
        raise PermissionDenied
    return get_object_or_404(ReconciliationReport, unit=unit, day=the_day)


@login_required
@require_GET
def report_detail(request, unit_code, day):
    """One report's rows, mismatches first."""
    report = _report_for(request, unit_code, day)
    rows = sorted(report.rows, key=lambda row: (row.get("outcome") == "match", row.get("created", "")))
    for row in rows:
        row["outcome_label"] = str(OUTCOMES.get(row.get("outcome", ""), row.get("outcome", "")))
        row["reason_label"] = reason_label(row.get("reason", "")) if row.get("reason") else ""
        status = row.get("portal_status", "")
        row["status_label"] = str(PaymentStatus(status).label) if status in PaymentStatus.values else status
    context = {"report": report, "rows": rows, "english": _english()}
    return render(request, "payments/staff/report_detail.html", context)


@login_required
@require_GET
def report_csv(request, unit_code, day):
    """The report as a CSV download (UTF-8 with BOM) for the unit's head and the city."""
    report = _report_for(request, unit_code, day)
    response = HttpResponse(reconciliation_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="doi-soat-{report.unit.code}-{report.day:%Y-%m-%d}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- the unit's payments ---------------------------------------------------------------------------------


def _staff_units(user) -> set[int]:
    units = access.units_where(user, access.OFFICER, access.HEAD)
    if not units:
        raise PermissionDenied
    return units


STATUS_FILTERS = [("", gettext_lazy("All"))] + [(value, label) for value, label in PaymentStatus.choices]


@login_required
@require_GET
def unit_payments(request):
    """Recent payments collected by the officer's units: status, amount, receipt; refunds on paid ones."""
    units = _staff_units(request.user)
    payments = Payment.objects.select_related("unit").filter(unit_id__in=units)
    status = request.GET.get("status", "")
    if status in PaymentStatus.values:
        payments = payments.filter(status=status)
    else:
        status = ""
    page = Paginator(payments.order_by("-created_at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    open_refunds = set(Refund.objects.filter(payment__in=rows, status="requested").values_list("payment_id", flat=True))
    for payment in rows:
        payment.refund_waiting = payment.pk in open_refunds
        payment.can_refund = payment.status == PaymentStatus.SUCCEEDED and not payment.refund_waiting
    context = {
        "page": page,
        "rows": rows,
        "status": status,
        "status_filters": STATUS_FILTERS,
        "several_units": len(units) > 1,
        "english": _english(),
    }
    return render(request, "payments/staff/unit_payments.html", context)


class RefundRequestForm(forms.Form):
    amount_vnd = forms.IntegerField(
        label=gettext_lazy("Amount to refund (VND)"),
        help_text=gettext_lazy("Whole đồng, at most the amount paid."),
        min_value=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=refund_services.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            described = [f"id_{name}_helptext"] if field.help_text else []
            if self.is_bound and name in self.errors:
                described.append(f"id_{name}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)


def _add_service_errors(form: forms.Form, error: ApplicationError) -> None:
    field_errors = error.extra.get("errors") or {}
    if not field_errors:
        form.add_error(None, error.detail)
    for name, message in field_errors.items():
        form.add_error(name if name in form.fields else None, message)


@login_required
@require_http_methods(["GET", "POST"])
def refund_request(request, reference):
    """Ask for a refund of a paid payment (an officer or head of the collecting unit)."""
    units = _staff_units(request.user)
    payment = get_object_or_404(
        Payment.objects.select_related("unit").prefetch_related("lines"), reference=reference, unit_id__in=units
    )
    form = RefundRequestForm(request.POST or None, initial={"amount_vnd": payment.amount_vnd})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                refund_services.refund_request(
                    payment, form.cleaned_data["amount_vnd"], form.cleaned_data["reason"], request.user
                )
            except ApplicationError as error:
                _add_service_errors(form, error)
                status = error.status_code if error.status_code in (400, 403, 409) else 400
            else:
                messages.success(
                    request,
                    _("Refund of %(reference)s requested. The head of the unit must approve it.")
                    % {"reference": payment.reference},
                )
                return redirect("payments-unit")
        else:
            status = 400
    context = {
        "payment": payment,
        "form": form,
        "refundable": payment.status == PaymentStatus.SUCCEEDED,
        "english": _english(),
    }
    return render(request, "payments/staff/refund_request.html", context, status=status)


# --- refunds waiting for a decision ----------------------------------------------------------------------


@login_required
@require_GET
def refunds_list(request):
    """The refunds waiting for the head's decision (with approve/refuse), and the unit's recent refunds."""
    user = request.user
    if not (access.is_city_admin(user) or access.units_where(user, access.OFFICER, access.HEAD)):
        raise PermissionDenied
    waiting = list(refund_services.refunds_waiting_for(user))
    for refund in waiting:
        refund.own_request = refund.requested_by_id == user.pk
    context = {
        "waiting": waiting,
        "recent": list(refund_services.refunds_recent_for(user)),
        "english": _english(),
    }
    return render(request, "payments/staff/refunds.html", context)


@login_required
@require_POST
def refund_decide(request, pk):
    """Approve or refuse one refund; the result (done, failed, refused) or the refusal's reason as a message."""
    refund = get_object_or_404(Refund.objects.select_related("payment"), pk=pk)
    decision = request.POST.get("decision", "")
    if decision not in ("approve", "refuse"):
        messages.error(request, _("Choose to approve or to refuse the refund."))
        return redirect("payment-refunds")
    try:
        decided = refund_services.refund_decide(
            refund, decision == "approve", request.user, note=request.POST.get("note", "")
        )
    except ApplicationError as error:
        if error.code == "forbidden":
            raise PermissionDenied from error
        messages.error(request, error.detail)
        return redirect("payment-refunds")
    reference = decided.payment.reference
    if decided.status == "done":
        messages.success(request, _("Refund of %(reference)s done.") % {"reference": reference})
    elif decided.status == "refused":
        messages.success(request, _("Refund of %(reference)s refused.") % {"reference": reference})
    else:
        messages.error(
            request,
            _("Refund of %(reference)s failed: %(message)s")
            % {"reference": reference, "message": getattr(decided, "message", "")},
        )
    return redirect("payment-refunds")
