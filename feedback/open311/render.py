"""Open311 GeoReport v2 responses in JSON or XML, with the spec's element names.

XML follows the spec's examples: <services><service>…, <service_definition>
with <attributes><attribute>…<values><value>, <service_requests><request>…,
<errors><error><code/><description/></error></errors>. None is an empty element.
"""

import json
from xml.etree import ElementTree

from django.http import HttpResponse

# The element name of one item of a list, by the list's element name.
ITEM_TAGS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _append(parent, tag: str, value) -> None:
    element = ElementTree.SubElement(parent, tag)
    _fill(element, tag, value)


def _fill(element, tag: str, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, list):
        for item in value:
            _append(element, ITEM_TAGS.get(tag, "item"), item)
    else:
        element.text = _text(value)


def to_xml(root_tag: str, data) -> bytes:
    root = ElementTree.Element(root_tag)
    _fill(root, root_tag, data)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def respond(data, *, fmt: str, root: str, status: int = 200, public: bool = True) -> HttpResponse:
    """`data` as JSON, or as XML under the element `root` (a list's items named by ITEM_TAGS)."""
    if fmt == "xml":
        response = HttpResponse(to_xml(root, data), content_type="text/xml; charset=utf-8", status=status)
    else:
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False), content_type="application/json; charset=utf-8", status=status
        )
    if public:  # the read endpoints are open data: any web page may read them
        response["Access-Control-Allow-Origin"] = "*"
    return response


def errors(status: int, *descriptions: str, fmt: str = "json", public: bool = True) -> HttpResponse:
    """The spec's error shape: [{"code": <HTTP status>, "description": "..."}, ...] with that HTTP status."""
    return respond(
        [{"code": status, "description": str(description)} for description in descriptions],
        fmt=fmt,
        root="errors",
        status=status,
        public=public,
    )
