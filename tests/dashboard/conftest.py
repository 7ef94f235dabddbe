"""The procedures' fixtures (people, a procedure, the actors' clients) for the dashboards' tests."""

from tests.procedures.conftest import (  # noqa: F401
    citizen,
    citizen_client,
    city_procedure,
    officer_client,
    people,
    procedure,
)
