from django.core.management.base import BaseCommand, CommandError

from procedures.catalogue import CatalogueError, catalogue_load


class Command(BaseCommand):
    help = "Load the procedure catalogue from procedures/data/catalogue.json (idempotent; needs load_units first)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--keep-existing",
            action="store_true",
            help="Only add missing procedures; leave existing ones (and their admin edits) untouched.",
        )

    def handle(self, *args, **options):
        try:
            counts = catalogue_load(keep_existing=options["keep_existing"])
        except CatalogueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"Procedures: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged ({counts['total']} in the catalogue)."
        )
