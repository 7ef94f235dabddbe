"""The simulated bank's server-to-server notification: a signed POST to the portal's callback URL, retried.

The task plays the gateway's part: it posts the transaction's outcome,
form-encoded and signed (HMAC-SHA256, `payments.gateways.base.sign`), to
`settings.PAYGOV_SIM_CALLBACK_URL`, and keeps posting with a growing delay
until the portal gives a definitive answer (00 confirmed, 01 unknown
reference, 02 already confirmed, 04 wrong amount, 97 bad signature). A second
run after a definitive answer changes nothing.
"""

import json
import logging
import random
import urllib.error
import urllib.request
from urllib.parse import urlencode

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from govportal.tasks import PortalTask
from payments.gateways.base import sign

logger = logging.getLogger(__name__)

# The portal's answers after which the gateway stops notifying (anything else, or no answer: try again).
DEFINITIVE_ANSWERS = frozenset({"00", "01", "02", "04", "97"})
NOTIFY_TIMEOUT_SECONDS = 10


def notification_fields(record) -> dict:
    """The signed fields of the notification for one decided SimTransaction (the wire format of the contract)."""
    fields = {
        "reference": record.reference,
        "amount": str(record.amount_vnd),
        "currency": record.currency,
        "result_code": record.result_code,
        "transaction_no": record.transaction_no,
        "bank_code": record.bank_code,
        "paid_at": timezone.localtime(record.decided_at or timezone.now()).strftime("%Y%m%d%H%M%S"),
    }
    fields["signature"] = sign(fields, settings.PAYGOV_SECRET)
    return fields


def post_form(url: str, fields: dict) -> str:
    """POST `fields` form-encoded to `url`; the portal's answer code ("" when there is no readable answer).

    Module-level so that tests can deliver through Django's test client instead of the network.
    """
    request = urllib.request.Request(
        url,
        data=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=NOTIFY_TIMEOUT_SECONDS) as response:  # noqa: S310 (settings URL)
            answer = json.loads(response.read().decode() or "{}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        logger.warning("paygov-sim: notification to %s failed: %s", url, error)
        return ""
    return str(answer.get("code", "")) if isinstance(answer, dict) else ""


def retry_delay(retries: int) -> int:
    """Seconds before the next try: 5, 10, 20, ... up to 5 minutes, with a little jitter."""
    return min(5 * 2**retries, 300) + random.randint(0, 3)  # noqa: S311 (jitter, not a secret)


@shared_task(base=PortalTask, bind=True, name="paygov_sim.notify", max_retries=8)
def notify(self, transaction_id: int) -> str:
    """Notify the portal of a decided transaction; retried until the answer is definitive. Returns the answer."""
    from payments.paygov_sim.models import SimTransaction

    record = SimTransaction.objects.filter(pk=transaction_id).first()
    if record is None or not record.result_code:
        return ""
    if record.notify_answer in DEFINITIVE_ANSWERS:
        return record.notify_answer  # already delivered: a second run changes nothing
    answer = post_form(settings.PAYGOV_SIM_CALLBACK_URL, notification_fields(record))[:2]
    SimTransaction.objects.filter(pk=record.pk).update(notified_at=timezone.now(), notify_answer=answer)
    if answer in DEFINITIVE_ANSWERS:
        return answer
    if self.request.retries >= self.max_retries:
        logger.error("paygov-sim: %s never got a definitive answer (last %r)", record.reference, answer)
        return answer
    raise self.retry(countdown=retry_delay(self.request.retries))
