"""Every write to dossiers goes through here: filing, documents and the one transition service."""

from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from govportal import ratelimit
from govportal.api.errors import ApplicationError
from govportal.cases import transfers
from govportal.cases.codes import claim_number
from govportal.cases.transitions import Messages, Transitions
from govportal.tasks import dispatch_or_log
from govportal.templatetags.portal import dmyhm
from govportal.tiers.models import Unit
from govportal.tiers.selectors import receiving_units_for, work_calendar
from procedures import form_rules, workflow
from procedures.case_kind import dossier_kind
from procedures.deadlines import apology_latest_at, apology_max_date, deadline_for
from procedures.models import (
    CodeSequence,
    DocumentRole,
    Dossier,
    DossierDocument,
    DossierEvent,
    Procedure,
)
from procedures.uploads import check_upload, discard, store_upload
from procedures.workflow import DossierStatus as S

# Actions the citizen hears about (by email and in the portal): procedures.notifications.MESSAGES.
CITIZEN_NOTIFY_ACTIONS = frozenset(
    {
        "receive",
        "refuse_receipt",
        "request_supplement",
        "decide",
        "stop",
        "return_result",
        "apologise",
        "accept_transfer",
    }
)
# Actions the staff hear about (the assignee, else the unit's staff): procedures.notifications.STAFF_MESSAGES.
# A claim is not among them: nobody is told of their own action.
STAFF_NOTIFY_ACTIONS = frozenset({"supplement", "transfer", "return_transfer", "assign"})
# Actions whose event is followed, on commit, by the notification task.
NOTIFY_ACTIONS = CITIZEN_NOTIFY_ACTIONS | STAFF_NOTIFY_ACTIONS


class DossierError(ApplicationError):
    pass


# --- filing ----------------------------------------------------------------------


def _check_eid_level(procedure: Procedure, eid_level: int | None) -> None:
    """The login's e-ID level must reach the procedure's: checked when a draft starts and again at submission."""
    if (eid_level or 0) < procedure.min_eid_level:
        raise DossierError(
            "eid_level_too_low",
            _(
                "This procedure needs an e-ID of level %(required)s. You logged in with level %(level)s: "
                "log in again with a level %(required)s account (activated in person at the police)."
            )
            % {"required": procedure.min_eid_level, "level": eid_level or "?"},
            status_code=403,
        )


def dossier_start(
    *, procedure: Procedure, applicant, receiving_unit: Unit, eid_level: int | None, form_data: dict | None = None
) -> Dossier:
    """Start a draft the one way every door starts it: create it, save what was typed, fill the rest from
    the population registry.

    One transaction: a registry failure (or a refused answer) leaves no half-made draft behind.
    """
    # Page and API alike: a citizen starts at most RATE_LIMITS["draft-create"] drafts (429 `rate_limited`).
    ratelimit.enforce("draft-create", f"user:{applicant.pk}", error=DossierError)
    with transaction.atomic():
        dossier = dossier_draft_create(
            procedure=procedure, applicant=applicant, receiving_unit=receiving_unit, eid_level=eid_level
        )
        if form_data:
            dossier_draft_update(dossier=dossier, actor=applicant, form_data=form_data)
        dossier_prefill_from_registry(dossier=dossier, actor=applicant)
    return dossier


def dossier_draft_create(*, procedure: Procedure, applicant, receiving_unit: Unit, eid_level: int | None) -> Dossier:
    """Start a draft at a unit that may receive this procedure (`receiving_units_for`), whatever the
    citizen's residence."""
    if not procedure.is_active:
        raise DossierError("procedure_inactive", _("This procedure cannot be filed online at the moment."))
    _check_eid_level(procedure, eid_level)
    if not receiving_unit.is_active:
        raise DossierError("unit_inactive", _("This unit does not receive dossiers."))
    _check_receiving_unit(procedure, receiving_unit)
    with transaction.atomic():
        dossier = Dossier.objects.create(procedure=procedure, applicant=applicant, receiving_unit=receiving_unit)
        dossier_event_append(dossier=dossier, actor=applicant, action="create_draft", from_status="", to_status=S.DRAFT)
    return dossier


def dossier_draft_update(*, dossier: Dossier, actor, form_data: dict, receiving_unit: Unit | None = None) -> Dossier:
    """Save what the citizen typed so far (drafts are saved, nothing is lost)."""
    if dossier.status != S.DRAFT or dossier.applicant_id != actor.pk:
        raise DossierError("not_editable", _("Only your own draft can be edited."), status_code=409)
    cleaned, errors = form_rules.clean_form_data(dossier.procedure.form_fields, form_data)
    if errors:
        raise DossierError("invalid", _("Some fields are not valid."), extra={"errors": {"form_data": errors}})
    dossier.form_data = {**dossier.form_data, **cleaned}
    if receiving_unit is not None:
        _check_receiving_unit(dossier.procedure, receiving_unit)
        dossier.receiving_unit = receiving_unit
    dossier.version += 1
    dossier.save(update_fields=["form_data", "receiving_unit", "version", "updated_at"])
    return dossier


def receiving_unit_refusal(procedure: Procedure, unit: Unit) -> DossierError | None:
    """Why `unit` may not receive a dossier of `procedure`, or None when it may.

    The rule itself is `tiers.selectors.receiving_units_for`; the filing form
    offers only those units and shows this message for any other one.
    """
    if receiving_units_for(procedure).filter(pk=unit.pk).exists():
        return None
    if procedure.tier == "commune":
        message = _(
            "%(unit)s cannot receive this procedure: it is received and decided by a ward, commune or special "
            "zone. Choose any of them, wherever you live."
        )
    elif procedure.handling_department_id:
        message = _(
            "%(unit)s cannot receive this procedure: file it at %(department)s, at the city's Public "
            "Administration Service Centre, or at any ward, commune or special zone (which forwards it)."
        )
    else:
        message = _(
            "%(unit)s cannot receive this procedure: file it at the city's Public Administration Service "
            "Centre, or at any ward, commune or special zone (which forwards it)."
        )
    department = procedure.handling_department.name if procedure.handling_department_id else ""
    return DossierError(
        "receiving_unit_not_allowed", message % {"unit": unit.name, "department": department}, status_code=400
    )


def _check_receiving_unit(procedure: Procedure, unit: Unit) -> None:
    refusal = receiving_unit_refusal(procedure, unit)
    if refusal is not None:
        raise refusal


def dossier_prefill_from_registry(*, dossier: Dossier, actor) -> dict:
    """Fill form fields and replace documents from the population registry (an audited read).

    Records in `reused_data` which fields and documents came from the registry,
    so the officer knows what was not typed or uploaded by the citizen.
    """
    from identity.registry.services import registry_lookup

    record = registry_lookup(
        personal_id=actor.personal_id or "", actor=actor, purpose="dossier prefill", case_ref=f"dossier:{dossier.uuid}"
    )
    reused = {"fields": [], "documents": [], "at": timezone.now().isoformat()}
    prefilled = {}
    if record is not None:
        for field in dossier.procedure.form_fields:
            source = field.get("prefill")
            if source and hasattr(record, source) and not dossier.form_data.get(field["name"]):
                value = getattr(record, source)
                prefilled[field["name"]] = value.isoformat() if hasattr(value, "isoformat") else str(value)
                reused["fields"].append(field["name"])
        reused["documents"] = [d.key for d in dossier.procedure.documents.all() if d.replaceable_by_registry]
    dossier.form_data = {**prefilled, **dossier.form_data}
    dossier.reused_data = reused
    dossier.save(update_fields=["form_data", "reused_data", "updated_at"])
    return prefilled


# Which papers the applicant may add, and when; result files come only with the decision (`dossier_transition`).
_ATTACH_STATUS = {DocumentRole.APPLICATION: S.DRAFT, DocumentRole.SUPPLEMENT: S.SUPPLEMENT_REQUESTED}


def _check_attach(dossier: Dossier, actor, *, key: str, role: str) -> None:
    status = _ATTACH_STATUS.get(role)
    if status is None:
        raise DossierError("not_editable", _("A result document is attached only with the decision."), status_code=409)
    if actor is None or dossier.applicant_id != actor.pk or dossier.status != status:
        if role == DocumentRole.APPLICATION:
            message = _("Only your own draft can be edited.")
        else:
            message = _("Documents can be added only to your own dossier while a supplement is requested.")
        raise DossierError("not_editable", message, status_code=409)
    if role == DocumentRole.APPLICATION and key not in {d.key for d in dossier.procedure.documents.all()}:
        raise DossierError(
            "invalid",
            _("Some fields are not valid."),
            extra={"errors": {"key": [_("This procedure asks for no such document.")]}},
        )


def document_attach(*, dossier: Dossier, actor, upload, key: str = "", role: str = DocumentRole.APPLICATION):
    """The applicant adds a file: to their own draft, or as a supplement while one is requested.

    Checked before the file is written and again under the row lock (the
    status may change in between); if the row cannot be written the file is
    removed.
    """
    _check_attach(dossier, actor, key=key, role=role)
    check_upload(upload)
    _check_document_limits(dossier, upload.size)
    _count_upload_volume(actor, upload.size)
    stored = store_upload(upload)
    try:
        with transaction.atomic():
            locked = Dossier.objects.select_for_update().select_related("procedure").get(pk=dossier.pk)
            _check_attach(locked, actor, key=key, role=role)
            _check_document_limits(locked, stored.size)
            document = _document_record(locked, actor, stored, key=key, role=role)
    except BaseException:
        discard(stored.stored_name)
        raise
    return document


def _check_document_limits(dossier: Dossier, adding: int) -> None:
    """A dossier holds at most DOSSIER_MAX_DOCUMENTS of the applicant's files, DOSSIER_MAX_DOCUMENT_BYTES in all."""
    held = dossier.documents.exclude(role=DocumentRole.RESULT).aggregate(count=Count("id"), total=Sum("size"))
    if held["count"] >= settings.DOSSIER_MAX_DOCUMENTS:
        raise ApplicationError(
            "too_many_documents",
            _("A dossier can hold at most %(max)s files.") % {"max": settings.DOSSIER_MAX_DOCUMENTS},
        )
    if (held["total"] or 0) + adding > settings.DOSSIER_MAX_DOCUMENT_BYTES:
        raise ApplicationError(
            "documents_too_large",
            _("The files of a dossier can total at most %(size)s MB.")
            % {"size": settings.DOSSIER_MAX_DOCUMENT_BYTES // (1024 * 1024)},
        )


def _count_upload_volume(actor, size: int) -> None:
    """Bytes a citizen uploads in a day (RATE_LIMITS["upload-bytes"]); a refused file uses none (429 `upload_quota`)."""
    wait = ratelimit.hit("upload-bytes", f"user:{actor.pk}", cost=size, refund_refused=True)
    if wait:
        raise ratelimit.RateLimited(
            wait,
            _("You have uploaded the most files allowed for today. Please try again later."),
            code="upload_quota",
        )


def _document_record(dossier: Dossier, actor, stored, *, key: str, role: str) -> DossierDocument:
    return DossierDocument.objects.create(
        dossier=dossier,
        key=key,
        role=role,
        original_name=stored.original_name,
        stored_name=stored.stored_name,
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        uploaded_by=actor,
    )


def document_remove(*, dossier: Dossier, actor, document_id: int) -> DossierDocument:
    """Take a file back out of the citizen's own draft (a wrong file, a better scan).

    Only drafts: once submitted, the dossier's papers are the record. The stored
    file is deleted only after the removal commits, and the timeline keeps its
    name and checksum.
    """
    if dossier.status != S.DRAFT or dossier.applicant_id != actor.pk:
        raise DossierError("not_editable", _("Only your own draft can be edited."), status_code=409)
    with transaction.atomic():
        document = (
            DossierDocument.objects.select_for_update()
            .filter(dossier=dossier, pk=document_id, role=DocumentRole.APPLICATION)
            .first()
        )
        if document is None:
            raise DossierError("document_not_found", _("This file is not in your draft."), status_code=404)
        stored_name = document.stored_name
        document.delete()
        dossier_event_append(
            dossier=dossier,
            actor=actor,
            action="remove_document",
            from_status=S.DRAFT,
            to_status=S.DRAFT,
            data={
                "document": document_id,
                "key": document.key,
                "name": document.original_name,
                "sha256": document.sha256,
            },
        )
        transaction.on_commit(lambda: discard(stored_name))
    return document


def missing_for_submission(dossier: Dossier) -> list[str]:
    """Names of required form fields and documents still missing."""
    missing = [
        f.get("label_vi") or f["name"]
        for f in dossier.procedure.form_fields
        if f.get("required") and not str(dossier.form_data.get(f["name"], "")).strip()
    ]
    uploaded = {d.key for d in dossier.documents.all()}
    missing += [
        d.name_vi
        for d in dossier.procedure.documents.all()
        if d.is_required and not d.replaceable_by_registry and d.key not in uploaded
    ]
    return missing


# --- the one transition service ---------------------------------------------------


def dossier_event_append(*, dossier, **fields) -> DossierEvent:
    """Append one event to the dossier's trail: the shared writer (`govportal.cases.events.event_append`).

    Fields: actor, action, from_status, to_status, and optionally note, data, now.
    Workflow actions reach it through `dossier_transition`, which checks status
    and actor first; the routing service and the clocks (govportal.cases) write
    their system events through the same writer.
    """
    return dossier_kind().append_event(case=dossier, **fields)


def _next_code(unit: Unit, now: datetime) -> str:
    """HCM-{filing code}-{yymmdd}-{nnnn}: one format for every receiving place (docs/0005)."""
    if not unit.filing_code:
        raise DossierError("receiving_unit_not_allowed", _("This unit does not receive dossiers."))
    day = timezone.localtime(now).strftime("%y%m%d")
    # Taken apart from the submission's transaction: a rolled-back submission leaves a gap (docs/0005).
    return f"HCM-{unit.filing_code}-{day}-{claim_number(CodeSequence, f'{unit.filing_code}-{day}'):04d}"


def dossier_transition(
    *,
    dossier: Dossier,
    action: str,
    actor,
    note: str = "",
    unit: Unit | None = None,
    reason: str = "",
    result_upload=None,
    new_due_at: datetime | None = None,
    assignee=None,
    rating: int | None = None,
    expected_version: int | None = None,
    eid_level: int | None = None,
    now: datetime | None = None,
) -> Dossier:
    """Apply one action from the workflow table through the shared transition (govportal.cases.transitions).

    Check, change, audit, then notify on commit; two officers acting at once
    cannot both succeed. `eid_level` is the e-ID level of the caller's login:
    submission checks it. `rating` is the applicant's 1-5 for "rate".
    """
    return TRANSITIONS.apply(
        case=dossier,
        action=action,
        actor=actor,
        note=note,
        expected_version=expected_version,
        now=now,
        unit=unit,
        reason=reason,
        result_upload=result_upload,
        new_due_at=new_due_at,
        assignee=assignee,
        eid_level=eid_level,
        rating=rating,
    )


def action_refusal(dossier: Dossier, action: str, *, now: datetime | None = None) -> DossierError | None:
    """Why `action` cannot be taken on this dossier now, beyond its status and the actor's role.

    The workflow table says which statuses allow an action; a guard adds what
    depends on the dossier's own data (a fee to pay, a clock still running).
    The transition raises the refusal; pages and the API offer only actions
    without one, so both doors apply the same rule.
    """
    return TRANSITIONS.refusal(dossier, action, now=now)


_GUARDS: dict = {}


def actions_available(*, dossier: Dossier, user, now: datetime | None = None) -> list[workflow.Rule]:
    """The rules `user` may apply to the dossier now, in table order: what pages and the API offer.

    The transition's own checks, nothing mirrored: the status (the table), the
    part the user plays (`identity.access.acting_roles`) and the action's guard.
    """
    return TRANSITIONS.available(dossier, user, now=now)


def _refuse_payment_without_fee(dossier: Dossier, now: datetime) -> DossierError | None:
    """Asking for payment makes sense only when the fee lines add up to more than 0 ₫."""
    if dossier.procedure.total_fee > 0:
        return None
    return DossierError(
        "no_fee",
        _("This procedure has no fee (0 ₫): there is nothing to pay. Continue handling the dossier."),
        status_code=409,
    )


_GUARDS["require_payment"] = _refuse_payment_without_fee


def _refuse_late_apology(dossier: Dossier, now: datetime) -> DossierError | None:
    """An apology is sent before the legal due date: at the latest on the working day before (docs/0006).

    The table allows it only while the unit's clock runs (received, processing);
    after that day the dossier is late, and no apology can hide it.
    """
    if dossier.due_at is None or dossier.paused_at is not None or dossier.finished_at is not None:
        return DossierError(
            "apology_not_running",
            _("An apology can be sent only while the unit's time limit is running."),
            status_code=409,
        )
    calendar = work_calendar()
    latest = apology_latest_at(dossier.due_at, calendar)
    if now < latest:
        return None
    last_day = timezone.localtime(latest - timedelta(microseconds=1))
    return DossierError(
        "apology_too_late",
        _(
            "Too late for an apology: it had to be sent by %(day)s, the working day before the legal due "
            "date (%(due)s). The dossier counts as late; finish it as soon as possible."
        )
        % {"day": last_day.strftime("%d/%m/%Y"), "due": dmyhm(dossier.due_at)},
        status_code=409,
    )


_GUARDS["apologise"] = _refuse_late_apology


def _refuse_receipt_before_fee(dossier: Dossier, now: datetime) -> DossierError | None:
    """A procedure whose fee is due at filing is received once the citizen has paid online (payment_kind)."""
    from procedures.payment_kind import fee_open_at_filing

    if not fee_open_at_filing(dossier):
        return None
    return DossierError(
        "fee_unpaid",
        _("The fee of this procedure is paid at filing and the citizen has not paid it yet."),
        status_code=409,
    )


_GUARDS["receive"] = _refuse_receipt_before_fee


def _notify(event_id: int) -> None:
    """Queue the event's notifications (citizen, staff); if the broker is down, the notification sweep sends them later."""
    from procedures.tasks import notify_dossier_event

    dispatch_or_log(notify_dossier_event, event_id, recovered_by="the notification sweep")


def _finish(dossier: Dossier, rule: workflow.Rule, *, from_status, actor, now, params, cleanup) -> tuple:
    """The dossier's own part of a transition: the target (back to the status before a pause), the clock and,
    for a decision, the result file (stored under the row lock; removed again if the decision is not recorded)."""
    data = {}
    target = rule.target
    if target == workflow.PREVIOUS:
        target = dossier.status_before_pause or S.SUBMITTED
        dossier.status_before_pause = ""
    if rule.clock:
        data.update(_apply_clock(dossier, rule.clock, from_status=from_status, now=now))
    if rule.needs_result:
        # The only way a result file is added: with the decision, under the row lock.
        try:
            stored = store_upload(params["result_upload"])
        except ApplicationError as error:  # refused by the upload checks: say so on the result field
            raise DossierError(error.code, error.detail, extra={"errors": {"result": error.detail}}) from error
        cleanup.append(lambda: discard(stored.stored_name))
        result = _document_record(dossier, actor, stored, key="", role=DocumentRole.RESULT)
        data["result_document"] = result.pk
    return target, data


def _missing_result(rule: workflow.Rule, params: dict) -> dict:
    if rule.needs_result and params.get("result_upload") is None:
        return {"result": _("Attach the result document.")}
    return {}


def _apply_clock(dossier: Dossier, effect: str, *, from_status: str, now: datetime) -> dict:
    calendar = work_calendar()
    if effect == workflow.START:
        dossier.received_at = now
        dossier.due_at = deadline_for(dossier.procedure, now, calendar)
        return {"due_at": dossier.due_at.isoformat()}
    if effect == workflow.PAUSE:
        # A supplement or a payment awaited: the citizen's time is not the unit's.
        dossier.status_before_pause = from_status
        if dossier.due_at and dossier.paused_at is None:
            dossier.paused_at = now
            # Rounded up to the stored 0.01 h: rounding down would take up to 18 s off the unit's time.
            left = Decimal(str(calendar.working_hours_between(now, dossier.due_at)))
            dossier.remaining_hours = left.quantize(Decimal("0.01"), rounding=ROUND_CEILING)
            return {"remaining_hours": str(dossier.remaining_hours)}
        return {}
    if effect == workflow.RESUME:
        # The target of the rule was computed already: what the pause remembered can go.
        dossier.status_before_pause = ""
        if dossier.paused_at is not None and dossier.remaining_hours is not None:
            if dossier.remaining_hours > 0:
                dossier.due_at = calendar.deadline(now, hours=dossier.remaining_hours)
            # else: the legal due date had passed before the pause; it stays passed (still late).
            dossier.paused_at = None
            dossier.remaining_hours = None
            return {"due_at": dossier.due_at.isoformat()}
        return {}
    if effect == workflow.STOP:
        dossier.closed_at = now
    return {}


# --- per-action effects (beyond status and clock) ---------------------------------


def _submit(dossier, *, actor, now, eid_level=None, **kwargs):
    # The login that submits must reach the procedure's e-ID level, whatever the draft was started with.
    _check_eid_level(dossier.procedure, eid_level)
    # What is stored is checked again with the form's rules: a bad value saved earlier is not submitted.
    errors = form_rules.stored_errors(dossier.procedure.form_fields, dossier.form_data)
    if errors:
        raise DossierError(
            "invalid",
            _("Some answers in the form are not valid: correct them before submitting."),
            extra={"errors": {"form_data": errors}},
        )
    missing = missing_for_submission(dossier)
    if missing:
        raise DossierError(
            "incomplete", _("The dossier is not complete yet."), extra={"missing": missing}, status_code=400
        )
    # Checked again: the catalogue (a procedure's tier or department) may have changed since the draft.
    _check_receiving_unit(dossier.procedure, dossier.receiving_unit)
    dossier.code = _next_code(dossier.receiving_unit, now)
    dossier.submitted_at = now
    # Routing runs in a task once the submission is committed (procedures.routing).
    dossier_id = dossier.pk
    transaction.on_commit(lambda: _dispatch_routing(dossier_id))
    return {}


def _dispatch_routing(dossier_id: int) -> None:
    """Queue routing; a broker outage must never fail the citizen's submission.

    The dossier is committed with `routed_at` empty, so the periodic sweep
    (procedures.sweep_unrouted_dossiers) dispatches it again once the broker is back.
    """
    dossier_kind().dispatch_route(dossier_id)


def _request_supplement(dossier, **kwargs):
    dossier.supplement_count += 1
    # One request is normal; a second one counts against the unit's on-time score.
    return {"request_number": dossier.supplement_count, "counts_against_unit": dossier.supplement_count > 1}


def _start_processing(dossier, *, actor, **kwargs):
    if dossier.assigned_to_id is None and actor is not None:
        dossier.assigned_to = actor
    return {}


def _decide(dossier, *, now, **kwargs):
    dossier.decided_at = now
    dossier.outcome = "approved"
    return {}


def _stop(dossier, *, now, **kwargs):
    dossier.decided_at = now
    dossier.outcome = "refused"
    return {}


def _transfer_refusal(code: str) -> DossierError:
    if code == transfers.TRANSFER_PENDING:
        return DossierError(
            code, _("A transfer of this dossier is already waiting for the other unit's answer."), status_code=409
        )
    return DossierError(code, _("The dossier is already at this unit."))


def _transfer(dossier, *, actor, unit, reason, now, **kwargs):
    # The shared effect (govportal.cases.transfers): waits for the other unit, hop limit, coordinator.
    return transfers.transfer_request(dossier, actor=actor, unit=unit, reason=reason, refuse=_transfer_refusal)


def _accept_transfer(dossier, *, now, **kwargs):
    return transfers.transfer_accept(dossier)


def _return_transfer(dossier, **kwargs):
    return transfers.transfer_return(dossier)


def _apologise(dossier, *, new_due_at, now, **kwargs):
    """Record the promised date next to the legal one; the legal date and lateness never move (docs/0006).

    The new date must be after the legal due date and at most the limit again
    (times APOLOGY_MAX_EXTENSION_FACTOR) after it. Only the due-soon warning is
    re-armed, against the promise; overdue and the escalations stay on the legal date.
    """
    calendar = work_calendar()
    error = None
    if new_due_at is None:
        error = _("Give the new date for the result.")
    elif new_due_at <= dossier.due_at:
        error = _("The new date must be later than the legal due date (%(due)s).") % {"due": dmyhm(dossier.due_at)}
    else:
        latest = apology_max_date(dossier.procedure, dossier.due_at, dossier.received_at, calendar)
        if new_due_at > latest:
            error = _("The new date may be at most %(latest)s: the legal due date plus the procedure's time limit.") % {
                "latest": dmyhm(latest)
            }
    if error:
        raise DossierError("invalid", _("Some information is missing."), extra={"errors": {"new_due_at": error}})
    previous = dossier.promised_at
    dossier.promised_at = new_due_at
    rearmed = ["due_soon_warned_at"] if dossier.due_soon_warned_at is not None else []
    dossier.due_soon_warned_at = None
    return {
        "legal_due_at": dossier.due_at.isoformat(),
        "old_due_at": (previous or dossier.due_at).isoformat(),
        "new_due_at": new_due_at.isoformat(),
        "before_deadline": now < dossier.due_at,
        "rearmed": rearmed,
    }


def _rate(dossier, *, rating=None, **kwargs):
    """The applicant's rating of the service, 1-5 (the satisfaction indicator): the latest counts.

    Checked here, so the page and the API refuse the same values; a bool is not
    a rating even though Python counts it as an int. The event keeps the rating
    it replaces, so a change of mind stays in the trail.
    """
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise DossierError(
            "invalid", _("Some fields are not valid."), extra={"errors": {"rating": _("Choose a rating from 1 to 5.")}}
        )
    previous = dossier.satisfaction
    dossier.satisfaction = rating
    return {"rating": rating, "previous": previous}


_EFFECTS = {
    "submit": _submit,
    "request_supplement": _request_supplement,
    "start_processing": _start_processing,
    "decide": _decide,
    "stop": _stop,
    "transfer": _transfer,
    "accept_transfer": _accept_transfer,
    "return_transfer": _return_transfer,
    "apologise": _apologise,
    "rate": _rate,
}

TRANSITIONS = Transitions(
    model=Dossier,
    table=workflow.TABLE,
    error=DossierError,
    messages=Messages(
        stale=gettext_lazy("Someone else changed this dossier a moment ago. Reload it and check before acting."),
        forbidden=gettext_lazy("You may not do this to this dossier."),
        not_allowed=gettext_lazy("“%(action)s” is not possible while the dossier is “%(status)s”."),
        note_missing=gettext_lazy("Write the reason: the citizen will read it."),
    ),
    effects=_EFFECTS,
    guards=_GUARDS,
    finish=_finish,
    check_input=_missing_result,
    append_event=lambda **kwargs: dossier_event_append(dossier=kwargs.pop("case"), **kwargs),
    notify_actions=NOTIFY_ACTIONS,
    notify=lambda event_id: _notify(event_id),
    related=("procedure",),
)
