"""Security headers on every response: CSP, Permissions-Policy, frame, referrer and opener policies.

The Content-Security-Policy (django-csp) allows nothing inline and nothing from
another origin: every script and style is a file under /static/. The only other
origins are where a form submission may end up after a redirect (browsers check
form-action on redirects too): the e-ID provider (login start, logout) and the
payment gateway (payment start). Both come from their own settings;
CSP_FORM_ACTION_EXTRA adds more if a deployment needs it.
"""

from urllib.parse import urlsplit

import environ

from govportal.settings.identity import EID_ISSUER
from govportal.settings.payments import PAYGOV_ENDPOINT

_env = environ.Env()


def origin_of(url: str) -> str | None:
    """`https://host:port` of an absolute URL, None for an empty or relative one."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


CSP_FORM_ACTION_ORIGINS = sorted(
    {
        origin
        for origin in [origin_of(EID_ISSUER), origin_of(PAYGOV_ENDPOINT)]
        + [origin_of(url) for url in _env.list("CSP_FORM_ACTION_EXTRA", default=[])]
        if origin
    }
)

_SELF = "'self'"
_NONE = "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF],
        # data: for the empty favicon (`data:,`) and the icons inside Swagger UI's stylesheet.
        "img-src": [_SELF, "data:"],
        "font-src": [_SELF],
        "connect-src": [_SELF],
        "object-src": [_NONE],
        "frame-src": [_NONE],
        "base-uri": [_SELF],
        "form-action": [_SELF, *CSP_FORM_ACTION_ORIGINS],
        "frame-ancestors": [_NONE],
    }
}

# Nothing in the portal asks for the camera, the microphone or the location
# (a report's place is typed or picked from a list); payment happens on the gateway's pages.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# Django's SecurityMiddleware: the same values locally and in production (production.py adds HSTS).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
