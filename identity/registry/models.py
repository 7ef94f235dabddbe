"""The local citizen registry and the audit of every read of it.

RegistryPerson is the local stand-in for the national population database
(CSDL quốc gia về dân cư): one row per resident with the permanent residence
and the household they are registered in. The portal never reads it directly:
``identity.registry.services.registry_lookup`` goes through the
``CitizenRegistry`` contract and writes a RegistryAccessLog row for every read,
so a citizen (or an inspector) can always be told who looked at their record,
when and for which case.

These models live in their own module; ``identity/models.py`` imports them so
that their app label is "identity" and their migrations are identity's.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from identity.personal_id import validate_personal_id


class Sex(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class MaritalStatus(models.TextChoices):
    SINGLE = "single", _("Single")
    MARRIED = "married", _("Married")
    DIVORCED = "divorced", _("Divorced")
    WIDOWED = "widowed", _("Widowed")


class HouseholdRelation(models.TextChoices):
    """Relation to the head of household, as written in the household register."""

    HEAD = "head", _("Head of household")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    SIBLING = "sibling", _("Sibling")
    OTHER = "other", _("Other relative")


class RegistryPerson(models.Model):
    personal_id = models.CharField(
        _("personal ID number"), max_length=12, unique=True, validators=[validate_personal_id]
    )
    full_name = models.CharField(_("full name"), max_length=200)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=6, choices=Sex.choices)
    permanent_residence_unit = models.ForeignKey(
        "tiers.Unit",
        verbose_name=_("permanent residence unit"),
        on_delete=models.PROTECT,
        related_name="registry_residents",
    )
    permanent_address = models.CharField(_("permanent address"), max_length=300)
    marital_status = models.CharField(_("marital status"), max_length=10, choices=MaritalStatus.choices)
    household_id = models.CharField(_("household number"), max_length=20, db_index=True)
    relation_to_head = models.CharField(
        _("relation to head of household"), max_length=10, choices=HouseholdRelation.choices
    )
    is_demo_pick = models.BooleanField(
        _("offered by the mock e-ID provider"),
        default=False,
        help_text=_("Demo only: shown in the mock e-ID provider's list of people to log in as."),
    )

    class Meta:
        ordering = ["personal_id"]
        verbose_name = _("registry person")
        verbose_name_plural = _("registry people")

    def __str__(self) -> str:
        return f"{self.full_name} ({self.personal_id})"


class RegistryAccessLogQuerySet(models.QuerySet):
    """Append-only: bulk updates and deletes are refused like single ones."""

    def update(self, **kwargs):
        raise PermissionError("The registry access log is append-only.")

    def delete(self):
        raise PermissionError("The registry access log is append-only.")


class RegistryAccessLog(models.Model):
    """One read of the registry: who, when, why, for which case, and whether the person was found.

    Written only by ``registry_lookup``, never changed, never deleted. Actors
    are protected from deletion (staff accounts are deactivated, not deleted)
    so that the trail always names a person; a null actor is the portal itself
    (e.g. the e-ID login filling in a new citizen's profile).
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="registry_reads",
        help_text=_("Empty when the portal itself read the registry."),
    )
    personal_id = models.CharField(_("personal ID number"), max_length=12, db_index=True)
    purpose = models.CharField(_("purpose"), max_length=100)
    case_ref = models.CharField(
        _("case reference"), max_length=100, blank=True, help_text=_("e.g. dossier:HCM-26743-260115-0042")
    )
    found = models.BooleanField(_("found"))
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    objects = RegistryAccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("registry access")
        verbose_name_plural = _("registry access log")

    def __str__(self) -> str:
        return f"{timezone.localtime(self.at):%d/%m/%Y %H:%M} {self.personal_id} · {self.purpose}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The registry access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The registry access log is append-only.")
