"""The reporter's pages for 1022 reports and the report photo URL that every page shares (at the site root)."""

from django.urls import path

from feedback.views import citizen, photos

urlpatterns = [
    path("feedback/new/", citizen.report_new, name="report-new"),
    path("feedback/new/contact/", citizen.report_contact, name="report-new-contact"),
    path("feedback/new/confirm/", citizen.report_confirm, name="report-new-confirm"),
    path("feedback/new/sent/", citizen.report_sent, name="report-sent"),
    path("feedback/track/", citizen.track_form, name="report-track-form"),
    path("feedback/track/<str:code>/", citizen.track, name="report-track"),
    path("feedback/mine/", citizen.my_reports, name="my-reports"),
    path("feedback/mine/<str:code>/", citizen.my_report, name="my-report"),
    path("feedback/photos/<int:pk>/", photos.report_photo, name="report-photo"),
]
