"""The citizen's side of dossiers, server-rendered and working without JavaScript.

Filing (start, draft, review, submit), "my dossiers", one dossier with its
timeline, supplement, withdrawal and rating, document downloads (shared with
officers), the appointment slip, and public tracking by code.

Views parse input, call one service or selector, and render. Another
citizen's dossier is a 404, never a 403: a code that exists must not be told
apart from one that does not.
"""

from datetime import date
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from govportal import ratelimit
from govportal.api.errors import ApplicationError
from govportal.cases import pages
from govportal.ratelimit import rate_limited
from govportal.tiers.selectors import receiving_units_for
from identity import access
from identity.eid.adapter import SESSION_LEVEL
from procedures import form_rules, selectors, services, workflow
from procedures.forms import (
    FIELD_PREFIX,
    DraftForm,
    RateForm,
    StartForm,
    SubmitForm,
    SupplementForm,
    TrackForm,
    WithdrawForm,
    document_label,
    field_label,
    in_english,
)
from procedures.models import DocumentRole
from procedures.payment_kind import payment_due, subject_of
from procedures.qr import qr_svg
from procedures.services import DossierError
from procedures.uploads import open_stored
from procedures.workflow import DossierStatus as S

# --- helpers ---------------------------------------------------------------------


def citizen_required(view):
    """Logged in, and a citizen (a personal ID number from the e-ID): staff accounts file nothing."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.personal_id:
            return render(request, "procedures/citizen/not_citizen.html", status=403)
        return view(request, *args, **kwargs)

    return wrapper


def procedure_name(procedure) -> str:
    return procedure.name_en if in_english() and procedure.name_en else procedure.name_vi


def _display_value(spec: dict, value) -> str:
    if spec.get("type") == "date" and value:
        try:
            return date.fromisoformat(str(value)).strftime("%d/%m/%Y")
        except ValueError:
            return str(value)
    return "" if value is None else str(value)


def _draft_or_redirect(request, uuid):
    """The citizen's draft, or a redirect to the filed dossier if it was already submitted (double click)."""
    try:
        return selectors.dossier_draft_get(user=request.user, uuid=uuid), None
    except Http404:
        filed = selectors.dossiers_of_applicant(user=request.user).filter(uuid=uuid).exclude(code=None).first()
        if filed is None:
            raise
        return None, redirect("my-dossier", code=filed.code)


# What the citizen has to do next, by status (the "next step" column).
NEXT_STEPS = {
    S.DRAFT: gettext_lazy("Finish the form and submit it"),
    S.SUBMITTED: gettext_lazy("Wait: the unit will check and receive your dossier"),
    S.RECEIVED: gettext_lazy("Nothing to do: the unit is handling your dossier"),
    S.PROCESSING: gettext_lazy("Nothing to do: the unit is handling your dossier"),
    S.SUPPLEMENT_REQUESTED: gettext_lazy("Send the supplement the unit asked for"),
    S.PAYMENT_REQUIRED: gettext_lazy("Pay the fee"),
    S.DECIDED: gettext_lazy("Download or collect the result"),
    S.RESULT_RETURNED: gettext_lazy("Done: the result is available"),
    S.NOT_RECEIVED: gettext_lazy("Read why the dossier was not received"),
    S.STOPPED: gettext_lazy("Read the reason of the refusal"),
    S.WITHDRAWN: gettext_lazy("Nothing: you withdrew this dossier"),
}
ACTION_NEEDED = frozenset({S.DRAFT, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUIRED})


# --- filing ----------------------------------------------------------------------


@citizen_required
@require_http_methods(["GET", "POST"])
def dossier_start(request, code):
    procedure = selectors.procedure_get(code=code)
    level = request.session.get(SESSION_LEVEL)
    # Where this procedure may be filed; the residence is the default when it is one of them.
    units = list(receiving_units_for(procedure))
    residence = next((u for u in units if u.pk == request.user.residence_unit_id), None)
    form = StartForm(
        request.POST if request.method == "POST" else None,
        units=units,
        needs_unit=residence is None,
        procedure=procedure,
    )
    context = {"procedure": procedure, "procedure_name": procedure_name(procedure), "form": form, "level": level}
    if request.method == "GET":
        if (level or 0) < procedure.min_eid_level:
            context["level_too_low"] = True
            return render(request, "procedures/citizen/start.html", context, status=403)
        return render(request, "procedures/citizen/start.html", context)
    if not form.is_valid():
        return render(request, "procedures/citizen/start.html", context, status=400)
    try:
        # The API's service too: the draft and its registry prefill in one transaction.
        dossier = services.dossier_start(
            procedure=procedure,
            applicant=request.user,
            receiving_unit=form.cleaned_data.get("receiving_unit") or residence,
            eid_level=level,
        )
    except DossierError as error:
        context["error"] = error
        context["level_too_low"] = error.code == "eid_level_too_low"
        response = render(request, "procedures/citizen/start.html", context, status=error.status_code)
        return ratelimit.with_retry_after(response, getattr(error, "wait", None))  # too many drafts: 429
    return redirect("dossier-draft", uuid=dossier.uuid)


def _draft_context(dossier, form, *, documents, missing=None) -> dict:
    procedure = dossier.procedure
    uploaded = list(dossier.documents.all())
    reused = dossier.reused_data or {}
    prefilled = [
        (field_label(spec), _display_value(spec, dossier.form_data.get(spec["name"])))
        for spec in procedure.form_fields
        if spec["name"] in reused.get("fields", [])
    ]
    return {
        "dossier": dossier,
        "procedure": procedure,
        "procedure_name": procedure_name(procedure),
        "form": form,
        "prefilled": prefilled,
        "document_rows": [
            {"document": doc, "field": field, "uploaded": [u for u in uploaded if u.key == doc.key]}
            for doc, field in form.document_fields()
        ],
        "registry_documents": [document_label(d) for d in documents if d.replaceable_by_registry],
        "other_uploads": [u for u in uploaded if u.key not in {d.key for d in form.asked_documents}],
        "missing": missing,
    }


@citizen_required
@require_http_methods(["GET", "POST"])
def dossier_draft(request, uuid):
    dossier, done = _draft_or_redirect(request, uuid)
    if done:
        return done
    documents = list(dossier.procedure.documents.all())
    units = list(receiving_units_for(dossier.procedure))
    if request.method == "GET":
        form = DraftForm(dossier=dossier, units=units, documents=documents)
        missing = services.missing_for_submission(dossier) if request.GET.get("incomplete") else None
        return render(
            request,
            "procedures/citizen/draft.html",
            _draft_context(dossier, form, documents=documents, missing=missing),
        )

    form = DraftForm(request.POST, request.FILES, dossier=dossier, units=units, documents=documents)
    form.is_valid()
    # Whatever else is wrong, keep every valid answer: the citizen never types twice.
    try:
        services.dossier_draft_update(
            dossier=dossier, actor=request.user, form_data=form.typed_data(), receiving_unit=form.chosen_unit()
        )
        for field_name, key, upload in form.uploads():
            try:
                services.document_attach(dossier=dossier, actor=request.user, upload=upload, key=key)
            except DossierError:
                raise  # the dossier's state, not the file: handled below
            except ApplicationError as error:
                form.add_error(field_name, error.detail)
        removed = _remove_requested_document(request, dossier)
    except DossierError as error:
        if error.code != "invalid":
            messages.error(request, error.detail)
            return redirect("my-dossiers")
        _add_form_data_errors(form, error)
        removed = None
    if form.errors:
        messages.error(
            request,
            _("Your other answers and files were saved. Correct what is marked below; choose refused files again."),
        )
        dossier = selectors.dossier_draft_get(user=request.user, uuid=uuid)
        return render(
            request, "procedures/citizen/draft.html", _draft_context(dossier, form, documents=documents), status=400
        )
    if removed is not None:
        messages.success(request, _("“%(name)s” was removed from your draft.") % {"name": removed.original_name})
        return redirect(f"{reverse('dossier-draft', kwargs={'uuid': dossier.uuid})}#documents")
    if request.POST.get("action") == "review":
        return redirect("dossier-review", uuid=dossier.uuid)
    messages.success(request, _("Your draft was saved. You can come back to it later from “My dossiers”."))
    return redirect("dossier-draft", uuid=dossier.uuid)


def _add_form_data_errors(form, error: DossierError) -> None:
    """The service's per-field refusals (the form's own rules, `procedures.form_rules`) next to the fields."""
    for name, field_messages in error.extra.get("errors", {}).get("form_data", {}).items():
        field = FIELD_PREFIX + name
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def _remove_requested_document(request, dossier):
    """The draft form's "Remove" buttons post the file's id (no nested form: it works without JavaScript)."""
    document_id = request.POST.get("remove_document", "")
    if not document_id:
        return None
    try:
        return services.document_remove(
            dossier=dossier, actor=request.user, document_id=int(document_id) if document_id.isdigit() else 0
        )
    except DossierError as error:
        if error.code != "document_not_found":
            raise
        messages.error(request, error.detail)  # already removed (another tab, a double click): nothing lost
        return None


@citizen_required
@require_http_methods(["GET", "POST"])
def dossier_review(request, uuid):
    dossier, done = _draft_or_redirect(request, uuid)
    if done:
        return done
    if request.method == "POST":
        form = SubmitForm(request.POST)
        version = form.cleaned_data.get("version") if form.is_valid() else None
        try:
            dossier = services.dossier_transition(
                dossier=dossier,
                action="submit",
                actor=request.user,
                expected_version=version,
                eid_level=request.session.get(SESSION_LEVEL),
            )
        except DossierError as error:
            messages.error(request, error.detail)
            if error.code == "incomplete":
                return redirect(reverse("dossier-draft", kwargs={"uuid": dossier.uuid}) + "?incomplete=1")
            if error.code == "receiving_unit_not_allowed":
                return redirect("dossier-draft", uuid=dossier.uuid)  # choose another unit there
            return redirect("dossier-review", uuid=dossier.uuid)
        messages.success(request, _("Your dossier was submitted. Dossier code: %(code)s") % {"code": dossier.code})
        return redirect("my-dossier", code=dossier.code)

    procedure = dossier.procedure
    reused = dossier.reused_data or {}
    uploaded = list(dossier.documents.all())
    documents = list(procedure.documents.all())
    # A stored answer the form's rules refuse (saved before they were checked) is shown where it is.
    invalid = form_rules.stored_errors(procedure.form_fields, dossier.form_data)
    context = {
        "dossier": dossier,
        "procedure": procedure,
        "procedure_name": procedure_name(procedure),
        "rows": [
            {
                "label": field_label(spec),
                "value": _display_value(spec, dossier.form_data.get(spec["name"])),
                "required": spec.get("required", False),
                "from_registry": spec["name"] in reused.get("fields", []),
                "errors": invalid.get(spec["name"], []),
            }
            for spec in procedure.form_fields
        ],
        "document_rows": [
            {"label": document_label(d), "document": d, "uploaded": [u for u in uploaded if u.key == d.key]}
            for d in documents
            if not d.replaceable_by_registry
        ],
        "registry_documents": [document_label(d) for d in documents if d.replaceable_by_registry],
        "fee_lines": list(procedure.fee_lines.all()),
        "missing": services.missing_for_submission(dossier),
        "form": SubmitForm(initial={"version": dossier.version}),
    }
    context["fee_total"] = sum(line.amount_vnd for line in context["fee_lines"])
    return render(request, "procedures/citizen/review.html", context)


# --- my dossiers -------------------------------------------------------------------


@citizen_required
@require_GET
def my_dossiers(request):
    page = Paginator(selectors.dossiers_of_applicant(user=request.user), 50).get_page(request.GET.get("page"))
    rows = [
        {"dossier": d, "next_step": NEXT_STEPS.get(d.status, ""), "action_needed": d.status in ACTION_NEEDED}
        for d in page
    ]
    return render(request, "procedures/citizen/my_dossiers.html", {"page": page, "rows": rows})


def _own_dossier(request, code):
    dossier = selectors.dossiers_of_applicant(user=request.user).filter(code=code).first()
    if dossier is None:
        raise Http404
    return dossier


def _dossier_page(request, dossier, *, supplement_form=None, withdraw_form=None, rate_form=None, status=200):
    events = selectors.timeline(dossier=dossier, for_citizen=True)
    # Offered when the service would take it (the table's statuses, the applicant), as the API's list.
    offered = {rule.action for rule in services.actions_available(dossier=dossier, user=request.user)}
    documents = list(dossier.documents.all())
    last_request = next((e for e in reversed(events) if e.action == "request_supplement"), None)
    closing = next((e for e in reversed(events) if e.to_status == dossier.status and e.note), None)
    context = {
        "dossier": dossier,
        "procedure_name": procedure_name(dossier.procedure),
        "events": events,
        "apologies": [e for e in events if e.action == "apologise"],
        "filed_documents": [d for d in documents if d.role != DocumentRole.RESULT],
        "result_documents": [d for d in documents if d.role == DocumentRole.RESULT]
        if dossier.status in (S.DECIDED, S.RESULT_RETURNED)
        else [],
        "supplement_request": last_request if dossier.status == S.SUPPLEMENT_REQUESTED else None,
        "payment_request": selectors.payment_request(dossier=dossier),
        # Paying online (payments app): the applicant, while the fee is due (asked for, or due at filing).
        "can_pay_online": dossier.applicant_id == request.user.pk and payment_due(dossier),
        "payment_subject": subject_of(dossier),
        "supplement_form": supplement_form or SupplementForm(),
        "can_withdraw": workflow.rule_for(dossier.status, "withdraw") is not None,
        "withdraw_form": withdraw_form or WithdrawForm(),
        "closing_note": closing.note if closing and dossier.status in (S.NOT_RECEIVED, S.STOPPED) else "",
        "next_step": NEXT_STEPS.get(dossier.status, ""),
        "has_slip": dossier.received_at is not None,
        "can_rate": "rate" in offered,
        "rate_form": rate_form or RateForm(initial={"rating": dossier.satisfaction}),
    }
    return render(request, "procedures/citizen/dossier.html", context, status=status)


@citizen_required
@require_http_methods(["GET", "POST"])
def my_dossier(request, code):
    """The dossier page; its rating form posts here (action=rate), as the 1022 report page's does."""
    dossier = _own_dossier(request, code)
    if request.method == "GET":
        return _dossier_page(request, dossier)
    if request.POST.get("action") != "rate":
        messages.error(request, _("Choose what to do."))
        return redirect("my-dossier", code=dossier.code)
    form = RateForm(request.POST)
    if not form.is_valid():
        return _dossier_page(request, dossier, rate_form=form, status=400)
    try:
        services.dossier_transition(
            dossier=dossier, action="rate", actor=request.user, rating=form.cleaned_data["rating"]
        )
    except DossierError as error:
        if error.code == "invalid":
            pages.add_service_errors(form, error)
            return _dossier_page(request, dossier, rate_form=form, status=400)
        messages.error(request, error.detail)  # not rateable now (status), or someone else's
        return redirect("my-dossier", code=dossier.code)
    messages.success(request, _("Thank you for rating the service."))
    return redirect("my-dossier", code=dossier.code)


@citizen_required
@require_POST
def dossier_supplement(request, code):
    dossier = _own_dossier(request, code)
    form = SupplementForm(request.POST, request.FILES)
    if not form.is_valid():
        return _dossier_page(request, dossier, supplement_form=form, status=400)
    try:
        for upload in form.cleaned_data["files"]:
            try:
                services.document_attach(
                    dossier=dossier, actor=request.user, upload=upload, role=DocumentRole.SUPPLEMENT
                )
            except DossierError:
                raise  # not the file: the dossier takes no supplement now (its status, its owner)
            except ApplicationError as error:
                form.add_error("files", error.detail)
        if form.errors:
            # Accepted files stay attached; the supplement is sent once every file is right.
            return _dossier_page(request, dossier, supplement_form=form, status=400)
        services.dossier_transition(
            dossier=dossier, action="supplement", actor=request.user, note=form.cleaned_data["note"]
        )
    except DossierError as error:
        messages.error(request, error.detail)
        return redirect("my-dossier", code=dossier.code)
    messages.success(request, _("Your supplement was sent. The unit continues handling your dossier."))
    return redirect("my-dossier", code=dossier.code)


@citizen_required
@require_POST
def dossier_withdraw(request, code):
    dossier = _own_dossier(request, code)
    form = WithdrawForm(request.POST)
    if not form.is_valid():
        return _dossier_page(request, dossier, withdraw_form=form, status=400)
    try:
        services.dossier_transition(
            dossier=dossier, action="withdraw", actor=request.user, note=form.cleaned_data["reason"]
        )
    except DossierError as error:
        messages.error(request, error.detail)
        return redirect("my-dossier", code=dossier.code)
    messages.success(request, _("Your dossier was withdrawn."))
    return redirect("my-dossier", code=dossier.code)


# --- shared with officers: documents and the appointment slip ------------------------


@login_required
@require_GET
def dossier_document(request, code, doc_id):
    """Stream one file of a dossier to whoever may view the dossier; never shown inline."""
    dossier = selectors.dossier_get_for(user=request.user, code=code)
    if not access.can(request.user, "case.view", dossier):
        raise Http404
    document = dossier.documents.filter(pk=doc_id).first()
    if document is None:
        raise Http404
    try:
        handle = open_stored(document.stored_name)  # from the dossiers storage; FileResponse closes it
    except OSError as error:
        raise Http404 from error
    response = FileResponse(
        handle, as_attachment=True, filename=document.original_name, content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def dossier_slip(request, code):
    """The appointment slip (Giấy tiếp nhận hồ sơ và hẹn trả kết quả), printable, with a QR code to tracking."""
    dossier = selectors.dossier_get_for(user=request.user, code=code)
    context = {"dossier": dossier, "procedure_name": procedure_name(dossier.procedure)}
    if dossier.received_at is None:
        return render(request, "procedures/citizen/slip_unavailable.html", context, status=404)
    tracking_url = request.build_absolute_uri(reverse("track", kwargs={"code": dossier.code}))
    context.update(
        {
            "tracking_url": tracking_url,
            "qr": qr_svg(tracking_url, label=_("QR code: follow this dossier at %(url)s") % {"url": tracking_url}),
            "documents": [d for d in dossier.documents.all() if d.role != DocumentRole.RESULT],
        }
    )
    return render(request, "procedures/citizen/slip.html", context)


# --- public tracking ------------------------------------------------------------------


@require_GET
def track_form(request):
    form = TrackForm(request.GET or None)
    if form.is_bound and form.is_valid():
        return redirect("track", code=form.cleaned_data["code"])
    return render(request, "procedures/citizen/track_form.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
@require_GET
def track(request, code):
    """Status, unit and due date only: no name, no procedure, nothing personal."""
    if limited := rate_limited(request, scope="track", template="procedures/citizen/rate_limited.html"):
        return limited
    form = TrackForm(initial={"code": code})
    try:
        dossier = selectors.dossier_track(code=code)
    except Http404:
        ratelimit.missed(request, "track")  # shared with the API: walking codes is stopped quickly
        return render(request, "procedures/citizen/track_not_found.html", {"form": form, "code": code}, status=404)
    unit = dossier.handling_unit or dossier.receiving_unit
    return render(request, "procedures/citizen/track.html", {"dossier": dossier, "unit": unit, "form": form})
