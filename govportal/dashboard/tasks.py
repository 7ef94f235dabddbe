"""Beat keeps the dashboards' aggregates current (docs/0009): thin, the work is in `aggregates`."""

from celery import shared_task

from govportal.dashboard.aggregates import stats_refresh


@shared_task(name="dashboard.stats_refresh", acks_late=True, ignore_result=True)
def refresh_stats() -> dict:
    return stats_refresh()
