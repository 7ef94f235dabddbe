"""City-scale synthetic cases for the dashboards' benchmarks and demos (`manage.py generate_city_data`).

Dossiers and 1022 reports over the last `days` days, for every active unit,
with the rows the indicators read (fee events, gateway payments, electronic
files and results), written with PostgreSQL COPY in batches: a million
dossiers in minutes, not the hours the services would take. The timeline of
each case is planned first (receipt, legal due date, supplement and payment
pauses, decision, return) and then cut at "now", so recent cases are still
open and the status mix follows from the dates, consistent with the legal
clock (`govportal.cases.models.overdue_q`).

Every synthetic row carries a marker (`SYN-` dossier codes, `SYNR-` report
codes, `SYNP` payment references, `synthetic/` stored file names,
`syn-citizen-` users), so `delete_synthetic` removes exactly them. Never for a
production database: the command refuses unless DEMO_ENABLED or `--allow`.
"""

from __future__ import annotations

import io
import json
import random
import time
import uuid
from bisect import bisect_left
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

DOSSIER_PREFIX = "SYN-"
REPORT_PREFIX = "SYNR-"
PAYMENT_PREFIX = "SYNP"
RECEIPT_PREFIX = "SYNBL-"
FILE_PREFIX = "synthetic/"
USER_PREFIX = "syn-citizen-"
STAFF_USERNAME = "syn-clerk"

DAY = 86400.0
HOUR = 3600.0
LOCAL_OFFSET = 7 * HOUR  # Asia/Ho_Chi_Minh: UTC+7 all year, no daylight saving

# How often things happen (shares of all dossiers or reports); the unit's own quality moves some of them.
NOT_RECEIVED = 0.015
WITHDRAWN = 0.015
STOPPED = 0.01
REFUSED = 0.04
STUCK = 0.004  # received and never finished: open past due for good
SUPPLEMENTS = ((0, 0.85), (1, 0.12), (2, 0.03))
RATING_WEIGHTS = (3, 4, 13, 35, 45)  # 1..5 stars
# Fields of the catalogue with the share of dossiers they get (the rest share "other").
FIELD_WEIGHTS = {
    "certification": 26,
    "civil_status": 24,
    "residence": 18,
    "land": 7,
    "business": 6,
    "social": 5,
    "construction": 4,
    "education": 3,
    "justice": 3,
    "transport": 2,
    "health": 1,
    "labour": 1,
}
REPORT_CHANNELS = (("web", 40), ("app", 30), ("hotline", 20), ("email", 4), ("messaging", 4), ("open311", 2))
REPORT_TEXTS = (
    "Ổ gà lớn giữa đường, xe máy dễ té ngã vào buổi tối.",
    "Nước ngập sâu sau mỗi trận mưa, cống thoát nước bị tắc.",
    "Đèn đường không sáng nhiều đêm liền, khu vực tối và nguy hiểm.",
    "Rác thải tập kết trên vỉa hè nhiều ngày chưa được thu gom.",
    "Tiếng ồn từ công trình xây dựng kéo dài sau 22 giờ.",
    "Cây xanh nghiêng, có nguy cơ ngã đổ khi mưa gió.",
    "Lấn chiếm vỉa hè để kinh doanh, người đi bộ phải xuống lòng đường.",
    "Hồ sơ nộp đã quá hẹn nhưng chưa nhận được kết quả.",
)
STREETS = (
    "Lê Lợi",
    "Nguyễn Huệ",
    "Hai Bà Trưng",
    "Trần Hưng Đạo",
    "Điện Biên Phủ",
    "Cách Mạng Tháng Tám",
    "Võ Văn Tần",
)
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ")
MIDDLE = ("Văn", "Thị", "Minh", "Ngọc", "Hữu", "Thanh", "Quốc", "Thu")
GIVEN = ("An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hương", "Khoa", "Lan", "Linh", "Nam", "Phúc", "Tâm")

DOSSIER_COLUMNS = (
    "id uuid code routing_reason routed_at status status_before_pause form_data reused_data submitted_at received_at "
    "due_at paused_at remaining_hours decided_at closed_at outcome supplement_count transfer_count version created_at "
    "updated_at applicant_id assigned_to_id handling_unit_id receiving_unit_id procedure_id transfer_reason channel "
    "satisfaction"
).split()
EVENT_COLUMNS = "dossier_id actor_id action from_status to_status unit_id note data at".split()
DOCUMENT_COLUMNS = (
    "dossier_id key role original_name stored_name content_type size sha256 uploaded_by_id uploaded_at".split()
)
PAYMENT_COLUMNS = (
    "reference subject description payer_id unit_id amount_vnd currency status gateway gateway_transaction_no "
    "bank_code result_code created_at started_at expires_at finished_at paid_at receipt_number idempotency_key "
    "request_hash version"
).split()
REPORT_COLUMNS = (
    "id routing_reason routed_at submitted_at received_at due_at decided_at closed_at transfer_count transfer_reason "
    "version created_at updated_at code text address latitude longitude contact_name contact_phone contact_email "
    "channel status answer answered_at rejection_reason satisfaction reopen_count is_public applicant_id "
    "assigned_to_id category_id duplicate_of_id handling_unit_id receiving_unit_id unit_id public_answer public_text"
).split()


class SyntheticError(Exception):
    """The data set cannot be generated here (not PostgreSQL, nothing to generate for)."""


# --- reference data ----------------------------------------------------------------------------


@dataclass
class ProcedureInfo:
    id: int
    tier: str
    field: str
    department_id: int | None
    limit_value: float
    limit_unit: str
    online_full: bool
    fee: int
    name: str
    reusable_fields: list[str]
    reusable_documents: list[str]
    application_key: str


@dataclass
class UnitInfo:
    id: int
    code: str  # filing code (or unit code) used in dossier codes
    name: str
    weight: float  # how busy
    late: float  # share of dossiers decided late
    online: float  # share filed online
    digital: float  # share with electronic result
    pay_online: float  # share of fees paid through the gateway
    staff: list[int] = field(default_factory=list)


@dataclass
class Reference:
    procedures: list[ProcedureInfo]
    procedure_weights: list[float]
    commune_units: list[UnitInfo]
    unit_weights: list[float]
    departments: dict[int, UnitInfo]
    categories: list[tuple[int, str, int | None, int]]  # id, tier, department id, time limit (working days)
    applicants: list[int]
    clerk_id: int


def _quality(rng: random.Random) -> dict:
    """A unit's habits: most units do well, a few lag (so the scoreboard has both greens and reds)."""
    good = rng.random() < 0.75
    return {
        "late": rng.uniform(0.005, 0.04) if good else rng.uniform(0.05, 0.25),
        "online": rng.uniform(0.75, 0.97) if good else rng.uniform(0.4, 0.8),
        "digital": rng.uniform(0.85, 0.99) if good else rng.uniform(0.5, 0.9),
        "pay_online": rng.uniform(0.55, 0.9) if good else rng.uniform(0.2, 0.6),
    }


def load_reference(rng: random.Random, *, users: int) -> Reference:
    from feedback.models import Category
    from govportal.tiers.models import Posting, Unit
    from procedures.models import Procedure

    procedures, weights = [], []
    for procedure in Procedure.objects.filter(is_active=True).prefetch_related("documents", "fee_lines"):
        if procedure.tier == "city" and procedure.handling_department_id is None:
            continue
        documents = list(procedure.documents.all())
        own = [d.key for d in documents if not d.replaceable_by_registry] or ["don"]
        procedures.append(
            ProcedureInfo(
                id=procedure.pk,
                tier=procedure.tier,
                field=procedure.field,
                department_id=procedure.handling_department_id,
                limit_value=float(procedure.time_limit_value),
                limit_unit=procedure.time_limit_unit,
                online_full=procedure.online_level == "full",
                fee=sum(line.amount_vnd for line in procedure.fee_lines.all()),
                name=procedure.name_vi[:150],
                reusable_fields=[spec["name"] for spec in procedure.form_fields if spec.get("prefill")],
                reusable_documents=[d.key for d in documents if d.replaceable_by_registry],
                application_key=own[0],
            )
        )
    if not procedures:
        raise SyntheticError("The catalogue is empty: run `manage.py setup_portal` (or `make setup`) first.")
    by_field: dict[str, int] = {}
    for info in procedures:
        by_field[info.field] = by_field.get(info.field, 0) + 1
    for info in procedures:
        weights.append(FIELD_WEIGHTS.get(info.field, 1) / by_field[info.field] * rng.uniform(0.5, 1.5))

    staff: dict[int, list[int]] = {}
    for unit_id, user_id in Posting.objects.filter(is_active=True, role__in=["officer", "head"]).values_list(
        "unit_id", "user_id"
    ):
        staff.setdefault(unit_id, []).append(user_id)

    commune, departments = [], {}
    for unit in Unit.objects.filter(is_active=True).order_by("code"):
        info = UnitInfo(
            id=unit.pk,
            code=unit.filing_code or unit.code,
            name=unit.name,
            weight=rng.lognormvariate(0, 0.5),
            staff=staff.get(unit.pk, []),
            **_quality(rng),
        )
        if unit.tier == "commune":
            commune.append(info)
        elif unit.kind == "department":
            departments[unit.pk] = info
    if not commune:
        raise SyntheticError("No active commune-level unit: run `manage.py setup_portal` (or `make setup`) first.")
    for info in procedures:
        if info.department_id is not None and info.department_id not in departments:
            departments[info.department_id] = UnitInfo(
                info.department_id, str(info.department_id), "", 1.0, **_quality(rng)
            )

    categories = list(
        Category.objects.filter(is_active=True).values_list(
            "id", "tier", "handling_department_id", "time_limit_working_days"
        )
    )
    for _, _tier, department_id, _limit in categories:
        if department_id is not None and department_id not in departments:
            departments[department_id] = UnitInfo(department_id, str(department_id), "", 1.0, **_quality(rng))
    return Reference(
        procedures=procedures,
        procedure_weights=weights,
        commune_units=commune,
        unit_weights=[unit.weight for unit in commune],
        departments=departments,
        categories=categories,
        applicants=applicants_ensure(rng, users, [unit.id for unit in commune]),
        clerk_id=_clerk(),
    )


def applicants_ensure(rng: random.Random, count: int, unit_ids: list[int]) -> list[int]:
    """The demo citizens and `count` synthetic citizens (created once with bulk_create, valid personal IDs)."""
    from identity.models import User
    from identity.personal_id import parse_personal_id

    existing = dict(User.objects.filter(username__startswith=USER_PREFIX).values_list("username", "pk"))
    taken = set(User.objects.exclude(personal_id=None).values_list("personal_id", flat=True))
    new = []
    for n in range(1, count + 1):
        username = f"{USER_PREFIX}{n:05d}"
        if username in existing:
            continue
        year = rng.randint(1950, 2006)
        sex = rng.randint(0, 1)
        digit = str((0 if year < 2000 else 2) + sex)
        personal_id = f"079{digit}{year % 100:02d}{700000 + n:06d}"
        if personal_id in taken:
            continue
        parse_personal_id(personal_id)  # valid by construction; checked anyway
        new.append(
            User(
                username=username,
                password="!synthetic",  # unusable: citizens log in with their e-ID only
                personal_id=personal_id,
                full_name=f"{rng.choice(SURNAMES)} {MIDDLE[sex * 4 + rng.randint(0, 3)]} {rng.choice(GIVEN)}",
                birth_date=date(year, rng.randint(1, 12), rng.randint(1, 28)),
                eid_level=2,
                residence_unit_id=rng.choice(unit_ids),
            )
        )
    User.objects.bulk_create(new, batch_size=2000)
    ids = list(User.objects.filter(username__startswith=USER_PREFIX).values_list("pk", flat=True))
    ids += list(User.objects.filter(eid_level__isnull=False).exclude(personal_id=None).values_list("pk", flat=True))
    return sorted(set(ids))


def _clerk() -> int:
    """The account that uploads synthetic results (no posting: it never appears in a unit's staff)."""
    from identity.models import User

    user, _ = User.objects.get_or_create(
        username=STAFF_USERNAME, defaults={"password": "!synthetic", "full_name": "Synthetic clerk"}
    )
    return user.pk


# --- working days ----------------------------------------------------------------------------


class WorkingDays:
    """Local working days (weekends, Vietnamese holidays, make-up days) as epoch midnights, for fast due dates."""

    def __init__(self, first: date, last: date):
        from govportal.tiers.selectors import work_calendar

        calendar = work_calendar()
        self.first = first
        self.midnights: list[float] = []
        day = first
        while day <= last:
            if calendar.sessions_on(day):
                self.midnights.append(local_midnight(day))
            day += timedelta(days=1)

    def index(self, instant: float) -> int:
        """The working day of this instant, or the next one."""
        midnight = instant - ((instant + LOCAL_OFFSET) % DAY)
        return bisect_left(self.midnights, midnight)

    def add(self, instant: float, days: float) -> float:
        """`days` working days after `instant` (same time of day; from 07:30 when it falls outside a working day)."""
        i = self.index(instant)
        if i >= len(self.midnights):
            return instant + days * 1.4 * DAY
        start = self.midnights[i]
        if instant < start:  # a weekend or holiday: the clock starts at the next opening
            instant = start + 7.5 * HOUR
        whole = int(days)
        part = days - whole
        j = min(i + whole, len(self.midnights) - 1)
        return instant + (self.midnights[j] - start) + part * 9.5 * HOUR


def local_midnight(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() - LOCAL_OFFSET


# --- COPY ----------------------------------------------------------------------------------------


def _ts(value: float | None) -> str:
    if value is None:
        return "\\N"
    return datetime.fromtimestamp(value, UTC).isoformat()


def _text(value) -> str:
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


class Copier:
    """Rows written to one table with COPY on the Django connection's psycopg connection."""

    seconds = 0.0  # time spent in COPY, all tables (the phases' timings split generating from writing)

    def __init__(self, table: str, columns: list[str]):
        self.table, self.columns = table, columns
        self.buffer = io.StringIO()
        self.count = 0

    def add(self, values) -> None:
        self.buffer.write("\t".join(values))
        self.buffer.write("\n")
        self.count += 1

    def flush(self) -> int:
        written = self.count
        started = time.monotonic()
        if written:
            connection.ensure_connection()
            with connection.connection.cursor() as cursor:
                with cursor.copy(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN") as copy:
                    copy.write(self.buffer.getvalue())
        Copier.seconds += time.monotonic() - started
        self.buffer = io.StringIO()
        self.count = 0
        return written


def _fast_commit() -> None:
    """Synthetic rows can be made again: no need to wait for the WAL flush at each batch's commit."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


def reserve_ids(table: str, count: int) -> list[int]:
    """`count` consecutive fresh ids from the table's identity sequence (rows then carry them, for their children).

    Inside the batch's transaction: the lock holds other writers of the table
    (not its readers) until the commit, so no insert can take an id from the
    range between `nextval` and `setval`.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence(%s, 'id'), nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1)",
            [table, table, count],
        )
        (last,) = cursor.fetchone()
    return list(range(last - count + 1, last + 1))


# --- the generator -----------------------------------------------------------------------------


@dataclass
class Totals:
    dossiers: int = 0
    events: int = 0
    documents: int = 0
    payments: int = 0
    reports: int = 0
    statuses: dict = field(default_factory=dict)
    report_statuses: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)


class Generator:
    def __init__(self, *, days: int = 730, seed: int = 1, batch: int = 50000, users: int = 3000, now=None, log=None):
        self.rng = random.Random(seed)
        self.days, self.batch, self.users = days, batch, users
        self.now = (now or timezone.now()).timestamp()
        self.log = log or (lambda message: None)
        self.totals = Totals()
        Copier.seconds = 0.0

    # setup

    def prepare(self) -> None:
        started = time.monotonic()
        self.ref = load_reference(self.rng, users=self.users)
        today = datetime.fromtimestamp(self.now + LOCAL_OFFSET, UTC).date()
        self.first_day = today - timedelta(days=self.days - 1)
        self.work = WorkingDays(self.first_day - timedelta(days=7), today + timedelta(days=400))
        # Filing days: more cases lately (the city's digital uptake), few at weekends (online only).
        self.day_midnights, weights = [], []
        for n in range(self.days):
            day = self.first_day + timedelta(days=n)
            self.day_midnights.append(local_midnight(day))
            weights.append((1 + 0.5 * n / max(1, self.days)) * (0.12 if day.weekday() >= 5 else 1.0))
        self.day_cumulative = _cumulative(weights)
        self.unit_cumulative = _cumulative(self.ref.unit_weights)
        self.procedure_cumulative = _cumulative(self.ref.procedure_weights)
        self.totals.seconds["prepare"] = round(time.monotonic() - started, 2)

    def _filing_instant(self, online: bool) -> float:
        rng = self.rng
        midnight = self.day_midnights[bisect_left(self.day_cumulative, rng.random() * self.day_cumulative[-1])]
        if online and rng.random() < 0.35:
            instant = midnight + rng.uniform(0, DAY)  # online: any hour
        else:
            instant = midnight + rng.uniform(7.5 * HOUR, 17 * HOUR)
        return min(instant, self.now - 60)

    def _pick(self, items, cumulative):
        return items[bisect_left(cumulative, self.rng.random() * cumulative[-1])]

    # dossiers

    def dossiers(self, count: int) -> None:
        started = time.monotonic()
        done = 0
        while done < count:
            size = min(self.batch, count - done)
            with transaction.atomic():
                _fast_commit()
                self._dossier_batch(size)
                committing = time.monotonic()
            commit = self.totals.seconds.get("dossiers_commit", 0) + time.monotonic() - committing
            self.totals.seconds["dossiers_commit"] = round(commit, 2)
            done += size
            self.log(f"  dossiers: {done:,}/{count:,} ({time.monotonic() - started:.0f} s)")
        self.totals.seconds["dossiers"] = round(time.monotonic() - started, 2)
        self.totals.seconds["dossiers_copy"] = round(Copier.seconds, 2)

    def _dossier_batch(self, size: int) -> None:
        rng, now, ref = self.rng, self.now, self.ref
        dossiers = Copier("procedures_dossier", DOSSIER_COLUMNS)
        events = Copier("procedures_dossierevent", EVENT_COLUMNS)
        documents = Copier("procedures_dossierdocument", DOCUMENT_COLUMNS)
        payments = Copier("payments_payment", PAYMENT_COLUMNS)
        statuses = self.totals.statuses
        for dossier_id in reserve_ids("procedures_dossier", size):
            procedure = self._pick(ref.procedures, self.procedure_cumulative)
            place = self._pick(ref.commune_units, self.unit_cumulative)
            handler = ref.departments[procedure.department_id] if procedure.tier == "city" else place
            online = rng.random() < (handler.online if procedure.online_full else handler.online * 0.6)
            submitted = self._filing_instant(online)
            applicant = rng.choice(ref.applicants)
            code = f"{DOSSIER_PREFIX}{place.code}-{dossier_id}"
            row = _DossierRow(submitted=submitted, routed=submitted + rng.uniform(1, 30))
            self._dossier_timeline(row, procedure, handler, online, now)
            status = row.status
            statuses[status] = statuses.get(status, 0) + 1
            assigned = rng.choice(handler.staff) if handler.staff and row.received is not None else None
            # Data reused from the registry (online filing reads the registry; the counter less often).
            reused = "{}"
            if (procedure.reusable_fields or procedure.reusable_documents) and rng.random() < (0.75 if online else 0.3):
                fields = [name for name in procedure.reusable_fields if rng.random() < 0.85]
                documents_reused = [key for key in procedure.reusable_documents if rng.random() < 0.8]
                reused = json.dumps({"fields": fields, "documents": documents_reused}, separators=(",", ":"))
            satisfaction = None
            if status == "result_returned" and rng.random() < 0.35:
                satisfaction = rng.choices((1, 2, 3, 4, 5), weights=RATING_WEIGHTS)[0]
                if row.late and satisfaction > 2 and rng.random() < 0.5:
                    satisfaction -= 2
            dossiers.add(
                (
                    str(dossier_id),
                    str(uuid.uuid4()),  # random, not seeded: a second run adds new dossiers
                    code,
                    "synthetic",
                    _ts(row.routed),
                    status,
                    row.before_pause,
                    "{}",
                    reused,
                    _ts(submitted),
                    _ts(row.received),
                    _ts(row.due),
                    _ts(row.paused),
                    "\\N" if row.remaining is None else f"{row.remaining:.2f}",
                    _ts(row.decided),
                    _ts(row.closed),
                    row.outcome,
                    str(row.supplements),
                    "0",
                    str(row.version),
                    _ts(submitted - rng.uniform(120, 3600)),
                    _ts(row.updated),
                    str(applicant),
                    "\\N" if assigned is None else str(assigned),
                    str(handler.id),
                    str(place.id),
                    str(procedure.id),
                    "",
                    "online" if online else "counter",
                    "\\N" if satisfaction is None else str(satisfaction),
                )
            )
            if row.paid is not None:
                paid_online = rng.random() < handler.pay_online
                reference = f"{PAYMENT_PREFIX}{dossier_id}"
                events.add(
                    (
                        str(dossier_id),
                        "\\N",
                        "payment_received",
                        "payment_required",
                        "processing",
                        str(handler.id),
                        reference if paid_online else "Paid at the counter",
                        "{}",
                        _ts(row.paid),
                    )
                )
                if paid_online:
                    payments.add(
                        (
                            reference,
                            f"dossier:{code}",
                            _text(f"{code} {procedure.name}"[:255]),
                            str(applicant),
                            str(handler.id),
                            str(procedure.fee),
                            "VND",
                            "succeeded",
                            "paygov-sim",
                            f"SYN{dossier_id}",
                            "NCB",
                            "00",
                            _ts(row.paid - 300),
                            _ts(row.paid - 240),
                            _ts(row.paid + 900),
                            _ts(row.paid),
                            _ts(row.paid),
                            f"{RECEIPT_PREFIX}{dossier_id}",
                            "",
                            "",
                            "1",
                        )
                    )
            # Electronic files: every online dossier, some counter ones (scanned); an electronic result for most.
            if online or rng.random() < handler.digital * 0.4:
                documents.add(
                    (
                        str(dossier_id),
                        procedure.application_key,
                        "application",
                        "don.pdf",
                        f"{FILE_PREFIX}{dossier_id}-a.pdf",
                        "application/pdf",
                        str(rng.randint(40_000, 900_000)),
                        "0" * 64,
                        str(applicant),
                        _ts(submitted - 60),
                    )
                )
                if row.decided is not None and row.outcome == "approved" and rng.random() < handler.digital:
                    documents.add(
                        (
                            str(dossier_id),
                            "",
                            "result",
                            "ket-qua.pdf",
                            f"{FILE_PREFIX}{dossier_id}-r.pdf",
                            "application/pdf",
                            str(rng.randint(40_000, 400_000)),
                            "f" * 64,
                            str(assigned or ref.clerk_id),
                            _ts(row.decided),
                        )
                    )
        self.totals.dossiers += dossiers.flush()
        self.totals.events += events.flush()
        self.totals.documents += documents.flush()
        self.totals.payments += payments.flush()

    def _due(self, procedure: ProcedureInfo, received: float) -> float:
        value = procedure.limit_value
        if procedure.limit_unit == "working_hours":
            return self.work.add(received, value / 8)
        if procedure.limit_unit == "working_days":
            return self.work.add(received, value)
        end = received + value * DAY
        i = self.work.index(end)
        return (self.work.midnights[i] if i < len(self.work.midnights) else end) + 17 * HOUR

    def _dossier_timeline(self, row: _DossierRow, procedure: ProcedureInfo, unit: UnitInfo, online: bool, now: float):
        """Plan the dossier's life, then keep what happened by `now`."""
        rng = self.rng
        draw = rng.random()
        received = row.submitted + (rng.uniform(0.05, 1.2) * DAY if online else rng.uniform(10, 600))
        if received > now:
            row.status = "submitted"
            return
        if draw < NOT_RECEIVED:
            row.status, row.closed, row.updated = "not_received", received, received
            return
        row.received = received
        due = self._due(procedure, received)
        span = max(due - received, HOUR)
        # Pauses: supplements the citizen owes, then the fee the unit asks for.
        pauses = []
        supplements = rng.choices((0, 1, 2), weights=[w for _, w in SUPPLEMENTS])[0]
        at = received + rng.uniform(0.05, 0.3) * span
        for _ in range(supplements):
            length = rng.uniform(0.5, 10) * DAY
            pauses.append(("supplement_requested", at, at + length))
            at += length + rng.uniform(0.05, 0.2) * span
        if procedure.fee > 0:
            length = rng.uniform(0.05, 3) * DAY
            pauses.append(("payment_required", at, at + length))
        late = rng.random() < unit.late
        work = (rng.uniform(1.02, 1.8) if late else rng.uniform(0.15, 0.97)) * span
        finish = received + work + sum(end - start for _, start, end in pauses)
        if pauses and finish < pauses[-1][2]:
            finish = pauses[-1][2] + rng.uniform(0.01, 0.05) * span
        stuck = rng.random() < STUCK
        ending = rng.random()
        if ending < WITHDRAWN:
            closed = received + rng.uniform(0.1, 0.9) * span
            if closed <= now:
                row.status, row.closed, row.due, row.updated = "withdrawn", closed, due, closed
                row.version = 3
                return
        row.version = 2  # submitted, received
        extended = due
        for status, start, end in pauses:
            if start > now or (start > finish and not stuck):
                break
            if status == "supplement_requested":
                row.supplements += 1
            if end > now:  # paused now
                row.status, row.before_pause, row.paused = status, "processing", start
                row.due = extended
                row.remaining = max(0.0, (extended - start) / HOUR * 8 / 24)
                row.updated = start
                row.version += 1
                return
            extended += end - start
            row.version += 2
            if status == "payment_required":
                row.paid = end
        row.due = extended
        row.late = late
        if stuck or finish > now:
            row.status = "received" if now < received + 0.1 * span else "processing"
            row.updated = min(now, received + 0.1 * span)
            return
        if ending < WITHDRAWN + STOPPED:
            row.status, row.closed, row.updated = "stopped", finish, finish
            row.version += 1
            return
        row.decided = finish
        row.outcome = "refused" if rng.random() < REFUSED else "approved"
        returned = finish + rng.uniform(0.02, 2.5) * DAY
        row.version += 2
        if returned > now:
            row.status, row.updated = "decided", finish
        else:
            row.status, row.closed, row.updated = "result_returned", returned, returned
            row.version += 1

    # reports

    def reports(self, count: int) -> None:
        started = time.monotonic()
        done = 0
        self._recent: dict[tuple[int, int], tuple[int, float]] = {}
        while done < count:
            size = min(self.batch, count - done)
            with transaction.atomic():
                _fast_commit()
                self._report_batch(size)
            done += size
            self.log(f"  reports: {done:,}/{count:,} ({time.monotonic() - started:.0f} s)")
        self.totals.seconds["reports"] = round(time.monotonic() - started, 2)
        self.totals.seconds["reports_copy"] = round(Copier.seconds - self.totals.seconds.get("dossiers_copy", 0), 2)

    def _report_batch(self, size: int) -> None:
        rng, now, ref = self.rng, self.now, self.ref
        reports = Copier("feedback_report", REPORT_COLUMNS)
        statuses = self.totals.report_statuses
        channels = [name for name, _ in REPORT_CHANNELS]
        channel_weights = [weight for _, weight in REPORT_CHANNELS]
        ids = reserve_ids("feedback_report", size)
        # Filing instants in order within the batch, so a duplicate points to an earlier report.
        instants = sorted(self._filing_instant(True) for _ in ids)
        for report_id, submitted in zip(ids, instants, strict=True):
            category_id, tier, department_id, limit = rng.choice(ref.categories)
            place = self._pick(ref.commune_units, self.unit_cumulative)
            handler = ref.departments[department_id] if tier == "city" and department_id else place
            received = submitted
            routed = submitted + rng.uniform(1, 60)
            due = self.work.add(received, limit)
            span = max(due - received, HOUR)
            status, decided, closed, answered, rejection, duplicate_of = "routed", None, None, None, "", None
            reopen, satisfaction, answer, version, updated = 0, None, "", 1, routed
            draw = rng.random()
            earlier = self._recent.get((category_id, place.id))
            if routed > now:
                status, routed, updated, version = "new", None, submitted, 0
            elif draw < 0.03 and earlier and submitted - earlier[1] < 20 * DAY:
                status, rejection, duplicate_of = "rejected", "duplicate", earlier[0]
                decided = updated = submitted + rng.uniform(0.1, 1) * DAY
                version = 2
            elif draw < 0.05:
                status, rejection = "rejected", rng.choice(("not_public_matter", "spam"))
                decided = updated = submitted + rng.uniform(0.1, 2) * DAY
                version = 2
            else:
                late = rng.random() < handler.late * 1.5
                answer_at = received + (rng.uniform(1.02, 1.8) if late else rng.uniform(0.1, 0.97)) * span
                stuck = rng.random() < STUCK
                if stuck or answer_at > now:
                    started_at = received + rng.uniform(0.02, 0.2) * span
                    if started_at <= now:
                        status, updated, version = "in_progress", started_at, 2
                else:
                    status, decided, answered, updated, version = "answered", answer_at, answer_at, answer_at, 3
                    answer = "Đơn vị đã tiếp nhận và xử lý phản ánh."
                    if rng.random() < 0.05:  # reopened within 7 days, answered again to the same legal date
                        reopen = 1
                        reopened = answer_at + rng.uniform(0.2, 6) * DAY
                        again = reopened + rng.uniform(0.5, 6) * DAY
                        if reopened <= now:
                            version += 1
                            if again > now:
                                status, decided, answered, updated = "in_progress", None, None, reopened
                            else:
                                decided = answered = updated = again
                                version += 1
                    if answered is not None:
                        if rng.random() < 0.3:
                            satisfaction = rng.choices((1, 2, 3, 4, 5), weights=RATING_WEIGHTS)[0]
                            if reopen and satisfaction > 2:
                                satisfaction -= 2
                        close_at = answered + 7 * DAY
                        if close_at <= now:
                            status, closed, updated = "closed", close_at, close_at
                            version += 1
            self._recent[(category_id, place.id)] = (report_id, submitted)
            statuses[status] = statuses.get(status, 0) + 1
            applicant = rng.choice(ref.applicants) if rng.random() < 0.6 else None
            located = rng.random() < 0.5
            assigned = rng.choice(handler.staff) if handler.staff and status != "new" else None
            reports.add(
                (
                    str(report_id),
                    "synthetic",
                    _ts(routed),
                    _ts(submitted),
                    _ts(received),
                    _ts(due),
                    _ts(decided),
                    _ts(closed),
                    "0",
                    "",
                    str(version),
                    _ts(submitted),
                    _ts(updated),
                    f"{REPORT_PREFIX}{place.code}-{report_id}",
                    rng.choice(REPORT_TEXTS),
                    f"Số {rng.randint(1, 400)} đường {rng.choice(STREETS)}, {place.name}"[:300],
                    f"{rng.uniform(10.70, 10.88):.6f}" if located else "\\N",
                    f"{rng.uniform(106.60, 106.80):.6f}" if located else "\\N",
                    "" if applicant else "Người phản ánh",
                    "" if applicant else f"09{rng.randint(10_000_000, 99_999_999)}",
                    "",
                    rng.choices(channels, weights=channel_weights)[0],
                    status,
                    answer,
                    _ts(answered),
                    rejection,
                    "\\N" if satisfaction is None else str(satisfaction),
                    str(reopen),
                    "f",
                    "\\N" if applicant is None else str(applicant),
                    "\\N" if assigned is None else str(assigned),
                    str(category_id),
                    "\\N" if duplicate_of is None else str(duplicate_of),
                    "\\N" if status == "new" else str(handler.id),
                    str(place.id),
                    str(place.id),
                    "",
                    "",
                )
            )
        self.totals.reports += reports.flush()


@dataclass
class _DossierRow:
    submitted: float
    routed: float
    status: str = ""
    received: float | None = None
    due: float | None = None
    paused: float | None = None
    remaining: float | None = None
    decided: float | None = None
    closed: float | None = None
    paid: float | None = None
    updated: float = 0.0
    outcome: str = ""
    before_pause: str = ""
    supplements: int = 0
    version: int = 1
    late: bool = False

    def __post_init__(self):
        self.updated = self.submitted


def _cumulative(weights) -> list[float]:
    total, result = 0.0, []
    for weight in weights:
        total += weight
        result.append(total)
    return result


# --- replacing -----------------------------------------------------------------------------------


def delete_synthetic() -> dict[str, int]:
    """Delete every synthetic dossier and report with what hangs on them (rows the services added included).

    Plain SQL: case events are append-only for the ORM, and a million rows
    would take far too long one by one. The synthetic citizens stay (reused).
    """
    statements = {
        "payments": ("DELETE FROM payments_payment WHERE reference LIKE %s", [f"{PAYMENT_PREFIX}%"]),
        "dossier documents": (
            "DELETE FROM procedures_dossierdocument WHERE dossier_id IN "
            "(SELECT id FROM procedures_dossier WHERE code LIKE %s)",
            [f"{DOSSIER_PREFIX}%"],
        ),
        "dossier events": (
            "DELETE FROM procedures_dossierevent WHERE dossier_id IN "
            "(SELECT id FROM procedures_dossier WHERE code LIKE %s)",
            [f"{DOSSIER_PREFIX}%"],
        ),
        "dossiers": ("DELETE FROM procedures_dossier WHERE code LIKE %s", [f"{DOSSIER_PREFIX}%"]),
        "report notices": (
            "DELETE FROM feedback_reportnotice WHERE event_id IN (SELECT e.id FROM feedback_reportevent e "
            "JOIN feedback_report r ON r.id = e.report_id WHERE r.code LIKE %s)",
            [f"{REPORT_PREFIX}%"],
        ),
        "report events": (
            "DELETE FROM feedback_reportevent WHERE report_id IN (SELECT id FROM feedback_report WHERE code LIKE %s)",
            [f"{REPORT_PREFIX}%"],
        ),
        "report photos": (
            "DELETE FROM feedback_reportphoto WHERE report_id IN (SELECT id FROM feedback_report WHERE code LIKE %s)",
            [f"{REPORT_PREFIX}%"],
        ),
        "report links": (
            "UPDATE feedback_report SET duplicate_of_id = NULL WHERE code NOT LIKE %s AND duplicate_of_id IN "
            "(SELECT id FROM feedback_report WHERE code LIKE %s)",
            [f"{REPORT_PREFIX}%", f"{REPORT_PREFIX}%"],
        ),
        "reports": ("DELETE FROM feedback_report WHERE code LIKE %s", [f"{REPORT_PREFIX}%"]),
    }
    from govportal.audit_guard import audit_purge  # case events refuse DELETE outside a deliberate purge

    deleted = {}
    with audit_purge(), connection.cursor() as cursor:
        for name, (sql, params) in statements.items():
            cursor.execute(sql, params)
            deleted[name] = cursor.rowcount
    return deleted


def synthetic_counts() -> dict[str, int]:
    from feedback.models import Report
    from payments.models import Payment
    from procedures.models import Dossier, DossierDocument, DossierEvent

    return {
        "dossiers": Dossier.objects.filter(code__startswith=DOSSIER_PREFIX).count(),
        "reports": Report.objects.filter(code__startswith=REPORT_PREFIX).count(),
        "payments": Payment.objects.filter(reference__startswith=PAYMENT_PREFIX).count(),
        "events": DossierEvent.objects.filter(dossier__code__startswith=DOSSIER_PREFIX).count(),
        "documents": DossierDocument.objects.filter(stored_name__startswith=FILE_PREFIX).count(),
    }


@contextmanager
def jit_off():
    """PostgreSQL's JIT compiles the recount's big aggregate for seconds, longer than it runs: not for this session."""
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET jit")


def generate(
    *,
    dossiers: int,
    reports: int,
    days: int = 730,
    seed: int = 1,
    batch: int = 50000,
    replace: bool = False,
    users: int | None = None,
    now=None,
    rebuild: bool = True,
    log=None,
) -> Totals:
    """Generate the data set (after deleting the previous one with `replace`), then recount the aggregates."""
    if connection.vendor != "postgresql":
        raise SyntheticError(
            "generate_city_data writes with PostgreSQL COPY: point DATABASE_URL at PostgreSQL (SQLite is not supported)."
        )
    log = log or (lambda message: None)
    generator = Generator(
        days=days,
        seed=seed,
        batch=batch,
        users=users if users is not None else min(3000, max(50, dossiers // 300)),
        now=now,
        log=log,
    )
    if replace:
        started = time.monotonic()
        deleted = delete_synthetic()
        generator.totals.seconds["delete"] = round(time.monotonic() - started, 2)
        log(f"Deleted the previous synthetic rows: {deleted}")
    generator.prepare()
    if dossiers:
        generator.dossiers(dossiers)
    if reports:
        generator.reports(reports)
    started = time.monotonic()
    with connection.cursor() as cursor:
        for table in (
            "procedures_dossier",
            "procedures_dossierevent",
            "procedures_dossierdocument",
            "payments_payment",
            "feedback_report",
        ):
            cursor.execute(f"ANALYZE {table}")
    generator.totals.seconds["analyze"] = round(time.monotonic() - started, 2)
    if rebuild:
        from govportal.dashboard.aggregates import stats_rebuild

        started = time.monotonic()
        with jit_off():
            stats_rebuild(now=now)
        generator.totals.seconds["stats_rebuild"] = round(time.monotonic() - started, 2)
    return generator.totals
