"""A real Celery worker process: tasks cross the broker and come back."""

import pytest
from django.conf import settings

from govportal.tasks import ping

pytestmark = pytest.mark.worker


def test_worker_round_trip_on_the_configured_broker(celery_worker_process):
    from govportal.celery import app

    # send_task always crosses the broker (tests run other tasks eagerly).
    assert app.send_task("govportal.tasks.ping").get(timeout=60) == "pong"


def test_worker_round_trip_over_redis(celery_worker_process):
    from tests.conftest import require

    require("redis")
    assert settings.CELERY_BROKER_URL.startswith("redis://")
    from govportal.celery import app

    result = app.send_task("govportal.tasks.ping", queue="default")
    assert result.get(timeout=60) == "pong"
    # The result came back through Redis, from the worker process.
    assert result.backend.__class__.__name__ == "RedisBackend"


def test_task_routes_send_each_concern_to_its_queue():
    from govportal.celery import app

    router = app.amqp.router
    assert router.route({}, "procedures.tasks.route_dossier")["queue"].name == "routing"
    assert router.route({}, "procedures.tasks.notify_citizen")["queue"].name == "notifications"
    assert router.route({}, "payments.tasks.expire_pending")["queue"].name == "payments"
    assert router.route({}, "govportal.tasks.ping")["queue"].name == "default"


def test_tasks_acknowledge_late_and_retry_with_backoff():
    from govportal.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert ping.retry_backoff and ping.max_retries >= 5
    assert "heartbeat" in app.conf.beat_schedule
