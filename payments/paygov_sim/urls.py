"""The PayGov simulator's pages (included at /paygov-sim/ when PAYGOV_SIM_ENABLED)."""

from django.urls import path

from payments.paygov_sim import views

app_name = "paygov_sim"

urlpatterns = [
    path("pay/", views.pay, name="pay"),
    path("tx/<str:transaction_no>/", views.bank, name="bank"),
    path("tx/<str:transaction_no>/confirm/", views.confirm, name="confirm"),
]
