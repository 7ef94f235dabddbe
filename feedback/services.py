"""Writes for 1022 feedback: loading the report categories from `feedback/data/categories.json`, and reports.

The file is the researched reference data plus the portal's own decisions
(the department unit of city-tier categories, whether a photo is expected);
its `source` says which is which. City admins correct categories in the
admin; a reload keeps rows it does not name and, with `keep_existing`, every
admin edit.
"""

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _

from feedback import workflow
from feedback.case_kind import report_kind
from feedback.models import Category, Report, ReportCodeSequence, ReportEvent
from feedback.workflow import Channel, RejectionReason
from govportal.api.errors import ApplicationError
from govportal.cases import clocks, routing, transfers
from govportal.cases.codes import next_number
from govportal.reference_data import ReferenceDataError, new_counts, read_json, upsert_by_code
from govportal.tasks import dispatch_or_log
from govportal.templatetags.portal import dmyhm
from govportal.tiers.models import Tier, Unit, UnitKind
from govportal.tiers.selectors import work_calendar
from identity import access

CATEGORIES_PATH = Path(__file__).resolve().parent / "data" / "categories.json"


class CategoryDataError(ReferenceDataError):
    """The categories file cannot be loaded as it is."""


def _department(entry: dict, departments: dict[str, Unit]) -> Unit | None:
    code = entry.get("handling_department")
    if code is None:
        return None  # the model's clean() refuses a city-tier category without one
    if code not in departments:
        raise CategoryDataError(
            f"{entry['code']}: department {code!r} is not loaded; run `manage.py load_units` first."
        )
    return departments[code]


def _category_values(entry: dict, departments: dict[str, Unit]) -> dict:
    if entry.get("tier") not in Tier.values:
        raise CategoryDataError(f"{entry.get('code')}: tier must be one of {', '.join(Tier.values)}.")
    if not isinstance(entry.get("photo_expected"), bool):
        raise CategoryDataError(f"{entry['code']}: photo_expected must be true or false.")
    return {
        "name_vi": entry["name_vi"],
        "name_en": entry["name_en"],
        "tier": entry["tier"],
        "handling_department": _department(entry, departments),
        "handling_agency_vi": entry.get("handling_agency_vi", ""),
        "time_limit_working_days": entry["time_limit_working_days"],
        "photo_expected": entry["photo_expected"],
        "examples_vi": entry.get("examples_vi", []),
        "examples_en": entry.get("examples_en", []),
        "sources": entry.get("sources", []),
        "confidence": entry.get("confidence", ""),
    }


@transaction.atomic
def categories_load(*, path: Path | None = None, keep_existing: bool = False) -> dict:
    """Create or update the report categories from the shipped file; returns counts.

    {"created", "updated", "unchanged", "total"}. Raises CategoryDataError
    (and loads nothing) when any entry is refused.
    """
    data = read_json(path or CATEGORIES_PATH)
    departments = {unit.code: unit for unit in Unit.objects.filter(kind=UnitKind.DEPARTMENT)}
    counts = new_counts()
    try:
        for entry in data["categories"]:
            values = _category_values(entry, departments)
            upsert_by_code(Category, code=entry["code"], values=values, keep_existing=keep_existing, counts=counts)
    except ReferenceDataError as error:
        raise CategoryDataError(str(error)) from error
    counts["total"] = len(data["categories"])
    return counts


# --- reports ------------------------------------------------------------------------
# Every write to a report goes through here: `report_create` records it, `report_transition`
# applies one action of the table (feedback.workflow); the shared case layer routes it,
# runs its clocks and moves it between units (docs/0007).

# Actions the reporter hears about (if they have an account); clock events go to the staff. Routing
# is not among them: the shared routing service notifies nobody, and the reporter got the code at intake.
REPORTER_NOTIFY_ACTIONS = frozenset({"post_progress", "answer", "reject", "accept_transfer"})
STAFF_NOTIFY_ACTIONS = frozenset({"reopen", "transfer", "return_transfer", "assign", *clocks.KINDS})


class ReportError(ApplicationError):
    pass


def _report_code(unit: Unit, now: datetime) -> str:
    """PA-{filing code}-{yymmdd}-{nnnn}: PA for "phản ánh", the unit of the place (docs/0005), a daily counter."""
    day = timezone.localtime(now).strftime("%y%m%d")
    place = unit.filing_code or unit.code
    return f"PA-{place}-{day}-{next_number(ReportCodeSequence, f'{place}-{day}'):04d}"


def _coordinate(value, low: int, high: int, field: str, errors: dict):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except (InvalidOperation, ValueError):
        errors[field] = _("Enter a number.")
        return None
    if not low <= number <= high:
        errors[field] = _("Enter a number between %(low)s and %(high)s.") % {"low": low, "high": high}
        return None
    return number


def report_create(
    *,
    category: Category,
    text: str,
    unit: Unit,
    address: str,
    latitude=None,
    longitude=None,
    reporter=None,
    contact_name: str = "",
    contact_phone: str = "",
    contact_email: str = "",
    channel: str = Channel.WEB,
    recorded_by=None,
    now: datetime | None = None,
) -> Report:
    """Record a report and queue its routing on commit; the clock starts now.

    The report's legal clock starts when the portal records it (`received_at` =
    `submitted_at`): the 1022 centre is one door for the whole city, so the
    time it takes to route the report, a broker outage or a transfer between
    units is the city's time, not the reporter's. The due date is the
    category's time limit in working days from the clock start (8-hour days,
    15:00 cut-off). The place is a ward, commune or special zone; it is also
    the receiving unit. A reporter without an account gives a name and a
    phone or an email. Operators (hotline, email, messaging) are recorded in
    `recorded_by`; web and app reports need none.
    """
    now = now or timezone.now()
    text = (text or "").strip()
    address = (address or "").strip()
    contact_name, contact_phone = (contact_name or "").strip(), (contact_phone or "").strip()
    contact_email = (contact_email or "").strip()
    errors: dict = {}
    if category is None or not category.is_active:
        errors["category"] = _("Choose a category.")
    if not text:
        errors["text"] = _("Describe the problem.")
    elif len(text) > 5000:
        errors["text"] = _("Keep the description under 5,000 characters.")
    if unit is None or not unit.is_active or unit.tier != Tier.COMMUNE:
        errors["unit"] = _("Choose the ward, commune or special zone where the problem is.")
    if not address:
        errors["address"] = _("Give the address or a landmark.")
    lat = _coordinate(latitude, -90, 90, "latitude", errors)
    lng = _coordinate(longitude, -180, 180, "longitude", errors)
    if (lat is None) != (lng is None) and not {"latitude", "longitude"} & errors.keys():
        errors["latitude"] = _("Give both latitude and longitude, or neither.")
    if reporter is None:
        if not contact_name:
            errors["contact_name"] = _("Give your name.")
        if not (contact_phone or contact_email):
            errors["contact_phone"] = _("Give a phone number or an email address so the unit can answer you.")
        if contact_email:
            try:
                validate_email(contact_email)
            except ValidationError:
                errors["contact_email"] = _("Enter a valid email address.")
        if contact_phone and not re.fullmatch(r"\+?[0-9 .-]{8,15}", contact_phone):
            errors["contact_phone"] = _("Enter a valid phone number.")
    if channel not in Channel.values:
        errors["channel"] = _("Choose a channel.")
    elif channel in OPERATOR_CHANNELS and recorded_by is None:
        errors["recorded_by"] = _("A report taken by hotline, email or messaging names the operator who recorded it.")
    if errors:
        raise ReportError("invalid", _("Some fields are not valid."), extra={"errors": errors})

    received = now
    due_at = work_calendar().deadline(received, days=category.time_limit_working_days)
    with transaction.atomic():
        report = Report.objects.create(
            code=_report_code(unit, now),
            category=category,
            text=text,
            unit=unit,
            receiving_unit=unit,
            address=address[:300],
            latitude=lat,
            longitude=lng,
            applicant=reporter,
            contact_name=contact_name,
            contact_phone=contact_phone,
            contact_email=contact_email,
            channel=channel,
            recorded_by=recorded_by,
            submitted_at=now,
            received_at=received,
            due_at=due_at,
        )
        report_kind().append_event(
            case=report,
            actor=recorded_by or reporter,
            action="create",
            from_status="",
            to_status=report.status,
            data={"channel": channel, "due_at": due_at.isoformat()},
            now=now,
        )
        report_id = report.pk
        # Routing runs in a task once the report is committed; the sweep recovers a lost dispatch.
        transaction.on_commit(lambda: report_kind().dispatch_route(report_id))
    return report


OPERATOR_CHANNELS = frozenset({Channel.HOTLINE, Channel.EMAIL, Channel.MESSAGING})


def _check_actor(rule: workflow.Rule, report: Report, actor) -> None:
    """The rule's actors against the parts `identity.access` says the actor plays on this report."""
    if actor is None:
        if workflow.SYSTEM in rule.actors:
            return
    elif rule.actors & access.acting_roles(actor, report):
        return
    raise ReportError("forbidden", _("You may not do this to this report."), status_code=403)


def report_transition(
    *,
    report: Report,
    action: str,
    actor,
    note: str = "",
    unit: Unit | None = None,
    reason: str = "",
    committed_at: datetime | None = None,
    rating: int | None = None,
    duplicate_of: Report | None = None,
    assignee=None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Report:
    """Apply one action of the report table: lock, check status, actor and input, change, audit, notify on commit.

    `actor=None` is the portal itself (SYSTEM). "route" is the shared routing
    service (`govportal.cases.routing.route`), which claims the routing once
    and moves the report new -> routed in the same update.
    """
    now = now or timezone.now()
    note = (note or "").strip()
    if action == "route":
        rule = workflow.rule_for(report.status, action)
        if rule is None:
            _refuse_status(report, action)
        _check_actor(rule, report, actor)
        routing.route(report_kind(), case_id=report.pk, now=now)
        return Report.objects.get(pk=report.pk)
    with transaction.atomic():
        locked = Report.objects.select_for_update().select_related("category").get(pk=report.pk)
        if expected_version is not None and locked.version != expected_version:
            raise ReportError(
                "stale",
                _("Someone else changed this report a moment ago. Reload it and check before acting."),
                status_code=409,
            )
        rule = workflow.rule_for(locked.status, action)
        if rule is None:
            _refuse_status(locked, action)
        _check_actor(rule, locked, actor)
        refusal = report_action_refusal(locked, action, now=now)
        if refusal is not None:
            raise refusal
        errors = {}
        if rule.needs_note and not note:
            errors["note"] = _("Write the text: the reporter will read it.")
        if rule.needs_unit and unit is None:
            errors["unit"] = _("Choose the unit.")
        if rule.needs_reason and reason not in workflow.TransferReason.values:
            errors["reason"] = _("Choose the reason for the transfer.")
        if errors:
            raise ReportError("invalid", _("Some information is missing."), extra={"errors": errors})

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
                committed_at=committed_at,
                rating=rating,
                duplicate_of=duplicate_of,
                assignee=assignee,
                now=now,
            )
        if rule.clock == workflow.STOP:
            locked.decided_at = now
            data["late"] = locked.due_at is not None and now > locked.due_at
        elif rule.clock == workflow.RESTART:
            # The unit works again, to the same legal due date: a reopening never moves it (docs/0006).
            locked.decided_at = None
            locked.closed_at = None
        if rule.target is not None:
            locked.status = rule.target
        locked.version += 1
        locked.save()
        event = report_kind().append_event(
            case=locked,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=locked.status,
            note=note,
            data=data,
            now=now,
        )
        if action in REPORTER_NOTIFY_ACTIONS | STAFF_NOTIFY_ACTIONS:
            event_id = event.pk
            transaction.on_commit(lambda: report_event_dispatch_notice(event_id))
    return locked


def _refuse_status(report: Report, action: str):
    raise ReportError(
        "not_allowed",
        _("“%(action)s” is not possible while the report is “%(status)s”.")
        % {
            "action": workflow.ACTIONS[action].label if action in workflow.ACTIONS else action,
            "status": report.get_status_display(),
        },
        status_code=409,
    )


def reports_close_settled(*, now: datetime | None = None, limit: int = 500) -> int:
    """Close (as the system) answered reports whose reopening window has passed; returns how many.

    Run by beat. A report the reporter may still reopen stays answered; one
    closed here can no longer be reopened (the window is over anyway). Each is
    closed through `report_transition`, so a report reopened or closed by staff
    in the meantime is skipped, and a second run closes nothing.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=workflow.REOPEN_WITHIN_DAYS)
    ids = list(
        Report.objects.filter(status=workflow.ReportStatus.ANSWERED, answered_at__lte=cutoff)
        .order_by("answered_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    closed = 0
    for report in Report.objects.filter(pk__in=ids):
        try:
            report_transition(report=report, action="close", actor=None, note="", now=now)
        except ReportError:
            continue  # changed meanwhile (reopened, closed by staff)
        closed += 1
    return closed


def report_action_refusal(report: Report, action: str, *, now: datetime | None = None) -> ReportError | None:
    """Why `action` cannot be taken on this report now, beyond its status and the actor's role."""
    guard = _GUARDS.get(action)
    return guard(report, now or timezone.now()) if guard is not None else None


def report_actions_available(*, report: Report, user, now: datetime | None = None) -> list[workflow.Rule]:
    """The rules `user` may apply to the report now, in table order: what pages and the API offer."""
    roles = access.acting_roles(user, report)
    return [
        rule
        for rule in workflow.actions_from(report.status)
        if rule.actors & roles
        and not (rule.action == "claim" and report.assigned_to_id == user.pk)
        and report_action_refusal(report, rule.action, now=now) is None
    ]


def _refuse_late_progress(report: Report, now: datetime) -> ReportError | None:
    """Progress and a committed date come before the legal due date; after it the report is late, and stays so."""
    if report.due_at is not None and now < report.due_at:
        return None
    return ReportError(
        "progress_too_late",
        _("Too late to post progress: the legal due date (%(due)s) has passed. Answer the report as soon as possible.")
        % {"due": dmyhm(report.due_at)},
        status_code=409,
    )


def _refuse_late_reopen(report: Report, now: datetime) -> ReportError | None:
    if report.reopen_count >= workflow.MAX_REOPENINGS:
        return ReportError("reopen_used", _("This report has already been reopened once."), status_code=409)
    if report.answered_at is None or now > report.answered_at + timedelta(days=workflow.REOPEN_WITHIN_DAYS):
        return ReportError(
            "reopen_too_late",
            _("A report can be reopened only within %(days)s days of the answer.")
            % {"days": workflow.REOPEN_WITHIN_DAYS},
            status_code=409,
        )
    return None


_GUARDS = {"post_progress": _refuse_late_progress, "reopen": _refuse_late_reopen}


def _invalid(field: str, message: str) -> ReportError:
    return ReportError("invalid", _("Some information is missing."), extra={"errors": {field: message}})


def _start(report, *, actor, **kwargs):
    if report.assigned_to_id is None and actor is not None:
        report.assigned_to = actor
    return {}


def _post_progress(report, *, committed_at, now, **kwargs):
    """The committed date goes to `promised_at`; the legal due date and lateness never move (docs/0006).

    It must fall after the legal due date (else there is nothing to announce)
    and at most the category's limit again after it.
    """
    if committed_at is None:
        raise _invalid("committed_at", _("Give the date by which the unit will answer."))
    if committed_at <= report.due_at:
        raise _invalid(
            "committed_at",
            _("The committed date must be later than the legal due date (%(due)s).") % {"due": dmyhm(report.due_at)},
        )
    latest = work_calendar().add_working_days(report.due_at, report.category.time_limit_working_days)
    if committed_at > latest:
        raise _invalid(
            "committed_at",
            _("The committed date may be at most %(latest)s: the legal due date plus the category's time limit.")
            % {"latest": dmyhm(latest)},
        )
    previous = report.promised_at
    report.promised_at = committed_at
    rearmed = ["due_soon_warned_at"] if report.due_soon_warned_at is not None else []
    report.due_soon_warned_at = None
    return {
        "legal_due_at": report.due_at.isoformat(),
        "old_committed_at": previous.isoformat() if previous else None,
        "committed_at": committed_at.isoformat(),
        "rearmed": rearmed,
    }


def _answer(report, *, note, now, **kwargs):
    report.answer = note
    report.answered_at = now
    return {}


def _reject(report, *, reason, duplicate_of, now, **kwargs):
    if reason not in RejectionReason.values:
        raise _invalid("reason", _("Choose the reason for the rejection."))
    data = {"reason": reason}
    if reason == RejectionReason.DUPLICATE:
        if duplicate_of is None or duplicate_of.pk == report.pk:
            raise _invalid("duplicate_of", _("Choose the report this one repeats."))
        report.duplicate_of = duplicate_of
        data["duplicate_of"] = duplicate_of.code
    report.rejection_reason = reason
    report.closed_at = now
    return data


def _close(report, *, now, **kwargs):
    report.closed_at = now
    return {}


def _rate(report, *, rating, **kwargs):
    if not isinstance(rating, int) or isinstance(rating, bool) or not 1 <= rating <= 5:
        raise _invalid("rating", _("Choose a rating from 1 to 5."))
    previous = report.satisfaction
    report.satisfaction = rating
    return {"rating": rating, "previous": previous}


def _reopen(report, *, now, **kwargs):
    report.reopen_count += 1
    report.satisfaction = None  # the next answer is rated afresh
    return {"answered_at": report.answered_at.isoformat(), "reopening": report.reopen_count}


def _transfer_refusal(code: str) -> ReportError:
    if code == transfers.TRANSFER_PENDING:
        return ReportError(
            code, _("A transfer of this report is already waiting for the other unit's answer."), status_code=409
        )
    return ReportError(code, _("The report is already at this unit."))


def _transfer(report, *, actor, unit, reason, **kwargs):
    return transfers.transfer_request(report, actor=actor, unit=unit, reason=reason, refuse=_transfer_refusal)


def _accept_transfer(report, **kwargs):
    return transfers.transfer_accept(report)


def _return_transfer(report, **kwargs):
    return transfers.transfer_return(report)


def _claim(report, *, actor, **kwargs):
    report.assigned_to = actor
    return {"assigned_to": actor.pk}


def _assign(report, *, assignee, **kwargs):
    if assignee is None or report.acting_unit_id not in access.units_where(assignee, "officer", "head"):
        raise _invalid("assignee", _("Choose an officer of this unit."))
    report.assigned_to = assignee
    return {"assigned_to": assignee.pk}


_EFFECTS = {
    "start": _start,
    "post_progress": _post_progress,
    "answer": _answer,
    "reject": _reject,
    "close": _close,
    "rate": _rate,
    "reopen": _reopen,
    "transfer": _transfer,
    "accept_transfer": _accept_transfer,
    "return_transfer": _return_transfer,
    "claim": _claim,
    "assign": _assign,
}


# --- notifications (minimal: the reporter's account, the staff for clock and desk events) ---------------


def report_event_dispatch_notice(event_id: int) -> None:
    """Queue the notice of one event (on commit); a broker outage is logged, the event stays in the timeline."""
    from feedback.tasks import notify_report_event

    dispatch_or_log(notify_report_event, event_id, recovered_by="nobody yet (the event stays in the report's timeline)")


_REPORTER_SUBJECTS = {
    "post_progress": gettext_noop("Progress on your report %(code)s"),
    "answer": gettext_noop("Your report %(code)s was answered"),
    "reject": gettext_noop("Your report %(code)s was rejected"),
    "accept_transfer": gettext_noop("Your report %(code)s is now handled by %(unit)s"),
}
_STAFF_SUBJECT = gettext_noop("Report %(code)s: %(action)s")


def report_event_notify(*, event_id: int) -> int:
    """Send the notice of one event once (the source key): to the reporter's account, or to the staff.

    Staff notices go to the assignee, else the officers and heads of the acting
    unit. Returns how many users got something new.
    """
    from govportal.tiers.models import Posting, Role
    from identity.notifications import in_language, language_of, notification_send

    event = ReportEvent.objects.select_related("report", "report__handling_unit", "report__receiving_unit").get(
        pk=event_id
    )
    report = event.report
    if event.action in REPORTER_NOTIFY_ACTIONS:
        recipients = [report.applicant] if report.applicant_id else []
        subject_text = _REPORTER_SUBJECTS[event.action]
    elif event.action in STAFF_NOTIFY_ACTIONS:
        escalation = event.action in {clocks.ESCALATED_TO_HEAD, clocks.ESCALATED_TO_CITY}
        if report.assigned_to_id and not escalation:
            recipients = [report.assigned_to]
        else:
            roles = [Role.HEAD] if escalation else [Role.OFFICER, Role.HEAD]
            unit_id = event.data.get("to_unit") if event.action == "transfer" else report.acting_unit_id
            recipients = [
                posting.user
                for posting in Posting.objects.filter(unit_id=unit_id, role__in=roles, is_active=True).select_related(
                    "user"
                )
            ]
        subject_text = _STAFF_SUBJECT
    else:
        return 0
    unit = report.handling_unit or report.receiving_unit
    sent = 0
    for user in {u.pk: u for u in recipients}.values():
        language = language_of(user)

        def render(text=subject_text):
            return gettext(text) % {"code": report.code, "unit": unit.name, "action": event.action}

        body = in_language(lambda: event.note or render(), language)
        notification = notification_send(
            user=user,
            subject=in_language(render, language, legal_below=False),
            body=body,
            source=f"report-event:{event.pk}",
        )
        sent += int(notification.created)
    return sent
