"""The 12-digit personal ID number: one test per rule of its layout."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from identity.personal_id import parse_personal_id


def test_valid_number_is_parsed_into_its_parts():
    parsed = parse_personal_id("079085001234")
    assert parsed.province_code == "079"
    assert parsed.sex == "male"
    assert parsed.birth_year == 1985
    assert parsed.serial == "001234"


@pytest.mark.parametrize(
    ("number", "sex", "year"),
    [("001190000001", "female", 1990), ("048203000002", "male", 2003), ("096301000003", "female", 2001)],
)
def test_sex_and_century_digit(number, sex, year):
    parsed = parse_personal_id(number)
    assert (parsed.sex, parsed.birth_year) == (sex, year)


@pytest.mark.parametrize("number", ["07908500123", "0790850012345", "07908500123a", "", "079 85001234"])
def test_number_must_have_exactly_12_digits(number):
    with pytest.raises(ValidationError) as error:
        parse_personal_id(number)
    assert error.value.code == "id_format"


@pytest.mark.parametrize("province", ["000", "003", "078", "099", "100"])
def test_province_code_must_be_on_the_official_list(province):
    with pytest.raises(ValidationError) as error:
        parse_personal_id(f"{province}085001234")
    assert error.value.code == "id_province"


def test_birth_year_in_the_future_is_refused():
    with pytest.raises(ValidationError) as error:
        parse_personal_id("079499001234")  # digit 4 = born in the 2100s
    assert error.value.code == "id_birth_year"


def test_birth_year_must_match_the_birth_date_when_known():
    parse_personal_id("079085001234", birth_date=date(1985, 3, 12))
    with pytest.raises(ValidationError) as error:
        parse_personal_id("079085001234", birth_date=date(1986, 3, 12))
    assert error.value.code == "id_birth_mismatch"


@pytest.mark.django_db
def test_user_full_clean_checks_id_against_birth_date():
    from identity.models import User

    user = User(username="x", personal_id="079085001234", birth_date=date(1990, 1, 1))
    with pytest.raises(ValidationError) as error:
        user.full_clean()
    assert "personal_id" in error.value.message_dict
