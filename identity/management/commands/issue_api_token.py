from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from identity.services import api_token_issue


class Command(BaseCommand):
    help = "Print a bearer token for USERNAME (created if missing; --rotate replaces it)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--rotate", action="store_true", help="Revoke the old token and issue a new one.")

    def handle(self, *args, username, rotate, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as error:
            raise CommandError(f"No user named {username!r}.") from error
        if not user.is_active:
            raise CommandError(f"User {username!r} is not active.")
        self.stdout.write(api_token_issue(user=user, rotate=rotate))
