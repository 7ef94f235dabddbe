"""The reporter's side of 1022 reports, server-rendered and working without JavaScript.

Sending a report (for citizens logged in with the e-ID, and for anyone who
confirms a phone number or an email address with a one-time code first),
public tracking by code, and the reporter's own pages: their reports, one
report with its timeline, answer and photos, rating and reopening.

Views parse input, call one service or selector, and render. The checks are
the services' (`feedback.services.report_create`, `report_transition`,
`feedback.intake`): their refusals come back as form errors in the reader's
language. Another person's report is a 404, never a 403: a code that exists
must not be told apart from one that does not.

The contact step keeps its state in the session: the contact waiting for its
code (SESSION_PENDING), then the confirmed contact with the proof
`report_create` checks (SESSION_CONFIRMED). What was typed in the report form
is kept in the session (SESSION_DRAFT) whenever the reporter must go back to
the contact step, so nothing typed is lost; photos cannot be kept by a
browser form and must be chosen again (the page says so).
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from feedback import selectors, services, workflow
from feedback.forms import (
    CodeForm,
    ContactForm,
    RateForm,
    ReopenForm,
    ReportForm,
    TrackForm,
    category_examples,
    category_name,
)
from feedback.intake import ContactError, contact_code_send, contact_confirm
from feedback.models import PhotoRole
from feedback.services import ReportError
from feedback.timeline import reporter_timeline
from feedback.workflow import Channel
from feedback.workflow import ReportStatus as S
from govportal import ratelimit
from govportal.api.errors import ApplicationError
from govportal.cases import pages
from govportal.ratelimit import rate_limited
from identity import access

SESSION_PENDING = "feedback.contact_pending"
SESSION_CONFIRMED = "feedback.contact_confirmed"
SESSION_DRAFT = "feedback.report_draft"
SESSION_SENT = "feedback.report_sent"
DRAFT_FIELDS = ("category", "text", "unit_q", "unit", "address", "latitude", "longitude", "keep_location")

NEXT_STEPS = {
    S.NEW: gettext_lazy("Nothing to do: the report is being sent to the responsible unit"),
    S.ROUTED: gettext_lazy("Nothing to do: the unit will handle your report"),
    S.IN_PROGRESS: gettext_lazy("Nothing to do: the unit is handling your report"),
    S.ANSWERED: gettext_lazy("Read the answer; rate it, or reopen the report if the problem remains"),
    S.CLOSED: gettext_lazy("Done"),
    S.REJECTED: gettext_lazy("Read the reason given by the unit"),
}


def is_citizen(user) -> bool:
    return access.CITIZEN in access.roles_of(user)


def citizen_required(view):
    """Logged in, and a citizen (a personal ID number from the e-ID): "my reports" belong to accounts."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not is_citizen(request.user):
            return render(request, "feedback/citizen/not_citizen.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def _client(request) -> str:
    return ratelimit.client_address(request)


# --- sending a report: the contact step (without an account) --------------------------------------


def _contact_page(request):
    known = request.session.get(SESSION_PENDING) or request.session.get(SESSION_CONFIRMED) or {}
    form = ContactForm(initial={k: known.get(k, "") for k in ("name", "phone", "email")})
    return render(request, "feedback/citizen/contact.html", {"form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def report_contact(request):
    """Name and phone or email; a one-time code is sent there (SMS or email)."""
    if is_citizen(request.user):
        return redirect("report-new")
    if request.method == "GET":
        return _contact_page(request)
    form = ContactForm(request.POST)
    if not form.is_valid():
        return render(request, "feedback/citizen/contact.html", {"form": form}, status=400)
    contact = {key: form.cleaned_data[key].strip() for key in ("name", "phone", "email")}
    try:
        issued = contact_code_send(phone=contact["phone"], email=contact["email"], client=_client(request))
    except ContactError as error:
        if error.code in ("contact_missing", "otp_address"):
            form.add_error("phone" if contact["phone"] or error.code == "contact_missing" else "email", error.detail)
        else:
            form.add_error(None, error.detail)
        return render(request, "feedback/citizen/contact.html", {"form": form}, status=error.status_code)
    contact.update(channel=issued.channel, address=issued.address)
    request.session[SESSION_PENDING] = contact
    request.session.pop(SESSION_CONFIRMED, None)
    return redirect("report-new-confirm")


@never_cache
@require_http_methods(["GET", "POST"])
def report_confirm(request):
    """The code back: the confirmed contact and its proof go to the session; then the report form."""
    if is_citizen(request.user):
        return redirect("report-new")
    pending = request.session.get(SESSION_PENDING)
    if not pending:
        return redirect("report-new-contact")
    context = {"pending": pending, "by_sms": pending.get("channel") == "sms"}
    if request.method == "GET":
        context["form"] = CodeForm()
        return render(request, "feedback/citizen/confirm.html", context)
    if request.POST.get("action") == "resend":
        try:
            contact_code_send(phone=pending["phone"], email=pending["email"], client=_client(request))
        except ContactError as error:
            messages.error(request, error.detail)
        else:
            messages.success(request, _("A new code was sent."))
        return redirect("report-new-confirm")
    form = context["form"] = CodeForm(request.POST)
    if not form.is_valid():
        return render(request, "feedback/citizen/confirm.html", context, status=400)
    try:
        proof = contact_confirm(
            phone=pending["phone"], email=pending["email"], code=form.cleaned_data["code"], client=_client(request)
        )
    except ContactError as error:
        form.add_error("code", error.detail)
        return render(request, "feedback/citizen/confirm.html", context, status=error.status_code)
    request.session[SESSION_CONFIRMED] = {
        "name": pending["name"],
        "phone": pending["phone"],
        "email": pending["email"],
        "address": pending.get("address", ""),
        "proof": proof,
    }
    request.session.pop(SESSION_PENDING, None)
    messages.success(request, _("Thank you, your contact is confirmed. Now describe the problem."))
    return redirect("report-new")


# --- sending a report: the form ------------------------------------------------------------------


def _report_context(request, form, *, contact, photos_dropped=False) -> dict:
    categories = list(form.fields["category"].queryset)
    return {
        "form": form,
        "contact": contact,
        "photos_dropped": photos_dropped,
        "category_hints": [
            {
                "name": category_name(c),
                "examples": category_examples(c),
                "photo_expected": c.photo_expected,
                "tier": c.get_tier_display(),
            }
            for c in categories
        ],
        "unit_search": form.unit_search,
        "unit_matches": form.unit_matches,
    }


def _typed(data) -> dict:
    """What the reporter typed in the report form (files aside), to keep across a detour."""
    return {name: data.get(name, "") for name in DRAFT_FIELDS if data.get(name, "") != ""}


@never_cache
@require_http_methods(["GET", "POST"])
def report_new(request):
    citizen = is_citizen(request.user)
    contact = None if citizen else request.session.get(SESSION_CONFIRMED)
    if not citizen and not (contact and contact.get("proof")):
        if request.method == "GET":
            return _contact_page(request)  # the first step, at the address every "Send a report" link has
        request.session[SESSION_DRAFT] = _typed(request.POST)
        return redirect("report-new-contact")

    if request.method == "GET":
        initial = request.session.pop(SESSION_DRAFT, None) or {}
        search = request.GET.get("unit_q", initial.get("unit_q", ""))
        if search:
            initial["unit_q"] = search
        form = ReportForm(initial=initial, unit_search=search)
        return render(request, "feedback/citizen/new.html", _report_context(request, form, contact=contact))

    photos_sent = bool(request.FILES.getlist("photos"))
    if request.POST.get("action") == "find_unit":
        # Narrow the list of places; keep what was typed (files cannot be kept by the browser).
        form = ReportForm(initial=_typed(request.POST), unit_search=request.POST.get("unit_q", ""))
        context = _report_context(request, form, contact=contact, photos_dropped=photos_sent)
        return render(request, "feedback/citizen/new.html", context)

    form = ReportForm(request.POST, request.FILES, unit_search=request.POST.get("unit_q", ""))
    if not form.is_valid():
        context = _report_context(request, form, contact=contact, photos_dropped=photos_sent)
        return render(request, "feedback/citizen/new.html", context, status=400)
    data = form.cleaned_data
    who = (
        {"reporter": request.user}
        if citizen
        else {
            "contact_name": contact["name"],
            "contact_phone": contact["phone"],
            "contact_email": contact["email"],
            "contact_proof": contact["proof"],
        }
    )
    try:
        report = services.report_create(
            category=data["category"],
            text=data["text"],
            unit=data["unit"],
            address=data["address"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            channel=Channel.WEB,
            photos=data["photos"],
            keep_location=data["keep_location"],
            **who,
        )
    except ReportError as error:
        if error.code == "contact_not_confirmed":
            # The confirmation expired: confirm again (the contact step is filled in already);
            # what was typed waits in the session.
            request.session[SESSION_CONFIRMED] = {key: contact.get(key, "") for key in ("name", "phone", "email")}
            request.session[SESSION_DRAFT] = _typed(request.POST)
            messages.error(request, error.detail)
            return redirect("report-new-contact")
        pages.add_service_errors(form, error)
        status = 400 if error.status_code < 500 else error.status_code
        context = _report_context(request, form, contact=contact, photos_dropped=photos_sent)
        return render(request, "feedback/citizen/new.html", context, status=status)
    except ApplicationError as error:  # a photo refused by its content, size or number (feedback.photos)
        form.add_error("photos", error.detail)
        context = _report_context(request, form, contact=contact, photos_dropped=photos_sent)
        return render(request, "feedback/citizen/new.html", context, status=400)
    request.session[SESSION_SENT] = report.code
    return redirect("report-sent")


@never_cache
@require_GET
def report_sent(request):
    """The confirmation: the code, where to follow it. Read from the session, never from the address bar."""
    code = request.session.get(SESSION_SENT)
    if not code:
        return redirect("report-new")
    report = selectors.report_get(code)
    if report is None:
        raise Http404
    mine = bool(report.applicant_id and report.applicant_id == request.user.pk)
    return render(request, "feedback/citizen/sent.html", {"report": report, "mine": mine})


# --- public tracking -------------------------------------------------------------------------------


@require_GET
def track_form(request):
    form = TrackForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return redirect("report-track", code=form.cleaned_data["code"])
    return render(request, "feedback/citizen/track_form.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@require_GET
def track(request, code):
    """Status, category, place, unit and dates only (`selectors.report_tracking`): nothing personal."""
    if limited := rate_limited(request, scope="report-track", template="feedback/citizen/rate_limited.html"):
        return limited
    form = TrackForm(initial={"code": code})
    tracking = selectors.report_tracking(code)
    if tracking is None:
        ratelimit.missed(request, "report-track")  # shared with the API: walking codes is stopped quickly
        return render(request, "feedback/citizen/track_not_found.html", {"form": form, "code": code}, status=404)
    context = {"t": tracking, "category_name": category_name(tracking["category"]), "form": form}
    return render(request, "feedback/citizen/track.html", context)


# --- the reporter's own reports ----------------------------------------------------------------------


@citizen_required
@require_GET
def my_reports(request):
    page = Paginator(selectors.reports_of_reporter(request.user), 50).get_page(request.GET.get("page"))
    rows = [
        {
            "report": r,
            "category_name": category_name(r.category),
            "next_step": NEXT_STEPS.get(r.status, ""),
            "action_needed": r.status == S.ANSWERED,
        }
        for r in page
    ]
    return render(request, "feedback/citizen/my_reports.html", {"page": page, "rows": rows})


def _own_report(request, code):
    report = selectors.reports_of_reporter(request.user).filter(code=(code or "").strip().upper()).first()
    if (
        report is None
        or not access.can(request.user, "case.view", report)
        or access.APPLICANT not in access.acting_roles(request.user, report)
    ):
        raise Http404
    return report


def _report_page(request, report, *, rate_form=None, reopen_form=None, status=200):
    offered = {rule.action for rule in services.report_actions_available(report=report, user=request.user)}
    photos = list(report.photos.all())
    events = reporter_timeline(report)
    closing = next((e for e in reversed(events) if e.action == "reject"), None)
    context = {
        "report": report,
        "category_name": category_name(report.category),
        "next_step": NEXT_STEPS.get(report.status, ""),
        "events": events,
        "report_photos": [p for p in photos if p.role == PhotoRole.REPORT],
        "answer_photos": [p for p in photos if p.role == PhotoRole.ANSWER],
        "rejection_note": closing.public_note if closing and report.status == S.REJECTED else "",
        "can_rate": "rate" in offered,
        "can_reopen": "reopen" in offered,
        "rate_form": rate_form or RateForm(initial={"rating": report.satisfaction}),
        "reopen_form": reopen_form or ReopenForm(),
        "reopen_days": workflow.REOPEN_WITHIN_DAYS,
    }
    return render(request, "feedback/citizen/my_report.html", context, status=status)


@citizen_required
@require_http_methods(["GET", "POST"])
def my_report(request, code):
    report = _own_report(request, code)
    if request.method == "GET":
        return _report_page(request, report)
    action = request.POST.get("action")
    if action == "rate":
        form = RateForm(request.POST)
        forms = {"rate_form": form}
        done = _("Thank you for rating the answer.")
        kwargs = lambda: {"rating": form.cleaned_data["rating"]}  # noqa: E731
    elif action == "reopen":
        form = ReopenForm(request.POST)
        forms = {"reopen_form": form}
        done = _("Your report was reopened. The unit handles it again.")
        kwargs = lambda: {"note": form.cleaned_data["note"]}  # noqa: E731
    else:
        messages.error(request, _("Choose what to do."))
        return redirect("my-report", code=report.code)
    if not form.is_valid():
        return _report_page(request, report, status=400, **forms)
    try:
        services.report_transition(report=report, action=action, actor=request.user, **kwargs())
    except ReportError as error:
        if error.code == "invalid":
            pages.add_service_errors(form, error)
            return _report_page(request, report, status=400, **forms)
        messages.error(request, error.detail)
        return redirect("my-report", code=report.code)
    messages.success(request, done)
    return redirect("my-report", code=report.code)
