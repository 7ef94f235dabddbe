"""Reports API for the mobile app under /api/v1/: categories, contact confirmation, reports, actions, tracking.

One APIView per operation (as procedures/api/dossiers.py): it parses input,
calls the services of `feedback` (`report_create`, `report_transition`) and
of `feedback.intake` (`contact_code_send`, `contact_confirm`), and renders an
output serializer. Reports are recorded with channel "app".

- Visibility: the reporter (their own), staff of a unit that sees the report
  (receiving, handling, a transfer waiting), the city (`identity.access`). A
  report the caller may not see is 404, never 403, so codes cannot be probed.
- Who may act is `services.report_transition`'s; the actions offered are
  `services.report_actions_available`'s.
- Errors are `{code, detail}` with a stable code (govportal.api.exceptions);
  invalid input adds `errors` as {field: message}, the same shape the
  services use, whether the serializer or the service refused it.
"""

from django.contrib.auth import get_user_model
from django.http import Http404
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from feedback import intake, selectors, services, workflow
from feedback.api.serializers import (
    ReportCategoryOutputSerializer,
    ReportCreatedOutputSerializer,
    ReportDetailOutputSerializer,
    ReportErrorOutputSerializer,
    ReportListOutputSerializer,
    ReportTrackOutputSerializer,
)
from feedback.models import Category, Report
from feedback.photos import MAX_PHOTOS_PER_REPORT, photo_response
from feedback.services import ReportError
from feedback.timeline import reporter_timeline, staff_timeline
from feedback.workflow import Channel, ReportStatus
from govportal import ratelimit
from govportal.api.filters import QuerySerializer
from govportal.api.keyset_pagination import KeysetPagination
from govportal.api.parsers import PortalFormParser, PortalJSONParser, PortalMultiPartParser
from govportal.api.throttling import throttle
from govportal.tiers.models import Unit
from identity import access

TAGS = ["reports"]


def _errors(*codes: int, invalid: str = "") -> dict:
    """Error responses for the schema; `invalid` names the 400 codes of this operation besides `invalid`."""
    descriptions = {
        400: "Invalid input (code `invalid` with `errors` {field: message}"
        + (f"; {invalid}" if invalid else "")
        + ").",
        401: "Not authenticated.",
        403: "Not allowed (code `forbidden`).",
        404: "No such report, or not visible to the caller (code `not_found`).",
        409: "Not possible now (code `not_allowed`, `stale`, `progress_too_late`, `reopen_too_late`, "
        "`reopen_used`, `not_published`, `transfer_pending`...).",
        429: "Too many requests (code `rate_limited` or `throttled`).",
    }
    return {code: OpenApiResponse(ReportErrorOutputSerializer, description=descriptions[code]) for code in codes}


def _client(request) -> str:
    """The caller's address through the trusted proxies (the rate limits of the one-time codes count by it)."""
    return ratelimit.client_address(request)


def _first_message(value) -> str:
    """The first message of a DRF error value (a list, a dict of lists...), as one string."""
    if isinstance(value, dict):
        value = next(iter(value.values()), "")
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
        return _first_message(value)
    return str(value)


def _validated(serializer: serializers.Serializer) -> dict:
    """The serializer's data, or ReportError `invalid` with {field: message} like the services' own errors."""
    if not serializer.is_valid():
        errors = {field: _first_message(value) for field, value in serializer.errors.items()}
        raise ReportError("invalid", _("Some fields are not valid."), extra={"errors": errors})
    return serializer.validated_data


# --- visibility (identity.access's rules as a query) -----------------------------------------------------


# Staff see every event; the reporter sees what their own report page shows (feedback.views.citizen:
# the same events, labels and notes), so the app and the page never tell the reporter different things.
def _timeline(report: Report, *, staff_view: bool) -> list:
    """The report's events, oldest first, each with `label` and `shown_note` (what this caller may read)."""
    if staff_view:
        return staff_timeline(report)
    events = reporter_timeline(report)
    for event in events:
        event.shown_note = event.public_note
    return events


def _detail(request, report: Report) -> dict:
    report = Report.objects.select_related(
        "category", "unit", "receiving_unit", "handling_unit", "assigned_to", "applicant", "recorded_by", "duplicate_of"
    ).get(pk=report.pk)
    staff_view = access.can(request.user, "case.view_as_staff", report)
    context = {
        "request": request,
        "staff_view": staff_view,
        # The same list the pages offer: the service's own checks, nothing mirrored here.
        "available_actions": [
            rule.action for rule in services.report_actions_available(report=report, user=request.user)
        ],
        "timeline": _timeline(report, staff_view=staff_view),
    }
    return ReportDetailOutputSerializer(report, context=context).data


# --- categories ----------------------------------------------------------------------------------------


class ReportCategoryListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        operation_id="report_categories_list",
        summary="Report categories",
        description="The active categories a reporter may choose (not paginated: a few dozen).",
        responses={200: ReportCategoryOutputSerializer(many=True)},
    )
    def get(self, request):
        categories = selectors.categories_active().order_by("tier", "name_vi")
        return Response(ReportCategoryOutputSerializer(categories, many=True).data)


# --- contact confirmation for reporters without an account ---------------------------------------------


@extend_schema_serializer(component_name="ReportContactInput")
class ContactInputSerializer(serializers.Serializer):
    phone = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=40, help_text="Vietnamese mobile number (SMS)."
    )
    email = serializers.EmailField(
        required=False, allow_blank=True, default="", max_length=254, help_text="Used when no phone is given."
    )


class ReportContactCodeOutputSerializer(serializers.Serializer):
    channel = serializers.CharField(help_text="sms | email: where the code went.")
    expires_at = serializers.DateTimeField()


class ReportContactProofOutputSerializer(serializers.Serializer):
    contact_proof = serializers.CharField(
        help_text="Send it as `contact_proof` with the report, with the same phone (or email); valid for a while."
    )


class ReportContactCodeApi(APIView):
    # No session authentication: an anonymous form, no CSRF token to carry; the service limits by address and IP.
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        operation_id="report_contact_codes_create",
        summary="Send a one-time code to the reporter's phone or email",
        description="For reporters without an account: a 6-digit code goes by SMS to the phone (or, without a "
        "phone, by email). Rate limited per address and per caller (429 `rate_limited`).",
        request=ContactInputSerializer,
        responses={
            202: ReportContactCodeOutputSerializer,
            **_errors(400, 429, invalid="`contact_missing`, `otp_address`: no or a malformed phone or email"),
        },
    )
    def post(self, request):
        data = _validated(ContactInputSerializer(data=request.data))
        issued = intake.contact_code_send(phone=data["phone"], email=data["email"], client=_client(request))
        return Response(
            ReportContactCodeOutputSerializer({"channel": issued.channel, "expires_at": issued.expires_at}).data,
            status=status.HTTP_202_ACCEPTED,
        )


@extend_schema_serializer(component_name="ReportContactConfirmationInput")
class ContactConfirmationInputSerializer(ContactInputSerializer):
    code = serializers.CharField(max_length=12, help_text="The code from the SMS or email.")


class ReportContactConfirmationApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        operation_id="report_contact_confirmations_create",
        summary="Confirm the code and get a contact proof",
        description="A wrong code is refused with `code_wrong` (a few attempts), an old one with `code_expired`, "
        "a used one with `code_used`; too many tries with 429 `rate_limited`.",
        request=ContactConfirmationInputSerializer,
        responses={
            200: ReportContactProofOutputSerializer,
            **_errors(400, 429, invalid="`code_wrong`, `code_expired`, `code_used`, `code_too_many_attempts`..."),
        },
    )
    def post(self, request):
        data = _validated(ContactConfirmationInputSerializer(data=request.data))
        proof = intake.contact_confirm(
            phone=data["phone"], email=data["email"], code=data["code"].strip(), client=_client(request)
        )
        return Response(ReportContactProofOutputSerializer({"contact_proof": proof}).data)


# --- the collection: list and create -------------------------------------------------------------------


@extend_schema_serializer(component_name="ReportCreateInput")
class ReportCreateInputSerializer(serializers.Serializer):
    category = serializers.CharField(max_length=40, help_text="Category code (see /report-categories/).")
    text = serializers.CharField(max_length=5000, allow_blank=True, help_text="What is wrong.")
    unit = serializers.CharField(
        max_length=20, help_text="Code of the ward, commune or special zone of the problem (see /units/?tier=commune)."
    )
    address = serializers.CharField(max_length=300, allow_blank=True, help_text="Address or landmark.")
    latitude = serializers.FloatField(required=False, allow_null=True, default=None)
    longitude = serializers.FloatField(required=False, allow_null=True, default=None)
    keep_location = serializers.BooleanField(
        required=False, default=False, help_text="Keep the photos' GPS position (all other metadata is removed)."
    )
    photos = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text=f"Multipart only: up to {MAX_PHOTOS_PER_REPORT} JPEG or PNG photos, 10 MB each.",
    )
    contact_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="Without an account: your name."
    )
    contact_phone = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=20,
        help_text="Without an account: the phone confirmed with /report-contact-confirmations/.",
    )
    contact_email = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=254, help_text="Without an account: an email."
    )
    contact_proof = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=1000,
        help_text="Without an account: the proof from /report-contact-confirmations/.",
    )


class ReportListFilterSerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=ReportStatus.choices, required=False)
    overdue = serializers.BooleanField(
        required=False,
        default=None,
        allow_null=True,
        help_text="true: only overdue reports; false: only the others (the one definition, docs/0006).",
    )


class ReportCollectionApi(APIView):
    """GET (the caller's reports) and POST (send a report) on /reports/."""

    pagination_class = KeysetPagination
    parser_classes = [PortalJSONParser, PortalMultiPartParser, PortalFormParser]

    def get_permissions(self):
        # Anyone may send a report (without an account: with a contact proof); listing needs a login.
        if self.request is not None and self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    @extend_schema(
        tags=TAGS,
        operation_id="reports_list",
        summary="Reports the caller may see",
        description="A citizen sees the reports they sent with their account, an officer or head those of their "
        "units (receiving, handling, transfer waiting), a city admin all. Newest first, in pages that follow "
        "the `next` link (a cursor: no count, no page numbers).",
        parameters=[ReportListFilterSerializer],
        responses={200: ReportListOutputSerializer(many=True), **_errors(400, 401)},
    )
    def get(self, request):
        filters = _validated(ReportListFilterSerializer(data=request.query_params))
        overdue = filters.get("overdue")
        now = timezone.now()

        def narrow(reports):
            if filters.get("status"):
                reports = reports.filter(status=filters["status"])
            if overdue is not None:
                reports = reports.overdue(now) if overdue else reports.not_overdue(now)
            return reports

        paginator = self.pagination_class()
        page = paginator.paginate(
            request, lambda **cursor: selectors.visible_reports_page(user=request.user, filters=narrow, **cursor)
        )
        data = ReportListOutputSerializer(page, many=True, context={"now": now}).data
        return paginator.get_paginated_response(data)

    @extend_schema(
        tags=TAGS,
        operation_id="reports_create",
        summary="Send a report",
        description="JSON, or multipart with photos. A citizen logged in with their account is the reporter; "
        "anyone else gives a name, the phone (or email) confirmed with a one-time code and the `contact_proof` "
        "(else 400 `contact_not_confirmed`). Recorded with channel `app`; routed to the handling unit by a task "
        "right after (the response may still show no handling unit).",
        request={"application/json": ReportCreateInputSerializer, "multipart/form-data": ReportCreateInputSerializer},
        responses={
            201: ReportCreatedOutputSerializer,
            **_errors(
                400,
                invalid="`contact_not_confirmed`: no or a stale contact proof; `photo_type`, `photo_too_large`, "
                "`too_many_photos`: a photo refused (then nothing is recorded)",
            ),
        },
    )
    def post(self, request):
        data = _validated(ReportCreateInputSerializer(data=request.data))
        user = request.user
        reporter = user if access.CITIZEN in access.roles_of(user) else None
        report = services.report_create(
            category=Category.objects.filter(code=data["category"], is_active=True).first(),
            text=data["text"],
            unit=Unit.objects.filter(code=data["unit"]).first(),
            address=data["address"],
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            reporter=reporter,
            contact_name="" if reporter else data["contact_name"],
            contact_phone="" if reporter else data["contact_phone"],
            contact_email="" if reporter else data["contact_email"],
            contact_proof="" if reporter else data["contact_proof"],
            channel=Channel.APP,
            photos=data["photos"],
            keep_location=data["keep_location"],
        )
        report = Report.objects.select_related("category", "unit", "handling_unit").get(pk=report.pk)
        return Response(
            ReportCreatedOutputSerializer(report, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


# --- one report -------------------------------------------------------------------------------------------


class ReportDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="reports_retrieve",
        summary="One report by its code",
        description="For the reporter and the staff who see it. Contact details, officers' names and event data "
        "only for staff; the reporter's timeline leaves out the units' internal steps.",
        responses={200: ReportDetailOutputSerializer, **_errors(401, 404)},
    )
    def get(self, request, code):
        return Response(_detail(request, selectors.report_get_for(user=request.user, code=code)))


@extend_schema_serializer(component_name="ReportActionInput")
class ReportActionInputSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=[(action, action) for action in workflow.ACTIONS if action != "route"],
        help_text="One action of the workflow table; `available_actions` of the report lists those you may take.",
    )
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000, help_text="The text; the reporter reads it."
    )
    rating = serializers.IntegerField(required=False, allow_null=True, default=None, help_text="1-5 (rate).")
    committed_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="post_progress: the date the unit commits to (after the legal due date).",
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=40,
        help_text="reject: "
        + ", ".join(workflow.RejectionReason.values)
        + "; transfer: "
        + ", ".join(workflow.TransferReason.values)
        + ".",
    )
    unit = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=20, help_text="transfer: the unit's code."
    )
    duplicate_of = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=40,
        help_text="reject as duplicate: the code of the report this one repeats.",
    )
    assignee = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=150, help_text="assign: the officer's username."
    )
    public_text = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000, help_text="publish: the report for the board."
    )
    public_answer = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000, help_text="publish: the answer for the board."
    )
    expected_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        help_text="The `version` you read: refused with 409 `stale` if the report changed since.",
    )
    photos = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text="answer (multipart): photos of the fix.",
    )


class ReportActionApi(APIView):
    parser_classes = [PortalJSONParser, PortalMultiPartParser, PortalFormParser]

    @extend_schema(
        tags=TAGS,
        operation_id="reports_actions_create",
        summary="Act on a report",
        description="Applies one action of the report workflow: "
        + ", ".join(f"`{action}`" for action in workflow.ACTIONS if action != "route")
        + ". Who may act, and what each action needs, is the table's. Returns the report.",
        request={"application/json": ReportActionInputSerializer, "multipart/form-data": ReportActionInputSerializer},
        responses={
            200: ReportDetailOutputSerializer,
            **_errors(400, 401, 403, 404, 409, invalid="`unknown_action`; photo codes for `answer`"),
        },
    )
    def post(self, request, code):
        report = selectors.report_get_for(user=request.user, code=code)
        action = request.data.get("action")
        if isinstance(action, str) and action and action not in workflow.ACTIONS:
            raise ReportError(
                "unknown_action", _("There is no action “%(action)s”.") % {"action": action[:40]}, status_code=400
            )
        data = _validated(ReportActionInputSerializer(data=request.data))
        errors = {}
        unit = None
        if data["unit"]:
            unit = Unit.objects.filter(code=data["unit"], is_active=True).first()
            if unit is None:
                errors["unit"] = _("No active unit has this code.")
        duplicate_of = None
        if data["duplicate_of"]:
            # Only a report the caller may see: codes of other units' reports cannot be probed here.
            duplicate_of = (
                selectors.visible_reports(request.user).filter(code=data["duplicate_of"].strip().upper()).first()
            )
            if duplicate_of is None:
                errors["duplicate_of"] = _("No report you may see has this code.")
        if errors:
            raise ReportError("invalid", _("Some fields are not valid."), extra={"errors": errors})
        # An unknown username becomes "no assignee": the service answers after checking the caller's role,
        # so the endpoint does not tell strangers which usernames exist.
        assignee = (
            get_user_model().objects.filter(username=data["assignee"], is_active=True).first()
            if data["assignee"]
            else None
        )
        report = services.report_transition(
            report=report,
            action=data["action"],
            actor=request.user,
            note=data["note"],
            unit=unit,
            reason=data["reason"],
            committed_at=data["committed_at"],
            rating=data["rating"],
            duplicate_of=duplicate_of,
            assignee=assignee,
            photos=data["photos"],
            public_text=data["public_text"],
            public_answer=data["public_answer"],
            expected_version=data["expected_version"],
        )
        return Response(_detail(request, report))


class ReportPhotoApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="reports_photos_retrieve",
        summary="One photo of a report (the file)",
        description="The stored photo (metadata removed at upload), for those who may see the report: what the "
        "mobile app loads with its bearer token (the portal's photo page needs a browser session). Send "
        "`Accept: */*` or `image/*, */*`.",
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            **_errors(401, 404),
        },
    )
    def get(self, request, code, photo_id):
        report = selectors.report_get_for(user=request.user, code=code)
        photo = report.photos.filter(pk=photo_id).first()
        if photo is None:
            raise Http404
        return photo_response(photo)


# --- public tracking ---------------------------------------------------------------------------------------


# The report tracking page's budget (settings.RATE_LIMITS "report-track", "report-track-miss" for unknown codes).
ReportTrackRateThrottle = throttle("report-track")


class ReportTrackApi(APIView):
    # No authentication at all: every caller is anonymous, so every caller is throttled.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ReportTrackRateThrottle]

    @extend_schema(
        tags=TAGS,
        operation_id="reports_track_retrieve",
        summary="Track a report by its code",
        description="Public: status, category, place, handling unit, dates and the published answer; never a "
        "person's name, contact, the reporter's text or address. 404 for an unknown code; 429 when throttled.",
        responses={200: ReportTrackOutputSerializer, **_errors(404, 429)},
    )
    def get(self, request, code):
        tracking = selectors.report_tracking(code)
        if tracking is None:
            ratelimit.missed(request, "report-track")
            raise Http404
        return Response(ReportTrackOutputSerializer(tracking).data)


urlpatterns = [
    path("report-categories/", ReportCategoryListApi.as_view(), name="report-category-list"),
    path("report-contact-codes/", ReportContactCodeApi.as_view(), name="report-contact-codes"),
    path("report-contact-confirmations/", ReportContactConfirmationApi.as_view(), name="report-contact-confirmations"),
    path("reports/", ReportCollectionApi.as_view(), name="report-list"),
    path("reports/<str:code>/", ReportDetailApi.as_view(), name="report-detail"),
    path("reports/<str:code>/actions/", ReportActionApi.as_view(), name="report-actions"),
    path("reports/<str:code>/photos/<int:photo_id>/", ReportPhotoApi.as_view(), name="report-photo"),
    path("reports/<str:code>/track/", ReportTrackApi.as_view(), name="report-track"),
]
