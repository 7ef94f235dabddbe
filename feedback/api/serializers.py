"""Output shapes of the reports API (inputs live with each view).

Who reads decides what is shown: the detail serializers get `staff_view` in
their context (`access.can(user, "case.view_as_staff", report)`). The
reporter never sees the contact details, which officer holds the report or
acted on it, nor the events' data; staff of the report's units and the city
do. The public tracking shape (`ReportTrackOutputSerializer`) names no person
at all.

Component names start with "Report" so they never collide with the dossiers
API's in the OpenAPI schema. Statuses and other codes are plain strings with
their values in the description: the dossiers API already owns the `status`
enum name, and a second choice set under the same name is a schema warning.
"""

from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from feedback.workflow import Channel, RejectionReason, ReportStatus
from govportal.tiers.models import Tier

STATUS_HELP = "One of: " + ", ".join(ReportStatus.values) + "."
CHANNEL_HELP = "One of: " + ", ".join(Channel.values) + "."


def report_photo_url(photo) -> str | None:
    """The page that streams the photo to those who may see it (`report-photo`, built by the citizen pages).

    None while that page is not installed (another helper builds it).
    """
    try:
        return reverse("report-photo", args=[photo.pk])
    except NoReverseMatch:
        return None


def report_tracking_url(request, code: str) -> str:
    """The public tracking page of a report, or this API's tracking endpoint while the page is not installed."""
    try:
        path = reverse("report-track", args=[code])
    except NoReverseMatch:
        path = reverse("api:report-track", args=[code])
    return request.build_absolute_uri(path) if request is not None else path


class ReportErrorOutputSerializer(serializers.Serializer):
    """Every error of the reports API: a stable code for programs and a translated detail for people."""

    code = serializers.CharField(
        help_text="Stable, never translated: invalid, contact_not_confirmed, not_allowed, forbidden, stale, "
        "progress_too_late, reopen_too_late, reopen_used, code_wrong, code_expired, rate_limited, throttled..."
    )
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text="Field -> messages, for code `invalid`."
    )


class ReportCategoryOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_vi = serializers.CharField()
    name_en = serializers.CharField()
    tier = serializers.ChoiceField(
        choices=Tier.choices,
        help_text="commune: answered by the ward or commune of the place; city: by a city department.",
    )
    time_limit_working_days = serializers.IntegerField(help_text="The legal time to answer, in working days.")
    photo_expected = serializers.BooleanField(help_text="The problem is something one can see: ask for a photo.")


class ReportCategoryRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_vi = serializers.CharField()
    name_en = serializers.CharField()


class ReportUnitRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class ReportPersonRefSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()


class ReportContactOutputSerializer(serializers.Serializer):
    """How the unit reaches the reporter (staff only)."""

    name = serializers.CharField(help_text="The account's full name, or the name a caller without one gave.")
    phone = serializers.CharField()
    email = serializers.CharField()
    has_account = serializers.BooleanField()


class ReportPhotoOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField(help_text="report: the problem (from the reporter); answer: the fix (from the unit).")
    content_type = serializers.CharField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    url = serializers.SerializerMethodField(
        help_text="The portal's photo page (`report-photo`: session login, as the web pages use; null if unavailable)."
    )

    download_url = serializers.SerializerMethodField(
        help_text="The same file through this API (bearer token or session): what the mobile app loads."
    )

    def get_url(self, photo) -> str | None:
        path = report_photo_url(photo)
        request = self.context.get("request")
        return request.build_absolute_uri(path) if path and request is not None else path

    def get_download_url(self, photo) -> str:
        path = reverse("api:report-photo", args=[photo.report.code, photo.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ReportListOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    status = serializers.CharField(help_text=STATUS_HELP)
    status_label = serializers.CharField(source="get_status_display")
    category = ReportCategoryRefSerializer()
    place = ReportUnitRefSerializer(source="unit", help_text="The ward, commune or special zone of the problem.")
    address = serializers.CharField()
    handling_unit = ReportUnitRefSerializer(allow_null=True, help_text="Null until the report is routed.")
    channel = serializers.CharField(help_text=CHANNEL_HELP)
    submitted_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(
        allow_null=True, help_text="The legal due date; a committed date never moves it, lateness is counted on it."
    )
    committed_at = serializers.DateTimeField(
        source="promised_at",
        allow_null=True,
        help_text="The date the unit committed to in its latest progress post (null without one).",
    )
    is_overdue = serializers.SerializerMethodField(
        help_text="The legal due date passed without the unit answering by then (the one definition, docs/0006)."
    )
    updated_at = serializers.DateTimeField()

    def get_is_overdue(self, report) -> bool:
        return report.is_overdue_at(self.context.setdefault("now", timezone.now()))


class ReportEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    label = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    unit = ReportUnitRefSerializer(allow_null=True)
    note = serializers.CharField(
        source="shown_note", help_text="Staff read every note; the reporter only the notes written for them."
    )
    at = serializers.DateTimeField()
    actor_kind = serializers.SerializerMethodField(help_text="reporter | staff | system")
    actor = serializers.SerializerMethodField(help_text="Who acted: staff only (null for the reporter).")
    data = serializers.SerializerMethodField(help_text="Event details: staff only (null for the reporter).")

    def get_actor_kind(self, event) -> str:
        if event.actor_id is None:
            return "system"
        return "reporter" if event.actor_id == self.context["report"].applicant_id else "staff"

    @extend_schema_field(ReportPersonRefSerializer(allow_null=True))
    def get_actor(self, event):
        if not self.context.get("staff_view") or event.actor_id is None:
            return None
        return ReportPersonRefSerializer(event.actor).data

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_data(self, event):
        return event.data if self.context.get("staff_view") else None


class ReportDetailOutputSerializer(ReportListOutputSerializer):
    text = serializers.CharField(help_text="The reporter's own words (never on the public board).")
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True, coerce_to_string=False)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True, coerce_to_string=False)
    receiving_unit = ReportUnitRefSerializer()
    answer = serializers.CharField()
    answered_at = serializers.DateTimeField(allow_null=True)
    rejection_reason = serializers.CharField(help_text="Empty, or one of: " + ", ".join(RejectionReason.values) + ".")
    duplicate_of = serializers.CharField(
        source="duplicate_of.code", allow_null=True, default=None, help_text="Code of the report this one repeats."
    )
    satisfaction = serializers.IntegerField(allow_null=True, help_text="The reporter's rating of the answer, 1-5.")
    reopen_count = serializers.IntegerField()
    is_public = serializers.BooleanField(help_text="Published on the public board.")
    public_text = serializers.CharField()
    public_answer = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    version = serializers.IntegerField(
        help_text="Send it back as `expected_version` with an action: a stale version is refused (409 `stale`)."
    )
    tracking_url = serializers.SerializerMethodField(help_text="The public tracking page (no personal data).")
    photos = ReportPhotoOutputSerializer(many=True, source="photos.all")
    contact = serializers.SerializerMethodField(help_text="Staff only; null for the reporter.")
    assigned_to = serializers.SerializerMethodField(help_text="Staff only; null for the reporter.")
    recorded_by = serializers.SerializerMethodField(help_text="The operator who recorded it (staff only).")
    available_actions = serializers.SerializerMethodField(
        help_text="Actions the caller may take now (the same list the pages offer): POST them to /actions/."
    )
    timeline = serializers.SerializerMethodField(help_text="Oldest first; the reporter sees the public part only.")

    def get_tracking_url(self, report) -> str:
        return report_tracking_url(self.context.get("request"), report.code)

    @extend_schema_field(ReportContactOutputSerializer(allow_null=True))
    def get_contact(self, report):
        if not self.context.get("staff_view"):
            return None
        account = report.applicant
        return ReportContactOutputSerializer(
            {
                "name": account.full_name if account else report.contact_name,
                "phone": report.contact_phone or getattr(account, "phone", "") or "",
                "email": report.contact_email or getattr(account, "email", "") or "",
                "has_account": account is not None,
            }
        ).data

    @extend_schema_field(ReportPersonRefSerializer(allow_null=True))
    def get_assigned_to(self, report):
        if not self.context.get("staff_view") or report.assigned_to is None:
            return None
        return ReportPersonRefSerializer(report.assigned_to).data

    @extend_schema_field(ReportPersonRefSerializer(allow_null=True))
    def get_recorded_by(self, report):
        if not self.context.get("staff_view") or report.recorded_by is None:
            return None
        return ReportPersonRefSerializer(report.recorded_by).data

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_actions(self, report) -> list[str]:
        return list(self.context.get("available_actions", []))

    @extend_schema_field(ReportEventOutputSerializer(many=True))
    def get_timeline(self, report):
        context = {"staff_view": self.context.get("staff_view", False), "report": report}
        return ReportEventOutputSerializer(self.context.get("timeline", []), many=True, context=context).data


class ReportCreatedOutputSerializer(serializers.Serializer):
    """What the reporter needs after sending: the code to quote, where it stands, where to follow it."""

    code = serializers.CharField()
    status = serializers.CharField(help_text=STATUS_HELP)
    status_label = serializers.CharField(source="get_status_display")
    category = ReportCategoryRefSerializer()
    place = ReportUnitRefSerializer(source="unit")
    handling_unit = ReportUnitRefSerializer(allow_null=True, help_text="Null until the routing task has run.")
    submitted_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(help_text="The legal due date.")
    photos = serializers.IntegerField(source="photos.count", help_text="How many photos were stored.")
    tracking_url = serializers.SerializerMethodField(help_text="The public tracking page (no personal data).")

    def get_tracking_url(self, report) -> str:
        return report_tracking_url(self.context.get("request"), report.code)


class ReportTrackOutputSerializer(serializers.Serializer):
    """What anyone with the code may know (`feedback.selectors.report_tracking`): nothing that names a person."""

    code = serializers.CharField()
    status = serializers.CharField(help_text=STATUS_HELP)
    status_label = serializers.CharField()
    category = ReportCategoryRefSerializer()
    place = ReportUnitRefSerializer(help_text="The ward, commune or special zone of the problem.")
    handling_unit = ReportUnitRefSerializer(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True, help_text="The legal due date.")
    committed_at = serializers.DateTimeField(allow_null=True, help_text="The date the unit committed to, if any.")
    is_overdue = serializers.BooleanField()
    answered_at = serializers.DateTimeField(allow_null=True)
    merged_into = serializers.CharField(
        required=False,
        default="",
        help_text="A report rejected as a duplicate: the code of the report it was merged into (else empty).",
    )
    public_answer = serializers.CharField(
        help_text="The answer as published on the board (for a merged report, that of the report it was merged "
        "into); empty until published."
    )
