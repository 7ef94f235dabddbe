"""The daily retention run (beat entry "retention-run" in govportal/settings/celery.py)."""

from celery import shared_task

from govportal.operations.retention import retention_run


@shared_task(name="operations.retention_run")
def retention_run_task() -> dict:
    """Idempotent: a redelivered or repeated run finds nothing left to do."""
    summary = retention_run()
    return {key: len(value) if isinstance(value, list) else value for key, value in summary.items()}
