"""Bring the dashboards' aggregates up to date now (`--full`: recount every day, e.g. after a bulk import)."""

from django.core.management.base import BaseCommand

from govportal.dashboard.aggregates import stats_rebuild, stats_refresh


class Command(BaseCommand):
    help = "Recount the days whose dossiers or reports changed (or, with --full, every day)."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Recount every day of every kind.")

    def handle(self, *args, full=False, **options):
        if full:
            stats_rebuild()
            self.stdout.write("Recounted every day.")
        else:
            recounted = stats_refresh()
            self.stdout.write(", ".join(f"{kind}: {days} day(s)" for kind, days in recounted.items()))
