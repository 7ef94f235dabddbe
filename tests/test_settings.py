"""Production settings refuse insecure configurations; `check --deploy` is clean."""

import json
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
    "PAYGOV_ENDPOINT": "https://paygov.example.gov.vn/gateway",
    "PAYGOV_MERCHANT_CODE": "HCMC-GOVPORTAL",
    "PAYGOV_SECRET": "a-real-merchant-secret",
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


def test_production_refuses_a_wildcard_host():
    for hosts in ("*", "portal.example.gov.vn,*", ".example.gov.vn,*.example.gov.vn"):
        result = run_manage("check", env_extra={**PRODUCTION_ENV, "ALLOWED_HOSTS": hosts})
        assert result.returncode != 0, hosts
        assert "ALLOWED_HOSTS must not contain '*'" in result.stderr


def test_production_refuses_an_unset_eid_client_id():
    """identity.py falls back to the local mock provider's client id; production must not."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "EID_CLIENT_ID"}
    result = run_manage("check", env_extra=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "missing: EID_CLIENT_ID." in result.stderr
    empty = run_manage("check", env_extra={**PRODUCTION_ENV, "EID_CLIENT_ID": ""})
    assert empty.returncode != 0 and "missing: EID_CLIENT_ID." in empty.stderr


def print_setting(expression: str, env_extra: dict) -> subprocess.CompletedProcess:
    return run_manage(
        "shell",
        "--no-imports",
        "-c",
        f"import json; from django.conf import settings; print(json.dumps({expression}))",
        env_extra=env_extra,
    )


def test_files_go_to_the_file_system_by_default_and_to_a_private_bucket_by_settings():
    default = print_setting('settings.STORAGES["dossiers"]', PRODUCTION_ENV)
    assert default.returncode == 0, default.stderr
    assert json.loads(default.stdout) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}

    s3_env = {
        **PRODUCTION_ENV,
        "FILE_STORAGE": "s3",
        "S3_BUCKET": "govportal-files",
        "S3_ENDPOINT_URL": "https://minio.internal:9000",
        "S3_ACCESS_KEY_ID": "portal",
        "S3_SECRET_ACCESS_KEY": "portal-secret",
        "S3_ADDRESSING_STYLE": "path",
    }
    s3 = print_setting('settings.STORAGES["dossiers"]', s3_env)
    assert s3.returncode == 0, s3.stderr
    storage = json.loads(s3.stdout)
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    options = storage["OPTIONS"]
    assert options["bucket_name"] == "govportal-files" and options["endpoint_url"] == "https://minio.internal:9000"
    assert options["default_acl"] is None and options["file_overwrite"] is False and options["querystring_auth"]
    assert options["access_key"] == "portal" and options["addressing_style"] == "path"
    assert "region_name" not in options  # unset variables leave boto3's own defaults

    no_bucket = run_manage("check", env_extra={**PRODUCTION_ENV, "FILE_STORAGE": "s3"})
    assert no_bucket.returncode != 0 and "FILE_STORAGE=s3 needs S3_BUCKET" in no_bucket.stderr
    unknown = run_manage("check", env_extra={**PRODUCTION_ENV, "FILE_STORAGE": "ftp"})
    assert unknown.returncode != 0 and "FILE_STORAGE must be" in unknown.stderr


def test_production_refuses_the_console_sms_gateway():
    console = {**PRODUCTION_ENV, "SMS_BACKEND": "identity.sms.console.ConsoleSmsGateway"}
    result = run_manage("check", env_extra=console)
    assert result.returncode != 0
    assert "ALLOW_CONSOLE_SMS_IN_PRODUCTION" in result.stderr
    allowed = run_manage("check", env_extra={**console, "ALLOW_CONSOLE_SMS_IN_PRODUCTION": "1"})
    assert allowed.returncode == 0, allowed.stderr
    default = print_setting("settings.SMS_BACKEND", PRODUCTION_ENV)
    assert default.returncode == 0, default.stderr
    assert json.loads(default.stdout) == "identity.sms.http.HttpSmsGateway"


def test_production_refuses_the_paygov_simulator_and_needs_a_real_gateway():
    for extra in ({"PAYGOV_SIM_ENABLED": "1"}, {"PAYMENT_GATEWAY": "payments.gateways.simulator.SimulatorGateway"}):
        result = run_manage("check", env_extra={**PRODUCTION_ENV, **extra})
        assert result.returncode != 0 and "PayGov simulator" in result.stderr
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "PAYGOV_SECRET"}
    result = run_manage("check", env_extra=env)
    assert result.returncode != 0 and "PAYGOV_ENDPOINT" in result.stderr
    staging = {**PRODUCTION_ENV, "PAYGOV_SIM_ENABLED": "1", "ALLOW_PAYGOV_SIM_IN_PRODUCTION": "1"}
    assert run_manage("check", env_extra=staging).returncode == 0
