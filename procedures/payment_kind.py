"""Dossier fees as something payments can take (payments.payables), and what a successful payment does.

A dossier's fee is payable by its applicant while the dossier waits for
payment (the unit asked: `payment_required`), or right after submission for a
procedure whose fee is due at filing. Payments copy the procedure's fee lines
when the attempt is created. When a payment succeeds, a dossier waiting for
payment moves on (`payment_received` by the system: its paused clock resumes,
docs/0006); a dossier paid at filing gets a `fee_paid` event, and the unit may
then receive it.
"""

from django.utils.translation import gettext as _

from payments.payables import Line, Payable, PayableKind
from payments.services import PaymentError

NAME = "dossier"


def subject_of(dossier) -> str:
    return f"{NAME}:{dossier.code}"


def fee_open_at_filing(dossier) -> bool:
    """Submitted, fee due at filing, more than 0 ₫, and not paid yet."""
    from payments.selectors import subject_paid
    from procedures.workflow import DossierStatus

    return (
        dossier.status == DossierStatus.SUBMITTED
        and dossier.procedure.fee_due_at_filing
        and dossier.procedure.total_fee > 0
        and not subject_paid(subject_of(dossier))
    )


def payment_due(dossier) -> bool:
    from procedures.workflow import DossierStatus

    return dossier.status == DossierStatus.PAYMENT_REQUIRED or fee_open_at_filing(dossier)


def resolve(code: str, user) -> Payable:
    from procedures.models import Dossier

    dossier = Dossier.objects.select_related("procedure", "handling_unit", "receiving_unit").filter(code=code).first()
    if dossier is None or user is None or dossier.applicant_id != getattr(user, "pk", None):
        raise PaymentError("subject_unknown", _("There is nothing to pay with this reference."), status_code=404)
    if not payment_due(dossier):
        raise PaymentError("not_payable", _("This dossier does not wait for a payment now."), status_code=409)
    procedure = dossier.procedure
    return Payable(
        unit=dossier.handling_unit or dossier.receiving_unit,
        description=f"{dossier.code} {procedure.name_vi}",
        lines=[Line(line.kind, line.name_vi, line.name_en, line.amount_vnd) for line in procedure.fee_lines.all()],
        label=dossier.code,
        return_path=f"/my/dossiers/{dossier.code}/",
    )


def on_succeeded(payment) -> None:
    """Move the dossier on (or record the fee paid at filing); a dossier no longer waiting is left as it is."""
    from procedures import services
    from procedures.models import Dossier
    from procedures.workflow import DossierStatus

    code = payment.subject.partition(":")[2]
    dossier = Dossier.objects.filter(code=code).first()
    if dossier is None:
        return
    data = {"payment": payment.reference, "amount_vnd": payment.amount_vnd, "receipt": payment.receipt_number}
    if dossier.status == DossierStatus.PAYMENT_REQUIRED:
        try:
            services.dossier_transition(dossier=dossier, action="payment_received", actor=None, note=payment.reference)
        except services.DossierError:
            pass  # changed meanwhile (staff recorded a payment at the counter): the payment stays recorded
        return
    services.dossier_event_append(
        dossier=dossier,
        actor=None,
        action="fee_paid",
        from_status=dossier.status,
        to_status=dossier.status,
        data=data,
    )


def on_refunded(payment) -> None:
    """The dossier's timeline says the fee was given back (the refund itself is audited in payments)."""
    from procedures import services
    from procedures.models import Dossier

    dossier = Dossier.objects.filter(code=payment.subject.partition(":")[2]).first()
    if dossier is not None:
        services.dossier_event_append(
            dossier=dossier,
            actor=None,
            action="fee_refunded",
            from_status=dossier.status,
            to_status=dossier.status,
            data={"payment": payment.reference, "receipt": payment.receipt_number},
        )


def build() -> PayableKind:
    return PayableKind(name=NAME, resolve=resolve, on_succeeded=on_succeeded, on_refunded=on_refunded)
