"""Every role lands somewhere useful: its landing page after login, a menu of pages it may open, demo staff
at every department a city-tier procedure goes to, and a home page without dead links."""

import re

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.test import Client

from govportal.tiers import routing
from govportal.tiers.models import Posting, Unit
from govportal.tiers.selectors import routing_rules, unit_name
from identity.demo import DEMO_STAFF, DEMO_STAFF_PASSWORD, demo_totp_secret
from identity.models import User
from procedures.catalogue import catalogue_load
from procedures.models import Procedure

pytestmark = pytest.mark.django_db

CITIZEN = "079085001234"
# The pages that only some roles may open; everything else in the header is public.
RESTRICTED = {
    "/login/",
    "/my/dossiers/",
    "/feedback/mine/",
    "/payments/unit/",
    "/payments/reports/",
    "/notifications/",
    "/me/",
    "/workbench/",
    "/overview/",
    "/dashboard/city/",
    "/dashboard/unit/26743/",
    "/dashboard/unit/26740/",
    "/admin/",
}
MENUS = {
    None: {"/login/"},
    CITIZEN: {"/my/dossiers/", "/feedback/mine/", "/notifications/", "/me/"},
    "officer.benthanh": {"/workbench/", "/payments/unit/", "/notifications/", "/me/"},
    "head.saigon": {"/workbench/", "/dashboard/unit/26740/", "/payments/unit/", "/notifications/", "/me/"},
    "officer.congan": {"/workbench/", "/payments/unit/", "/notifications/", "/me/"},
    "admin.city": {"/overview/", "/dashboard/city/", "/payments/reports/", "/admin/", "/notifications/", "/me/"},
    "operator": {"/overview/", "/dashboard/city/", "/payments/reports/", "/admin/", "/notifications/", "/me/"},
}
LANDINGS = {
    "officer.benthanh": "/workbench/",
    "head.saigon": "/workbench/",
    "officer.congan": "/workbench/",
    "officer.nongnghiep": "/workbench/",
    "admin.city": "/dashboard/city/",
    "operator": "/dashboard/city/",
}


def client_as(username) -> Client:
    client = Client()
    if username is not None:
        client.force_login(User.objects.get(username=username))
    return client


def header_links(html: str) -> set[str]:
    header = re.search(r'<header class="site-header">(.*?)</header>', html, re.S).group(1)
    return {href.replace("&amp;", "&") for href in re.findall(r'<a [^>]*href="([^"#]+)"', header)}


def totp_code(username: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(demo_totp_secret(username), counters[len(counters) // 2]))


def staff_login(client: Client, username: str, next_url: str = ""):
    """The real staff login: user name and password, then the TOTP code; returns the last response."""
    data = {"login": username, "password": DEMO_STAFF_PASSWORD}
    url = f"/accounts/login/?next={next_url}" if next_url else "/accounts/login/"
    if next_url:
        data["next"] = next_url
    response = client.post(url, data)
    assert response.status_code == 302 and response.url == "/accounts/2fa/authenticate/", response
    return client.post("/accounts/2fa/authenticate/", {"code": totp_code(username)})


# --- menus -----------------------------------------------------------------------------


@pytest.mark.parametrize("username", list(MENUS))
def test_each_role_sees_only_the_menu_links_it_may_open_and_each_answers_200(demo_users, username):
    client = client_as(username)
    links = header_links(client.get("/").content.decode())
    assert links & RESTRICTED == MENUS[username]
    for link in sorted(links):
        response = client.get(link)
        assert response.status_code == 200, (username, link, response.status_code)


def test_the_city_admins_administration_link_opens_the_catalogue_and_the_calendar(demo_users):
    client = client_as("admin.city")
    index = client.get("/admin/").content.decode()
    for page in ("/admin/procedures/procedure/", "/admin/tiers/calendaroverride/"):
        assert f'href="{page}"' in index
        assert client.get(page).status_code == 200
    # Staff postings are the operator's (identity.access "posting.manage"), not the city admin's.
    assert 'href="/admin/tiers/posting/"' not in index
    assert client.get("/admin/tiers/posting/").status_code == 403


def test_a_staff_member_with_nothing_to_administer_gets_no_administration_link(demo_users):
    from govportal.tiers.services import posting_ensure

    user = User.objects.create_user(username="admin.new", password="Another-long-pass-42", is_staff=True)
    posting_ensure(user=user, unit=Unit.objects.get(code="79"), role="city_admin")
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "unused"})
    links = header_links(client_as("admin.new").get("/").content.decode())
    assert links & RESTRICTED == {"/overview/", "/dashboard/city/", "/payments/reports/", "/notifications/", "/me/"}


# --- landing after login -------------------------------------------------------------


@pytest.mark.parametrize("username", list(LANDINGS))
def test_staff_land_on_their_work_after_the_real_login(client, demo_users, username):
    response = staff_login(client, username)
    assert response.status_code == 302
    assert response.url == LANDINGS[username]
    assert client.get(response.url).status_code == 200


def test_a_next_parameter_still_wins_over_the_landing(client, demo_users):
    response = staff_login(client, "officer.benthanh", next_url="/notifications/")
    assert response.url == "/notifications/"


@pytest.mark.parametrize(
    ("username", "landing"), [(CITIZEN, "/me/"), ("officer.tuphap", "/workbench/"), ("admin.city", "/dashboard/city/")]
)
def test_the_login_page_sends_a_logged_in_user_to_their_landing(demo_users, username, landing):
    response = client_as(username).get("/login/")
    assert response.status_code == 302
    assert response.url == landing


# --- demo staff for every city-tier procedure ----------------------------------------------


def test_every_city_tier_procedure_reaches_a_department_with_a_demo_officer(demo_users):
    """Filed at a ward or at the department itself, routing hands each city-tier procedure of the catalogue
    to a unit where a demo officer (password + TOTP, as in the README) can work it."""
    catalogue_load()
    city_procedures = list(Procedure.objects.filter(tier="city", is_active=True))
    assert city_procedures
    demo_usernames = {staff.username for staff in DEMO_STAFF}
    rules = routing_rules()
    checked = set()
    for procedure in city_procedures:
        for receiving in (Unit.objects.get(code="26743"), procedure.handling_department):
            case = routing.CaseInfo(
                kind=routing.DOSSIER,
                tier=procedure.tier,
                receiving_unit_id=receiving.pk,
                department_id=procedure.handling_department_id,
                procedure_code=procedure.code,
                place_unit_id=receiving.pk,
            )
            unit_id = routing.decide_handling_unit(case, rules, department_name_of=unit_name).unit_id
            officers = Posting.objects.filter(
                unit_id=unit_id, role="officer", is_active=True, user__username__in=demo_usernames
            ).select_related("user")
            assert officers, f"{procedure.code}: no demo officer at {unit_name(unit_id)}"
            for posting in officers:
                if posting.user_id in checked:
                    continue  # a TOTP code is accepted once: check each officer once
                checked.add(posting.user_id)
                assert posting.user.check_password(DEMO_STAFF_PASSWORD)
                authenticator = Authenticator.objects.get(user=posting.user, type=Authenticator.Type.TOTP)
                assert authenticator.wrap().validate_code(totp_code(posting.user.username))


def test_demo_seeding_stays_idempotent(demo_users):
    from identity.services import demo_dataset_seed

    before = Posting.objects.count()
    counts = demo_dataset_seed()
    assert counts["created"] == 0
    assert Posting.objects.count() == before


# --- the home page -----------------------------------------------------------------------


@pytest.mark.parametrize("username", [None, CITIZEN, "officer.benthanh", "admin.city"])
def test_the_home_page_has_no_dead_links(demo_users, username):
    client = client_as(username)
    body = client.get("/").content.decode()
    links = {href.replace("&amp;", "&") for href in re.findall(r'<a [^>]*href="(/[^"#]*)"', body)}
    assert {"/procedures/", "/track/"} <= links
    for link in sorted(links):
        response = client.get(link)
        assert response.status_code in (200, 302), (link, response.status_code)


def test_the_home_page_advertises_nothing_that_is_not_there_yet(client, units, settings):
    """Online payment and online 1022 reports arrive with their own issues; until then, no promise."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = client.get("/").content.decode()
    assert "pay fees" not in body.lower()
    assert "payment" not in body.lower()
    assert "call the city's 1022 hotline" in body.replace("&#x27;", "'")
