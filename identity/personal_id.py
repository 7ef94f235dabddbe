"""Vietnam's 12-digit personal identification number (số định danh cá nhân).

Layout (Decree 137/2015/ND-CP, Circular 07/2016/TT-BCA): 3-digit code of the
province of birth registration, 1 digit for sex and century of birth, 2 digits
for the year of birth, 6 random digits. Numbers are checked before they reach
the database so a typo or a forged claim is refused with a clear message.
"""

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from govportal.tiers.unit_data import load_id_province_codes

# Sex/century digit -> (century start, sex). Even digits are male, odd female.
CENTURY_DIGITS = {
    "0": (1900, "male"),
    "1": (1900, "female"),
    "2": (2000, "male"),
    "3": (2000, "female"),
    "4": (2100, "male"),
    "5": (2100, "female"),
    "6": (2200, "male"),
    "7": (2200, "female"),
    "8": (1800, "male"),
    "9": (1800, "female"),
}


@dataclass(frozen=True)
class PersonalId:
    number: str
    province_code: str
    sex: str
    birth_year: int
    serial: str


@lru_cache(maxsize=1)
def _province_codes() -> frozenset[str]:
    return frozenset(load_id_province_codes())


def parse_personal_id(value: str, *, birth_date: date | None = None) -> PersonalId:
    """Parse and check a personal ID number; raise ValidationError saying what is wrong."""
    number = (value or "").strip()
    if len(number) != 12 or not number.isdigit():
        raise ValidationError(_("A personal ID number has exactly 12 digits."), code="id_format")
    province = number[:3]
    if province not in _province_codes():
        raise ValidationError(
            _("%(code)s is not a province code used in personal ID numbers."),
            code="id_province",
            params={"code": province},
        )
    century, sex = CENTURY_DIGITS[number[3]]
    birth_year = century + int(number[4:6])
    if birth_year > date.today().year:
        raise ValidationError(_("The birth year in this ID number is in the future."), code="id_birth_year")
    if birth_date is not None and birth_date.year != birth_year:
        raise ValidationError(
            _("The ID number says born in %(id_year)s, but the birth date is in %(year)s."),
            code="id_birth_mismatch",
            params={"id_year": birth_year, "year": birth_date.year},
        )
    return PersonalId(number=number, province_code=province, sex=sex, birth_year=birth_year, serial=number[6:])


def validate_personal_id(value: str) -> None:
    """Field validator (format, province, century); the birth-date check is in User.clean()."""
    parse_personal_id(value)
