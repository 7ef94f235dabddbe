"""Shapes of the payments API (payments/api.py): the input of a new payment and the payment as read back.

Amounts are whole VND and come from the payment's own copy of the fee lines,
never from a request. Who reads decides what is shown: `staff_view` in the
context adds the payment's audit trail (events) for staff of the collecting
unit and the city; the payer reads the payment without it.

Component names start with "Payment" so they never collide with the dossiers'
or reports' components in the OpenAPI schema; statuses are plain strings with
their values in the description (the dossiers API owns the `status` enum name).
"""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from govportal.templatetags.portal import vnd
from payments.workflow import PaymentStatus

STATUS_HELP = "One of: " + ", ".join(PaymentStatus.values) + "."


class PaymentErrorOutputSerializer(serializers.Serializer):
    """Every error of the payments API: a stable code for programs and a translated detail for people."""

    code = serializers.CharField(
        help_text="Stable, never translated: invalid, not_authenticated, permission_denied, not_found, "
        "subject_unknown, not_payable, already_paid, payment_pending, nothing_to_pay, payment_closed, "
        "idempotency_key_reused..."
    )
    detail = serializers.CharField()
    errors = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text="Field -> messages (nested for form_data)."
    )


@extend_schema_serializer(component_name="PaymentCreateInput")
class PaymentCreateInputSerializer(serializers.Serializer):
    """What a client may send: only the subject. Anything else (an amount...) is refused, never used."""

    subject = serializers.CharField(
        max_length=80,
        help_text='What is paid for: "dossier:<dossier code>" (a dossier of the caller that waits for payment).',
    )

    def validate(self, attrs):
        unknown = sorted(set(getattr(self, "initial_data", {}) or {}) - set(self.fields))
        if unknown:
            raise serializers.ValidationError(
                {field: [_("This field is not accepted: the amount comes from the fee lines.")] for field in unknown}
            )
        return attrs


class PaymentLineOutputSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="fee (lệ phí) or charge (phí).")
    name_vi = serializers.CharField()
    name_en = serializers.CharField()
    amount_vnd = serializers.IntegerField(help_text="VND.")


class PaymentUnitOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()


class PaymentEventOutputSerializer(serializers.Serializer):
    action = serializers.CharField(help_text="create, start, replaced, callback, query, expire, refund steps...")
    from_status = serializers.CharField(allow_blank=True)
    to_status = serializers.CharField(allow_blank=True)
    actor = serializers.SerializerMethodField(
        help_text='"payer" for the payer, a staff member\'s username, or null for the gateway or the system.'
    )
    data = serializers.DictField(help_text="What the step recorded (result code, transaction number...).")
    at = serializers.DateTimeField()

    def get_actor(self, event) -> str | None:
        # The payer's username is their personal ID number: it is not repeated here.
        if event.actor_id is None:
            return None
        if event.actor_id == self.context.get("payer_id"):
            return "payer"
        return event.actor.username


class PaymentOutputSerializer(serializers.Serializer):
    """A payment as its payer, the collecting unit's staff and the city read it."""

    reference = serializers.CharField(help_text="The payment reference (unique per attempt).")
    subject = serializers.CharField(help_text='What it pays for, e.g. "dossier:HCM-26743-261130-0001".')
    description = serializers.CharField()
    status = serializers.CharField(help_text=STATUS_HELP)
    status_label = serializers.CharField(source="get_status_display", help_text="In the caller's language.")
    is_final = serializers.BooleanField(help_text="True once the outcome is known (no state follows but a refund).")
    amount_vnd = serializers.IntegerField(help_text="The sum of the fee lines, VND.")
    amount_display = serializers.SerializerMethodField(help_text="As shown to people: '1.250.000 ₫'.")
    currency = serializers.CharField()
    lines = PaymentLineOutputSerializer(many=True, source="lines.all")
    unit = PaymentUnitOutputSerializer(help_text="The unit that collects the fee.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(help_text="An attempt not paid by then expires.")
    paid_at = serializers.DateTimeField(allow_null=True)
    receipt_number = serializers.CharField(allow_null=True, help_text="The electronic receipt, once paid.")
    events = serializers.SerializerMethodField(help_text="The audit trail, oldest first: staff only (null otherwise).")

    def get_amount_display(self, payment) -> str:
        return vnd(payment.amount_vnd)

    @extend_schema_field(PaymentEventOutputSerializer(many=True, allow_null=True))
    def get_events(self, payment):
        if not self.context.get("staff_view"):
            return None
        events = payment.events.select_related("actor").order_by("at", "id")
        return PaymentEventOutputSerializer(events, many=True, context={"payer_id": payment.payer_id}).data


class PaymentCreatedOutputSerializer(PaymentOutputSerializer):
    """The answer to a new payment (or to its repeat with the same Idempotency-Key)."""

    pay_url = serializers.SerializerMethodField(
        help_text="Send the payer's browser here to pay at the gateway. Null when the payment can no longer be paid "
        "(a repeat of a payment that is final or expired)."
    )

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_pay_url(self, payment) -> str | None:
        return self.context.get("pay_url")
