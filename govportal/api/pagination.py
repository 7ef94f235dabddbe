"""Page-number pagination whose parameters are checked: a bad `page` or `page_size` is 400, not ignored.

DRF silently falls back to the default size for `page_size=abc` or `0` and clamps `page_size=5000`; a
client then reads fewer results than it asked for without knowing. A page past the last stays 404.
"""

from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class PortalPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        value = _integer(raw)
        if value is None or not 1 <= value <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Enter a whole number from 1 to %(max)d.") % {"max": self.max_page_size}
                    ]
                }
            )
        return value

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None or raw in self.last_page_strings:
            return super().get_page_number(request, paginator)
        value = _integer(raw)
        if value is None or value < 1:
            raise ValidationError({self.page_query_param: [_("Enter a whole number from 1.")]})
        return value

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": self.max_page_size}
        return parameters


def _integer(raw: str) -> int | None:
    """Digits only: int() would also take ' 5', '+5', '٥' and '1_000'."""
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None
