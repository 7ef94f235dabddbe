"""Project-wide tasks: the worker ping and the beat heartbeat.

`PortalTask` is the base for every task: acknowledged late (settings), retried
with exponential backoff on transient database or broker errors.
`dispatch_or_log` is how a committed change queues its follow-up work (from
`transaction.on_commit`: it does not wait for a commit itself).
"""

import logging

from celery import Task, shared_task
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

HEARTBEAT_CACHE_KEY = "govportal:beat:last"

logger = logging.getLogger(__name__)


class PortalTask(Task):
    autoretry_for = (OperationalError, InterfaceError, BrokerError, ConnectionError)
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 8


def dispatch_or_log(task, *args, recovered_by: str) -> bool:
    """Queue `task` for work whose data is already committed; never raise.

    Called from `transaction.on_commit`: the user's change is saved, so a broker
    outage must not turn it into an error page. Every caller names the beat
    sweep that finds the work undone and queues it again (`recovered_by`).
    Returns whether the message was handed to the broker.
    """
    try:
        task.delay(*args)
    except Exception:
        logger.warning(
            "Could not queue %s%r (broker down?): %s will queue it again.", task.name, args, recovered_by, exc_info=True
        )
        return False
    return True


@shared_task(base=PortalTask, name="govportal.tasks.ping")
def ping() -> str:
    """Answers 'pong': proves a worker consumes the queue and returns results."""
    return "pong"


@shared_task(base=PortalTask, name="govportal.tasks.heartbeat")
def heartbeat() -> str:
    """Run by beat every minute; the time it last ran tells operators beat is alive."""
    now = timezone.now().isoformat()
    cache.set(HEARTBEAT_CACHE_KEY, now, timeout=None)
    return now
