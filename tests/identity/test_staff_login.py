"""Staff log in with user name, password and TOTP; no staff page before TOTP is set up."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

from identity.demo import DEMO_STAFF_PASSWORD, demo_totp_secret
from identity.models import AccountEvent, User

pytestmark = pytest.mark.django_db


def current_code(secret: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def password_step(client, username, password=DEMO_STAFF_PASSWORD):
    return client.post("/accounts/login/", {"login": username, "password": password})


def test_demo_officer_logs_in_with_password_then_totp(client, demo_users):
    response = password_step(client, "officer.benthanh")
    assert response.status_code == 302
    assert response.url == "/accounts/2fa/authenticate/"
    # Password alone is not a login.
    assert client.get("/api/v1/me/").status_code in (401, 403)

    response = client.post("/accounts/2fa/authenticate/", {"code": current_code(demo_totp_secret("officer.benthanh"))})
    assert response.status_code == 302
    body = client.get("/api/v1/me/").json()
    assert body["username"] == "officer.benthanh"
    assert body["postings"] == [{"role": "officer", "unit": "26743", "unit_name": "Phường Bến Thành"}]
    assert AccountEvent.objects.filter(user__username="officer.benthanh", action="staff_login").count() == 1


def test_wrong_totp_code_is_refused(client, demo_users):
    password_step(client, "officer.benthanh")
    response = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert client.get("/api/v1/me/").status_code in (401, 403)


@pytest.fixture
def new_officer(units):
    from govportal.tiers.models import Unit
    from govportal.tiers.services import posting_ensure

    user = User.objects.create_user(username="officer.new", password="Another-long-pass-42")
    posting_ensure(user=user, unit=Unit.objects.get(code="26740"), role="officer")
    return user


def test_staff_without_totp_reach_no_staff_page_until_they_set_it_up(
    client, new_officer, django_capture_on_commit_callbacks
):
    response = password_step(client, "officer.new", "Another-long-pass-42")
    assert response.status_code == 302

    for path in ("/me/", "/admin/", "/units/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith("/accounts/2fa/totp/activate/")
    response = client.get("/api/v1/me/")
    assert response.status_code == 403
    assert response.json()["code"] == "second_factor_required"

    # Setting up a second factor asks for the password again (allauth's reauthentication).
    response = client.get("/accounts/2fa/totp/activate/")
    assert response.url.startswith("/accounts/reauthenticate/")
    response = client.post(response.url, {"password": "Another-long-pass-42"})
    assert response.status_code == 302
    # Set up the authenticator app: the secret is shown on the page and kept in the session.
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)})
    assert response.status_code == 302
    assert Authenticator.objects.filter(user=new_officer, type="totp").exists()
    assert client.get("/me/").status_code == 200
    assert AccountEvent.objects.filter(user=new_officer, action="totp_activated").exists()


def test_citizens_cannot_log_in_with_a_password(client, demo_users):
    citizen = User.objects.get(username="079085001234")
    citizen.set_password("Citizen-pass-12345")  # set by mistake: still refused
    citizen.save()
    response = password_step(client, "079085001234", "Citizen-pass-12345")
    assert response.status_code == 302
    assert response.url == "/login/"
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_demo_citizens_have_no_usable_password(demo_users):
    assert not User.objects.get(username="079085001234").has_usable_password()


def test_repeated_failures_lock_the_account_out(client, demo_users):
    for _ in range(5):
        response = password_step(client, "officer.saigon", "wrong-password-1")
        assert response.status_code == 200
    response = password_step(client, "officer.saigon")  # the right password, too late
    assert response.status_code in (200, 429)
    assert "authenticate" not in response.get("Location", "")
    assert AccountEvent.objects.filter(action="login_failed").count() >= 5


def test_admin_login_form_is_replaced_by_the_staff_login(client):
    response = client.get("/admin/login/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_nobody_signs_up_with_a_password(client, db):
    response = client.post(
        "/accounts/signup/", {"username": "intruder", "password1": "Long-enough-99", "password2": "Long-enough-99"}
    )
    assert not User.objects.filter(username="intruder").exists()
    assert response.status_code in (200, 302, 403)


def test_password_rules_apply_to_staff(db):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("12345678")
    with pytest.raises(ValidationError):
        validate_password("short1!")
