"""The scenarios of `make bench`: what each one requests, prepared from the bench database (Django set up).

Each scenario names its baseline: `read` (GET /bench/read-one/) or `insert` (POST /bench/insert-one/), the
bare views of bench/views.py on the same stack.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

from bench.load import Call, Http, Unexpected, expect

QUEUE_UNITS = ("26743", "26740")  # the demo officers' units (identity/demo.py): officer.benthanh, officer.saigon
OPEN_STATUS = "processing"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass
class Scenario:
    name: str
    what: str
    baseline: str  # "read" or "insert"
    call: Call


def baselines() -> dict[str, Call]:
    def read(http: Http, seq: int):
        return True, expect(http.request("GET", "/bench/read-one/"), 200)

    def insert(http: Http, seq: int):
        return True, expect(http.request("POST", "/bench/insert-one/", b""), 201)

    return {"read": read, "insert": insert}


def get(path: str | list[str], headers: dict | None = None) -> Call:
    paths = [path] if isinstance(path, str) else path

    def call(http: Http, seq: int):
        return True, expect(http.request("GET", paths[seq % len(paths)], headers=headers), 200)

    return call


# --- preparing the database --------------------------------------------------------------------------------


def set_open_dossiers(targets: dict[str, int]) -> dict[str, int]:
    """Give each unit exactly its target of open dossiers (more open ones moved in, surplus closed): returns counts.

    The generator leaves about 1.5 % of dossiers open, spread over 168 units; the officer's queue scenarios
    need one unit with 5,000 and one with 50,000. Synthetic dossiers of other units are moved in and
    reopened (received, being processed, due in the coming weeks). The dashboards' aggregates are not
    recounted: they are not what these scenarios read.
    """
    from django.db import connection

    from govportal.tiers.models import Unit

    counts = {}
    with connection.cursor() as cursor:
        for code, target in targets.items():
            unit_id = Unit.objects.values_list("pk", flat=True).get(code=code)
            cursor.execute(
                "SELECT count(*) FROM procedures_dossier WHERE handling_unit_id = %s AND status = %s",
                [unit_id, OPEN_STATUS],
            )
            missing = target - cursor.fetchone()[0]
            if missing > 0:
                cursor.execute(
                    f"""
                    UPDATE procedures_dossier d SET
                        handling_unit_id = %s, receiving_unit_id = %s, status = %s, status_before_pause = '',
                        outcome = '', decided_at = NULL, closed_at = NULL, paused_at = NULL, promised_at = NULL,
                        received_at = coalesce(d.received_at, d.submitted_at, now()),
                        routed_at = coalesce(d.routed_at, d.submitted_at, now()),
                        due_at = now() + (d.id %% 40) * interval '1 day' + (d.id %% 600) * interval '1 minute'
                    WHERE d.id IN (
                        SELECT id FROM procedures_dossier
                        WHERE code LIKE 'SYN-%%' AND status <> %s
                          AND coalesce(handling_unit_id, 0) NOT IN (SELECT id FROM tiers_unit WHERE code IN ({
                        ", ".join(["%s"] * len(targets))
                    }))
                        ORDER BY id LIMIT %s)
                    """,
                    [unit_id, unit_id, OPEN_STATUS, OPEN_STATUS, *targets, missing],
                )
            elif missing < 0:
                cursor.execute(
                    """
                    UPDATE procedures_dossier SET status = 'result_returned', decided_at = now(), closed_at = now()
                    WHERE id IN (SELECT id FROM procedures_dossier WHERE handling_unit_id = %s AND status = %s
                                 ORDER BY id LIMIT %s)
                    """,
                    [unit_id, OPEN_STATUS, -missing],
                )
            cursor.execute(
                "SELECT count(*) FROM procedures_dossier WHERE handling_unit_id = %s AND status = %s",
                [unit_id, OPEN_STATUS],
            )
            counts[code] = cursor.fetchone()[0]
        cursor.execute("ANALYZE procedures_dossier")
    return counts


def session_cookie(user) -> str:
    """A logged-in session of `user`, made by Django's own login (the demo staff have their second factor)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def submission_body() -> tuple[str, dict, list[str]]:
    """A commune-tier procedure without a fee for the submission scenario: (code, form data, document keys)."""
    from procedures.models import Procedure

    candidates = (
        Procedure.objects.filter(is_active=True, tier="commune", min_eid_level__lte=2)
        .prefetch_related("documents", "fee_lines")
        .order_by("code")
    )
    best = None
    for procedure in candidates:
        if procedure.fee_lines.all():
            continue
        documents = [d.key for d in procedure.documents.all() if d.is_required and not d.replaceable_by_registry]
        if best is None or len(documents) < len(best[1]):
            best = (procedure, documents)
    if best is None:
        raise RuntimeError("no fee-free commune procedure in the catalogue")
    procedure, documents = best
    values = {"date": "2000-01-15", "number": "2"}
    form = {
        spec["name"]: values.get(spec.get("type", "text"), "Nguyễn Văn Bench")
        for spec in procedure.form_fields
        if spec.get("required")
    }
    for spec in procedure.form_fields:  # fields named for a personal ID must look like one
        if spec["name"] in form and "personal_id" in spec["name"]:
            form[spec["name"]] = "079200001234"
    return procedure.code, form, documents


def multipart(fields: dict, file_field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


# --- the scenarios -----------------------------------------------------------------------------------------


def build(*, open_targets: dict[str, int]) -> tuple[list[Scenario], dict]:
    """Every scenario with what it needs from the database; and facts to report (procedure used, counts)."""
    from django.conf import settings

    from feedback.models import Category
    from govportal.tiers.models import Unit
    from identity.demo import DEMO_CITIZENS
    from identity.models import User
    from identity.services import api_token_issue
    from payments.gateways.base import sign
    from payments.models import Payment
    from procedures.models import Dossier

    facts: dict = {}
    json_headers = {"Content-Type": "application/json"}

    # Public: tracking codes spread over the data set.
    codes = list(Dossier.objects.filter(code__startswith="SYN-").order_by("?").values_list("code", flat=True)[:500])
    track_page = [f"/track/{code}/" for code in codes]
    track_api = [f"/api/v1/track/{code}/" for code in codes]

    # Citizens filing and reporting with their own bearer tokens (the demo citizens: e-ID level 2).
    level_two = [c.username for c in DEMO_CITIZENS if c.eid_level >= 2]
    citizens = list(User.objects.filter(username__in=level_two).order_by("pk"))
    if not citizens:
        raise RuntimeError("no demo citizens: setup_portal did not seed the demo accounts")
    tokens = [f"Bearer {api_token_issue(user=citizen)}" for citizen in citizens]
    procedure_code, form_data, document_keys = submission_body()
    facts["submission"] = f"{procedure_code}, {len(form_data)} fields, {len(document_keys)} documents uploaded"

    def submission(http: Http, seq: int):
        auth = {"Authorization": tokens[seq % len(tokens)]}
        body = json.dumps({"procedure": procedure_code, "receiving_unit": QUEUE_UNITS[0], "form_data": form_data})
        answer = http.request("POST", "/api/v1/dossiers/", body.encode(), {**auth, **json_headers})
        queries = expect(answer, 201) or 0
        draft = json.loads(answer[1])["uuid"]
        for key in document_keys:
            data, content_type = multipart({"key": key}, "file", "giay-to.pdf", PDF)
            answer = http.request(
                "POST", f"/api/v1/dossiers/drafts/{draft}/documents/", data, {**auth, "Content-Type": content_type}
            )
            queries += expect(answer, 201) or 0
        answer = http.request("POST", f"/api/v1/dossiers/drafts/{draft}/submit/", b"", auth)
        queries += expect(answer, 200, 201) or 0
        if json.loads(answer[1]).get("status") != "submitted":
            raise Unexpected(f"submit answered {answer[1][:200]!r}")
        return True, queries

    category = Category.objects.filter(is_active=True).order_by("code").first()
    place = Unit.objects.get(code=QUEUE_UNITS[0])

    def report(http: Http, seq: int):
        body = {
            "category": category.code,
            "text": "Đèn đường không sáng nhiều đêm liền, khu vực tối và nguy hiểm (bench).",
            "unit": place.code,
            "address": f"{seq} Lê Lợi",
        }
        headers = {"Authorization": tokens[seq % len(tokens)], **json_headers}
        return True, expect(http.request("POST", "/api/v1/reports/", json.dumps(body).encode(), headers), 201)

    # Gateway notifications for synthetic payments, signed with the gateway secret of the server's settings:
    # each is a replay of a confirmed payment, answered 02 after the signature, row lock and raw record.
    payments = list(
        Payment.objects.filter(reference__startswith="SYNP")
        .order_by("?")
        .values("reference", "amount_vnd", "currency", "gateway_transaction_no", "bank_code")[:500]
    )
    callbacks = []
    for payment in payments:
        params = {
            "reference": payment["reference"],
            "amount": str(payment["amount_vnd"]),
            "currency": payment["currency"],
            "result_code": "00",
            "transaction_no": payment["gateway_transaction_no"] or "SYNT" + payment["reference"][4:],
            "bank_code": payment["bank_code"] or "NCB",
        }
        params["signature"] = sign(params, settings.PAYGOV_SECRET)
        callbacks.append(urlencode(params).encode())

    def callback(http: Http, seq: int):
        answer = http.request(
            "POST",
            "/payments/paygov/callback/",
            callbacks[seq % len(callbacks)],
            {"Content-Type": "application/x-www-form-urlencoded"},
        )
        queries = expect(answer, 200)
        code = json.loads(answer[1]).get("code")
        if code not in ("00", "02"):
            raise Unexpected(f"gateway answer {code}: {answer[1][:200]!r}")
        return True, queries

    # Staff sessions: the demo officers of the two queue units, a city admin.
    def staff_cookie(**filters) -> dict:
        user = User.objects.filter(postings__is_active=True, **filters).order_by("pk").first()
        if user is None:
            raise RuntimeError(f"no staff user for {filters}: setup_portal did not seed the demo accounts")
        return {"Cookie": session_cookie(user)}

    admin = staff_cookie(postings__role="city_admin")
    scenarios = [
        Scenario("catalogue_page", "GET /procedures/", "read", get("/procedures/")),
        Scenario("catalogue_api", "GET /api/v1/procedures/", "read", get("/api/v1/procedures/")),
        Scenario("track_page", "GET /track/<code>/ (limit raised)", "read", get(track_page)),
        Scenario("track_api", "GET /api/v1/track/<code>/ (limit raised)", "read", get(track_api)),
        Scenario(
            "submission",
            f"POST create{' + upload' * len(document_keys)} + submit (API, bearer)",
            "insert",
            submission,
        ),
    ]
    for code in QUEUE_UNITS:
        officer = staff_cookie(postings__role="officer", postings__unit__code=code)
        size = open_targets.get(code, 0)
        scenarios += [
            Scenario(
                f"queue_page_{size}", f"GET /workbench/ ({size:,} open in {code})", "read", get("/workbench/", officer)
            ),
            Scenario(
                f"queue_api_{size}",
                f"GET /api/v1/dossiers/ ({size:,} open in {code})",
                "read",
                get("/api/v1/dossiers/", officer),
            ),
        ]
    scenarios += [
        Scenario("report_intake", "POST /api/v1/reports/ (citizen, bearer)", "insert", report),
        Scenario("payment_callback", "POST /payments/paygov/callback/ (signed)", "insert", callback),
        Scenario("city_dashboard", "GET /dashboard/city/ (city admin)", "read", get("/dashboard/city/", admin)),
        Scenario("scorecard", "GET /scorecard/", "read", get("/scorecard/")),
    ]
    facts["track_codes"] = track_api
    return scenarios, facts
