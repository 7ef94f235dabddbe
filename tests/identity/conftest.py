import copy

import pytest


@pytest.fixture
def population(units):
    from identity.registry.services import registry_population_seed

    registry_population_seed()


@pytest.fixture
def eid(live_server, settings, population):
    """The portal's e-ID login pointed at the mock provider served by live_server."""
    from tests.identity.eid_flow import EidBrowser

    providers = copy.deepcopy(settings.SOCIALACCOUNT_PROVIDERS)
    providers["vneid"]["APPS"][0]["settings"]["server_url"] = f"{live_server.url}/mock-eid"
    settings.SOCIALACCOUNT_PROVIDERS = providers
    return EidBrowser(live_server.url)
