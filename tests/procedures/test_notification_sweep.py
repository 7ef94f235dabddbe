"""A broker outage never fails an officer's action, and the citizen is still told: the beat sweep
queues again the notifications whose task was lost."""

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from govportal.celery import app
from identity.models import Notification
from procedures import services
from procedures.models import DossierEvent
from procedures.tasks import notify_dossier_event, sweep_unnotified_events

pytestmark = pytest.mark.django_db


def broker_down():
    return mock.patch.object(notify_dossier_event, "delay", side_effect=BrokerError("Error 111 connecting to redis"))


def told(citizen, event) -> bool:
    return Notification.objects.filter(user=citizen, source=f"dossier-event:{event.pk}").exists()


def test_an_action_while_the_broker_is_down_succeeds_and_the_sweep_tells_the_citizen_later(
    officer_client, dossier, citizen, django_capture_on_commit_callbacks
):
    url = reverse("workbench-action", args=[dossier.code, "receive"])
    with broker_down() as delay, django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(url, {"receive-version": dossier.version})
    assert delay.called  # the dispatch was tried, and failed
    assert response.status_code == 302  # the officer's receipt is saved and reported, not a server error
    dossier.refresh_from_db()
    assert dossier.status == "received"
    event = DossierEvent.objects.get(dossier=dossier, action="receive")
    assert not told(citizen, event)

    assert sweep_unnotified_events() == 0  # too early: the task may still be on its way
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.NOTIFY_SWEEP_AFTER_SECONDS + 1)):
        assert sweep_unnotified_events() == 1
        assert told(citizen, event)
        assert sweep_unnotified_events() == 0  # told once


def test_the_sweep_leaves_staff_steps_and_old_events_alone(dossier, citizen, people):
    officer = people["officer.benthanh"]
    services.dossier_transition(dossier=dossier, action="receive", actor=officer)
    services.dossier_transition(dossier=dossier, action="claim", actor=officer)
    receipt = DossierEvent.objects.get(dossier=dossier, action="receive")
    # Past the window: a notice days late helps nobody (the timeline shows the step).
    with time_machine.travel(timezone.now() + timedelta(hours=settings.NOTIFY_SWEEP_WITHIN_HOURS, minutes=5)):
        assert sweep_unnotified_events() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert sweep_unnotified_events() == 1  # the receipt; not the claim, nor the submission
    assert told(citizen, receipt)
    assert Notification.objects.filter(user=citizen).count() == 1


def test_beat_runs_the_sweep_on_the_routing_queue():
    entry = next(e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == sweep_unnotified_events.name)
    assert entry["schedule"] <= timedelta(minutes=5)
    assert sweep_unnotified_events.name in app.tasks
    assert app.amqp.router.route({}, sweep_unnotified_events.name)["queue"].name == "routing"
