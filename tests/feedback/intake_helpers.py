"""The reporter's side of contact confirmation, as a test drives it: request a code, read the SMS, send it back."""

import re

from django.core.cache import cache

from feedback.intake import contact_code_send, contact_confirm
from identity.sms.console import ConsoleSmsGateway


def sent_code(phone: str) -> str:
    """The code of the latest SMS the console gateway sent to `phone` (normalized form, 0xxxxxxxxx)."""
    return re.search(r"\b(\d{6})\b", ConsoleSmsGateway.last_messages(phone)[-1]["text"]).group(1)


def confirmed_proof(phone: str = "0901234567") -> str:
    """A fresh proof for `phone`; the rate-limit counters are reset first (tests file many reports from one phone)."""
    cache.clear()
    contact_code_send(phone=phone)
    return contact_confirm(phone=phone, code=sent_code(phone))
