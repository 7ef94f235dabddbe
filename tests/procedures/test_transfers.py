"""Transfers between units: a reason code, acceptance or return, at most three hops, then the city decides."""

import pytest

from govportal.tiers.models import Unit
from govportal.tiers.selectors import coordinating_unit
from govportal.tiers.services import posting_ensure
from identity.models import User
from procedures import services, workflow
from procedures.services import DossierError

pytestmark = pytest.mark.django_db


@pytest.fixture
def units_by_code(units):
    return {u.code: u for u in Unit.objects.filter(code__in=["26743", "26740", "so-tu-phap", "79"])}


@pytest.fixture
def coordinator(units):
    """Staff of the city's coordinating unit (the Public Administration Service Centre)."""
    user = User.objects.create(username="coordinator", full_name="Điều phối viên")
    unit = coordinating_unit()
    posting_ensure(user=user, unit=unit, role="officer")
    return user


def transfer(dossier, actor, unit, reason="wrong_area", note="Không thuộc địa bàn"):
    return services.dossier_transition(
        dossier=dossier, action="transfer", actor=actor, unit=unit, reason=reason, note=note
    )


def test_a_transfer_waits_for_the_receiving_unit_and_keeps_the_clock(dossier, people, units_by_code):
    officer_bt, officer_sg = people["officer.benthanh"], people["officer.saigon"]
    received = services.dossier_transition(dossier=dossier, action="receive", actor=officer_bt)
    due = received.due_at
    pending = transfer(received, officer_bt, units_by_code["26740"])
    assert pending.pending_transfer_unit == units_by_code["26740"]
    assert pending.acting_unit_id == units_by_code["26743"].pk  # not moved until accepted
    assert pending.transfer_reason == "wrong_area"
    accepted = services.dossier_transition(dossier=pending, action="accept_transfer", actor=officer_sg)
    assert accepted.acting_unit_id == units_by_code["26740"].pk
    assert accepted.pending_transfer_unit is None and accepted.transfer_count == 1
    assert accepted.due_at == due  # the documented rule: a transfer does not restart the clock


def test_the_receiving_unit_may_return_it_with_a_reason(dossier, people, units_by_code):
    pending = transfer(dossier, people["officer.benthanh"], units_by_code["26740"])
    with pytest.raises(DossierError) as error:
        services.dossier_transition(dossier=pending, action="return_transfer", actor=people["officer.saigon"])
    assert error.value.code == "invalid"
    returned = services.dossier_transition(
        dossier=pending, action="return_transfer", actor=people["officer.saigon"], note="Đúng địa bàn Bến Thành"
    )
    assert returned.pending_transfer_unit is None and returned.acting_unit_id == units_by_code["26743"].pk
    assert returned.transfer_count == 0
    event = returned.events.get(action="return_transfer")
    assert event.note == "Đúng địa bàn Bến Thành"


def test_only_the_receiving_units_staff_accept(dossier, people, units_by_code):
    pending = transfer(dossier, people["officer.benthanh"], units_by_code["26740"])
    for actor in (people["officer.benthanh"], people["officer.tuphap"], people["079085001234"]):
        with pytest.raises(DossierError) as error:
            services.dossier_transition(dossier=pending, action="accept_transfer", actor=actor)
        assert error.value.code == "forbidden"


def test_a_transfer_needs_a_reason_code(dossier, people, units_by_code):
    with pytest.raises(DossierError) as error:
        transfer(dossier, people["officer.benthanh"], units_by_code["26740"], reason="")
    assert "reason" in error.value.extra["errors"]


def test_a_second_transfer_cannot_start_while_one_waits(dossier, people, units_by_code):
    pending = transfer(dossier, people["officer.benthanh"], units_by_code["26740"])
    with pytest.raises(DossierError) as error:
        transfer(pending, people["officer.benthanh"], units_by_code["so-tu-phap"])
    assert error.value.code == "transfer_pending"


def test_after_three_hops_the_city_coordinating_unit_decides(dossier, people, units_by_code, coordinator):
    staff = {units_by_code["26743"].pk: people["officer.benthanh"], units_by_code["26740"].pk: people["officer.saigon"]}
    current = dossier
    for _ in range(workflow.MAX_TRANSFERS):
        target = (
            units_by_code["26740"] if current.acting_unit_id == units_by_code["26743"].pk else units_by_code["26743"]
        )
        current = transfer(current, staff[current.acting_unit_id], target)
        current = services.dossier_transition(dossier=current, action="accept_transfer", actor=staff[target.pk])
    assert current.transfer_count == workflow.MAX_TRANSFERS
    # A fourth request goes to the coordinating unit, whatever unit the officer chose.
    fourth = transfer(current, staff[current.acting_unit_id], units_by_code["so-tu-phap"])
    assert fourth.pending_transfer_unit == coordinating_unit()
    assert fourth.events.filter(action="transfer").last().data["redirected_to_coordinator"] is True
    decided = services.dossier_transition(dossier=fourth, action="accept_transfer", actor=coordinator)
    # The coordinator decides where it goes, without the hop limit.
    final = transfer(decided, coordinator, units_by_code["so-tu-phap"], reason="coordination", note="Giao Sở Tư pháp")
    assert final.pending_transfer_unit == units_by_code["so-tu-phap"]


def test_incoming_transfers_appear_in_the_receiving_units_queue(dossier, people, units_by_code):
    from procedures.selectors import dossier_queue

    transfer(dossier, people["officer.benthanh"], units_by_code["26740"])
    assert dossier.pk in {d.pk for d in dossier_queue(user=people["officer.saigon"])}
