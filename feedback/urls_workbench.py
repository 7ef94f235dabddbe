"""The officers' 1022 workbench (included at the site root, next to the dossier workbench)."""

from django.urls import path

from feedback.views import workbench

urlpatterns = [
    path("workbench/reports/", workbench.report_queue_view, name="workbench-reports"),
    # Before the report's own page: "record" is not a report code.
    path("workbench/reports/record/", workbench.report_record, name="workbench-report-record"),
    path("workbench/reports/<str:code>/", workbench.report_detail, name="workbench-report"),
    path(
        "workbench/reports/<str:code>/actions/<slug:action>/",
        workbench.report_action,
        name="workbench-report-action",
    ),
]
