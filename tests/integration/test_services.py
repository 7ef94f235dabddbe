"""CI runs on the real services: prove the suite is really talking to them."""

import pytest
from django.db import connection

from tests.conftest import require


@pytest.mark.django_db
def test_database_is_postgresql_when_configured():
    require("postgres")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int")
        (version,) = cursor.fetchone()
    assert version >= 150000, "PostgreSQL 15 or newer"


def test_cache_and_broker_reach_redis_when_configured():
    require("redis")
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    assert client.ping() is True
