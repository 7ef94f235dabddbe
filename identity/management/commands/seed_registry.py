from django.core.management.base import BaseCommand, CommandError

from identity.registry.services import registry_population_seed


class Command(BaseCommand):
    help = (
        "Fill the local citizen registry with the deterministic demo population "
        "(idempotent; refused when DEMO_ENABLED is off; needs `load_units` first)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=400, help="Number of people (default 400).")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (default 2026).")

    def handle(self, *args, **options):
        try:
            counts = registry_population_seed(size=options["size"], seed=options["seed"])
        except (RuntimeError, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Citizen registry: {counts['created']} people created, {counts['existing']} already there "
            f"({counts['people']} people in {counts['households']} households over {counts['units']} units; "
            f"{counts['demo_picks']} offered by the mock e-ID provider)."
        )
