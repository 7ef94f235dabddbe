"""Vietnamese everywhere: the pages a citizen, an officer and the city admin reach, in a real
browser, with no English left in what they read.

The check reads the visible text of each page (what a person sees, not the
HTML), leaves out what is English on purpose (the language switch offering
"English", text marked lang="en"), and looks for English giveaways: common
English words and phrases, and ISO dates where dd/mm/yyyy is due.
"""

import re

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

from identity.demo import DEMO_STAFF_PASSWORD, demo_totp_secret
from procedures import services
from tests.procedures.conftest import make_procedure, submitted_dossier

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Words and phrases that give English away. Proper nouns (VNeID, unit names) and
# the language switch are not in here; patterns are case-sensitive, so codes in
# capitals (HCM-THE-CAN-CUOC) are not read as English.
GIVEAWAYS = [
    r"\b[Tt]he\b",
    r"\b[Yy]our?\b",
    r"\b[Pp]lease\b",
    r"\b(?:and|or|of|to|for|with|from|is|are|was|has|have|not|no|this|that)\b",
    r"\bSubmit\b",
    r"\b[Pp]assword\b",
    r"\bSign\b",
    r"\bLog (?:in|out)\b",
    r"\bworking (?:days?|hours?)\b",
    r"\b[Ee]mail address",
    r"\b[Dd]ossiers?\b",
    r"\b[Pp]rocedures?\b",
    r"\b[Rr]ecovery codes?\b",
    r"\b[Aa]uthenticator\b",
    r"\b(?:Back|Next|Cancel|Confirm|Save|Remove|Change|Manage|Menu|Status|Due|Overdue|Received|Submitted)\b",
    r"\b\d{4}-\d{2}-\d{2}\b",  # ISO dates: the portal writes dd/mm/yyyy
    r"\b\d{1,2}:\d{2} ?[ap]\.?m\.?",  # 12-hour times
]
# Not inside a slug, a file name or an address (so-van-hoa-the-thao, giay-to.pdf).
GIVEAWAY = re.compile(r"(?<![-_/.@])(?:" + "|".join(f"(?:{pattern})" for pattern in GIVEAWAYS) + r")(?![-_/@]|\.\w)")

# What a person reads: the body's rendered text without the parts that are
# English on purpose.
VISIBLE_TEXT_JS = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('script, style, template, [hidden], [lang="en"], .language-switch, form[action$="/i18n/setlang/"]')
      .forEach((node) => node.remove());
  const titles = [document.title];
  body.querySelectorAll('[aria-label], [title], [placeholder], input[type=submit][value], img[alt]').forEach((node) => {
    for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
      if (node.getAttribute(name)) titles.push(node.getAttribute(name));
    }
    if (node.matches('input[type=submit]')) titles.push(node.value);
  });
  document.body.appendChild(body);
  body.style.position = 'absolute';
  const text = body.innerText;
  body.remove();
  return titles.join(' | ') + '\\n' + text;
}"""


def english_left(page) -> list[str]:
    text = page.evaluate(VISIBLE_TEXT_JS)
    found = []
    for line in text.splitlines():
        for match in GIVEAWAY.finditer(line):
            found.append(f"{match.group(0)!r} in {line.strip()[:120]!r}")
    return found


def assert_vietnamese(page, path: str | None = None):
    if path is not None:
        page.goto(path)
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "vi", page.url
    left = english_left(page)
    assert not left, f"English on {page.url}:\n" + "\n".join(left)


def totp_now(username: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(demo_totp_secret(username), counters[len(counters) // 2]))


@pytest.fixture
def portal(eid_at_live_server, units):
    from django.core.management import call_command

    from identity.models import User
    from identity.registry.services import registry_population_seed
    from identity.services import demo_dataset_seed

    registry_population_seed()
    demo_dataset_seed()
    call_command("load_catalogue", verbosity=0)
    citizen = User.objects.get(username="079085001234")
    dossier = submitted_dossier(make_procedure(code="TEST-KH", days=1), citizen)
    officer = User.objects.get(username="officer.benthanh")
    return services.dossier_transition(dossier=dossier, action="receive", actor=officer)


def new_page(browser, live_server):
    # The browser asks for English (en-US): the portal answers in Vietnamese all the same.
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def staff_logs_in(page, username: str):
    page.goto("/accounts/login/")
    assert_vietnamese(page)
    page.locator("input[name=login]").fill(username)
    page.locator("input[name=password]").fill(DEMO_STAFF_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    assert_vietnamese(page)
    page.locator("input[name=code]").fill(totp_now(username))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/accounts/" not in page.url


def test_the_citizen_reads_vietnamese_everywhere(browser, live_server, portal):
    page = new_page(browser, live_server)
    for path in ("/", "/procedures/", "/procedures/1.001193/", "/track/", f"/track/{portal.code}/", "/login/"):
        assert_vietnamese(page, path)

    page.get_by_role("button", name="Đăng nhập bằng VNeID").click()
    page.get_by_label("Nguyễn Văn An").check()
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/me/")
    assert_vietnamese(page)

    for path in ("/notifications/", "/my/dossiers/", f"/my/dossiers/{portal.code}/", "/procedures/TEST-KH/file/"):
        assert_vietnamese(page, path)
    page.get_by_role("button", name="Bắt đầu").click()
    page.wait_for_url("**/file/*/")
    assert_vietnamese(page)
    page.locator("input[name=f_partner_name]").fill("Phạm Thị Hoa")
    page.get_by_role("button", name="Xem lại trước khi nộp").click()
    page.wait_for_load_state()
    assert_vietnamese(page)

    # Login cancelled at the e-ID provider: allauth's page, in Vietnamese.
    assert_vietnamese(page, "/accounts/3rdparty/login/cancelled/")


def test_the_officer_reads_vietnamese_everywhere(browser, live_server, portal):
    page = new_page(browser, live_server)
    for path in ("/accounts/password/reset/", "/accounts/password/reset/key/1-set-password/"):
        assert_vietnamese(page, path)
    page.goto("/accounts/password/reset/")
    page.locator("input[name=email]").fill("nobody@example.com")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/password/reset/done/")
    assert_vietnamese(page)

    staff_logs_in(page, "officer.benthanh")
    for path in ("/me/", "/notifications/", "/workbench/", f"/workbench/dossiers/{portal.code}/"):
        assert_vietnamese(page, path)
    assert page.get_by_text("quy tắc 10: thủ tục cấp xã, do Phường Bến Thành giải quyết").count() == 1

    for path in ("/accounts/password/change/", "/accounts/email/", "/accounts/2fa/", "/accounts/3rdparty/"):
        assert_vietnamese(page, path)
    # A wrong current password: the form's errors are Vietnamese too.
    page.goto("/accounts/password/change/")
    page.locator("input[name=oldpassword]").fill("not-my-password")
    page.locator("input[name=password1]").fill("short")
    page.locator("input[name=password2]").fill("other")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert_vietnamese(page)

    # Recovery codes and the authenticator app ask for the password again first.
    page.goto("/accounts/2fa/recovery-codes/generate/")
    page.wait_for_url("**/reauthenticate/**")
    assert_vietnamese(page)
    page.locator("input[name=password]").fill(DEMO_STAFF_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/recovery-codes/generate/")
    assert_vietnamese(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/2fa/recovery-codes/")
    assert_vietnamese(page)
    assert_vietnamese(page, "/accounts/2fa/totp/deactivate/")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/2fa/")
    assert_vietnamese(page)
    # Setting the authenticator app up again: the QR code page and a wrong code.
    assert_vietnamese(page, "/accounts/2fa/totp/activate/")
    page.locator("input[name=code]").fill("000000")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert_vietnamese(page)

    page.goto("/accounts/logout/")
    assert_vietnamese(page)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert_vietnamese(page)


def test_the_city_admin_reads_vietnamese_everywhere(browser, live_server, portal):
    page = new_page(browser, live_server)
    staff_logs_in(page, "admin.city")
    assert_vietnamese(page)
    for path in (
        "/me/",
        "/units/",
        "/overview/",
        "/dashboard/city/",
        "/dashboard/city/?every=month&from=01/01/2026&to=31/13/2026",
        "/dashboard/unit/26743/",
        "/dashboard/unit/26743/late/?kind=dossiers",
        "/dashboard/unit/26743/late/?kind=reports",
        "/scorecard/",
        "/scorecard/?year=abc",
        "/scorecard/26743/",
        "/admin/",
        "/admin/procedures/procedure/",
        "/admin/tiers/calendaroverride/",
    ):
        assert_vietnamese(page, path)
    page.goto("/admin/procedures/procedure/")
    page.locator("#result_list tbody a").first.click()
    page.wait_for_load_state()
    assert_vietnamese(page)


def test_the_check_finds_english_left_in_a_page(browser, live_server, units):
    page = new_page(browser, live_server)
    page.goto("/")
    assert english_left(page) == []
    page.evaluate(
        """() => { const p = document.createElement('p');
        p.textContent = 'Request was throttled. Expected available in 1 working days, due 2026-11-30.';
        document.querySelector('main').appendChild(p); }"""
    )
    left = english_left(page)
    assert any(item.startswith("'working days'") for item in left), left
    assert any("2026-11-30" in item for item in left), left


def test_the_1022_pages_read_vietnamese_for_everyone(browser, live_server, portal):
    from feedback.models import Category
    from feedback.services import categories_load, report_create, report_transition
    from govportal.tiers.models import Unit
    from identity.models import User

    categories_load()
    citizen = User.objects.get(username="079085001234")
    officer = User.objects.get(username="officer.benthanh")
    place = Unit.objects.get(code="26743")
    category = Category.objects.get(code="trat-tu-do-thi")
    answered = report_create(
        category=category, text="Lấn chiếm vỉa hè trước số 12.", unit=place, address="12 Lê Lợi", reporter=citizen
    )
    answered.refresh_from_db()  # routed on commit by the routing task (eager here)
    answered = report_transition(report=answered, action="answer", actor=officer, note="Đã nhắc nhở hộ kinh doanh.")
    report_transition(
        report=answered, action="publish", actor=officer, public_text="Lấn chiếm vỉa hè.", public_answer="Đã xử lý."
    )
    waiting = report_create(
        category=category, text="Tiếng ồn ban đêm.", unit=place, address="Chợ Bến Thành", reporter=citizen
    )

    page = new_page(browser, live_server)
    for path in (
        "/feedback/new/",
        "/feedback/track/",
        f"/feedback/track/{answered.code}/",
        "/feedback/board/",
        f"/feedback/board/{answered.code}/",
    ):
        assert_vietnamese(page, path)

    page.goto("/login/")
    page.get_by_role("button", name="Đăng nhập bằng VNeID").click()
    page.get_by_label("Nguyễn Văn An").check()
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/me/")
    for path in ("/feedback/new/", "/feedback/mine/", f"/feedback/mine/{answered.code}/"):
        assert_vietnamese(page, path)

    staff = new_page(browser, live_server)
    staff_logs_in(staff, "officer.benthanh")
    for path in (
        "/workbench/reports/",
        f"/workbench/reports/{waiting.code}/",
        f"/workbench/reports/{answered.code}/",
        "/workbench/reports/record/",
    ):
        assert_vietnamese(staff, path)


def test_the_payment_pages_read_vietnamese(browser, live_server, portal):
    from identity.models import User
    from payments.gateways.base import sign
    from payments.services import callback_process, payment_create, payment_start
    from procedures.models import FeeLine

    officer = User.objects.get(username="officer.benthanh")
    citizen = User.objects.get(username="079085001234")
    FeeLine.objects.create(procedure=portal.procedure, kind="fee", name_vi="Lệ phí", amount_vnd=50_000)
    dossier = services.dossier_transition(dossier=portal, action="start_processing", actor=officer)
    dossier = services.dossier_transition(dossier=dossier, action="require_payment", actor=officer)
    payment = payment_create(subject=f"dossier:{dossier.code}", payer=citizen)
    payment_start(payment=payment, return_url=f"{live_server.url}/", client_ip="127.0.0.1", actor=citizen)
    notice = {
        "reference": payment.reference,
        "amount": "50000",
        "currency": "VND",
        "result_code": "00",
        "transaction_no": "SIM0000000001",
        "bank_code": "VCB",
    }
    from django.conf import settings

    notice["signature"] = sign(notice, settings.PAYGOV_SECRET)
    assert callback_process(notice)[0] == "00"
    payment.refresh_from_db()

    page = new_page(browser, live_server)
    assert_vietnamese(page, f"/receipts/verify/{payment.receipt_number}")
    page.goto("/login/")
    page.get_by_role("button", name="Đăng nhập bằng VNeID").click()
    page.get_by_label("Nguyễn Văn An").check()
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/me/")
    for path in (f"/payments/{payment.reference}/return/", f"/receipts/{payment.receipt_number}/"):
        assert_vietnamese(page, path)

    staff = new_page(browser, live_server)
    staff_logs_in(staff, "officer.benthanh")
    for path in ("/payments/unit/", "/payments/refunds/"):
        assert_vietnamese(staff, path)
