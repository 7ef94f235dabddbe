"""allauth's emails and refusals reach staff in Vietnamese too (issue 8, item 4): password
reset for a known address or not, and too many attempts."""

import re

import pytest
from django.core import mail

from identity.models import User

pytestmark = pytest.mark.django_db

ENGLISH = re.compile(r"\b(?:[Tt]he|[Yy]ou|[Yy]our|[Pp]assword|[Ee]mail|[Rr]eset|[Hh]ello|[Tt]hank)\b")


def english_in(message) -> list[str]:
    # Addresses and links are not prose: leave them out.
    text = re.sub(r"\S+@\S+|https?://\S+", " ", f"{message.subject}\n{message.body}")
    return ENGLISH.findall(text)


def test_a_password_reset_email_is_vietnamese(client, demo_users):
    User.objects.filter(username="officer.saigon").update(email="saigon@example.com")
    response = client.post("/accounts/password/reset/", {"email": "saigon@example.com"})
    assert response.status_code == 302
    (message,) = mail.outbox
    assert "Thư đặt lại mật khẩu" in message.subject
    assert "tên đăng nhập của bạn là officer.saigon" in message.body
    assert english_in(message) == []


def test_a_reset_for_an_unknown_address_sends_nothing_and_answers_as_for_a_known_one(client, demo_users):
    """Sign-up is closed: no invitation to a stranger's inbox, and no hint that the address is unknown."""
    User.objects.filter(username="officer.saigon").update(email="saigon@example.com")
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert mail.outbox == []
    known = client.post("/accounts/password/reset/", {"email": "saigon@example.com"})
    assert len(mail.outbox) == 1
    assert unknown.status_code == known.status_code == 302
    assert unknown["Location"] == known["Location"]


def test_too_many_resets_are_refused_in_vietnamese(client, demo_users, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "1/m/ip"}
    client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 429
    html = response.content.decode()
    assert "<h1>Quá nhiều yêu cầu</h1>" in html and "Too Many Requests" not in html
