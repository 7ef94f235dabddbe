"""Transfers between units, the same for every kind of case: they wait for the other unit's answer.

A transfer names the unit and a reason code; the receiving unit accepts it
(the case moves, the hop is counted, the assignee is cleared) or returns it
(nothing moves). After MAX_TRANSFERS hops, a transfer by anyone but the city's
coordinating unit goes to that unit instead, which decides where the case
belongs. The clock does not restart: a citizen does not pay for a case sent
to the wrong unit. These are the effects of the case apps' transfer actions;
their transition services check status, actor and input first.
"""

from collections.abc import Callable

from django.db import models
from django.utils.translation import gettext_lazy as _

from govportal.tiers.models import Unit
from identity import access

MAX_TRANSFERS = 3

# The codes of the refusals below; the case app words them (its error class, its messages).
TRANSFER_PENDING = "transfer_pending"
SAME_UNIT = "same_unit"


class TransferReason(models.TextChoices):
    WRONG_TIER = "wrong_tier", _("The other tier is competent")
    WRONG_AREA = "wrong_area", _("Another ward or commune is competent")
    WRONG_DEPARTMENT = "wrong_department", _("Another department is competent")
    COORDINATION = "coordination", _("Needs the city's coordination")
    OTHER = "other", _("Other reason")


def coordinating_unit() -> Unit:
    from govportal.tiers.selectors import coordinating_unit as find

    return find()


def is_coordinator(actor) -> bool:
    """A city admin, or staff of the city's coordinating unit: they may transfer past the hop limit."""
    unit = coordinating_unit()
    return actor is not None and (
        access.is_city_admin(actor) or unit.pk in access.units_where(actor, "officer", "head")
    )


def transfer_request(case, *, actor, unit: Unit, reason: str, refuse: Callable[[str], Exception]) -> dict:
    """Put the transfer on the case (not moved yet); returns the event data.

    `refuse(code)` builds the error raised for TRANSFER_PENDING and SAME_UNIT.
    """
    if case.pending_transfer_unit_id:
        raise refuse(TRANSFER_PENDING)
    if unit.pk == case.acting_unit_id:
        raise refuse(SAME_UNIT)
    redirected = False
    if case.transfer_count >= MAX_TRANSFERS and not is_coordinator(actor):
        # Enough hops: the city's coordinating unit decides where it goes.
        unit = coordinating_unit()
        redirected = True
    case.pending_transfer_unit = unit
    case.transfer_reason = reason
    return {
        "from_unit": case.acting_unit_id,
        "to_unit": unit.pk,
        "reason": reason,
        "redirected_to_coordinator": redirected,
    }


def transfer_accept(case) -> dict:
    """The waiting unit takes the case: it moves, the hop is counted, nobody is assigned yet."""
    previous = case.acting_unit_id
    request = case.events.filter(action="transfer").order_by("-at", "-id").first()
    case.handling_unit_id = case.pending_transfer_unit_id
    case.pending_transfer_unit = None
    case.transfer_count += 1
    case.assigned_to = None
    # The clock does not restart: a citizen does not pay for a case sent to the wrong unit.
    return {
        "from_unit": previous,
        "to_unit": case.handling_unit_id,
        "hop": case.transfer_count,
        "transfer_note": request.note if request else "",
        "reason": case.transfer_reason,
    }


def transfer_return(case) -> dict:
    """The waiting unit sends the transfer back: the case stays where it was."""
    returned_from = case.pending_transfer_unit_id
    case.pending_transfer_unit = None
    case.transfer_reason = ""
    return {"returned_from": returned_from}
