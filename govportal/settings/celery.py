"""Celery: queues, reliability and the beat schedule, in one place.

Without REDIS_URL the broker is kombu's filesystem transport under var/: no
server is needed, yet a real worker and beat run as separate processes.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from kombu import Exchange, Queue

_env = environ.Env()
_var = Path(_env("GOVPORTAL_VAR_DIR", default=str(Path(__file__).resolve().parent.parent.parent / "var")))
_redis = _env("REDIS_URL", default="")
# The broker by setting: CELERY_BROKER_URL (amqp://... for RabbitMQ, redis://...) over REDIS_URL's Redis.
# Results (few: nothing in the portal waits on one) stay in Redis (docs/0010-scaling-to-the-city.md).
_broker = _env("CELERY_BROKER_URL", default="") or _redis

BROKER_DATA_DIR = Path(_env("BROKER_DATA_DIR", default=str(_var / "broker")))

if _broker.startswith(("amqp://", "amqps://", "pyamqp://")):
    CELERY_BROKER_URL = _broker
    CELERY_RESULT_BACKEND = _redis or None
    # RabbitMQ confirms every publish (a task is on the queue, not in a socket buffer, when the request
    # returns) and the same bounded waits as for Redis (tests/deploy/test_brokers.py).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "confirm_publish": True,
        "connect_timeout": 2,
        "read_timeout": 5,
        "write_timeout": 5,
    }
elif _broker:
    CELERY_BROKER_URL = _broker
    CELERY_RESULT_BACKEND = _redis or _broker
    # Bounded socket waits: a broker that accepts connections but never answers (hung, half-open
    # network) must not hold a web request that publishes on commit (tests/drills/test_broker_down.py).
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 2, "socket_timeout": 5}
else:
    for _sub in ("queue", "processed", "results", "control"):
        (BROKER_DATA_DIR / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    # Producer and consumer share one folder: that is the queue.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DATA_DIR / "queue"),
        "data_folder_out": str(BROKER_DATA_DIR / "queue"),
        "processed_folder": str(BROKER_DATA_DIR / "processed"),
        "control_folder": str(BROKER_DATA_DIR / "control"),
        "store_processed": False,
    }
    CELERY_RESULT_BACKEND = f"file://{BROKER_DATA_DIR / 'results'}"

CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
CELERY_ENABLE_UTC = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = timedelta(days=1)

# One queue per concern, so a flood of notifications never delays routing.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = [
    Queue(name, Exchange(name), routing_key=name) for name in ("routing", "notifications", "payments", "default")
]
CELERY_TASK_ROUTES = {
    "*.route_*": {"queue": "routing"},
    "*.sweep_*": {"queue": "routing"},
    "*.run_dossier_clocks": {"queue": "routing"},
    "cases.run_clocks": {"queue": "routing"},
    "*.notify_*": {"queue": "notifications"},
    "payments.*": {"queue": "payments"},
    "paygov_sim.*": {"queue": "payments"},
}

# A task is acknowledged only after it ran: a worker that dies mid-task leaves
# the message to be redelivered, which is why every task is idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = _env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=120)
CELERY_TASK_TIME_LIMIT = _env.int("CELERY_TASK_TIME_LIMIT", default=180)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Publishing from a request (on commit) gives up within seconds when the broker is down: the work is
# committed and the beat sweeps queue it again (govportal.tasks.dispatch_or_log).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_TASK_SEND_SENT_EVENT = True

CELERY_BEAT_SCHEDULE_FILENAME = str(_var / "celerybeat-schedule")
# Beat exactly once: a second beat waits as a standby until the lock holder dies (govportal/beat.py).
CELERY_BEAT_SCHEDULER = "govportal.beat:LockedScheduler"
# How often a standby beat asks for the lock, and how often the holder checks it still has it.
BEAT_LOCK_RETRY_SECONDS = _env.float("BEAT_LOCK_RETRY_SECONDS", default=5.0)
BEAT_LOCK_CHECK_SECONDS = _env.float("BEAT_LOCK_CHECK_SECONDS", default=15.0)
# The beat schedule lives here and nowhere else.
CELERY_BEAT_SCHEDULE = {
    "heartbeat": {"task": "govportal.tasks.heartbeat", "schedule": timedelta(seconds=60)},
    # Re-dispatch dossiers committed but never routed (a broker outage loses nothing).
    "sweep-unrouted-dossiers": {"task": "procedures.sweep_unrouted_dossiers", "schedule": timedelta(seconds=30)},
    # Re-queue citizens' notifications whose task was lost (broker down at the time, a killed worker).
    "sweep-unnotified-events": {"task": "procedures.tasks.sweep_unnotified_events", "schedule": timedelta(minutes=1)},
    # The legal clocks: due-soon warnings, overdue flags, escalations.
    "dossier-clocks": {"task": "procedures.run_dossier_clocks", "schedule": timedelta(minutes=5)},
    # 1022 reports: the generic case tasks with the kind's name (docs/0007).
    "sweep-unrouted-reports": {
        "task": "cases.sweep_unrouted",
        "args": ("report",),
        "schedule": timedelta(seconds=30),
    },
    "report-clocks": {"task": "cases.run_clocks", "args": ("report",), "schedule": timedelta(minutes=5)},
    # Answered reports nobody reopened within 7 days are closed.
    "close-settled-reports": {"task": "feedback.close_settled_reports", "schedule": timedelta(hours=1)},
    # Re-queue report notices whose task was lost (as for dossiers).
    "sweep-unnotified-report-events": {
        "task": "feedback.sweep_unnotified_report_events",
        "schedule": timedelta(minutes=1),
    },
    # Payments: ask the gateway about attempts pending over 15 minutes, expire those past 90 (docs/0008).
    "payments-reconcile": {"task": "payments.reconcile", "schedule": timedelta(minutes=5)},
    # Yesterday's reconciliation report per unit that had payments (01:00 local: CELERY_TIMEZONE).
    "payments-daily-report": {"task": "payments.daily_report", "schedule": crontab(hour=1, minute=0)},
    # The dashboards' aggregates: recount the days whose cases changed or turned late (docs/0009).
    "dashboard-stats-refresh": {"task": "dashboard.stats_refresh", "schedule": timedelta(minutes=1)},
    # Personal data past its retention period: closed reports' contacts, drafts never submitted (03:15 local).
    "retention-run": {"task": "operations.retention_run", "schedule": crontab(hour=3, minute=15)},
}

# Routing and clocks, configurable per deployment.
ROUTING_SWEEP_AFTER_SECONDS = _env.int("ROUTING_SWEEP_AFTER_SECONDS", default=60)
ROUTING_AUTO_ASSIGN = _env.bool("ROUTING_AUTO_ASSIGN", default=False)
NOTIFY_SWEEP_AFTER_SECONDS = _env.int("NOTIFY_SWEEP_AFTER_SECONDS", default=120)
NOTIFY_SWEEP_WITHIN_HOURS = _env.int("NOTIFY_SWEEP_WITHIN_HOURS", default=48)
CLOCK_DUE_SOON_SHARE = _env.float("CLOCK_DUE_SOON_SHARE", default=0.8)
CLOCK_ESCALATE_TO_CITY_AFTER_WORKING_DAYS = _env.int("CLOCK_ESCALATE_TO_CITY_AFTER_WORKING_DAYS", default=2)
# An apology may promise at most this many times the procedure's own time limit after the legal
# due date, counted in working time (docs/0006). 1: the limit again.
APOLOGY_MAX_EXTENSION_FACTOR = _env.float("APOLOGY_MAX_EXTENSION_FACTOR", default=1.0)
