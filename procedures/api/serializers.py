"""Output shapes of the dossiers API, shared by its views (inputs live with each view).

Who reads decides what is shown: the serializers get `staff_view` in their
context (see `dossiers.staff_view`). Citizens never see which officer holds or
acted on their dossier, only that "staff" did; staff of the dossier's units and
the city see names and the event data.
"""

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from govportal.templatetags.portal import vnd
from procedures.selectors import payment_request
from procedures.workflow import DossierStatus


class ErrorOutputSerializer(serializers.Serializer):
    """Every error of the API: a stable code for programs and a translated detail for people."""

    code = serializers.CharField(help_text="Stable, never translated: not_found, invalid, forbidden, stale...")
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text="Field -> messages (nested for form_data)."
    )
    missing = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="What is still missing, for code 'incomplete'."
    )


class UnitRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class ProcedureRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name_vi = serializers.CharField()
    name_en = serializers.CharField()


class PersonRefSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()


class DocumentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    role = serializers.CharField()
    original_name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    uploaded_at = serializers.DateTimeField()


class DossierListOutputSerializer(serializers.Serializer):
    code = serializers.CharField(allow_null=True, help_text="Null for a draft (see uuid).")
    uuid = serializers.UUIDField()
    status = serializers.ChoiceField(choices=DossierStatus.choices)
    status_label = serializers.CharField(source="get_status_display")
    national_status_code = serializers.IntegerField(
        allow_null=True, help_text="The one-stop status code exchanged with the national portal (1-10)."
    )
    procedure = ProcedureRefSerializer()
    receiving_unit = UnitRefSerializer()
    handling_unit = UnitRefSerializer(allow_null=True)
    applicant_name = serializers.CharField(source="applicant.full_name")
    submitted_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(
        allow_null=True,
        help_text="The legal due date: set at receipt, moved only by a supplement or payment pause, never by an "
        "apology. Lateness is counted on it.",
    )
    promised_at = serializers.DateTimeField(
        allow_null=True, help_text="The new date promised in the unit's latest apology (null without one)."
    )
    is_overdue = serializers.SerializerMethodField(
        help_text="The legal due date passed without the dossier being finished by then (an apology does not change "
        "it; a dossier finished late stays overdue)."
    )
    outcome = serializers.CharField()
    updated_at = serializers.DateTimeField()

    def get_is_overdue(self, dossier) -> bool:
        # The one definition (procedures.models.overdue_q); one instant for the whole page.
        return dossier.is_overdue_at(self.context.setdefault("now", timezone.now()))


class FeeLineRefSerializer(serializers.Serializer):
    kind = serializers.CharField()
    name_vi = serializers.CharField()
    name_en = serializers.CharField()
    amount_vnd = serializers.IntegerField()


class PaymentRequestOutputSerializer(serializers.Serializer):
    """What the citizen has to pay while the dossier waits for payment."""

    amount_vnd = serializers.IntegerField(source="total", help_text="The sum of the fee lines, VND.")
    amount_display = serializers.SerializerMethodField(help_text="As shown to people: '1.250.000 ₫'.")
    lines = FeeLineRefSerializer(many=True)
    pay_at = UnitRefSerializer(help_text="Where to pay until online payment is available.")
    online = serializers.SerializerMethodField(help_text="False: online payment is not available yet.")

    def get_amount_display(self, payment) -> str:
        return vnd(payment.total)

    def get_online(self, payment) -> bool:
        return False


class DossierDetailOutputSerializer(DossierListOutputSerializer):
    form_data = serializers.DictField()
    reused_data = serializers.DictField(help_text="Fields and documents taken from the population registry.")
    routing_reason = serializers.CharField(source="routing_reason_display", help_text="In the caller's language.")
    received_at = serializers.DateTimeField(allow_null=True)
    paused_at = serializers.DateTimeField(allow_null=True, help_text="Set while a supplement is awaited.")
    decided_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    supplement_count = serializers.IntegerField()
    transfer_count = serializers.IntegerField()
    fee_total = serializers.IntegerField(help_text="VND.")
    payment_request = serializers.SerializerMethodField(
        help_text="While the dossier waits for payment: the amount from the fee lines; otherwise null."
    )
    satisfaction = serializers.IntegerField(
        allow_null=True,
        help_text="The applicant's latest rating of the service, 1-5 (action `rate`, once the unit has finished); "
        "null until rated.",
    )
    version = serializers.IntegerField(help_text="Send it back with an action: a stale version is refused (409).")
    assigned_to = serializers.SerializerMethodField(help_text="Staff only; null for the applicant.")
    documents = DocumentOutputSerializer(many=True, source="documents.all")
    available_actions = serializers.SerializerMethodField(
        help_text="Actions the caller may take now (the same list the pages offer): POST them to /actions/<action>/."
    )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_available_actions(self, dossier) -> list[str]:
        return list(self.context.get("available_actions", []))

    @extend_schema_field(PaymentRequestOutputSerializer(allow_null=True))
    def get_payment_request(self, dossier):
        payment = payment_request(dossier=dossier)
        return PaymentRequestOutputSerializer(payment).data if payment is not None else None

    @extend_schema_field(PersonRefSerializer(allow_null=True))
    def get_assigned_to(self, dossier):
        if not self.context.get("staff_view") or dossier.assigned_to is None:
            return None
        return PersonRefSerializer(dossier.assigned_to).data


class DraftOutputSerializer(serializers.Serializer):
    uuid = serializers.UUIDField()
    status = serializers.ChoiceField(choices=DossierStatus.choices)
    procedure = ProcedureRefSerializer()
    receiving_unit = UnitRefSerializer()
    form_data = serializers.DictField()
    reused_data = serializers.DictField(help_text="Fields and documents taken from the population registry.")
    documents = DocumentOutputSerializer(many=True, source="documents.all")
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="Required fields and documents still missing before submitting."
    )
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class EventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField()
    label = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    unit = UnitRefSerializer(allow_null=True)
    note = serializers.CharField()
    at = serializers.DateTimeField()
    new_due_at = serializers.DateTimeField(allow_null=True, help_text="Apologies: the new date promised.")
    actor_kind = serializers.SerializerMethodField(help_text="applicant | staff | system")
    actor = serializers.SerializerMethodField(help_text="Who acted: staff see everyone, citizens only themselves.")
    data = serializers.SerializerMethodField(help_text="Event details (staff only).")

    def get_actor_kind(self, event) -> str:
        if event.actor_id is None:
            return "system"
        return "applicant" if event.actor_id == event.dossier.applicant_id else "staff"

    @extend_schema_field(PersonRefSerializer(allow_null=True))
    def get_actor(self, event):
        if event.actor_id is None:
            return None
        if self.context.get("staff_view") or event.actor_id == event.dossier.applicant_id:
            return PersonRefSerializer(event.actor).data
        return None

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_data(self, event):
        return event.data if self.context.get("staff_view") else None
