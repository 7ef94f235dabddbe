"""The one way to set a portal up or bring it up to date: `make setup`, docker compose's
`migrate` service and the README all run this command.

Every step is idempotent, so running it again (each deployment, each `make run`)
adds nothing and keeps what admins edited: routing rules are only created when
missing, the catalogue and the 1022 report categories only gain missing rows
(`--keep-existing`). The mock population registry and the demo accounts are
seeded only where DEMO_ENABLED is on; production skips them.
"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Set the portal up (idempotent): migrate, load the units and the default routing rules, add missing "
        "procedures to the catalogue and missing 1022 report categories; the mock registry and demo accounts "
        "only when DEMO_ENABLED is on."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--collectstatic",
            action="store_true",
            help="Also collect static files (not needed in the Docker image, which collects them when built).",
        )

    def handle(self, *args, **options):
        verbosity = options["verbosity"]
        steps = [
            ("migrate", {"interactive": False, "verbosity": verbosity}),
            ("load_units", {}),
            ("load_routing_rules", {}),
            ("load_catalogue", {"keep_existing": True}),
            ("load_feedback_categories", {"keep_existing": True}),
        ]
        if settings.DEMO_ENABLED:
            steps += [("seed_registry", {}), ("seed_demo", {})]
        if options["collectstatic"]:
            steps.append(("collectstatic", {"interactive": False, "verbosity": 0}))
        for name, step_options in steps:
            if verbosity:
                self.stdout.write(f"== {name}")
            call_command(name, stdout=self.stdout, stderr=self.stderr, **step_options)
        if not settings.DEMO_ENABLED:
            self.stdout.write("Demo data: skipped (DEMO_ENABLED is off).")
        self.stdout.write(self.style.SUCCESS("The portal is set up."))
