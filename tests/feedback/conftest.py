"""Fixtures of the 1022 report tests: the categories, a reporter with an account, ward staff."""

import pytest

from feedback.services import categories_load
from govportal.tiers.models import Unit
from govportal.tiers.services import posting_ensure
from identity.models import User

PLACE = "26743"  # Phường Bến Thành
OTHER_WARD = "26740"


@pytest.fixture
def categories(units):
    categories_load()


@pytest.fixture
def reporter(db):
    return User.objects.create(username="079085009999", personal_id="079085009999", full_name="Nguyễn Văn Phản Ánh")


@pytest.fixture
def staff(units):
    """An officer and a head at the ward of the place, and an officer at another ward."""
    ward, other = Unit.objects.get(code=PLACE), Unit.objects.get(code=OTHER_WARD)
    people = {}
    for username, unit, role in (
        ("officer.ward", ward, "officer"),
        ("head.ward", ward, "head"),
        ("officer.other", other, "officer"),
    ):
        user = User.objects.create(username=username, full_name=username)
        posting_ensure(user=user, unit=unit, role=role)
        people[username] = user
    return people
