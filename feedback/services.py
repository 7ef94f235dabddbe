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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feedback import intake, notifications, workflow
from feedback.case_kind import report_kind
from feedback.models import Category, PhotoRole, Report, ReportCodeSequence, ReportPhoto
from feedback.photos import discard_photo, store_photos
from feedback.workflow import Channel, RejectionReason
from govportal.api.errors import ApplicationError
from govportal.cases import routing, transfers
from govportal.cases.codes import next_number
from govportal.cases.transitions import Messages, Transitions
from govportal.reference_data import ReferenceDataError, new_counts, read_json, upsert_by_code
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
    contact_proof: str = "",
    via_client=None,
    photos=(),
    keep_location: bool = False,
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
    `recorded_by`; web and app reports need none, but a web or app reporter
    without an account must bring `contact_proof` (feedback.intake: the
    one-time code sent to their phone or email came back); a registered
    Open311 app (`via_client`, channel "open311") vouches for its users. `photos` are
    uploads, stripped of metadata (feedback.photos) unless `keep_location`;
    a refused photo refuses the report, and nothing stays stored.
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
    elif channel in OPERATOR_CHANNELS and (recorded_by is None or not access.can(recorded_by, "report.record")):
        errors["recorded_by"] = _("A report taken by hotline, email or messaging names the operator who recorded it.")
    if errors:
        raise ReportError("invalid", _("Some fields are not valid."), extra={"errors": errors})
    if channel == Channel.OPEN311:
        if via_client is None or not via_client.is_active:
            raise ReportError("api_key_invalid", _("This app's key is not valid."), status_code=403)
    elif (
        reporter is None
        and channel not in OPERATOR_CHANNELS
        and not intake.contact_proven(contact_proof, phone=contact_phone, email=contact_email)
    ):
        raise ReportError(
            "contact_not_confirmed",
            _("Confirm your phone number or email address with the code we sent before sending the report."),
        )
    stored = store_photos(photos, keep_location=keep_location) if photos else []
    try:
        return _report_record(
            {
                "category": category,
                "text": text,
                "unit": unit,
                "receiving_unit": unit,
                "address": address[:300],
                "latitude": lat,
                "longitude": lng,
                "applicant": reporter,
                "contact_name": contact_name,
                "contact_phone": contact_phone,
                "contact_email": contact_email,
                "channel": channel,
                "recorded_by": recorded_by,
                "via_client": via_client,
            },
            stored=stored,
            keep_location=keep_location,
            now=now,
        )
    except BaseException:
        for photo in stored:
            discard_photo(photo.stored_name)
        raise


def _report_record(fields: dict, *, stored, keep_location: bool, now: datetime) -> Report:
    """Save the checked report, its photos and its first event; queue its routing on commit."""
    due_at = work_calendar().deadline(now, days=fields["category"].time_limit_working_days)
    with transaction.atomic():
        report = Report.objects.create(
            code=_report_code(fields["unit"], now), submitted_at=now, received_at=now, due_at=due_at, **fields
        )
        reporter, recorded_by = fields["applicant"], fields["recorded_by"]
        photo_ids = _photos_record(report, stored, role=PhotoRole.REPORT, by=reporter, keep_location=keep_location)
        report_kind().append_event(
            case=report,
            actor=recorded_by or reporter,
            action="create",
            from_status="",
            to_status=report.status,
            data={"channel": fields["channel"], "due_at": due_at.isoformat(), "photos": photo_ids},
            now=now,
        )
        report_id = report.pk
        # Routing runs in a task once the report is committed; the sweep recovers a lost dispatch.
        transaction.on_commit(lambda: report_kind().dispatch_route(report_id))
    return report


OPERATOR_CHANNELS = frozenset({Channel.HOTLINE, Channel.EMAIL, Channel.MESSAGING})


def _photos_record(report: Report, stored, *, role: str, by, keep_location: bool = False) -> list[int]:
    """One ReportPhoto row per stored file (inside the caller's transaction); returns their ids for the event."""
    rows = ReportPhoto.objects.bulk_create(
        ReportPhoto(
            report=report,
            role=role,
            stored_name=photo.stored_name,
            content_type=photo.content_type,
            size=photo.size,
            sha256=photo.sha256,
            width=photo.width,
            height=photo.height,
            keeps_location=keep_location,
            uploaded_by=by,
        )
        for photo in stored
    )
    return [row.pk for row in rows]


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
    photos=(),
    public_text: str = "",
    public_answer: str = "",
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Report:
    """Apply one action of the report table: lock, check status, actor and input, change, audit, notify on commit.

    `actor=None` is the portal itself (SYSTEM). "route" is the shared routing
    service (`govportal.cases.routing.route`), which claims the routing once
    and moves the report new -> routed in the same update.
    """
    if action == "route":
        rule = workflow.rule_for(report.status, action)
        if rule is None:
            raise TRANSITIONS.refuse_status(report, action)
        TRANSITIONS.check_actor(rule, report, actor)
        routing.route(report_kind(), case_id=report.pk, now=now)
        return Report.objects.get(pk=report.pk)
    return TRANSITIONS.apply(
        case=report,
        action=action,
        actor=actor,
        note=note,
        expected_version=expected_version,
        now=now,
        unit=unit,
        reason=reason,
        committed_at=committed_at,
        rating=rating,
        duplicate_of=duplicate_of,
        assignee=assignee,
        photos=photos,
        public_text=public_text,
        public_answer=public_answer,
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
    return TRANSITIONS.refusal(report, action, now=now)


def report_actions_available(*, report: Report, user, now: datetime | None = None) -> list[workflow.Rule]:
    """The rules `user` may apply to the report now, in table order: what pages and the API offer."""
    return TRANSITIONS.available(report, user, now=now)


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


def _answer(report, *, note, now, actor, photos, cleanup, **kwargs):
    """The answer's text and photos of the fix (stored under the row lock; removed again if the answer fails)."""
    existing = report.photos.filter(role=PhotoRole.ANSWER).count()
    stored = store_photos(photos, existing=existing) if photos else []
    cleanup.extend(lambda name=photo.stored_name: discard_photo(name) for photo in stored)
    report.answer = note
    report.answered_at = now
    return {"photos": _photos_record(report, stored, role=PhotoRole.ANSWER, by=actor)}


def _publish(report, *, actor, public_text, public_answer, now, **kwargs):
    """The unit's moderation: the board shows only the texts it checked, never the reporter's own words unread."""
    public_text, public_answer = (public_text or "").strip(), (public_answer or "").strip()
    errors = {}
    if not public_text:
        errors["public_text"] = _("Write the report as the board should show it, without personal data.")
    if not public_answer:
        errors["public_answer"] = _("Write the answer as the board should show it, without personal data.")
    if errors:
        raise ReportError("invalid", _("Some information is missing."), extra={"errors": errors})
    republished = report.is_public
    report.public_text, report.public_answer = public_text[:5000], public_answer[:5000]
    report.is_public, report.published_at, report.published_by = True, now, actor
    return {"republished": republished}


def _unpublish(report, **kwargs):
    if not report.is_public:
        raise ReportError("not_published", _("This report is not on the board."), status_code=409)
    report.is_public = False
    return {}


def _reject(report, *, reason, duplicate_of, now, **kwargs):
    if reason not in RejectionReason.values:
        raise _invalid("reason", _("Choose the reason for the rejection."))
    data = {"reason": reason}
    if reason == RejectionReason.DUPLICATE:
        # Merged into the report that stands for all of them (never a chain), which then answers every reporter.
        original = duplicate_of
        while (
            original is not None and original.rejection_reason == RejectionReason.DUPLICATE and original.duplicate_of_id
        ):
            original = original.duplicate_of
        if original is None or original.pk == report.pk or original.status == workflow.ReportStatus.REJECTED:
            raise _invalid("duplicate_of", _("Choose the report this one repeats."))
        report.duplicate_of = original
        data["duplicate_of"] = original.code
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


_EFFECTS = {
    "start": _start,
    "post_progress": _post_progress,
    "answer": _answer,
    "publish": _publish,
    "unpublish": _unpublish,
    "reject": _reject,
    "close": _close,
    "rate": _rate,
    "reopen": _reopen,
    "transfer": _transfer,
    "accept_transfer": _accept_transfer,
    "return_transfer": _return_transfer,
}


def _finish(report: Report, rule: workflow.Rule, *, now, **kwargs) -> tuple:
    """The report's clock: an answer or a rejection stops it; a reopening runs it again to the same legal date."""
    data = {}
    if rule.clock == workflow.STOP:
        report.decided_at = now
        data["late"] = report.due_at is not None and now > report.due_at
    elif rule.clock == workflow.RESTART:
        # The unit works again, to the same legal due date: a reopening never moves it (docs/0006).
        report.decided_at = None
        report.closed_at = None
    return rule.target, data


TRANSITIONS = Transitions(
    model=Report,
    table=workflow.TABLE,
    error=ReportError,
    messages=Messages(
        stale=gettext_lazy("Someone else changed this report a moment ago. Reload it and check before acting."),
        forbidden=gettext_lazy("You may not do this to this report."),
        not_allowed=gettext_lazy("“%(action)s” is not possible while the report is “%(status)s”."),
        note_missing=gettext_lazy("Write the text: the reporter will read it."),
    ),
    effects=_EFFECTS,
    guards=_GUARDS,
    finish=_finish,
    append_event=lambda **kwargs: report_kind().append_event(**kwargs),
    notify_actions=notifications.REPORTER_NOTIFY_ACTIONS | notifications.STAFF_NOTIFY_ACTIONS,
    notify=lambda event_id: notifications.report_event_dispatch_notice(event_id),
    related=("category",),
)
