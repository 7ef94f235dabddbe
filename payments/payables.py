"""What can be paid for, and who hears of the outcome: apps register a kind of subject here.

Payments know what they pay for only by an opaque subject, "<kind>:<key>"
("dossier:HCM-26743-261130-0001"). The app that owns the kind registers a
`resolve` (who may pay it now, which unit collects, the fee lines) and an
`on_succeeded` handler, called on commit once a payment succeeds (or is
refunded: `on_refunded`). Payments never import the apps that use them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Line:
    kind: str
    name_vi: str
    name_en: str
    amount_vnd: int


@dataclass(frozen=True)
class Payable:
    unit: object  # the tiers.Unit that collects the fee
    description: str
    lines: list[Line]
    label: str = ""  # what the citizen reads (e.g. the dossier code and procedure name)
    return_path: str = ""  # where the citizen goes once the payment is settled


@dataclass(frozen=True)
class PayableKind:
    name: str
    # (key, user) -> Payable; raises PaymentError (code, message) when the user may not pay it now.
    resolve: Callable[[str, object], Payable]
    on_succeeded: Callable[[object], None]
    on_refunded: Callable[[object], None] = field(default=lambda payment: None)


_KINDS: dict[str, PayableKind] = {}


def register(kind: PayableKind) -> PayableKind:
    _KINDS[kind.name] = kind
    return kind


def split(subject: str) -> tuple[str, str]:
    name, _sep, key = (subject or "").partition(":")
    return name, key


def kind_of(subject: str) -> PayableKind | None:
    return _KINDS.get(split(subject)[0])
