from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from identity.demo import DEMO_STAFF, demo_totp_secret


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo staff member (demo only), instead of an authenticator app."

    def add_arguments(self, parser):
        parser.add_argument("username", choices=[s.username for s in DEMO_STAFF])

    def handle(self, *args, username, **options):
        if not settings.DEMO_ENABLED:
            raise CommandError("Demo codes are refused when DEMO_ENABLED is off.")
        counters = list(yield_hotp_counters_from_time())
        current = counters[len(counters) // 2]
        self.stdout.write(format_hotp_value(hotp_value(demo_totp_secret(username), current)))
