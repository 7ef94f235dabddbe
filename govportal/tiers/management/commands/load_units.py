from django.core.management.base import BaseCommand

from govportal.tiers.services import units_load


class Command(BaseCommand):
    help = "Load the city, its departments and the 168 commune-level units (idempotent)."

    def handle(self, *args, **options):
        result = units_load()
        self.stdout.write(f"Units: {result.created} created, {result.updated} updated, {result.unchanged} unchanged.")
