"""The SMS adapter for a real gateway: one signed JSON POST per message.

Settings: SMS_HTTP_ENDPOINT (https URL), SMS_HTTP_ACCOUNT, SMS_HTTP_SECRET,
SMS_HTTP_SENDER (the registered brand name), SMS_HTTP_TIMEOUT (seconds).

The request (Content-Type: application/json; UTF-8):

    {"account": "...", "sender": "...", "to": "0901234567", "text": "...",
     "message_id": "<uuid>", "timestamp": 1767225600}

with the headers ``X-Sms-Account: <account>`` and
``X-Sms-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes with SMS_HTTP_SECRET>``.
The timestamp (Unix seconds) and the unique message_id let the gateway refuse
replays. Any 2xx answer is an acceptance; a JSON answer may carry the gateway's
own ``{"id": ...}``, else our message_id is returned. Anything else raises
SmsError. Most Vietnamese brand-name SMS providers accept such a call directly
or through a small relay that reshapes it.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from identity.sms.base import SmsError, SmsGateway


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class HttpSmsGateway(SmsGateway):
    def __init__(self):
        self.endpoint = settings.SMS_HTTP_ENDPOINT
        self.account = settings.SMS_HTTP_ACCOUNT
        self.secret = settings.SMS_HTTP_SECRET
        self.sender = settings.SMS_HTTP_SENDER
        self.timeout = settings.SMS_HTTP_TIMEOUT
        if not (self.endpoint and self.account and self.secret):
            raise ImproperlyConfigured(
                "Set SMS_HTTP_ENDPOINT, SMS_HTTP_ACCOUNT and SMS_HTTP_SECRET for the SMS gateway."
            )

    def send(self, phone: str, text: str) -> str:
        message_id = uuid.uuid4().hex
        payload = {
            "account": self.account,
            "sender": self.sender,
            "to": phone,
            "text": text,
            "message_id": message_id,
            "timestamp": int(time.time()),
        }
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        request = urllib.request.Request(
            self.endpoint,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "X-Sms-Account": self.account,
                "X-Sms-Signature": sign(self.secret, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310  (URL from settings)
                answer = response.read()
        except urllib.error.HTTPError as error:
            raise SmsError(f"SMS gateway refused the message: HTTP {error.code}") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise SmsError(f"SMS gateway unreachable: {error}") from error
        try:
            gateway_id = json.loads(answer or b"{}").get("id")
        except (ValueError, AttributeError):
            gateway_id = None
        return str(gateway_id or message_id)
