"""Security headers on every kind of response, and pages with nothing inline for the CSP to refuse.

One test walks a representative set of pages (public, citizen, officer, admin, the
mock e-ID and PayGov simulator pages, Swagger UI, an API answer, a 404, a 429) with
the data built once, and checks each answer's headers and HTML. Real PostgreSQL.
"""

import json
import re
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from payments.models import Payment
from payments.services import callback_process
from tests.conftest import require
from tests.payments.conftest import (  # noqa: F401  (fixtures)
    citizen,
    fee_procedure,
    gateway_notice,
    officer,
    people,
    procedure,
    waiting_dossier,
)
from tests.procedures.conftest import client_for
from tests.test_settings import PRODUCTION_ENV, print_setting

pytestmark = pytest.mark.django_db

# What the HTML must not hold: each would need 'unsafe-inline' (or a hash or nonce) to run or apply.
INLINE = {
    "inline script": re.compile(
        r"<script\b(?![^>]*\bsrc=)(?![^>]*\btype=[\"']application/(ld\+)?json[\"'])[^>]*>", re.I
    ),
    "style element": re.compile(r"<style\b", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    "event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "javascript: URL": re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.I),
}


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def header_problems(response) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy", "")
    if not csp:
        return ["no Content-Security-Policy"]
    if "unsafe-inline" in csp or "unsafe-eval" in csp:
        problems.append(f"CSP allows unsafe-inline/unsafe-eval: {csp}")
    policy = directives(csp)
    expected = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    for name, sources in expected.items():
        if policy.get(name) != sources:
            problems.append(f"CSP {name} is {policy.get(name)}, expected {sources}")
    if policy.get("form-action", [None])[0] != "'self'":
        problems.append(f"CSP form-action is {policy.get('form-action')}")
    for name, sources in policy.items():
        if name != "form-action" and any(source.startswith(("http:", "https:", "*")) for source in sources):
            problems.append(f"CSP {name} allows another origin: {sources}")
    permissions = response.get("Permissions-Policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        if feature not in permissions:
            problems.append(f"Permissions-Policy lacks {feature}: {permissions!r}")
    for name, value in (
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ):
        if response.get(name) != value:
            problems.append(f"{name} is {response.get(name)!r}, expected {value!r}")
    return problems


def html_problems(response) -> list[str]:
    if not response.get("Content-Type", "").startswith("text/html"):
        return []
    html = response.content.decode()
    return [f"{what}: {match.group(0)[:120]}" for what, rx in INLINE.items() for match in rx.finditer(html)]


@pytest.fixture
def demo_staff_logged_in(people):  # noqa: F811
    return {name: client_for(people[name]) for name in ("officer.benthanh", "admin.city", "operator")}


def mock_eid_authorize_url() -> str:
    from django.conf import settings

    client = settings.MOCK_EID_CLIENTS[0]
    params = {
        "client_id": client["client_id"],
        "redirect_uri": client["redirect_uris"][0],
        "response_type": "code",
        "scope": "openid profile",
        "state": "state-headers",
        "nonce": "nonce-headers",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuwGVnNJOFM",
        "code_challenge_method": "S256",
    }
    return "/mock-eid/authorize?" + urlencode(params)


def paygov_bank_page(citizen_client, dossier) -> str:
    """Press "Pay online" and follow the simulator's redirect to its bank choice page."""
    start = citizen_client.post("/payments/start/", {"subject": f"dossier:{dossier.code}"})
    assert start.status_code == 302 and start["Location"].startswith("/paygov-sim/pay/?"), start
    first = citizen_client.get(start["Location"])
    assert first.status_code == 302, first
    return first["Location"]


def latest_payment(dossier) -> Payment:
    return Payment.objects.filter(subject=f"dossier:{dossier.code}").latest("pk")


def too_many_requests(client) -> object:
    """Tracking unknown codes until the abuse limit answers 429 (whatever the limit is set to)."""
    cache.clear()
    for attempt in range(300):
        response = client.get(f"/track/HCM-NOPE-{attempt}/", REMOTE_ADDR="198.51.100.7")
        if response.status_code == 429:
            return response
    pytest.fail("no 429 after 300 tracking requests")


def test_every_kind_of_page_and_answer_has_the_headers_and_nothing_inline(
    waiting_dossier,  # noqa: F811
    citizen,  # noqa: F811
    demo_staff_logged_in,
    django_capture_on_commit_callbacks,
):
    require("postgres")
    anonymous = Client()
    citizen_client = client_for(citizen, eid_level=2)
    officer_client = demo_staff_logged_in["officer.benthanh"]
    admin_client = demo_staff_logged_in["operator"]
    code = waiting_dossier.code

    answers = {
        "home": (anonymous, "/"),
        "catalogue": (anonymous, "/procedures/"),
        "a procedure": (anonymous, f"/procedures/{waiting_dossier.procedure.code}/"),
        "tracking": (anonymous, f"/track/{code}/"),
        "citizen login": (anonymous, "/login/"),
        "staff login": (anonymous, "/accounts/login/"),
        "e-ID mock authorize": (anonymous, mock_eid_authorize_url()),
        "scorecard": (anonymous, "/scorecard/"),
        "reports board": (anonymous, "/feedback/board/"),
        "send a report": (anonymous, reverse("report-new")),
        "my dossiers": (citizen_client, "/my/dossiers/"),
        "my dossier (pay online)": (citizen_client, f"/my/dossiers/{code}/"),
        "workbench": (officer_client, "/workbench/"),
        "workbench dossier": (officer_client, f"/workbench/dossiers/{code}/"),
        "city dashboard": (demo_staff_logged_in["admin.city"], "/dashboard/city/"),
        "admin index": (admin_client, "/admin/"),
        "admin changelist": (admin_client, "/admin/procedures/procedure/"),
        "admin change form": (admin_client, f"/admin/procedures/procedure/{waiting_dossier.procedure.pk}/change/"),
        "Swagger UI": (anonymous, "/api/docs/"),
        "API JSON": (anonymous, "/api/v1/units/"),
        "API 404": (anonymous, "/api/v1/no-such-route/"),
        "page 404": (anonymous, "/no-such-page/"),
    }
    responses = {}
    for name, (client, url) in answers.items():
        responses[name] = client.get(url)
    responses["PayGov simulator"] = citizen_client.get(paygov_bank_page(citizen_client, waiting_dossier))
    with django_capture_on_commit_callbacks(execute=True):
        code_, _message = callback_process(gateway_notice(latest_payment(waiting_dossier)), remote_addr="203.0.113.9")
    assert code_ == "00"
    number = latest_payment(waiting_dossier).receipt_number
    responses["receipt"] = citizen_client.get(f"/receipts/{number}/")
    responses["receipt check"] = anonymous.get(f"/receipts/verify/{number}")
    responses["429"] = too_many_requests(anonymous)

    statuses = {name: response.status_code for name, response in responses.items()}
    assert statuses == {
        **{name: 200 for name in responses},
        "API 404": 404,
        "page 404": 404,
        "429": 429,
    }, statuses
    assert responses["API JSON"]["Content-Type"].startswith("application/json")
    problems = {name: header_problems(r) + html_problems(r) for name, r in responses.items()}
    assert {name: found for name, found in problems.items() if found} == {}

    # The mock e-ID's login form ends at the client's redirect URI: its page (only) allows that origin.
    assert "http://127.0.0.1" in directives(responses["e-ID mock authorize"]["Content-Security-Policy"])["form-action"]
    assert "http://127.0.0.1" not in directives(responses["home"]["Content-Security-Policy"])["form-action"]

    # Swagger UI's init script comes as a file of its own, under the same headers.
    swagger_html = responses["Swagger UI"].content.decode()
    script_urls = re.findall(r'<script src="([^"]+)"', swagger_html)
    init = [url for url in script_urls if "script=" in url]
    assert len(init) == 1, script_urls
    script = anonymous.get(init[0].replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode() and header_problems(script) == []


def test_htmx_is_told_to_inject_no_style_and_evaluate_no_code(client, db):
    html = client.get("/").content.decode()
    meta = re.search(r"""<meta name="htmx-config" content='([^']+)'>""", html)
    assert meta, "the layout sets htmx's configuration"
    assert json.loads(meta.group(1)) == {"includeIndicatorStyles": False, "allowEval": False}


def test_production_allows_forms_to_reach_the_eid_provider_and_the_gateway_and_keeps_hsts():
    result = print_setting(
        '[settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"], settings.SECURE_HSTS_SECONDS, '
        "settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.X_FRAME_OPTIONS, settings.SECURE_REFERRER_POLICY, "
        '"django_permissions_policy.PermissionsPolicyMiddleware" in settings.MIDDLEWARE]',
        {**PRODUCTION_ENV, "CSP_FORM_ACTION_EXTRA": "https://sso.example.gov.vn/x,not-a-url"},
    )
    assert result.returncode == 0, result.stderr
    form_action, hsts, subdomains, frames, referrer, permissions = json.loads(result.stdout)
    assert form_action == [
        "'self'",
        "https://eid.example.gov.vn",
        "https://paygov.example.gov.vn",
        "https://sso.example.gov.vn",
    ]
    assert hsts >= 31536000 and subdomains and frames == "DENY" and referrer == "same-origin" and permissions
