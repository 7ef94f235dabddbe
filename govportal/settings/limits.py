"""Abuse limits (govportal/ratelimit.py): who the client is behind proxies, the named limits, upload sizes.

Every value can be set from the environment: RATE_LIMIT_<SCOPE> (scope upper-cased, "-" as "_") takes a
rate "<count>/<period>" where period is s, m, h, d or a multiple such as 10m; a count of bytes for
`upload-bytes`.
"""

import re

import environ
from django.core.exceptions import ImproperlyConfigured

_env = environ.Env()

# The client address: REMOTE_ADDR, unless it is one of TRUSTED_PROXIES (addresses or CIDRs); then the
# TRUSTED_PROXY_COUNT-th address from the right of X-Forwarded-For. Forwarded headers from anywhere else
# are ignored.
TRUSTED_PROXY_COUNT = _env.int("TRUSTED_PROXY_COUNT", default=0)
TRUSTED_PROXIES = _env.list("TRUSTED_PROXIES", default=[])

_DEFAULT_RATE_LIMITS = {
    # Public look-ups (page and API share each budget), and the misses among them (walking codes).
    "track": "30/m",
    "track-miss": "10/10m",
    "report-track": "30/m",
    "report-track-miss": "10/10m",
    "receipt-verify": "30/m",
    # Citizen e-ID login start (a redirect to the provider, with state kept in the session).
    "eid-login": "30/5m",
    # The mock e-ID provider's server-to-server endpoints.
    "mock-eid-token": "60/m",
    "mock-eid-userinfo": "60/m",
    # Reports posted through Open311, per api_key.
    "open311-posts": "30/m",
    # Drafts a citizen may start.
    "draft-create": "20/h",
    # Bytes a citizen may upload to dossiers in a day (200 MB).
    "upload-bytes": f"{200 * 1024 * 1024}/d",
}
RATE_LIMITS = {
    scope: _env(f"RATE_LIMIT_{scope.upper().replace('-', '_')}", default=rate)
    for scope, rate in _DEFAULT_RATE_LIMITS.items()
}
_bad = {scope: rate for scope, rate in RATE_LIMITS.items() if not re.fullmatch(r"\d+/\d*[smhd]", rate)}
if _bad:  # refused at start-up, not at the first request
    raise ImproperlyConfigured(f"RATE_LIMIT_* must read <count>/<period> (e.g. 30/m, 10/10m): {_bad}")

# Documents of one dossier (the applicant's papers and supplements; results not counted).
DOSSIER_MAX_DOCUMENTS = _env.int("DOSSIER_MAX_DOCUMENTS", default=30)
DOSSIER_MAX_DOCUMENT_BYTES = _env.int("DOSSIER_MAX_DOCUMENT_BYTES", default=100 * 1024 * 1024)

# A request to an upload endpoint announcing more than this is refused (413) before its body is read:
# a report's 5 photos of 10 MB or a document of 10 MB, plus the form around them.
UPLOAD_MAX_REQUEST_BYTES = _env.int("UPLOAD_MAX_REQUEST_BYTES", default=52 * 1024 * 1024)
# Everything that is not a file (form fields, JSON bodies) stays small.
DATA_UPLOAD_MAX_MEMORY_SIZE = _env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=1024 * 1024)
# Tighter limits where an endpoint takes one document (path regex, bytes): its 10 MB and the form around it.
UPLOAD_REQUEST_LIMITS = [
    (
        r"^/api/v1/dossiers/[^/]+/(?:[^/]+/)?documents/$",
        _env.int("UPLOAD_MAX_DOCUMENT_REQUEST_BYTES", default=11 * 1024 * 1024),
    ),
]
