from django.core.management.base import BaseCommand

from govportal.tiers.services import routing_rules_seed


class Command(BaseCommand):
    help = (
        "Create the default routing rules that are missing (idempotent; edited rules are kept). Run after load_units."
    )

    def handle(self, *args, **options):
        result = routing_rules_seed()
        self.stdout.write(f"Routing rules: {result.created} created, {result.kept} kept.")
