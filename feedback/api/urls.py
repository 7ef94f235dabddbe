"""Reports API under /api/v1/ (included by govportal/api/urls.py): categories, contact codes, reports, tracking."""

from feedback.api import reports

urlpatterns = [*reports.urlpatterns]
