"""The three ways a database error reaches an answer, each a 503 with a message (no database needed).

The restart drill (test_postgres_restart.py) shows them on a live server; here
each entry point is checked on its own: a page's view (the middleware), an API
view (the API's exception handler) and code outside any view (the 500 handler).
"""

import json

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory
from django.utils import translation

from govportal.api.exceptions import portal_exception_handler
from govportal.db_outage import DatabaseOutageMiddleware
from govportal.views import server_error

pytestmark = [pytest.mark.drill]


@pytest.mark.parametrize("error", [OperationalError("server closed the connection"), InterfaceError("closed")])
def test_every_entry_point_answers_503_with_a_translated_message(error):
    factory = RequestFactory()
    middleware = DatabaseOutageMiddleware(lambda request: None)
    for language in ("vi", "en"):
        with translation.override(language):
            page = middleware.process_exception(factory.get("/procedures/"), error)
            api = portal_exception_handler(error, {"request": factory.post("/api/v1/dossiers/")})
            try:
                raise error
            except type(error):
                outside = server_error(factory.get("/my/dossiers/"))
                outside_api = server_error(factory.get("/api/v1/units/"))
        assert page.status_code == outside.status_code == 503
        assert b'id="service-unavailable"' in page.content and b'id="service-unavailable"' in outside.content
        assert page["Retry-After"] and api["Retry-After"]
        for answer in (api, outside_api):
            assert answer.status_code == 503
            body = json.loads(answer.content)
            assert body["code"] == "service_unavailable" and body["detail"]
    assert DatabaseOutageMiddleware(lambda request: None).process_exception(None, ValueError("x")) is None


def test_any_other_error_still_answers_500():
    try:
        raise ValueError("not the database")
    except ValueError:
        answer = server_error(RequestFactory().get("/api/v1/units/"))
    assert answer.status_code == 500 and json.loads(answer.content)["code"] == "server_error"
