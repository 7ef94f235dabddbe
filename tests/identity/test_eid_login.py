"""Citizen e-ID login over real OpenID Connect against the mock provider.

Each refusal test makes the provider misbehave (tampered signature, another
audience, an expired token, invalid claims) or replays a finished login, and
checks the citizen gets a clear page and no account or session.
"""

import base64
import json

import pytest

from identity.models import AccountEvent, RegistryAccessLog, User

pytestmark = pytest.mark.django_db(transaction=True)

AN = "079085001234"  # Nguyễn Văn An, Phường Bến Thành, in the mock population
CHAU = "079201112233"


def test_first_login_creates_the_citizen_from_the_claims(eid):
    response = eid.login(AN, level=2)
    assert response.status_code == 200
    assert response.url.endswith("/me/")
    assert "Nguyễn Văn An" in response.text
    user = User.objects.get(personal_id=AN)
    assert (user.username, user.full_name, user.eid_level) == (AN, "Nguyễn Văn An", 2)
    assert str(user.birth_date) == "1985-03-12"
    assert user.residence_unit.code == "26743"  # from the registry, an audited read
    assert not user.has_usable_password()
    assert RegistryAccessLog.objects.filter(personal_id=AN, purpose="e-ID first login", actor=user).exists()
    assert set(AccountEvent.objects.filter(user=user).values_list("action", flat=True)) == {"eid_signup", "eid_login"}
    me = eid.get("/api/v1/me/").json()
    assert me["eid_level"] == 2 and me["roles"] == ["citizen"]


def test_later_logins_update_name_and_level_and_never_create_a_second_account(eid):
    from identity.registry.models import RegistryPerson

    eid.login(AN, level=2)
    RegistryPerson.objects.filter(personal_id=AN).update(full_name="Nguyễn Văn Ân")
    eid.get("/")  # new page, same browser
    eid.http.cookies.clear()
    response = eid.login(AN, level=1)
    assert response.status_code == 200
    assert User.objects.filter(personal_id=AN).count() == 1
    user = User.objects.get(personal_id=AN)
    assert (user.full_name, user.eid_level) == ("Nguyễn Văn Ân", 1)
    assert eid.get("/api/v1/me/").json()["eid_level"] == 1  # the level of this login


def test_an_existing_account_with_that_id_number_is_reused(eid, demo_users):
    before = User.objects.count()
    response = eid.login(CHAU, level=1)
    assert response.status_code == 200
    assert User.objects.count() == before
    assert eid.get("/api/v1/me/").json()["username"] == CHAU


def refused(response, text):
    assert response.status_code == 401, response.text[:300]
    assert "Đăng nhập VNeID không thành công" in response.text
    assert text in response.text
    assert not User.objects.filter(personal_id=AN).exists()


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_tampered_id_token_is_refused(eid, monkeypatch):
    from identity.mock_eid import tokens

    sign = tokens.sign_id_token

    def tampered(claims):
        header, _, signature = sign(claims).split(".")
        return ".".join([header, _b64({**claims, "eid_level": 2, "name": "Kẻ Mạo Danh"}), signature])

    monkeypatch.setattr(tokens, "sign_id_token", tampered)
    refused(eid.login(AN), "không được ký bởi nhà cung cấp")


def test_id_token_for_another_audience_is_refused(eid, monkeypatch):
    from identity.mock_eid import tokens

    build = tokens.build_id_token_claims
    monkeypatch.setattr(tokens, "build_id_token_claims", lambda **kw: {**build(**kw), "aud": "another-service"})
    refused(eid.login(AN), "dành cho một dịch vụ khác")


def test_expired_id_token_is_refused(eid, monkeypatch):
    from identity.mock_eid import tokens

    build = tokens.build_id_token_claims

    def expired(**kw):
        claims = build(**kw)
        return {**claims, "iat": claims["iat"] - 3600, "exp": claims["iat"] - 1800}

    monkeypatch.setattr(tokens, "build_id_token_claims", expired)
    refused(eid.login(AN), "đã hết hạn")


def test_invalid_id_number_in_the_claims_is_refused(eid, monkeypatch):
    from identity.mock_eid import tokens

    build = tokens.build_id_token_claims
    monkeypatch.setattr(
        tokens, "build_id_token_claims", lambda **kw: {**build(**kw), "personal_id": "999085001234", "sub": "x"}
    )
    refused(eid.login(AN), "không thể chấp nhận")


def test_replayed_state_is_refused(eid):
    callback = eid.pick_citizen(eid.start_login(), AN)
    assert eid.finish(callback).status_code == 200
    replay = eid.finish(callback)
    assert replay.status_code == 401
    assert "Đăng nhập VNeID không thành công" in replay.text
    assert AccountEvent.objects.filter(action="eid_login").count() == 1


def test_logout_also_logs_out_at_the_provider(eid):
    eid.login(AN)
    response = eid.post_form("/logout/", {}, allow_redirects=False)
    assert response.status_code == 302
    assert "/mock-eid/logout?" in response.headers["Location"]
    assert "id_token_hint=" in response.headers["Location"]
    back = eid.http.get(response.headers["Location"], timeout=30)
    assert back.status_code == 200
    assert back.url.rstrip("/") == eid.base
    assert eid.get("/api/v1/me/").status_code in (401, 403)
