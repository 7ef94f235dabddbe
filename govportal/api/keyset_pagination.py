"""Cursor pages for the API's long lists (govportal.keyset): `next` and `results`, no count, no page numbers.

A count and an OFFSET cost what the whole list costs; a cursor costs one page. `page_size` is
checked as everywhere else (PortalPagination); a `cursor` the portal did not write is 400 `invalid`.
"""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from govportal import keyset
from govportal.api.pagination import PortalPagination


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"

    def __init__(self):
        self.next_url = None

    def paginate(self, request, fetch) -> list:
        """The rows of `fetch(cursor=..., size=...)` (a keyset.Page), remembering the next page's URL."""
        size = PortalPagination().get_page_size(request)
        cursor = request.query_params.get(self.cursor_query_param, "")
        try:
            page = fetch(cursor=cursor, size=size)
        except keyset.InvalidCursor as error:
            raise ValidationError(
                {self.cursor_query_param: [_("This cursor is not valid: start again from the first page.")]}
            ) from error
        if page.next_cursor:
            self.next_url = replace_query_param(request.build_absolute_uri(), self.cursor_query_param, page.next_cursor)
        return page.rows

    def get_paginated_response(self, data):
        return Response({"next": self.next_url, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page (null on the last); follow it as it is.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        size = PortalPagination()
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: taken from the previous page's `next` link.",
                "schema": {"type": "string"},
            },
            {
                "name": size.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Results per page (default {size.page_size}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": size.max_page_size},
            },
        ]
