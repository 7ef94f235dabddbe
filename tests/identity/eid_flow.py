"""Drive the citizen e-ID login over HTTP exactly as a browser without JavaScript does.

The portal (relying party) and the mock e-ID provider both run in live_server:
the portal's back channel (token, JWKS) makes real HTTP calls to the provider.
"""

import re
from urllib.parse import parse_qs, urlparse

import requests

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
AUTHZ_FIELD = re.compile(r'name="authorization_request" value="([^"]+)"')


class EidBrowser:
    def __init__(self, base_url: str):
        self.base = base_url
        self.http = requests.Session()

    def get(self, path: str, **kwargs):
        return self.http.get(self.base + path, timeout=30, **kwargs)

    def post_form(self, path: str, data: dict, **kwargs):
        page = self.get(path if path.startswith("/") else "/")
        token = self.http.cookies.get("csrftoken") or CSRF_FIELD.search(page.text).group(1)
        return self.http.post(self.base + path, data={"csrfmiddlewaretoken": token, **data}, timeout=30, **kwargs)

    def start_login(self) -> str:
        """Press "Log in with VNeID": returns the provider's authorize URL."""
        self.get("/login/")
        token = self.http.cookies["csrftoken"]
        response = self.http.post(
            self.base + "/accounts/eid/vneid/login/",
            data={"csrfmiddlewaretoken": token, "process": "login"},
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, response.text[:500]
        return response.headers["Location"]

    def pick_citizen(self, authorize_url: str, personal_id: str, level: int = 2) -> str:
        """On the provider's page, choose the citizen and level: returns the portal callback URL."""
        page = self.http.get(authorize_url, timeout=30)
        assert page.status_code == 200, page.text[:500]
        response = self.http.post(
            authorize_url.split("?")[0],
            data={
                "csrfmiddlewaretoken": CSRF_FIELD.search(page.text).group(1),
                "authorization_request": AUTHZ_FIELD.search(page.text).group(1),
                "personal_id": personal_id,
                "eid_level": str(level),
                "login": "1",
            },
            allow_redirects=False,
            timeout=30,
        )
        assert response.status_code == 302, response.text[:500]
        location = response.headers["Location"]
        assert "code" in parse_qs(urlparse(location).query), location
        return location

    def finish(self, callback_url: str) -> requests.Response:
        """Follow the provider's redirect back to the portal (the back channel runs here)."""
        return self.http.get(callback_url, timeout=30)

    def login(self, personal_id: str, level: int = 2) -> requests.Response:
        return self.finish(self.pick_citizen(self.start_login(), personal_id, level))
