from django import forms
from django.utils.translation import gettext_lazy as _

from identity.models import User


class ContactPreferencesForm(forms.ModelForm):
    """What a user may change about themself: how to reach them, and in which language. The rest comes from the registry."""

    phone = forms.RegexField(
        label=_("Phone"),
        regex=r"^\+?[0-9 ]{9,15}$",
        required=False,
        error_messages={"invalid": _("Enter a phone number of 9 to 15 digits, e.g. 0901 234 567.")},
    )

    class Meta:
        model = User
        fields = ["phone", "email", "notify_by_email", "notify_by_sms", "language"]
        labels = {"email": _("Email")}
