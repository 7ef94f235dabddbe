"""Every route of the URL configuration x every role, with the status each must answer (issue 12, part 4).

The routes come from the resolver itself (keyed by name, or by pattern when unnamed), so a route added without a
row in tests/security/route_matrix.py, or a row left for a route that is gone, fails
`test_every_route_has_a_row_and_every_row_a_route`. One test builds the objects once (citizen A's dossiers at
units X and Y, a city-tier dossier, a draft, 1022 reports at X and Y with a photo, a paid payment with a pending
refund, a reconciliation report) and GETs every route as every role, checks that lists show each role only its
own objects, POSTs an empty JSON body to every API route (never a 5xx), and collects all mismatches into one
message. Staff log in with `force_login`: the seeded demo staff already have their TOTP authenticator, which is
all identity.middleware.StaffSecondFactorMiddleware checks. Citizens carry the e-ID level their login would give.
"""

import io
import logging
import re
from datetime import date

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests.conftest import require
from tests.security.route_matrix import (
    ADMIN_MODELS,
    ADMIN_PROBED_AS,
    ADMIN_VIEWS,
    ARGS,
    EMPTY_POST,
    LISTED,
    MATRIX,
    PROBED_AS,
    ROLES,
    L,
)

USERS = {
    "citA": "079085001234",
    "citB": "079190004567",
    "offX": "officer.benthanh",
    "offY": "officer.saigon",
    "head": "head.benthanh",
    "dept": "officer.tuphap",
    "admin": "admin.city",
}
LOGIN_PATHS = ("/login/", "/accounts/login/", "/admin/login/")
ADMIN_OBJECT = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/<path:object_id>/$")


def routes(patterns=None, prefix="", namespace=""):
    """(key, pattern, name) of every route: the key is the route's name, or its pattern when it has none."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            yield from routes(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            name = f"{namespace}{entry.name}" if entry.name else None
            yield name or pattern, pattern, name


def admin_rows() -> dict:
    """The admin site's rows, from ADMIN_MODELS: staff pages closed to everyone but the city admin."""
    rows = {}
    for label, statuses in ADMIN_MODELS.items():
        app, model = label.split(".")
        for view, status in zip(ADMIN_VIEWS, statuses, strict=True):
            key = f"admin/{app}/{model}/<path:object_id>/" if view == "object" else f"admin:{app}_{model}_{view}"
            rows[key] = (L,) * 7 + (status,)
    return rows


def expected_rows() -> dict:
    return {**MATRIX, **admin_rows()}


def test_every_route_has_a_row_and_every_row_a_route():
    keys = [key for key, _pattern, _name in routes()]
    assert len(keys) == len(set(keys)), "two routes share a name"
    rows = expected_rows()
    missing = sorted(set(keys) - {row.split(" @")[0] for row in rows})
    stale = sorted({row.split(" @")[0] for row in rows} - set(keys))
    assert not missing, f"routes without a row in tests/security/route_matrix.py: {missing}"
    assert not stale, f"rows naming no route: {stale}"
    assert all(len(cells) == len(ROLES) for cells in rows.values())
    assert set(ARGS) <= set(rows), sorted(set(ARGS) - set(rows))


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def world(capture) -> dict:
    """The objects the URLs name, made through the services the portal uses."""
    from feedback.models import Category, Report
    from feedback.services import categories_load, report_create
    from govportal.tiers.models import CalendarOverride, Tier, Unit
    from identity.models import User
    from payments.reconciliation import reconciliation_build
    from payments.refunds import refund_request
    from payments.services import callback_process, payment_create, payment_start
    from procedures import services
    from tests.payments.conftest import gateway_notice
    from tests.procedures.conftest import make_procedure, pdf_upload, submitted_dossier

    people = {u.username: u for u in User.objects.filter(username__in=USERS.values())}
    citizen, officer = people[USERS["citA"]], people[USERS["offX"]]
    ward = Unit.objects.get(code="26743")
    procedure = make_procedure()
    dossier = submitted_dossier(procedure, citizen)
    dossier_y = submitted_dossier(procedure, citizen, unit_code="26740")
    city_procedure = make_procedure(
        code="HCM-LLTP", tier="city", department=Unit.objects.get(code="so-tu-phap"), days=10
    )
    dossier_dept = submitted_dossier(city_procedure, citizen)
    draft = services.dossier_draft_create(procedure=procedure, applicant=citizen, receiving_unit=ward, eid_level=2)
    draft_document = services.document_attach(dossier=draft, actor=citizen, upload=pdf_upload(), key="to-khai")

    fee_procedure = make_procedure(code="1.000999")
    fee_procedure.fee_lines.update(amount_vnd=1_000_000)
    waiting = submitted_dossier(fee_procedure, citizen)
    for action in ("receive", "start_processing", "require_payment"):
        waiting = services.dossier_transition(dossier=waiting, action=action, actor=officer)
    payment = payment_create(subject=f"dossier:{waiting.code}", payer=citizen)
    payment_start(payment=payment, return_url="http://testserver/r/", client_ip="203.0.113.5", actor=citizen)
    payment.refresh_from_db()
    with capture(execute=True):
        assert callback_process(gateway_notice(payment), remote_addr="203.0.113.200")[0] == "00"
    payment.refresh_from_db()
    refund = refund_request(payment, 1000, "Thu thừa", officer)
    reconciliation_build(ward, timezone.localdate())
    services.dossier_transition(dossier=dossier, action="receive", actor=officer)

    categories_load()
    category = Category.objects.filter(tier=Tier.COMMUNE, is_active=True).order_by("code").first()
    with capture(execute=True):
        report = report_create(
            category=category,
            text="Đèn đường trước nhà số 12 Lê Lợi bị hỏng từ ba ngày nay.",
            unit=ward,
            address="12 Lê Lợi",
            reporter=citizen,
            photos=[SimpleUploadedFile("den.jpg", _jpeg(), content_type="image/jpeg")],
        )
    report = Report.objects.get(pk=report.pk)
    with capture(execute=True):
        report_y = report_create(
            category=category,
            text="Rác thải đổ trộm ở đầu hẻm 5 từ sáng nay.",
            unit=Unit.objects.get(code="26740"),
            address="5 Nguyễn Huệ",
            reporter=citizen,
        )
    CalendarOverride.objects.create(day=date(2031, 1, 2), kind="off", reason="Matrix")
    return {
        "procedure": procedure.code,
        "dossier": dossier.code,
        "dossier_y": dossier_y.code,
        "dossier_dept": dossier_dept.code,
        "draft": str(draft.uuid),
        "draft_document": draft_document.pk,
        "document": dossier.documents.first().pk,
        "report": report.code,
        "report_y": report_y.code,
        "photo": report.photos.first().pk,
        "category": category.code,
        "payment": payment.reference,
        "receipt": payment.receipt_number,
        "refund": refund.pk,
        "transaction": payment.gateway_transaction_no or "SIM0000000001",
        "unit": ward.code,
        "unit_y": "26740",
        "day": f"{timezone.localdate():%Y-%m-%d}",
    }


def _admin_object_id(pattern: str) -> str:
    match = ADMIN_OBJECT.match(pattern) or re.match(r"^admin/(?P<app>\w+)/(?P<model>\w+)/", pattern)
    for model in admin.site._registry:
        if (model._meta.app_label, model._meta.model_name) == (match["app"], match["model"]):
            first = model._default_manager.order_by("pk").first()
            return str(first.pk) if first else "0"
    raise AssertionError(pattern)


def url_of(row: str, pattern: str, name: str | None, objects: dict) -> str:
    kwargs = {key: objects[value] if value in objects else value for key, value in ARGS.get(row, {}).items()}
    if "content_type_id" in pattern:  # admin "view on site": content type 1, object 1 (no such page here)
        return "/admin/r/1/1/"
    if pattern.startswith("admin/") and ("object_id" in pattern or "<id>" in pattern):
        object_id = _admin_object_id(pattern)
        kwargs = {"object_id": object_id} if "object_id" in pattern else {"id": object_id}
    if name:
        return reverse(name, kwargs=kwargs)
    if "(?P<url>" in pattern:
        return "/admin/no-such-page/"
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m[1]]), pattern)


def status_of(response) -> object:
    if response.status_code == 302 and response["Location"].split("?")[0].endswith(LOGIN_PATHS):
        return L
    return response.status_code


def clients() -> dict:
    from identity.models import User

    made = {"anon": Client(raise_request_exception=False)}  # a 500 is a cell like any other
    for role, username in USERS.items():
        made[role] = Client(raise_request_exception=False)
        made[role].force_login(User.objects.get(username=username))
        if role.startswith("cit"):
            session = made[role].session
            session["eid_level"] = 2
            session.save()
    return made


@pytest.mark.django_db
def test_every_route_answers_every_role_as_expected(demo_users, population, django_capture_on_commit_callbacks):
    require("postgres")
    objects = world(django_capture_on_commit_callbacks)
    by_route = {key: (pattern, name) for key, pattern, name in routes()}
    probed_as = {**dict.fromkeys(admin_rows(), ADMIN_PROBED_AS), **PROBED_AS}
    logged_in = clients()
    mismatches = []
    logging.disable(logging.WARNING)  # thousands of expected 403/404 warnings; a 500 still logs
    try:
        for row, cells in sorted(expected_rows().items()):
            pattern, name = by_route[row.split(" @")[0]]
            url = url_of(row, pattern, name, objects)
            cache.clear()  # fresh abuse-limit counters (govportal.ratelimit, per address): limits are not this test's
            for role, expected in zip(ROLES, cells, strict=True):
                if role not in probed_as.get(row, ROLES):
                    continue
                mismatches += probe(logged_in, role, row, url, expected, objects)
    finally:
        logging.disable(logging.NOTSET)
    assert not mismatches, f"{len(mismatches)} cell(s) differ:\n" + "\n".join(mismatches)


def probe(logged_in: dict, role: str, row: str, url: str, expected, objects: dict) -> list[str]:
    """GET `url` as `role` (and, for the API, POST an empty body); the mismatches found."""
    client = logged_in[role]
    response = client.get(url)
    found = []
    if (got := status_of(response)) != expected:
        found.append(f"{row} {url} {role}: expected {expected}, got {got}")
    if row in LISTED:
        key, seen_by, unseen_by = LISTED[row]
        shown = str(objects[key]).encode() in response.content
        if (role in seen_by and not shown) or (role in unseen_by and shown):
            found.append(f"{row} {url} {role}: {key} {'missing' if role in seen_by else 'shown'}")
    if url.startswith("/api/v1/"):
        posted = client.post(url, data=b"", content_type="application/json").status_code
        if posted not in EMPTY_POST:
            found.append(f"{row} {url} {role}: an empty POST answered {posted}")
    if role != "anon" and "_auth_user_id" not in client.session:  # a logout route logged it out
        logged_in[role] = clients()[role]
    return found
