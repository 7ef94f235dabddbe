"""The demo dataset: citizens and staff that `make run` creates for trying the portal.

Demo only: `seed_demo` refuses to run unless DEMO_ENABLED is on (never in
production settings). Passwords are printed in the README on purpose.
"""

from dataclasses import dataclass
from datetime import date

DEMO_STAFF_PASSWORD = "Demo-govportal-2026"


def demo_totp_secret(username: str) -> str:
    """A fixed TOTP secret per demo staff member, so the README can print it (demo only)."""
    import base64
    import hashlib

    return base64.b32encode(hashlib.sha1(f"govportal-demo-totp:{username}".encode()).digest()).decode()


@dataclass(frozen=True)
class DemoCitizen:
    username: str
    personal_id: str
    full_name: str
    birth_date: date
    residence_unit_code: str
    eid_level: int


@dataclass(frozen=True)
class DemoStaff:
    username: str
    full_name: str
    unit_code: str
    role: str
    is_superuser: bool = False


# The admin pages a demo city admin works in (identity.access: "catalogue.edit", "calendar.edit"): a group
# like the one an operator sets up for real city admins. Operators are superusers and need none.
CITY_ADMIN_GROUP = "City administrators"
CITY_ADMIN_PERMISSIONS = [
    f"{action}_{model}"
    for model in ("procedure", "feeline", "requireddocument", "calendaroverride")
    for action in ("view", "add", "change", "delete")
    if not (model == "procedure" and action == "delete")  # a procedure is switched off, never deleted
]

DEMO_CITIZENS = [
    DemoCitizen("079085001234", "079085001234", "Nguyễn Văn An", date(1985, 3, 12), "26743", 2),
    DemoCitizen("079190004567", "079190004567", "Trần Thị Bình", date(1990, 7, 4), "26740", 2),
    DemoCitizen("079201112233", "079201112233", "Lê Minh Châu", date(2001, 11, 23), "26743", 1),
]

DEMO_STAFF = [
    DemoStaff("officer.benthanh", "Phạm Thu Hà", "26743", "officer"),
    DemoStaff("head.benthanh", "Võ Quốc Huy", "26743", "head"),
    DemoStaff("officer.saigon", "Đặng Mỹ Linh", "26740", "officer"),
    DemoStaff("head.saigon", "Bùi Thanh Sơn", "26740", "head"),
    DemoStaff("officer.tuphap", "Hoàng Gia Khánh", "so-tu-phap", "officer"),
    # One officer at each department that a city-tier procedure of the catalogue is routed to,
    # so every city-tier procedure can be worked end to end with demo accounts.
    DemoStaff("officer.congan", "Trịnh Văn Phúc", "cong-an-thanh-pho", "officer"),
    DemoStaff("officer.taichinh", "Lý Thị Ngọc", "so-tai-chinh", "officer"),
    DemoStaff("officer.noivu", "Đỗ Minh Tuấn", "so-noi-vu", "officer"),
    DemoStaff("officer.nongnghiep", "Châu Thị Hồng", "so-nong-nghiep-moi-truong", "officer"),
    DemoStaff("officer.attp", "Mai Văn Lộc", "so-an-toan-thuc-pham", "officer"),
    DemoStaff("admin.city", "Ngô Thị Mai", "79", "city_admin"),
    DemoStaff("operator", "System operator", "79", "city_admin", is_superuser=True),
]
