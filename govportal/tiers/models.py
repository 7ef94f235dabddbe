"""The two tiers of Ho Chi Minh City: the city, its departments and 168 units.

A Unit is anything that receives or handles a case: the city itself, a city
department, or a commune-level unit (phường, xã, đặc khu). A Posting puts a
staff member in a unit with a role. CalendarOverride holds the government's
yearly day swaps that the `holidays` package does not know. RoutingRule is the
routing engine's rules table (`govportal/tiers/routing.py`), kept as data so
the city can change where cases go without a release.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from govportal.tiers import calendar as cal
from govportal.tiers import routing
from govportal.tiers.unit_data import fold


class Tier(models.TextChoices):
    CITY = "city", _("City")
    COMMUNE = "commune", _("Commune level")


class UnitKind(models.TextChoices):
    CITY = "city", _("City")
    DEPARTMENT = "department", _("City department")
    WARD = "ward", _("Ward")
    COMMUNE = "commune", _("Commune")
    SPECIAL_ZONE = "special_zone", _("Special zone")


class Unit(models.Model):
    code = models.CharField(
        _("code"),
        max_length=40,
        unique=True,
        help_text=_("Official national unit code (e.g. 26743); departments use a short slug."),
    )
    # Where a dossier may be filed, it needs a 5-digit code for the dossier codes
    # (HCM-{filing_code}-yymmdd-nnnn): a commune-level unit's national code, or "79" + 3
    # digits for a city-tier place (docs/0005). Blank: the unit receives no dossiers.
    filing_code = models.CharField(
        _("filing code"),
        max_length=5,
        unique=True,
        null=True,
        blank=True,
        validators=[RegexValidator(r"^\d{5}$", _("Five digits."))],
        help_text=_(
            "Five digits, used in dossier codes: the national code of a ward, commune or special zone; "
            "79 + three digits for a city agency. Blank: this unit receives no dossiers."
        ),
    )
    name = models.CharField(_("name (Vietnamese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Lower-case name without diacritics: "ben thanh" finds "Phường Bến Thành"
    # on SQLite and PostgreSQL alike, with a plain index.
    search_name = models.CharField(max_length=200, editable=False, db_index=True)
    is_active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    class Meta:
        ordering = ["tier", "code"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [models.Index(fields=["tier", "kind"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        # Derived data, not business logic: the folded name must follow the name.
        self.search_name = f"{fold(self.name)} {fold(self.name_en)}".strip()
        super().save(*args, **kwargs)


class Role(models.TextChoices):
    OFFICER = "officer", _("Officer")
    HEAD = "head", _("Head of unit")
    CITY_ADMIN = "city_admin", _("City administrator")


class Posting(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="postings"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="postings")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    away_from = models.DateField(_("away from"), null=True, blank=True)
    away_until = models.DateField(_("away until"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="uniq_posting_user_unit_role")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


class CalendarOverride(models.Model):
    """One change to the normal working week, from the government's yearly notice."""

    day = models.DateField(_("day"))
    kind = models.CharField(
        _("kind"),
        max_length=10,
        choices=[(cal.OFF, _("Day off")), (cal.WORKING, _("Working day (make-up)"))],
    )
    part = models.CharField(
        _("part of day"),
        max_length=10,
        default=cal.ALL_DAY,
        choices=[(cal.ALL_DAY, _("Whole day")), (cal.MORNING, _("Morning")), (cal.AFTERNOON, _("Afternoon"))],
    )
    reason = models.CharField(_("reason"), max_length=300)

    class Meta:
        ordering = ["day"]
        verbose_name = _("calendar override")
        verbose_name_plural = _("calendar overrides")
        constraints = [models.UniqueConstraint(fields=["day", "part"], name="uniq_override_day_part")]

    def __str__(self) -> str:
        return f"{self.day:%d/%m/%Y} {self.get_kind_display()} ({self.get_part_display()})"

    def as_override(self) -> cal.Override:
        return cal.Override(day=self.day, kind=self.kind, part=self.part)


class CaseKind(models.TextChoices):
    DOSSIER = routing.DOSSIER, _("Dossier")
    REPORT = routing.REPORT, _("1022 report")
    ANY = routing.ANY_KIND, _("Any case")


class RoutingTarget(models.TextChoices):
    RECEIVING_UNIT = routing.TO_RECEIVING_UNIT, _("The receiving unit")
    PROCEDURE_DEPARTMENT = routing.TO_PROCEDURE_DEPARTMENT, _("The department of the procedure")
    UNIT = routing.TO_UNIT, _("A chosen unit")


class RoutingRule(models.Model):
    """One line of the routing table: the first active rule that matches a case decides its unit.

    Blank conditions match anything. The priority is unique so that "rule 20"
    in a case's routing reason names one rule; leave gaps (10, 20, ...) to
    insert rules later.
    """

    priority = models.PositiveIntegerField(
        _("number"), unique=True, help_text=_("Rules are tried from the lowest number up; the reason cites it.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    case_kind = models.CharField(_("case kind"), max_length=10, choices=CaseKind.choices, default=CaseKind.ANY)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, blank=True, help_text=_("Blank: any tier."))
    procedure_code = models.CharField(
        _("procedure code"), max_length=40, blank=True, help_text=_("Blank: any procedure.")
    )
    category_code = models.CharField(
        _("report category code"), max_length=40, blank=True, help_text=_("Blank: any category (1022 reports).")
    )
    place = models.ForeignKey(
        Unit,
        verbose_name=_("place"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The receiving unit of a dossier or the place of a report. Blank: anywhere."),
    )
    target = models.CharField(_("send to"), max_length=30, choices=RoutingTarget.choices)
    target_unit = models.ForeignKey(
        Unit,
        verbose_name=_("chosen unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Only when sending to a chosen unit."),
    )
    description = models.CharField(
        _("description"),
        max_length=200,
        help_text=_(
            "Stored on the case as its routing reason after “rule N:”. "
            "{department} is replaced by the procedure's department, {unit} by the unit chosen."
        ),
    )
    # Set on the rules the portal ships, so reloading them never duplicates an edited rule.
    seed_key = models.SlugField(max_length=40, unique=True, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["priority"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self) -> str:
        return f"{self.priority}: {self.description}"

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = {}
        if self.target == RoutingTarget.UNIT and self.target_unit_id is None:
            errors["target_unit"] = _("Choose the unit to send the cases to.")
        if self.target != RoutingTarget.UNIT and self.target_unit_id is not None:
            errors["target_unit"] = _("Leave this blank unless sending to a chosen unit.")
        if self.procedure_code and self.case_kind == CaseKind.REPORT:
            errors["procedure_code"] = _("Reports have no procedure code.")
        if self.category_code and self.case_kind == CaseKind.DOSSIER:
            errors["category_code"] = _("Dossiers have no report category.")
        try:
            unknown = routing.description_placeholders(self.description) - routing.PLACEHOLDERS
        except ValueError:
            unknown = {"{"}
        if unknown:
            errors["description"] = _("Only {department} and {unit} may appear between braces.")
        if errors:
            raise ValidationError(errors)

    def as_rule_data(self) -> routing.RuleData:
        return routing.RuleData(
            number=self.pk,
            priority=self.priority,
            case_kind=self.case_kind,
            tier=self.tier,
            procedure_code=self.procedure_code,
            category_code=self.category_code,
            place_id=self.place_id,
            target=self.target,
            target_unit_id=self.target_unit_id,
            description=self.description,
        )
