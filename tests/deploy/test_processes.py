"""The portal spread over several machines, shown with processes (docker-compose.yml's layout, no containers).

Two gunicorn instances (production settings over plain HTTP, tests/deploy/settings.py) behind Debian's nginx
with deploy/nginx.conf.template, two Celery workers, two beats of which one schedules, moto's S3 server as
the object store (FILE_STORAGE=s3), PostgreSQL and Redis (db of REDIS_URL). Everything binds to loopback on
free ports and is stopped at the end of the module.
"""

import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent.parent
SECRET_KEY = "deploy-demo-" + "k" * 60
QUEUES = "routing,notifications,payments,default"
BUCKET = "govportal-dossiers"
TRACK_MISSES = 3  # RATE_LIMIT_TRACK_MISS of the demo


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"{what} within {timeout} s")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def http_ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


class Stack:
    def __init__(self, folder: Path, env: dict):
        self.folder = folder
        self.env = env
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self, name: str, command: list[str], **env):
        log = open(self.folder / f"{name}.log", "w")
        self.processes[name] = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        return self.processes[name]

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def alive(self, name: str) -> bool:
        return self.processes[name].poll() is None

    def stop_all(self):
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)


def database_url_for(name: str) -> str:
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.fixture(scope="module")
def stack(django_db_setup, django_db_blocker, tmp_path_factory):
    require("postgres", "redis")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "Debian's nginx-light is needed (apt-get install -y nginx-light)"
    import boto3
    from django.db import connection

    folder = tmp_path_factory.mktemp("deploy")
    ports = {name: free_port() for name in ("s3", "web1", "web2", "nginx")}
    s3 = f"http://127.0.0.1:{ports['s3']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.deploy.settings",
        "GOVPORTAL_VAR_DIR": str(folder / "var"),
        "DATABASE_URL": database_url_for(connection.settings_dict["NAME"]),
        "SECRET_KEY": SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PORTAL_URL": "https://portal.invalid",
        "EID_ISSUER": "https://eid.invalid",
        "EID_CLIENT_ID": "demo",
        "EID_CLIENT_SECRET": "demo",
        "PAYGOV_ENDPOINT": "https://paygov.invalid",
        "PAYGOV_MERCHANT_CODE": "demo",
        "PAYGOV_SECRET": "demo",
        "SMS_BACKEND": "identity.sms.console.ConsoleSmsGateway",
        "ALLOW_CONSOLE_SMS_IN_PRODUCTION": "1",
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_HSTS_SECONDS": "0",
        "SECURE_HSTS_PRELOAD": "0",
        "FILE_STORAGE": "s3",
        "S3_BUCKET": BUCKET,
        "S3_ENDPOINT_URL": s3,
        "S3_REGION": "us-east-1",
        "S3_ACCESS_KEY_ID": "demo",
        "S3_SECRET_ACCESS_KEY": "demo-secret",
        "S3_ADDRESSING_STYLE": "path",
        # nginx is the one trusted proxy in front of the web instances.
        "TRUSTED_PROXIES": "127.0.0.1",
        "TRUSTED_PROXY_COUNT": "1",
        "RATE_LIMIT_TRACK_MISS": f"{TRACK_MISSES}/10m",
        "BEAT_LOCK_RETRY_SECONDS": "0.5",
        "BEAT_LOCK_CHECK_SECONDS": "2",
        "PYTHONUNBUFFERED": "1",
        "DEPLOY_DEMO_CACHE_PREFIX": f"deploy-{secrets.token_hex(4)}",  # this run's own rate-limit windows
    }
    env.pop("DATABASE_REPLICA_URL", None)
    processes = Stack(folder, env)
    try:
        processes.start("s3", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(ports["s3"])])
        wait_for(lambda: port_open(ports["s3"]), 30, "moto's S3 server did not listen")
        boto3.client(
            "s3",
            endpoint_url=s3,
            region_name="us-east-1",
            aws_access_key_id="demo",
            aws_secret_access_key="demo-secret",
        ).create_bucket(Bucket=BUCKET)

        for web in ("web1", "web2"):
            processes.start(
                web,
                [sys.executable, "-m", "gunicorn", "govportal.wsgi", "--bind", f"127.0.0.1:{ports[web]}"]
                + ["--workers", "1", "--threads", "2", "--access-logfile", "-"],
            )
        for worker in ("worker1", "worker2"):
            processes.start(
                worker,
                [sys.executable, "-m", "celery", "--app", "govportal", "worker", "--pool", "solo", "--queues", QUEUES]
                + ["--hostname", f"{worker}-{secrets.token_hex(3)}@%h", "--loglevel", "INFO"]
                + ["--without-heartbeat", "--without-mingle", "--without-gossip"],
            )
        # Two beats started at once, as by mistake: the lock lets one schedule (govportal/beat.py).
        for beat in ("beat1", "beat2"):
            processes.start(
                beat,
                [sys.executable, "-m", "celery", "--app", "govportal", "beat", "--loglevel", "INFO"]
                + ["--schedule", str(folder / f"{beat}-schedule"), "--pidfile", str(folder / f"{beat}.pid")],
            )

        template = (ROOT / "deploy" / "nginx.conf.template").read_text()
        values = {
            "GOVPORTAL_UPSTREAM_SERVERS": f"server 127.0.0.1:{ports['web1']}; server 127.0.0.1:{ports['web2']};",
            "NGINX_PORT": str(ports["nginx"]),
            "GOVPORTAL_STATIC_ROOT": str(ROOT / "static"),
            "GOVPORTAL_FORWARDED_PROTO": "$scheme",
        }
        for name, value in values.items():
            template = template.replace("${" + name + "}", value)
        (folder / "govportal.conf").write_text(template)
        (folder / "nginx.conf").write_text(
            ("user root;\n" if os.geteuid() == 0 else "")  # workers must read the pytest folder (0700)
            + f"worker_processes 1;\ndaemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/nginx-error.log;\n"
            "events { worker_connections 256; }\n"
            f"http {{ include /etc/nginx/mime.types; access_log {folder}/nginx-access.log;\n"
            + "".join(
                f" {kind}_temp_path {folder}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            )
            + f" include {folder}/govportal.conf; }}\n"
        )
        processes.start(
            "nginx", [nginx, "-p", str(folder), "-e", str(folder / "nginx-error.log"), "-c", str(folder / "nginx.conf")]
        )

        for web in ("web1", "web2"):
            url = f"http://127.0.0.1:{ports[web]}/healthz"
            wait_for(lambda url=url: http_ok(url), 60, f"{web} did not answer /healthz")
        for name in ("worker1", "worker2"):
            wait_for(lambda name=name: "ready." in processes.log(name), 60, f"{name} did not become ready")
        wait_for(lambda: http_ok(f"http://127.0.0.1:{ports['nginx']}/readyz"), 20, "nginx did not pass /readyz on")
        processes.url = f"http://127.0.0.1:{ports['nginx']}"
        processes.s3 = s3
        yield processes
    finally:
        processes.stop_all()


def test_one_beat_schedules_the_other_waits_and_takes_over_when_it_dies(stack):
    sent = "Sending due task deploy-probe"
    active = wait_for(
        lambda: next((b for b in ("beat1", "beat2") if stack.log(b).count(sent) >= 2), None),
        30,
        "no beat scheduled",
    )
    standby = "beat2" if active == "beat1" else "beat1"
    assert "lock taken" in stack.log(active)
    assert "standby" in stack.log(standby)
    assert stack.alive(standby)
    time.sleep(2)  # a few more probes: still only the active beat sends
    assert sent not in stack.log(standby) and "lock taken" not in stack.log(standby)
    # The probes went through the broker to the workers.
    wait_for(
        lambda: any(
            "govportal.tasks.heartbeat" in stack.log(w) and "succeeded" in stack.log(w) for w in ("worker1", "worker2")
        ),
        20,
        "no worker ran a scheduled task",
    )

    os.killpg(stack.processes[active].pid, signal.SIGKILL)  # no clean shutdown: the lock goes with the process
    stack.processes[active].wait(timeout=10)
    wait_for(lambda: "lock taken" in stack.log(standby), 20, "the standby did not take over")
    wait_for(lambda: sent in stack.log(standby), 20, "the new active beat did not schedule")

    # A standby stops at once when asked (docker compose stop), rather than waiting for the lock to save.
    late = stack.start("beat3", stack.processes[active].args)
    wait_for(lambda: "standby" in stack.log("beat3"), 30, "a third beat did not wait")
    late.send_signal(signal.SIGTERM)
    assert late.wait(timeout=10) is not None
    assert sent not in stack.log("beat3") and "lock taken" not in stack.log("beat3")


def test_requests_are_spread_and_static_files_come_from_nginx(stack):
    for _ in range(6):
        assert requests.get(f"{stack.url}/healthz", timeout=5).status_code == 200
    for web in ("web1", "web2"):
        assert "/healthz" in stack.log(web), f"{web} served nothing: nginx did not spread the requests"
    response = requests.get(f"{stack.url}/static/css/portal.css", timeout=5)
    assert response.status_code == 200
    assert response.content == (ROOT / "static" / "css" / "portal.css").read_bytes()
    assert not any("portal.css" in stack.log(web) for web in ("web1", "web2"))


def track_miss(stack, forwarded_for: str, source: str = "127.0.0.1") -> int:
    """A look-up of an unknown code through nginx, sent from `source` (a loopback address)."""
    url = urlsplit(stack.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10, source_address=(source, 0))
    try:
        connection.request(
            "GET", "/api/v1/track/HCM-00000-NOPE/", headers={"X-Forwarded-For": forwarded_for, "Host": "127.0.0.1"}
        )
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_rate_limit_sees_the_client_address_nginx_received(stack):
    statuses = [track_miss(stack, f"203.0.113.{i}") for i in range(TRACK_MISSES)]
    assert statuses == [404] * TRACK_MISSES  # unknown codes, each counted as a miss
    # Another forged X-Forwarded-For from the same client is the same client.
    assert track_miss(stack, "198.51.100.7") == 429
    assert track_miss(stack, "198.51.100.8, 198.51.100.9") == 429
    # A client at another address has its own budget: nginx passed the real address on.
    assert track_miss(stack, "203.0.113.1", source="127.0.0.2") != 429


def test_a_citizen_upload_through_nginx_lands_in_the_bucket(stack, transactional_db, demo_users, population, settings):
    import boto3
    from django.test import Client

    from identity.models import User
    from procedures import services
    from procedures.models import DossierDocument
    from tests.procedures.conftest import PDF, make_procedure

    settings.SECRET_KEY = SECRET_KEY  # the session below is read by the web instances
    citizen = User.objects.get(username="079085001234")
    draft = services.dossier_draft_create(
        procedure=make_procedure(), applicant=citizen, receiving_unit=citizen.residence_unit, eid_level=2
    )
    client = Client()
    client.force_login(citizen)
    session = client.session
    session["eid_level"] = 2
    session.save()
    csrf = secrets.token_hex(16)  # an unmasked 32-character token, as the cookie carries it

    response = requests.post(
        f"{stack.url}/api/v1/dossiers/drafts/{draft.uuid}/documents/",
        data={"key": "to-khai"},
        files={"file": ("to-khai.pdf", PDF, "application/pdf")},
        cookies={"sessionid": session.session_key, "csrftoken": csrf},
        headers={"X-CSRFToken": csrf},
        timeout=20,
    )
    assert response.status_code == 201, response.text
    stored = DossierDocument.objects.get(pk=response.json()["id"]).stored_name
    bucket = boto3.client(
        "s3",
        endpoint_url=stack.s3,
        region_name="us-east-1",
        aws_access_key_id="demo",
        aws_secret_access_key="demo-secret",
    )
    assert bucket.get_object(Bucket=BUCKET, Key=stored)["Body"].read() == PDF
