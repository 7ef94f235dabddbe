"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2) over the 1022 reports, in JSON and XML.

- services.{json,xml}: one service per active category (service_code = the
  category code), names in Vietnamese, or English with `?locale=en` or an
  Accept-Language that prefers English.
- services/<code>.{json,xml}: its definition, with one required attribute
  `ward` (singlevaluelist of the active wards, communes and the special zone).
- requests.{json,xml} GET: reports as service requests (filters
  service_code, status, start_date, end_date, service_request_id; by default
  the last 90 days, at most 1000, newest first). Only what the unit published
  (description = public_text, status_notes = public_answer, the ward as the
  address, and coordinates) is shown, and only once published; never
  anything personal (the typed address may be the reporter's house).
- requests.{json,xml} POST (form-encoded or multipart): a registered app
  (`api_key`, `manage.py open311_key`) posts a report; it is recorded by
  `feedback.services.report_create` with channel "open311", the app vouching
  for its user's contact. `media` (one uploaded photo) is accepted;
  `media_url` is ignored (we do not fetch remote files), and the
  service_notice says so.
- requests/<id>.{json,xml}: a list with that one request.

Errors have the spec's shape, [{"code": <HTTP status>, "description": "..."}],
with the same HTTP status: 400 bad input, 403 missing or invalid api_key,
404 unknown service or request, 429 too many posts from one key.
`jurisdiction_id` is accepted and ignored (one jurisdiction: the city).
"""

import re
from datetime import datetime
from datetime import time as day_time

from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from feedback import board_selectors
from feedback.open311 import render
from feedback.open311.keys import open311_client_for_key
from feedback.services import report_create
from feedback.workflow import Channel
from govportal import ratelimit
from govportal.api.errors import ApplicationError
from govportal.templatetags.portal import dmy
from govportal.tiers.models import Tier

# report_create's field names -> the Open311 parameter the client sent.
PARAMETERS = {
    "category": "service_code",
    "text": "description",
    "unit": "attribute[ward]",
    "address": "address_string",
    "latitude": "lat",
    "longitude": "long",
    "contact_name": "first_name",
    "contact_phone": "phone",
    "contact_email": "email",
    "photos": "media",
}


def _language(request) -> str:
    """`locale` (e.g. en, en_US, vi) first, then the first language of Accept-Language; Vietnamese by default."""
    wanted = request.GET.get("locale") or request.META.get("HTTP_ACCEPT_LANGUAGE", "").split(",")[0]
    return "en" if wanted.strip().lower().startswith("en") else "vi"


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).replace(microsecond=0).isoformat() if value else None


def _category_name(category, language: str) -> str:
    return category.name_en if language == "en" and category.name_en else category.name_vi


def _service(category, language: str) -> dict:
    examples = (category.examples_en if language == "en" and category.examples_en else category.examples_vi) or []
    return {
        "service_code": category.code,
        "service_name": _category_name(category, language),
        "description": "; ".join(examples),
        "metadata": True,
        "type": "realtime",
        "keywords": ", ".join(examples),
        "group": str(Tier(category.tier).label),
    }


@require_GET
def services(request, fmt: str):
    language = _language(request)
    with translation.override(language):
        data = [_service(category, language) for category in board_selectors.open311_categories()]
    return render.respond(data, fmt=fmt, root="services")


@require_GET
def service_definition(request, code: str, fmt: str):
    language = _language(request)
    category = board_selectors.open311_categories().filter(code=code).first()
    with translation.override(language):
        if category is None:
            return render.errors(404, _("Unknown service_code: %(code)s.") % {"code": code[:60]}, fmt=fmt)
        data = {
            "service_code": category.code,
            "attributes": [
                {
                    "variable": True,
                    "code": "ward",
                    "datatype": "singlevaluelist",
                    "required": True,
                    "datatype_description": _("The code of the ward, commune or special zone where the problem is."),
                    "order": 1,
                    "description": _("Ward, commune or special zone"),
                    "values": [{"key": unit.code, "name": unit.name} for unit in board_selectors.open311_wards()],
                }
            ],
        }
    return render.respond(data, fmt=fmt, root="service_definition")


def _request(report, language: str) -> dict:
    """One report as an Open311 request: the published texts, place and coordinates only once published."""
    published = report.is_public
    data = {
        "service_request_id": report.code,
        "status": "closed" if report.status in board_selectors.OPEN311_CLOSED else "open",
        "status_notes": report.public_answer if published else "",
        "service_name": _category_name(report.category, language),
        "service_code": report.category.code,
        "description": report.public_text if published else "",
        "agency_responsible": report.handling_unit.name if report.handling_unit_id else "",
        "service_notice": "",
        "requested_datetime": _iso(report.submitted_at or report.created_at),
        "updated_datetime": _iso(report.updated_at),
        "expected_datetime": _iso(report.due_at),
        # The ward, never the typed address: it may name the reporter's own house (the board shows the ward too).
        "address": report.unit.name if published else "",
        "address_id": "",
        "zipcode": "",
    }
    if published and report.latitude is not None and report.longitude is not None:
        data["lat"] = float(report.latitude)
        data["long"] = float(report.longitude)
    data["media_url"] = ""
    return data


def _parse_when(value: str, *, end: bool) -> datetime:
    """An ISO 8601 datetime (offset optional: the portal's time zone), or a date (its start, or its end).

    A "+" of the offset that the client did not encode arrives as a space; it is read back as "+".
    """
    value = re.sub(r" (\d\d(:?\d\d)?)$", r"+\1", value.strip())
    day = parse_date(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else None
    if day is not None:
        moment = datetime.combine(day, day_time.max if end else day_time.min)
    else:
        moment = parse_datetime(value)
        if moment is None:
            raise ValueError(value)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _codes(value: str) -> list[str]:
    return [code.strip() for code in value.split(",") if code.strip()][:200]


def _requests_list(request, fmt: str):
    params = request.GET
    statuses = {status.strip().lower() for status in params.get("status", "").split(",") if status.strip()}
    if statuses - {"open", "closed"}:
        return render.errors(400, _("status must be open or closed."), fmt=fmt)
    try:
        start = _parse_when(params["start_date"], end=False) if params.get("start_date") else None
        end = _parse_when(params["end_date"], end=True) if params.get("end_date") else None
    except ValueError:
        return render.errors(400, _("start_date and end_date must be dates in ISO 8601 (w3 format)."), fmt=fmt)
    if start and end and start > end:
        return render.errors(400, _("start_date must be before end_date."), fmt=fmt)
    reports = board_selectors.open311_requests(
        service_codes=_codes(params.get("service_code", "")),
        status=statuses.pop() if len(statuses) == 1 else "",
        start=start,
        end=end,
        request_ids=_codes(params.get("service_request_id", "")),
    )
    language = _language(request)
    return render.respond([_request(report, language) for report in reports], fmt=fmt, root="service_requests")


def _throttled(client) -> int:
    """Posts per api_key: settings.RATE_LIMITS["open311-posts"] (govportal/ratelimit.py); the wait, or 0."""
    return ratelimit.hit("open311-posts", f"client:{client.pk}")


def _refusal(error: ApplicationError, fmt: str):
    field_errors = error.extra.get("errors") or {}
    descriptions = [f"{PARAMETERS.get(field, field)}: {message}" for field, message in field_errors.items()]
    status = error.status_code if error.status_code in (400, 403, 404, 409, 413, 429) else 400
    return render.errors(status, *(descriptions or [error.detail]), fmt=fmt, public=False)


def _requests_create(request, fmt: str):
    post = request.POST
    language = _language(request)
    client = open311_client_for_key(post.get("api_key", ""))
    with translation.override(language):
        if client is None:
            return render.errors(403, _("api_key was not provided or is not valid."), fmt=fmt, public=False)
        if wait := _throttled(client):
            refused = render.errors(
                429, _("Too many requests from this api_key; try again in a minute."), fmt=fmt, public=False
            )
            return ratelimit.with_retry_after(refused, wait)
        code = post.get("service_code", "").strip()
        if not code:
            return render.errors(400, _("service_code was not provided."), fmt=fmt, public=False)
        category = board_selectors.open311_categories().filter(code=code).first()
        if category is None:
            return render.errors(404, _("Unknown service_code: %(code)s.") % {"code": code[:60]}, fmt=fmt, public=False)
        ward_code = post.get("attribute[ward]", "").strip()
        ward = board_selectors.open311_wards().filter(code=ward_code).first() if ward_code else None
        if ward is None:
            return render.errors(
                400,
                _("attribute[ward] is required: one of the keys listed by services/%(code)s.json.") % {"code": code},
                fmt=fmt,
                public=False,
            )
        latitude, longitude = post.get("lat", "").strip(), post.get("long", "").strip()
        address = post.get("address_string", "").strip()
        if not address and not (latitude and longitude):
            return render.errors(400, _("Give address_string, or lat and long."), fmt=fmt, public=False)
        name = " ".join(
            part for part in (post.get("first_name", "").strip(), post.get("last_name", "").strip()) if part
        )
        photos = request.FILES.getlist("media")[:1]
        try:
            report = report_create(
                category=category,
                text=post.get("description", ""),
                unit=ward,
                address=address or f"{latitude}, {longitude}",
                latitude=latitude or None,
                longitude=longitude or None,
                contact_name=name,
                contact_phone=post.get("phone", "").strip(),
                contact_email=post.get("email", "").strip(),
                channel=Channel.OPEN311,
                via_client=client,
                photos=photos,
            )
        except ApplicationError as error:
            return _refusal(error, fmt)
        notice = _("Received. The unit answers by %(date)s.") % {"date": dmy(report.due_at)}
        if post.get("media_url", "").strip():
            notice += " " + _("media_url is not accepted: send the photo itself as media.")
        data = [{"service_request_id": report.code, "service_notice": notice, "account_id": None}]
    return render.respond(data, fmt=fmt, root="service_requests", status=201, public=False)


@csrf_exempt  # apps authenticate with their api_key, not a session
@require_http_methods(["GET", "HEAD", "POST"])
def requests(request, fmt: str):
    if request.method == "POST":
        return _requests_create(request, fmt)
    return _requests_list(request, fmt)


@require_GET
def request_detail(request, code: str, fmt: str):
    report = board_selectors.open311_request(code)
    language = _language(request)
    if report is None:
        with translation.override(language):
            return render.errors(404, _("Unknown service_request_id: %(code)s.") % {"code": code[:60]}, fmt=fmt)
    return render.respond([_request(report, language)], fmt=fmt, root="service_requests")
