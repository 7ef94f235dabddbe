from django.core.management.base import BaseCommand, CommandError

from identity.services import demo_dataset_seed


class Command(BaseCommand):
    help = "Create the demo citizens and staff (idempotent; refused when DEMO_ENABLED is off)."

    def handle(self, *args, **options):
        try:
            counts = demo_dataset_seed()
        except RuntimeError as error:
            raise CommandError(str(error)) from error
        except KeyError as error:
            raise CommandError(f"Unit {error} is missing: run `manage.py load_units` first.") from error
        self.stdout.write(f"Demo users: {counts['created']} created, {counts['existing']} already there.")
