"""Payments API under /api/v1/payments/: pay a fee (with an optional Idempotency-Key) and read a payment.

One APIView per operation (as procedures/api/dossiers.py): it parses input,
calls `payments.services` (`payment_create`, `payment_start`) or
`payments.selectors`, and renders an output serializer. Errors are
`{code, detail}` (govportal.api.exceptions) with the services' stable codes.

- The amount is always the sum of the payable's fee lines, copied by
  `payment_create`; a request that sends anything but `subject` is refused.
- Idempotency-Key (GOV.UK Pay / Stripe style), per payer: the same key with the
  same body answers the original payment (200, header `Idempotent-Replayed:
  true`) and creates nothing; with another body, 422 `idempotency_key_reused`.
  A repeat of a payment that is final (or has expired) still answers it, with
  `pay_url` null. Requests with the same key, and requests for the same
  subject, are serialized by transaction-scoped PostgreSQL advisory locks, so
  two concurrent POSTs make one payment and the second answers the first's.
- Reading: the payer, staff (officer or head) of the collecting unit, the city
  (`identity.access`); anyone else gets 404, never 403, so references cannot be
  probed. Staff also read the audit trail (events).
"""

from django.db import transaction
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from govportal.ratelimit import client_address
from identity import access
from payments import selectors, services
from payments.models import Payment
from payments.serializers import (
    PaymentCreatedOutputSerializer,
    PaymentCreateInputSerializer,
    PaymentErrorOutputSerializer,
    PaymentOutputSerializer,
)

TAGS = ["payments"]
IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX = 100  # Payment.idempotency_key's length
REPLAYED_HEADER = "Idempotent-Replayed"


def _errors(*codes: int, **overrides: str) -> dict:
    """Error responses for the schema; `overrides` replaces a description by status ("e404": "...")."""
    descriptions = {
        400: "Invalid input (code `invalid` with `errors` {field: messages}; a field other than `subject`, such "
        "as an amount, is refused; a bad Idempotency-Key header is reported under `Idempotency-Key`).",
        401: "Not authenticated.",
        403: "Not allowed (code `permission_denied`: only citizens pay fees).",
        404: "Nothing to pay with this subject: unknown, or not the caller's (code `subject_unknown`).",
        409: "Not possible now (code `already_paid`, `payment_pending`, `not_payable`, `nothing_to_pay`, "
        "`payment_closed`).",
        422: "The Idempotency-Key was already used with a different body (code `idempotency_key_reused`).",
    }
    descriptions.update({int(key[1:]): text for key, text in overrides.items()})
    return {code: OpenApiResponse(PaymentErrorOutputSerializer, description=descriptions[code]) for code in codes}


def _client_ip(request) -> str:
    """The caller's address through the trusted proxies (sent to the gateway with the payment)."""
    return client_address(request)


def _return_url(request, payment: Payment) -> str:
    """Where the gateway sends the browser back: the portal's return page (it reads the state, trusts nothing)."""
    return request.build_absolute_uri(f"/payments/{payment.reference}/return/")


def _idempotency_key(request) -> str:
    key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip()
    if len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise exceptions.ValidationError(
            {
                IDEMPOTENCY_HEADER: [
                    _("At most %(max)d printable characters (a UUID is a good key).") % {"max": IDEMPOTENCY_KEY_MAX}
                ]
            }
        )
    return key


def _require_citizen(user) -> None:
    """Fees are paid by citizens (an account from the e-ID), as on the pages."""
    if access.CITIZEN not in access.roles_of(user):
        raise exceptions.PermissionDenied(_("Only citizens logged in with their e-ID can pay fees."))


def staff_view(user, payment: Payment) -> bool:
    """An officer or head of the unit collecting the fee, or the city (identity.access)."""
    return access.can(user, "payment.view_as_staff", payment)


def _may_view(user, payment: Payment) -> bool:
    return access.can(user, "payment.view", payment)


class PaymentCreateApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="payments_create",
        summary="Pay a fee",
        description="Creates a payment of the subject's fee lines (the amount is never taken from the request), "
        "sends it to the gateway and answers the URL where the payer's browser pays (`pay_url`). The gateway "
        "sends the browser back to the portal's page /payments/{reference}/return/.\n\n"
        "With an `Idempotency-Key` header, a repeat of the same request (same key, same body) answers the "
        "original payment with 200 and the header `Idempotent-Replayed: true`, and creates nothing; the same key "
        "with another body is refused with 422 `idempotency_key_reused`. A repeat of a payment that is final or "
        "expired answers it with `pay_url` null.",
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                str,
                OpenApiParameter.HEADER,
                required=False,
                description="A key of your choice (at most 100 characters, e.g. a UUID), unique per payment you mean "
                "to make: retry with the same key and body to get the same payment, never a second one.",
            )
        ],
        request=PaymentCreateInputSerializer,
        responses={
            201: OpenApiResponse(PaymentCreatedOutputSerializer, description="A new payment, sent to the gateway."),
            200: OpenApiResponse(
                PaymentCreatedOutputSerializer,
                description="A repeat with the same Idempotency-Key and body: the original payment.",
            ),
            **_errors(400, 401, 403, 404, 409, 422),
        },
    )
    def post(self, request):
        _require_citizen(request.user)
        key = _idempotency_key(request)
        serializer = PaymentCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body = dict(serializer.validated_data)
        subject = body["subject"]
        user = request.user
        with transaction.atomic():
            payment = services.payment_create(
                subject=subject, payer=user, idempotency_key=key, body_hash=services.request_hash(body)
            )
            repeat = getattr(payment, "replayed", False)
            pay_url = None
            if not payment.is_final:
                try:
                    pay_url = services.payment_start(
                        payment=payment,
                        return_url=_return_url(request, payment),
                        client_ip=_client_ip(request),
                        actor=user,
                    )
                except services.PaymentError as error:
                    # A repeat of an attempt past its time answers that attempt (it can no longer be paid).
                    if not (repeat and error.code == "payment_closed"):
                        raise
        payment = selectors.payment_get(payment.reference)
        context = {
            "staff_view": staff_view(user, payment),
            "pay_url": request.build_absolute_uri(pay_url) if pay_url else None,
        }
        response = Response(
            PaymentCreatedOutputSerializer(payment, context=context).data,
            status=status.HTTP_200_OK if repeat else status.HTTP_201_CREATED,
        )
        if repeat:
            response[REPLAYED_HEADER] = "true"
        return response


class PaymentDetailApi(APIView):
    @extend_schema(
        tags=TAGS,
        operation_id="payments_retrieve",
        summary="One payment by its reference",
        description="For the payer, staff (officer or head) of the unit collecting the fee, and the city; staff "
        "also read the audit trail (`events`). Anyone else gets 404.",
        responses={
            200: PaymentOutputSerializer,
            **_errors(401, 404, e404="No such payment, or not visible to the caller (code `not_found`)."),
        },
    )
    def get(self, request, reference):
        payment = selectors.payment_get(reference)
        if payment is None or not _may_view(request.user, payment):
            raise exceptions.NotFound(_("There is no payment with this reference."))
        context = {"staff_view": staff_view(request.user, payment)}
        return Response(PaymentOutputSerializer(payment, context=context).data)


urlpatterns = [
    path("payments/", PaymentCreateApi.as_view(), name="payment-list"),
    path("payments/<str:reference>/", PaymentDetailApi.as_view(), name="payment-detail"),
]
