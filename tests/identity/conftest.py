import pytest


@pytest.fixture
def eid(eid_at_live_server, population):
    """A browser without JavaScript, logging in with the mock e-ID served by live_server."""
    from tests.identity.eid_flow import EidBrowser

    return EidBrowser(eid_at_live_server.url)
