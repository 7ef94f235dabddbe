"""Issue or revoke an Open311 app key: `open311_key --name "App" [--contact x]` or `open311_key --revoke PREFIX`.

The key is printed once; only its first 8 characters and its sha256 are stored.
"""

from django.core.management.base import BaseCommand, CommandError

from feedback.open311.keys import open311_key_issue, open311_key_revoke


class Command(BaseCommand):
    help = "Issue an Open311 GeoReport v2 key for an app (printed once), or revoke one by its prefix."

    def add_arguments(self, parser):
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--name", help="The app's name.")
        group.add_argument("--revoke", metavar="PREFIX", help="Deactivate the key starting with PREFIX.")
        parser.add_argument("--contact", default="", help="Who to contact about the app (email or phone).")

    def handle(self, *args, name=None, revoke=None, contact="", **options):
        if revoke:
            count = open311_key_revoke(prefix=revoke)
            if not count:
                raise CommandError(f"No active key starts with {revoke!r}.")
            self.stdout.write(f"Revoked {count} key(s) starting with {revoke}.")
            return
        try:
            client, key = open311_key_issue(name=name, contact=contact)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Open311 key for {client.name} (prefix {client.key_prefix}); it is shown only now:")
        self.stdout.write(key)
