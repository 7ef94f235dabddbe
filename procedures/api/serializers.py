"""Output shapes of the dossiers API, shared by its views (inputs live with each view).

Who reads decides what is shown: the serializers get `staff_view` in their
context (see `dossiers.staff_view`). Citizens never see which officer holds or
acted on their dossier, only that "staff" did; staff of the dossier's units and
the city see names and the event data.
"""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from procedures.workflow import DossierStatus


class ErrorOutputSerializer(serializers.Serializer):
    """Every error of the API: a stable code for programs and a translated detail for people."""

    code = serializers.CharField(help_text="Stable, never translated: not_found, invalid, forbidden, stale...")
    detail = serializers.CharField()
    errors = serializers.DictField(required=False, help_text="Field -> messages, for code 'invalid'.")
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
    due_at = serializers.DateTimeField(allow_null=True)
    is_overdue = serializers.BooleanField()
    outcome = serializers.CharField()
    updated_at = serializers.DateTimeField()


class DossierDetailOutputSerializer(DossierListOutputSerializer):
    form_data = serializers.DictField()
    reused_data = serializers.DictField(help_text="Fields and documents taken from the population registry.")
    routing_reason = serializers.CharField()
    received_at = serializers.DateTimeField(allow_null=True)
    paused_at = serializers.DateTimeField(allow_null=True, help_text="Set while a supplement is awaited.")
    decided_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    supplement_count = serializers.IntegerField()
    transfer_count = serializers.IntegerField()
    fee_total = serializers.IntegerField(help_text="VND.")
    version = serializers.IntegerField(help_text="Send it back with an action: a stale version is refused (409).")
    assigned_to = serializers.SerializerMethodField(help_text="Staff only; null for the applicant.")
    documents = DocumentOutputSerializer(many=True, source="documents.all")

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
