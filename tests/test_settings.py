"""Production settings refuse insecure configurations; `check --deploy` is clean."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3Zr9!vQ2@xL7#pW5$mN8%tB4^yH6&cF1*gJ0(dS)eA_uR+oI=zX" * 2
PRODUCTION_ENV = {
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "portal.example.gov.vn",
    "PORTAL_URL": "https://portal.example.gov.vn",
    "EID_ISSUER": "https://eid.example.gov.vn",
    "EID_CLIENT_ID": "govportal",
    "EID_CLIENT_SECRET": "a-real-secret-from-the-provider",
}


def run_manage(*args, env_extra):
    drop = {"SECRET_KEY", "DEBUG", "DEMO_ENABLED", "MOCK_EID_ENABLED", "DJANGO_ALLOW_ASYNC_UNSAFE", "PORTAL_URL"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("EID_")}
    env.update({"DJANGO_SETTINGS_MODULE": "govportal.settings.production", **env_extra})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", env_extra={"ALLOWED_HOSTS": "portal.example.gov.vn"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_demo_mode():
    result = run_manage("check", env_extra={**PRODUCTION_ENV, "DEMO_ENABLED": "1"})
    assert result.returncode != 0
    assert "DEMO_ENABLED" in result.stderr


def test_check_deploy_shows_nothing_to_fix():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra=PRODUCTION_ENV,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_time_zone_and_languages():
    from django.conf import settings

    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _ in settings.LANGUAGES] == ["vi", "en"]


def test_production_refuses_the_mock_eid_provider():
    result = run_manage("check", env_extra={**PRODUCTION_ENV, "MOCK_EID_ENABLED": "1"})
    assert result.returncode != 0
    assert "mock e-ID provider" in result.stderr
    allowed = run_manage(
        "check", env_extra={**PRODUCTION_ENV, "MOCK_EID_ENABLED": "1", "ALLOW_MOCK_EID_IN_PRODUCTION": "1"}
    )
    assert allowed.returncode == 0, allowed.stderr


def test_production_requires_a_real_eid_provider():
    env = {k: v for k, v in PRODUCTION_ENV.items() if not k.startswith("EID_")}
    result = run_manage("check", env_extra=env)
    assert result.returncode != 0
    assert "EID_ISSUER" in result.stderr
