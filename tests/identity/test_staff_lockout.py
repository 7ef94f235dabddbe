"""Staff lockout keyed on (user name, client address): a stranger cannot lock a named officer out.

Each test builds its two staff users directly (no units or demo dataset needed), so the file stays fast.
Addresses are set with REMOTE_ADDR, as the server sees them without trusted proxies.
"""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.conf import settings
from django.core.management import call_command
from django.test import Client, RequestFactory

from identity import lockout
from identity.models import AccountEvent, Notification, User

pytestmark = pytest.mark.django_db

PASSWORD = "Officer-long-pass-42"
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
OFFICE = "10.1.1.1"  # the officer's address (A)
STRANGER = "203.0.113.9"  # somebody else's (B)


@pytest.fixture
def officer(db):
    user = User.objects.create_user(username="officer.lock", password=PASSWORD, is_staff=True, language="en")
    TOTP.activate(user, SECRET)
    return user


@pytest.fixture
def operator(db):
    user = User.objects.create_superuser(username="operator.lock", password=PASSWORD)
    TOTP.activate(user, SECRET)
    return user


def login(client: Client, address: str, password: str = PASSWORD, username: str = "officer.lock"):
    return client.post("/accounts/login/", {"login": username, "password": password}, REMOTE_ADDR=address)


def totp_code() -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(SECRET, counters[len(counters) // 2]))


def refused(response) -> bool:
    """The login form came back with the lockout error (code, not English text: the page is Vietnamese)."""
    form = response.context["form"] if response.context and "form" in response.context else None
    return (
        response.status_code == 200
        and form is not None
        and any(e.code == "too_many_login_attempts" for e in form.errors.as_data().get("__all__", []))
    )


def fail_times(n: int, address: str, username: str = "officer.lock") -> None:
    client = Client()
    for _ in range(n):
        response = login(client, address, "wrong-password-1", username)
        assert response.status_code == 200 and not refused(response)


def test_a_stranger_cannot_lock_the_officer_out_but_their_own_address_is_locked(officer, settings):
    fail_times(5, STRANGER)
    # The stranger's address is locked for this name: even the right password is refused there.
    response = login(Client(), STRANGER)
    assert refused(response)
    assert "Location" not in response
    # The officer, at the office, logs in as usual.
    response = login(Client(), OFFICE)
    assert response.status_code == 302 and response.url == "/accounts/2fa/authenticate/"

    events = AccountEvent.objects.filter(user=officer)
    assert events.filter(action="login_failed", ip_address=STRANGER).exclude(detail__has_key="refused").count() == 5
    assert events.filter(action="login_failed", ip_address=STRANGER, detail__has_key="refused").count() == 1
    locked = events.get(action="login_locked")
    assert (locked.ip_address, locked.detail["scope"], locked.detail["failures"]) == (STRANGER, "name_and_address", 5)
    # The officer is told, in the portal, naming the address.
    notification = Notification.objects.get(user=officer)
    assert notification.source == f"login-locked:{locked.pk}"
    assert STRANGER in notification.body
    # A failure reported by another path while locked (any authenticate() call) is audited, not a second lock.
    lockout.failure_record(request=RequestFactory().post("/", REMOTE_ADDR=STRANGER), username="Officer.Lock")
    assert events.filter(action="login_locked").count() == 1
    assert Notification.objects.filter(user=officer).count() == 1


def test_the_officers_own_address_gets_locked_and_the_lock_is_counted_per_name(officer):
    fail_times(4, OFFICE)
    assert login(Client(), OFFICE).status_code == 302  # 4 failures: still allowed
    fail_times(1, OFFICE)  # a right password without the second factor resets nothing
    assert refused(login(Client(), OFFICE))
    # Another name from the same address is not locked by this one's failures.
    User.objects.create_user(username="officer.other", password=PASSWORD, is_staff=True)
    assert login(Client(), OFFICE, username="officer.other").status_code == 302


def test_an_address_failing_across_many_names_is_locked_as_a_whole(officer, settings):
    settings.LOGIN_LOCKOUT_PER_ADDRESS = "6/15m"
    for index in range(3):
        fail_times(2, STRANGER, username=f"guess.{index}")  # 2 per name: never the per-name limit
    assert refused(login(Client(), STRANGER))  # the right password of a fresh name, still refused
    assert AccountEvent.objects.filter(action="login_locked", detail__scope="address", ip_address=STRANGER).exists()
    assert login(Client(), OFFICE).status_code == 302  # other addresses go on


def test_admin_unlock_ends_the_lock_and_is_audited(officer, operator):
    fail_times(5, OFFICE)
    assert refused(login(Client(), OFFICE))

    admin = Client()
    admin.force_login(operator)
    response = admin.post(
        "/admin/identity/user/",
        {"action": "unlock_logins", "_selected_action": [officer.pk]},
        REMOTE_ADDR="10.9.9.9",
    )
    assert response.status_code == 302
    unlocked = AccountEvent.objects.get(action="login_unlocked")
    assert (unlocked.user, unlocked.detail["by"], unlocked.ip_address) == (officer, "operator.lock", "10.9.9.9")
    assert login(Client(), OFFICE).status_code == 302
    # Counting restarts after the unlock: one more failure does not lock again.
    fail_times(1, OFFICE)
    assert login(Client(), OFFICE).status_code == 302


def test_unlock_command_by_name_and_by_address(officer, settings):
    settings.LOGIN_LOCKOUT_PER_ADDRESS = "5/15m"
    fail_times(5, STRANGER, username="someone.else")
    assert refused(login(Client(), STRANGER))  # address locked (and that name from there)
    call_command("unlock_login", "--address", STRANGER)
    assert AccountEvent.objects.filter(action="login_unlocked", detail__address=STRANGER).exists()
    assert login(Client(), STRANGER).status_code == 302  # officer.lock from B: free again
    # someone.else from B is still locked per name until unlocked by name.
    assert refused(login(Client(), STRANGER, username="someone.else"))
    call_command("unlock_login", "Someone.Else")
    assert not lockout.locks(username="someone.else", address=STRANGER)


def test_the_officer_hears_of_failed_attempts_at_the_next_login(officer):
    fail_times(2, STRANGER)
    client = Client()
    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})
    assert login(client, OFFICE).status_code == 302
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()}, REMOTE_ADDR=OFFICE, follow=True)
    assert response.status_code == 200
    notices = [str(m) for m in response.context["messages"]]
    assert any(STRANGER in m and "2 failed login attempts since your last login" in m for m in notices), notices
    assert AccountEvent.objects.filter(user=officer, action="staff_login", ip_address=OFFICE).exists()
    # Told once: the next login has nothing to tell.
    assert lockout.failures_notice(user=officer) is None


def test_the_second_factor_is_still_limited(officer):
    """allauth's own login_failed limit keeps guarding the TOTP step."""
    client = Client()
    assert login(client, OFFICE).status_code == 302
    for _ in range(5):
        response = client.post("/accounts/2fa/authenticate/", {"code": "000000"}, REMOTE_ADDR=OFFICE)
        assert response.status_code == 200
    assert Authenticator.objects.filter(user=officer).count() == 1
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code()}, REMOTE_ADDR=OFFICE)
    assert response.status_code != 302  # refused even with the right code
