"""Ends a failed-login lock from the shell (audited like the admin's action): by user name or by address."""

from django.core.management.base import BaseCommand, CommandError

from identity import lockout


class Command(BaseCommand):
    help = "Unlock logins locked after failed attempts: for a USERNAME (every address) and/or an --address."

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="")
        parser.add_argument("--address", default="", help="Unlock this client address for every user name.")

    def handle(self, *args, username, address, **options):
        try:
            event = lockout.unlock(username=username, address=address)
        except ValueError as error:
            raise CommandError(f"Give a user name or an --address ({error}).") from error
        self.stdout.write(f"Unlocked {event.detail}")
