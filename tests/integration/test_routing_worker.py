"""Routing on real worker processes: dossiers filed over HTTP, routed by Celery workers through Redis.

The web side (live_server) only commits and dispatches `procedures.route_dossier`
on commit; separate `celery worker` processes (and `celery beat` for the
sweep) do the routing against the same test database. Each test checks the
outcome in the database: the right handling unit, and exactly one "route"
event per dossier, whatever the broker or the workers did meanwhile.
"""

from __future__ import annotations

import http.client
import json
import re
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from tests.integration.conftest import ROUTE_TASK, SWEEP_TASK, redis_start, redis_stop
from tests.procedures.conftest import PDF, make_procedure

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CITIZENS = ("079085001234", "079190004567")  # demo citizens with an e-ID of level 2
COMMUNE_CODE = "1.000656"
CITY_CODE = "HCM-LLTP"
CITY_DEPARTMENT = "so-tu-phap"
# Celery's publish retries (3, up to 1 s apart) and the request itself; far below a web timeout.
SUBMIT_DURING_OUTAGE_MAX_SECONDS = 5


# --- the web side, over HTTP ------------------------------------------------------------


class PortalApi:
    """A citizen's API client with a bearer token: one HTTP connection per call, safe across threads."""

    def __init__(self, base_url: str, token: str):
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}

    def call(self, method: str, path: str, *, body: bytes = b"", content_type: str = "") -> tuple[int, dict]:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            headers = dict(self.headers)
            if content_type:
                headers["Content-Type"] = content_type
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        try:
            return response.status, json.loads(raw or b"{}")
        except ValueError:
            return response.status, {"raw": raw[:500].decode(errors="replace")}

    def post_json(self, path: str, data: dict | None = None) -> tuple[int, dict]:
        return self.call("POST", path, body=json.dumps(data or {}).encode(), content_type="application/json")

    def post_file(self, path: str, *, key: str, filename: str, content: bytes) -> tuple[int, dict]:
        boundary = uuid.uuid4().hex
        body = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="key"\r\n\r\n{key}\r\n'
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
                "Content-Type: application/pdf\r\n\r\n"
            ).encode()
            + content
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.call("POST", path, body=body, content_type=f"multipart/form-data; boundary={boundary}")

    def draft(self, *, procedure: str, unit: str) -> str:
        """Create a complete draft (form data and the one document to upload); return its uuid."""
        status, draft = self.post_json(
            "/api/v1/dossiers/",
            {
                "procedure": procedure,
                "receiving_unit": unit,
                "form_data": {"full_name": "Nguyễn Văn An", "partner_name": "Phạm Thị Hoa"},
            },
        )
        assert status == 201, draft
        status, document = self.post_file(
            f"/api/v1/dossiers/drafts/{draft['uuid']}/documents/", key="to-khai", filename="to-khai.pdf", content=PDF
        )
        assert status == 201, document
        return draft["uuid"]

    def submit(self, draft_uuid: str) -> dict:
        status, dossier = self.post_json(f"/api/v1/dossiers/drafts/{draft_uuid}/submit/")
        assert status == 200, dossier
        return dossier


def citizen_apis(base_url: str) -> list[PortalApi]:
    from identity.models import User
    from identity.services import api_token_issue

    return [PortalApi(base_url, api_token_issue(user=User.objects.get(username=name))) for name in CITIZENS]


def in_parallel(function, items, *, threads: int = 4) -> list:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(function, items))


# --- the outcome, in the database -----------------------------------------------------


def procedures_and_units():
    """The commune-tier and city-tier procedures, and the first 20 commune-level units."""
    from govportal.tiers.models import Unit
    from govportal.tiers.services import routing_rules_seed

    routing_rules_seed()  # the shipped rules (idempotent): a transactional test starts from an empty table
    commune = make_procedure(code=COMMUNE_CODE)
    city = make_procedure(code=CITY_CODE, tier="city", department=Unit.objects.get(code=CITY_DEPARTMENT), days=10)
    units = list(Unit.objects.filter(tier="commune", is_active=True).order_by("code")[:20])
    assert len(units) == 20
    return commune, city, units


def expected_unit_code(procedure_code: str, receiving_unit_code: str) -> str:
    """Commune-tier dossiers stay at the receiving unit; city-tier ones go to the department."""
    return CITY_DEPARTMENT if procedure_code == CITY_CODE else receiving_unit_code


def unrouted(ids) -> list[int]:
    from procedures.models import Dossier

    return list(Dossier.objects.filter(pk__in=list(ids), routed_at__isnull=True).values_list("pk", flat=True))


def wait_until_routed(ids, *, timeout: float, cluster) -> float:
    """Poll the database until every dossier has been routed; return the seconds it took."""
    started = time.monotonic()
    while True:
        left = unrouted(ids)
        if not left:
            return time.monotonic() - started
        if time.monotonic() - started > timeout:
            pytest.fail(f"{len(left)} of {len(ids)} dossiers not routed after {timeout} s\n{cluster.logs()}")
        time.sleep(0.25)


def assert_routed_once_to_the_right_unit(plan: dict[int, tuple[str, str]]) -> None:
    """plan: dossier id -> (procedure code, receiving unit code)."""
    from procedures.models import Dossier, DossierEvent

    rows = {
        row["pk"]: row
        for row in Dossier.objects.filter(pk__in=list(plan)).values(
            "pk", "handling_unit__code", "routing_reason", "routed_at", "status", "code"
        )
    }
    wrong = {
        pk: (row["handling_unit__code"], expected_unit_code(*plan[pk]))
        for pk, row in rows.items()
        if row["handling_unit__code"] != expected_unit_code(*plan[pk])
    }
    assert wrong == {}, f"handling unit (got, expected): {wrong}"
    assert all(row["routing_reason"] and row["routed_at"] and row["code"] for row in rows.values())
    routes = Counter(
        DossierEvent.objects.filter(dossier_id__in=list(plan), action="route").values_list("dossier_id", flat=True)
    )
    not_once = {pk: routes.get(pk, 0) for pk in plan if routes.get(pk, 0) != 1}
    assert not_once == {}, f"dossiers without exactly one route event: {not_once}"


def task_successes(process, task_name: str = ROUTE_TASK) -> int:
    return sum(1 for line in process.log_text().splitlines() if f"{task_name}[" in line and " succeeded in " in line)


def sweep_dispatches(process) -> int:
    """How many dossiers the sweeps run by this worker dispatched again (the task returns the count)."""
    found = re.findall(rf"{re.escape(SWEEP_TASK)}\[[^\]]+\] succeeded in [0-9.e-]+s: (\d+)", process.log_text())
    return sum(int(count) for count in found)


# --- the tests ---------------------------------------------------------------------------


def test_two_hundred_dossiers_over_http_are_each_routed_once_by_two_workers(
    routing_cluster, live_server, demo_users, settings
):
    # A few citizens file 200 dossiers in seconds: more drafts than the per-citizen abuse limit allows.
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "draft-create": "1000/h"}
    commune, city, units = procedures_and_units()
    workers = [routing_cluster.start_worker("w1"), routing_cluster.start_worker("w2")]
    apis = citizen_apis(live_server.url)
    # 200 dossiers over the 20 units; every tenth is a city-tier procedure received at a ward.
    filings = [
        (apis[i % len(apis)], (city if i % 10 == 9 else commune).code, units[i % len(units)].code) for i in range(200)
    ]

    def file(filing) -> tuple[int, str, str]:
        api, procedure_code, unit_code = filing
        dossier = api.submit(api.draft(procedure=procedure_code, unit=unit_code))
        return dossier["code"], procedure_code, unit_code

    filed = in_parallel(file, filings)

    from procedures.models import Dossier

    ids = dict(Dossier.objects.filter(code__in=[code for code, _, _ in filed]).values_list("code", "pk"))
    plan = {ids[code]: (procedure_code, unit_code) for code, procedure_code, unit_code in filed}
    assert len(plan) == 200
    assert Counter(procedure_code for procedure_code, _ in plan.values()) == {COMMUNE_CODE: 180, CITY_CODE: 20}
    assert len({unit_code for _, unit_code in plan.values()}) == 20
    wait_until_routed(plan, timeout=120, cluster=routing_cluster)
    assert_routed_once_to_the_right_unit(plan)
    # The workers did it: one successful routing task per dossier, shared by both processes
    # (nothing ran in the web process: it only dispatched).
    per_worker = [task_successes(worker) for worker in workers]
    assert sum(per_worker) == 200, per_worker
    assert all(count > 0 for count in per_worker), per_worker


def test_a_broker_outage_loses_no_dossier_the_sweep_routes_them(routing_cluster, live_server, demo_users):
    commune, city, units = procedures_and_units()
    routing_cluster.sweep_after_seconds = 2
    routing_cluster.sweep_every_seconds = 2
    worker = routing_cluster.start_worker("w1")
    beat = routing_cluster.start_beat()
    apis = citizen_apis(live_server.url)

    # The path works before the outage, so the worker is connected when the broker goes.
    from procedures.models import Dossier

    before = apis[0].submit(apis[0].draft(procedure=commune.code, unit=units[0].code))
    before_id = Dossier.objects.get(code=before["code"]).pk
    wait_until_routed([before_id], timeout=30, cluster=routing_cluster)

    filings = [(apis[i % 2], (city if i % 5 == 4 else commune).code, units[i].code) for i in range(10)]
    # Drafts first: the outage hits the submission and its dispatch on commit.
    drafts = [(api, api.draft(procedure=p, unit=u), p, u) for api, p, u in filings]
    broker = routing_cluster.broker_url
    try:
        redis_stop(broker)
        outage_started = time.monotonic()
        filed = []
        for api, draft_uuid, p, u in drafts:
            started = time.monotonic()
            filed.append((api.submit(draft_uuid)["code"], p, u))
            took = time.monotonic() - started
            # Accepted is not enough: the citizen (and a web worker) must not wait on a dead broker.
            assert took < SUBMIT_DURING_OUTAGE_MAX_SECONDS, (
                f"a submission took {took:.1f} s while the broker was down: dispatch on commit must give up fast "
                "(a task whose result is kept also waits for the result backend: ~20 reconnects of 1 s)"
            )
        outage_seconds = time.monotonic() - outage_started
        ids = dict(Dossier.objects.filter(code__in=[code for code, _, _ in filed]).values_list("code", "pk"))
        plan = {ids[code]: (p, u) for code, p, u in filed}
        assert len(plan) == 10
        # Accepted, committed, and not routed: no process could have routed them.
        assert sorted(unrouted(plan)) == sorted(plan)
        assert Dossier.objects.filter(pk__in=list(plan), status="submitted").count() == 10
    finally:
        redis_start(broker)

    # Redis restarted empty (no persistence): any message sent before the outage is gone too.
    # A worker that did not survive the outage is restarted, as a supervisor would.
    restarted = []
    for process, start in (
        (worker, lambda: routing_cluster.start_worker("w1-again")),
        (beat, routing_cluster.start_beat),
    ):
        if process.popen.poll() is not None:
            restarted.append(process.name)
            start()
    waited = wait_until_routed(plan, timeout=90, cluster=routing_cluster)
    assert_routed_once_to_the_right_unit({**plan, before_id: (commune.code, units[0].code)})
    # Routed by the sweep, run by beat on the worker: nothing else knew about these dossiers.
    swept = sum(sweep_dispatches(p) for p in routing_cluster.processes)
    assert swept >= len(plan), routing_cluster.logs()
    print(
        f"outage submissions took {outage_seconds:.1f} s; routed {waited:.1f} s after Redis was back; "
        f"restarted: {restarted or 'none'}"
    )


def test_a_worker_killed_mid_task_does_not_route_twice(routing_cluster, live_server, demo_users):
    """Kill the process running the routing task after it committed, before the broker heard of it.

    Two deaths: a pool child (the worker's main process requeues the message:
    reject_on_worker_lost) and a whole worker with its pool (nobody tells the
    broker: Redis hands the message out again after the visibility timeout,
    shortened here to 5 s). Both redeliveries run the task a second time, and
    the second run must change nothing.

    Beat runs the sweep, as in production: kombu's Redis transport pops a message
    with BRPOP before recording it as unacknowledged, so a worker killed between
    the two (or with the reply still in its socket) loses that message outright.
    Those dossiers are committed and unrouted, and the sweep dispatches them again.

    The workers keep no results here. With a result stored, Celery acknowledges
    a task whose child died after storing SUCCESS and never runs it again; the
    window that matters is between the commit and the acknowledgement when no
    result is stored (nobody reads a routing result), and that is the one tested.
    """
    commune, city, units = procedures_and_units()
    routing_cluster.visibility_timeout = 5
    routing_cluster.store_results = False
    routing_cluster.sweep_after_seconds = 10
    routing_cluster.sweep_every_seconds = 3
    apis = citizen_apis(live_server.url)
    filings = [(apis[i % 2], (city if i % 4 == 3 else commune).code, units[i % 20].code) for i in range(40)]
    drafts = in_parallel(lambda f: (f[0], f[0].draft(procedure=f[1], unit=f[2]), f[1], f[2]), filings)

    from procedures.models import Dossier

    by_uuid = {
        str(u): pk for u, pk in Dossier.objects.filter(uuid__in=[d[1] for d in drafts]).values_list("uuid", "pk")
    }
    plan = {by_uuid[draft_uuid]: (p, u) for _, draft_uuid, p, u in drafts}
    child_victim, worker_victim = by_uuid[drafts[8][1]], by_uuid[drafts[24][1]]
    runs = routing_cluster.workdir / "route-runs.txt"
    runs.touch()
    hooks = {"record": str(runs), "die_after": {str(child_victim): "child", str(worker_victim): "worker"}}
    # Both workers carry the same instructions: whichever runs the victim's task dies, once.
    workers = [routing_cluster.start_worker(name, hooks=hooks) for name in ("w1", "w2")]
    routing_cluster.start_beat()

    in_parallel(lambda d: d[0].submit(d[1]), drafts)
    wait_until_routed(plan, timeout=90, cluster=routing_cluster)

    def runs_of(dossier_id: int) -> list[str]:
        return [line.split()[1] for line in runs.read_text().splitlines() if line.split()[0] == str(dossier_id)]

    # Routing a dossier is not the end: the redelivered task must run again, and change nothing.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (len(runs_of(child_victim)) < 2 or len(runs_of(worker_victim)) < 2):
        time.sleep(0.25)
    assert (routing_cluster.workdir / f"died-{child_victim}").exists()
    assert (routing_cluster.workdir / f"died-{worker_victim}").exists()
    assert len(runs_of(child_victim)) >= 2, routing_cluster.logs()
    assert len(runs_of(worker_victim)) >= 2, routing_cluster.logs()
    # Each second run happened in another process than the one that died.
    assert len(set(runs_of(child_victim))) >= 2 and len(set(runs_of(worker_victim))) >= 2
    # Exactly one worker died whole; the other is still serving.
    dead = [w for w in workers if w.popen.poll() is not None]
    assert len(dead) == 1, [w.popen.returncode for w in workers]
    assert dead[0].popen.returncode == -9
    assert_routed_once_to_the_right_unit(plan)
    victims = Dossier.objects.filter(pk__in=[child_victim, worker_victim])
    assert all(dossier.status == "submitted" and dossier.handling_unit_id for dossier in victims)
