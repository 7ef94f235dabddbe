"""Project-wide tasks: the worker ping and the beat heartbeat.

`PortalTask` is the base for every task: acknowledged late (settings), retried
with exponential backoff on transient database or broker errors.
"""

from celery import Task, shared_task
from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

HEARTBEAT_CACHE_KEY = "govportal:beat:last"


class PortalTask(Task):
    autoretry_for = (OperationalError, InterfaceError, BrokerError, ConnectionError)
    retry_backoff = 2
    retry_backoff_max = 300
    retry_jitter = True
    max_retries = 8


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
