"""Every write to dossiers goes through here: filing, documents and the one transition service."""

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govportal.api.errors import ApplicationError
from govportal.tasks import dispatch_or_log
from govportal.tiers.models import Unit
from govportal.tiers.selectors import work_calendar
from identity import access
from procedures import workflow
from procedures.deadlines import deadline_for
from procedures.models import (
    CLOCK_FLAGS,
    CodeSequence,
    DocumentRole,
    Dossier,
    DossierDocument,
    DossierEvent,
    Procedure,
)
from procedures.uploads import discard, store_upload
from procedures.workflow import DossierStatus as S

# Actions the citizen hears about (by email and in the portal).
NOTIFY_ACTIONS = frozenset(
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


class DossierError(ApplicationError):
    pass


# --- filing ----------------------------------------------------------------------


def dossier_draft_create(*, procedure: Procedure, applicant, receiving_unit: Unit, eid_level: int | None) -> Dossier:
    """Start a draft. Any unit may receive, whatever the citizen's residence."""
    if not procedure.is_active:
        raise DossierError("procedure_inactive", _("This procedure cannot be filed online at the moment."))
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
    if not receiving_unit.is_active:
        raise DossierError("unit_inactive", _("This unit does not receive dossiers."))
    with transaction.atomic():
        dossier = Dossier.objects.create(procedure=procedure, applicant=applicant, receiving_unit=receiving_unit)
        _event(dossier=dossier, actor=applicant, action="create_draft", from_status="", to_status=S.DRAFT)
    return dossier


def dossier_draft_update(*, dossier: Dossier, actor, form_data: dict, receiving_unit: Unit | None = None) -> Dossier:
    """Save what the citizen typed so far (drafts are saved, nothing is lost)."""
    if dossier.status != S.DRAFT or dossier.applicant_id != actor.pk:
        raise DossierError("not_editable", _("Only your own draft can be edited."), status_code=409)
    dossier.form_data = {**dossier.form_data, **form_data}
    if receiving_unit is not None:
        dossier.receiving_unit = receiving_unit
    dossier.version += 1
    dossier.save(update_fields=["form_data", "receiving_unit", "version", "updated_at"])
    return dossier


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


def document_attach(*, dossier: Dossier, actor, upload, key: str = "", role: str = DocumentRole.APPLICATION):
    """Store an uploaded file and record it; if the row cannot be written the file is removed."""
    stored = store_upload(upload)
    try:
        with transaction.atomic():
            document = DossierDocument.objects.create(
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
    except Exception:
        discard(stored.stored_name)
        raise
    return document


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
        _event(
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


def _event(*, dossier, actor, action, from_status, to_status, note="", data=None, now=None) -> DossierEvent:
    return DossierEvent.objects.create(
        dossier=dossier,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        unit_id=dossier.acting_unit_id,
        note=note,
        data=data or {},
        at=now or timezone.now(),
    )


def _check_actor(rule: workflow.Rule, dossier: Dossier, actor) -> None:
    if actor is None:
        if workflow.SYSTEM in rule.actors:
            return
    else:
        if workflow.APPLICANT in rule.actors and dossier.applicant_id == actor.pk:
            return
        if workflow.STAFF in rule.actors and dossier.acting_unit_id in access.units_where(actor, "officer", "head"):
            return
        if workflow.HEAD in rule.actors and dossier.acting_unit_id in access.units_where(actor, "head"):
            return
        if workflow.TARGET_STAFF in rule.actors and dossier.pending_transfer_unit_id in access.units_where(
            actor, "officer", "head"
        ):
            return
    raise DossierError("forbidden", _("You may not do this to this dossier."), status_code=403)


def _next_code(unit: Unit, now: datetime) -> str:
    day = timezone.localtime(now).strftime("%y%m%d")
    key = f"{unit.code}-{day}"
    try:
        with transaction.atomic():
            CodeSequence.objects.get_or_create(key=key)
    except IntegrityError:
        pass  # another request created it first
    sequence = CodeSequence.objects.select_for_update().get(key=key)
    sequence.last += 1
    sequence.save(update_fields=["last"])
    return f"HCM-{unit.code.upper()}-{day}-{sequence.last:04d}"


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
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Dossier:
    """Apply one action from the workflow table: check, change, audit, then notify on commit.

    The row is locked, so two officers acting at once cannot both succeed: the
    second finds the dossier already changed and gets a clear message.
    """
    now = now or timezone.now()
    note = (note or "").strip()
    stored_result = None
    try:
        with transaction.atomic():
            locked = Dossier.objects.select_for_update().select_related("procedure").get(pk=dossier.pk)
            if expected_version is not None and locked.version != expected_version:
                raise DossierError(
                    "stale",
                    _("Someone else changed this dossier a moment ago. Reload it and check before acting."),
                    status_code=409,
                )
            rule = workflow.rule_for(locked.status, action)
            if rule is None:
                raise DossierError(
                    "not_allowed",
                    _("“%(action)s” is not possible while the dossier is “%(status)s”.")
                    % {
                        "action": workflow.ACTIONS[action].label if action in workflow.ACTIONS else action,
                        "status": locked.get_status_display(),
                    },
                    status_code=409,
                )
            _check_actor(rule, locked, actor)
            errors = {}
            if rule.needs_note and not note:
                errors["note"] = _("Write the reason: the citizen will read it.")
            if rule.needs_unit and unit is None:
                errors["unit"] = _("Choose the unit.")
            if rule.needs_result and result_upload is None:
                errors["result"] = _("Attach the result document.")
            if rule.needs_reason and reason not in workflow.TransferReason.values:
                errors["reason"] = _("Choose the reason for the transfer.")
            if errors:
                raise DossierError("invalid", _("Some information is missing."), extra={"errors": errors})

            from_status = locked.status
            data = {}
            apply = _EFFECTS.get(action)
            if apply is not None:
                data = apply(
                    locked,
                    actor=actor,
                    note=note,
                    unit=unit,
                    reason=reason,
                    new_due_at=new_due_at,
                    assignee=assignee,
                    now=now,
                )
            target = rule.target
            if target == workflow.PREVIOUS:
                target = locked.status_before_pause or S.SUBMITTED
                locked.status_before_pause = ""
            if rule.clock:
                data.update(_apply_clock(locked, rule.clock, from_status=from_status, now=now))
            if target is not None:
                locked.status = target
            if rule.needs_result:
                stored_result = document_attach(
                    dossier=locked, actor=actor, upload=result_upload, role=DocumentRole.RESULT
                )
                data["result_document"] = stored_result.pk
            locked.version += 1
            locked.save()
            event = _event(
                dossier=locked,
                actor=actor,
                action=action,
                from_status=from_status,
                to_status=locked.status,
                note=note,
                data=data,
                now=now,
            )
            if action in NOTIFY_ACTIONS:
                transaction.on_commit(lambda: _notify(event.pk))
    except BaseException:
        # The decision was not recorded: its result file must not stay behind on the disk.
        if stored_result is not None:
            discard(stored_result.stored_name)
        raise
    return locked


def _notify(event_id: int) -> None:
    """Queue the citizen's notification; if the broker is down, the notification sweep sends it later."""
    from procedures.tasks import notify_dossier_event

    dispatch_or_log(notify_dossier_event, event_id, recovered_by="the notification sweep")


def _apply_clock(dossier: Dossier, effect: str, *, from_status: str, now: datetime) -> dict:
    calendar = work_calendar()
    if effect == workflow.START:
        dossier.received_at = now
        dossier.due_at = deadline_for(dossier.procedure, now, calendar)
        return {"due_at": dossier.due_at.isoformat()}
    if effect == workflow.PAUSE:
        dossier.status_before_pause = from_status
        if dossier.due_at and dossier.paused_at is None:
            dossier.paused_at = now
            dossier.remaining_hours = Decimal(str(round(calendar.working_hours_between(now, dossier.due_at), 2)))
            return {"remaining_hours": str(dossier.remaining_hours)}
        return {}
    if effect == workflow.RESUME:
        if dossier.paused_at is not None and dossier.remaining_hours is not None:
            dossier.due_at = calendar.deadline(now, hours=max(dossier.remaining_hours, Decimal(0)))
            dossier.paused_at = None
            dossier.remaining_hours = None
            return {"due_at": dossier.due_at.isoformat()}
        return {}
    if effect == workflow.STOP:
        dossier.closed_at = now
    return {}


# --- per-action effects (beyond status and clock) ---------------------------------


def _submit(dossier, *, actor, now, **kwargs):
    missing = missing_for_submission(dossier)
    if missing:
        raise DossierError(
            "incomplete", _("The dossier is not complete yet."), extra={"missing": missing}, status_code=400
        )
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
    from procedures.routing_tasks import route_dossier

    dispatch_or_log(route_dossier, dossier_id, recovered_by="the routing sweep")


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


def coordinating_unit() -> Unit:
    from govportal.tiers.selectors import coordinating_unit as find

    return find()


def _is_coordinator(actor) -> bool:
    unit = coordinating_unit()
    return actor is not None and (
        access.is_city_admin(actor) or unit.pk in access.units_where(actor, "officer", "head")
    )


def _transfer(dossier, *, actor, unit, reason, now, **kwargs):
    if dossier.pending_transfer_unit_id:
        raise DossierError(
            "transfer_pending",
            _("A transfer of this dossier is already waiting for the other unit's answer."),
            status_code=409,
        )
    if unit.pk == dossier.acting_unit_id:
        raise DossierError("same_unit", _("The dossier is already at this unit."))
    redirected = False
    if dossier.transfer_count >= workflow.MAX_TRANSFERS and not _is_coordinator(actor):
        # Enough hops: the city's coordinating unit decides where it goes.
        unit = coordinating_unit()
        redirected = True
    dossier.pending_transfer_unit = unit
    dossier.transfer_reason = reason
    return {
        "from_unit": dossier.acting_unit_id,
        "to_unit": unit.pk,
        "reason": reason,
        "redirected_to_coordinator": redirected,
    }


def _accept_transfer(dossier, *, now, **kwargs):
    previous = dossier.acting_unit_id
    request = dossier.events.filter(action="transfer").order_by("-at", "-id").first()
    dossier.handling_unit_id = dossier.pending_transfer_unit_id
    dossier.pending_transfer_unit = None
    dossier.transfer_count += 1
    dossier.assigned_to = None
    # The clock does not restart: a citizen does not pay for a dossier sent to the wrong unit.
    return {
        "from_unit": previous,
        "to_unit": dossier.handling_unit_id,
        "hop": dossier.transfer_count,
        "transfer_note": request.note if request else "",
        "reason": dossier.transfer_reason,
    }


def _return_transfer(dossier, **kwargs):
    returned_from = dossier.pending_transfer_unit_id
    dossier.pending_transfer_unit = None
    dossier.transfer_reason = ""
    return {"returned_from": returned_from}


def _apologise(dossier, *, new_due_at, now, **kwargs):
    if new_due_at is None or dossier.due_at is None or new_due_at <= dossier.due_at:
        raise DossierError(
            "invalid",
            _("Some information is missing."),
            extra={"errors": {"new_due_at": _("Give a new date later than the current due date.")}},
        )
    old = dossier.due_at
    dossier.due_at = new_due_at
    dossier.is_overdue = False
    # The clocks start over against the new date: missing it is late again, and
    # the head (and later the city) must hear of it again.
    rearmed = [flag for flag in CLOCK_FLAGS if getattr(dossier, flag) is not None]
    for flag in CLOCK_FLAGS:
        setattr(dossier, flag, None)
    return {
        "old_due_at": old.isoformat(),
        "new_due_at": new_due_at.isoformat(),
        "before_deadline": now <= old,
        "rearmed": rearmed,
    }


def _claim(dossier, *, actor, **kwargs):
    dossier.assigned_to = actor
    return {"assigned_to": actor.pk}


def _assign(dossier, *, assignee, **kwargs):
    if assignee is None or dossier.acting_unit_id not in access.units_where(assignee, "officer", "head"):
        raise DossierError(
            "invalid",
            _("Some information is missing."),
            extra={"errors": {"assignee": _("Choose an officer of this unit.")}},
        )
    dossier.assigned_to = assignee
    return {"assigned_to": assignee.pk}


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
    "claim": _claim,
    "assign": _assign,
}
