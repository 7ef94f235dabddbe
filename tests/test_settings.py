"""Production settings refuse insecure configurations; `check --deploy` is clean."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STRONG_KEY = "k3Zr9!vQ2@xL7#pW5$mN8%tB4^yH6&cF1*gJ0(dS)eA_uR+oI=zX" * 2


def run_manage(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DEMO_ENABLED", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"DJANGO_SETTINGS_MODULE": "govportal.settings.production", **env_extra})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", env_extra={"ALLOWED_HOSTS": "portal.example.gov.vn"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_demo_mode():
    result = run_manage(
        "check", env_extra={"SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "portal.example.gov.vn", "DEMO_ENABLED": "1"}
    )
    assert result.returncode != 0
    assert "DEMO_ENABLED" in result.stderr


def test_check_deploy_shows_nothing_to_fix():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={"SECRET_KEY": STRONG_KEY, "ALLOWED_HOSTS": "portal.example.gov.vn"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_time_zone_and_languages():
    from django.conf import settings

    assert settings.TIME_ZONE == "Asia/Ho_Chi_Minh"
    assert settings.LANGUAGE_CODE == "vi"
    assert [code for code, _ in settings.LANGUAGES] == ["vi", "en"]
