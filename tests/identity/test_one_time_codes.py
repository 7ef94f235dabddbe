"""One-time codes by email and SMS: single use, short-lived, burnt after wrong tries, rate limited, audited."""

import hashlib
import hmac
import json
import logging
import re
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.utils import timezone

from identity.models import OneTimeCode
from identity.otp import OneTimeCodeError, otp_issue, otp_verify
from identity.sms import SmsError
from identity.sms.console import ConsoleSmsGateway
from identity.sms.http import HttpSmsGateway

pytestmark = pytest.mark.django_db
PURPOSE = "report-intake"


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def code_in(text: str) -> str:
    return re.search(r"\b(\d{6})\b", text).group(1)


def emailed_code(address: str) -> str:
    message = [m for m in mail.outbox if address in m.to][-1]
    return code_in(message.body)


def test_email_code_confirms_once_and_stores_only_a_hash(caplog):
    caplog.set_level(logging.INFO, logger="identity.otp")
    issued = otp_issue("email", "  Lan.Nguyen@Example.vn ", PURPOSE, client="203.0.113.5")
    assert issued.address == "lan.nguyen@example.vn"
    code = emailed_code("lan.nguyen@example.vn")
    row = OneTimeCode.objects.get(pk=issued.id)
    assert code not in row.code_hash and len(row.code_hash) == 64
    assert abs(row.expires_at - row.created_at - timedelta(minutes=10)) < timedelta(seconds=1)

    result = otp_verify("email", "lan.nguyen@example.vn", PURPOSE, code, client="203.0.113.5")
    assert result.ok and result.code == "ok"
    again = otp_verify("email", "lan.nguyen@example.vn", PURPOSE, code)
    assert not again.ok and again.code == "used"
    # Audited: the issue and both checks are logged, never with the code in clear.
    assert f"otp {issued.id} issued" in caplog.text
    assert "outcome=ok" in caplog.text and "outcome=used" in caplog.text
    assert code not in caplog.text


def test_a_code_for_another_purpose_or_address_does_not_confirm():
    otp_issue("email", "a@example.vn", PURPOSE)
    code = emailed_code("a@example.vn")
    assert otp_verify("email", "a@example.vn", "other-purpose", code).code == "not_issued"
    assert otp_verify("email", "b@example.vn", PURPOSE, code).code == "not_issued"
    assert otp_verify("email", "a@example.vn", PURPOSE, code).ok


def test_code_expires_after_ten_minutes():
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        otp_issue("email", "late@example.vn", PURPOSE)
        code = emailed_code("late@example.vn")
        traveller.shift(timedelta(minutes=10, seconds=1))
        result = otp_verify("email", "late@example.vn", PURPOSE, code)
    assert not result.ok and result.code == "expired"


def test_five_wrong_codes_burn_it():
    otp_issue("email", "guess@example.vn", PURPOSE)
    code = emailed_code("guess@example.vn")
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    outcomes = [otp_verify("email", "guess@example.vn", PURPOSE, wrong) for _ in range(5)]
    assert [o.code for o in outcomes] == ["wrong"] * 4 + ["too_many_attempts"]
    assert outcomes[0].attempts_left == 4
    # Even the right code is refused now.
    assert otp_verify("email", "guess@example.vn", PURPOSE, code).code == "too_many_attempts"


def test_issues_are_rate_limited_per_address_and_per_client():
    for _ in range(3):
        otp_issue("email", "busy@example.vn", PURPOSE)
    with pytest.raises(OneTimeCodeError) as refused:
        otp_issue("email", "busy@example.vn", PURPOSE)
    assert refused.value.code == "rate_limited" and refused.value.status_code == 429
    assert len(mail.outbox) == 3

    for n in range(10):
        otp_issue("email", f"user{n}@example.vn", PURPOSE, client="198.51.100.7")
    with pytest.raises(OneTimeCodeError) as refused:
        otp_issue("email", "user99@example.vn", PURPOSE, client="198.51.100.7")
    assert refused.value.code == "rate_limited"
    # Another client is not blocked by the first one.
    otp_issue("email", "user99@example.vn", PURPOSE, client="198.51.100.8")


def test_rate_limit_window_passes():
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(3):
            otp_issue("email", "wait@example.vn", PURPOSE)
        with pytest.raises(OneTimeCodeError):
            otp_issue("email", "wait@example.vn", PURPOSE)
        traveller.shift(timedelta(minutes=11))
        otp_issue("email", "wait@example.vn", PURPOSE)


def test_verifies_are_rate_limited_per_client(settings):
    settings.OTP_VERIFY_LIMIT_PER_CLIENT = 3
    otp_issue("email", "v@example.vn", PURPOSE)
    code = emailed_code("v@example.vn")
    for _ in range(3):
        otp_verify("email", "nobody@example.vn", PURPOSE, "000000", client="192.0.2.1")
    result = otp_verify("email", "v@example.vn", PURPOSE, code, client="192.0.2.1")
    assert not result.ok and result.code == "rate_limited"


def test_a_new_code_replaces_the_old_one():
    otp_issue("email", "twice@example.vn", PURPOSE)
    first = emailed_code("twice@example.vn")
    otp_issue("email", "twice@example.vn", PURPOSE)
    second = emailed_code("twice@example.vn")
    if first != second:
        assert otp_verify("email", "twice@example.vn", PURPOSE, first).code == "wrong"
    assert otp_verify("email", "twice@example.vn", PURPOSE, second).ok


def test_invalid_addresses_are_refused():
    with pytest.raises(OneTimeCodeError) as bad_phone:
        otp_issue("sms", "12345", PURPOSE)
    assert bad_phone.value.code == "otp_address"
    with pytest.raises(OneTimeCodeError) as bad_email:
        otp_issue("email", "not-an-email", PURPOSE)
    assert bad_email.value.code == "otp_address"
    with pytest.raises(OneTimeCodeError) as bad_channel:
        otp_issue("fax", "0901234567", PURPOSE)
    assert bad_channel.value.code == "otp_channel"


def test_sms_through_the_console_gateway(settings):
    settings.SMS_BACKEND = "identity.sms.console.ConsoleSmsGateway"
    issued = otp_issue("sms", "+84 90 123 4567", PURPOSE)
    assert issued.address == "0901234567"
    [message] = ConsoleSmsGateway.last_messages("0901234567")
    code = code_in(message["text"])
    assert otp_verify("sms", "0901234567", PURPOSE, code).ok


class _Gateway(BaseHTTPRequestHandler):
    received: list = []
    status = 200

    def do_POST(self):  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append((dict(self.headers), body))
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "gw-42"}')

    def log_message(self, *args):
        pass


@pytest.fixture
def sms_server(settings):
    _Gateway.received = []
    _Gateway.status = 200
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "identity.sms.http.HttpSmsGateway"
    settings.SMS_HTTP_ENDPOINT = f"http://127.0.0.1:{server.server_port}/send"
    settings.SMS_HTTP_ACCOUNT = "hcmc-portal"
    settings.SMS_HTTP_SECRET = "shared-secret-from-the-provider"
    settings.SMS_HTTP_SENDER = "HCMC1022"
    yield _Gateway
    server.shutdown()
    server.server_close()


def test_sms_through_the_http_adapter_is_signed(sms_server):
    otp_issue("sms", "0912345678", PURPOSE)
    [(headers, body)] = sms_server.received
    payload = json.loads(body)
    assert payload["account"] == "hcmc-portal" and payload["to"] == "0912345678"
    assert payload["sender"] == "HCMC1022" and payload["message_id"] and payload["timestamp"]
    assert headers["X-Sms-Account"] == "hcmc-portal"
    expected = hmac.new(b"shared-secret-from-the-provider", body, hashlib.sha256).hexdigest()
    assert headers["X-Sms-Signature"] == f"sha256={expected}"
    code = code_in(payload["text"])
    assert otp_verify("sms", "0912345678", PURPOSE, code).ok


def test_http_adapter_reports_a_refusal(sms_server):
    sms_server.status = 503
    with pytest.raises(SmsError):
        HttpSmsGateway().send("0912345678", "hello")
    with pytest.raises(OneTimeCodeError) as failed:
        otp_issue("sms", "0912345678", PURPOSE)
    assert failed.value.code == "otp_not_sent"
    # The code that never arrived cannot be used.
    assert OneTimeCode.objects.get(address="0912345678").burnt_at is not None


def test_http_adapter_returns_the_gateway_id(sms_server):
    assert HttpSmsGateway().send("0912345678", "hello") == "gw-42"


def test_rate_limit_counts_in_redis_shared_by_all_processes(settings):
    """In production the counts live in Redis, so every web process sees the same limit."""
    from tests.conftest import require

    require("redis")
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": settings.REDIS_URL}
    }
    address = f"shared-{uuid.uuid4().hex[:12]}@example.vn"  # no flush: the Redis db may hold other data
    for _ in range(3):
        otp_issue("email", address, PURPOSE)
    with pytest.raises(OneTimeCodeError) as refused:
        otp_issue("email", address, PURPOSE)
    assert refused.value.code == "rate_limited"
    assert cache.get(f"otp:issue-address:{hashlib.sha256(f'email:{address}'.encode()).hexdigest()}") == 4
