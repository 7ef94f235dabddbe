"""The SMS simulator: prints each message and keeps the last ones for the simulator page and tests.

The last messages are kept in the cache (Redis or the shared file cache), not
in the process, so a page served by one web process sees what a worker sent.
Refused in production unless ALLOW_CONSOLE_SMS_IN_PRODUCTION is set: it
delivers nothing to anyone.
"""

import sys
import uuid

from django.core.cache import cache
from django.utils import timezone

from identity.sms.base import SmsGateway

OUTBOX_KEY = "sms:console:outbox"
OUTBOX_SIZE = 50
OUTBOX_SECONDS = 24 * 3600


class ConsoleSmsGateway(SmsGateway):
    def send(self, phone: str, text: str) -> str:
        message_id = f"console-{uuid.uuid4().hex}"
        sys.stdout.write(f"[SMS to {phone}] {text}\n")
        messages = cache.get(OUTBOX_KEY) or []
        messages.append({"id": message_id, "phone": phone, "text": text, "at": timezone.now().isoformat()})
        cache.set(OUTBOX_KEY, messages[-OUTBOX_SIZE:], OUTBOX_SECONDS)
        return message_id

    @staticmethod
    def last_messages(phone: str | None = None) -> list[dict]:
        """The messages kept, oldest first; only those to ``phone`` when given."""
        messages = cache.get(OUTBOX_KEY) or []
        return [message for message in messages if phone is None or message["phone"] == phone]

    @staticmethod
    def clear() -> None:
        cache.delete(OUTBOX_KEY)
