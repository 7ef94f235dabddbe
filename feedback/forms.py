"""Citizen forms for 1022 reports: the contact step, its code, the report itself, rating and reopening.

The forms check the shape of the input (what a browser can get wrong);
`feedback.services.report_create` and `feedback.intake` hold the rules, and
their refusals are put back on these forms by field (`govportal.cases.pages.add_service_errors`).
"""

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from feedback.models import Category
from feedback.photos import MAX_PHOTOS_PER_REPORT
from feedback.selectors import categories_active
from govportal.tiers.models import Tier, Unit
from govportal.tiers.selectors import unit_list

PHOTO_ACCEPT = "image/jpeg,image/png"


def in_english() -> bool:
    return (get_language() or "vi").startswith("en")


def category_name(category) -> str:
    return category.name_en if in_english() and category.name_en else category.name_vi


def category_examples(category) -> list[str]:
    return (category.examples_en if in_english() and category.examples_en else category.examples_vi) or []


def place_units(search: str = ""):
    """Where a report may be: the active wards, communes and the special zone (matching `search`, no diacritics)."""
    return unit_list(search=search, tier=Tier.COMMUNE).order_by("name")


# --- the contact step (reporters without an account) ------------------------------------------


class ContactForm(forms.Form):
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        error_messages={"required": _("Give your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone number"),
        max_length=20,
        required=False,
        help_text=_("We send a code by SMS to this number. Give a phone number or an email address."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.EmailField(
        label=_("Email address"),
        required=False,
        help_text=_("Without a phone number, we send the code to this address."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean(self):
        data = super().clean()
        if not self.errors and not (data.get("phone", "").strip() or data.get("email", "").strip()):
            self.add_error("phone", _("Give a phone number or an email address so the unit can answer you."))
        return data


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code you received"),
        max_length=12,
        help_text=_("Six digits."),
        error_messages={"required": _("Enter the code you received.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self):
        return self.cleaned_data["code"].strip().replace(" ", "")


# --- the report ---------------------------------------------------------------------------------


class CategoryField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return category_name(obj)


class PlaceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.name


class MultiplePhotoInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS_PER_REPORT files in one input; their content is checked by `feedback.photos`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultiplePhotoInput(attrs={"accept": PHOTO_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        items = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(items) > MAX_PHOTOS_PER_REPORT:
            raise forms.ValidationError(
                _("A report can have at most %(max)s photos."), params={"max": MAX_PHOTOS_PER_REPORT}
            )
        single = super().clean
        return [single(item, initial) for item in items]


class ReportForm(forms.Form):
    """What, where, photos. The place select lists every commune-level unit, or those matching `unit_q`."""

    category = CategoryField(
        label=_("What is the problem about?"),
        queryset=Category.objects.none(),  # set in __init__
        empty_label=_("Choose a category"),
        error_messages={"required": _("Choose a category."), "invalid_choice": _("Choose a category.")},
    )
    text = forms.CharField(
        label=_("Describe the problem"),
        max_length=5000,
        help_text=_("What is wrong, since when, and anything that helps the unit find it. At most 5,000 characters."),
        error_messages={"required": _("Describe the problem.")},
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    unit_q = forms.CharField(
        label=_("Search the list of wards and communes"),
        max_length=100,
        required=False,
        help_text=_("Type part of the name, with or without accents (for example “ben thanh”), then press “Search”."),
    )
    unit = PlaceField(
        label=_("Ward, commune or special zone"),
        queryset=Unit.objects.none(),  # set in __init__
        empty_label=_("Choose the ward, commune or special zone"),
        error_messages={
            "required": _("Choose the ward, commune or special zone where the problem is."),
            "invalid_choice": _("Choose the ward, commune or special zone where the problem is."),
        },
    )
    address = forms.CharField(
        label=_("Address or landmark"),
        max_length=300,
        help_text=_("House number and street, or a landmark nearby."),
        error_messages={"required": _("Give the address or a landmark.")},
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    latitude = forms.DecimalField(
        label=_("Latitude (optional)"),
        required=False,
        min_value=-90,
        max_value=90,
        help_text=_("For example 10.772. Give both latitude and longitude, or neither."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    longitude = forms.DecimalField(
        label=_("Longitude (optional)"),
        required=False,
        min_value=-180,
        max_value=180,
        help_text=_("For example 106.698."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    photos = PhotosField(
        label=_("Photos (optional)"),
        required=False,
        help_text=_("Up to 5 photos, JPEG or PNG, at most 10 MB each. You may choose several at once."),
    )
    keep_location = forms.BooleanField(
        label=_("Share the place where my photos were taken (their GPS position)"),
        required=False,
        help_text=_("Otherwise the location and every other detail your phone stores in a photo are removed."),
    )

    def __init__(self, *args, unit_search: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = categories_active().order_by("tier", "name_vi")
        # Validation accepts every commune-level unit; the list shown may be narrowed by the search.
        self.fields["unit"].queryset = place_units()
        self.unit_search = (unit_search or "").strip()[:100]
        if self.unit_search:
            matches = list(place_units(self.unit_search))
            chosen = self._chosen_unit_id()
            if chosen and all(str(u.pk) != chosen for u in matches):
                matches = [*Unit.objects.filter(pk=chosen, tier=Tier.COMMUNE, is_active=True), *matches]
            self.unit_matches = matches
            self.fields["unit"].choices = [("", self.fields["unit"].empty_label)] + [(u.pk, u.name) for u in matches]
        else:
            self.unit_matches = None

    def _chosen_unit_id(self) -> str:
        source = self.data if self.is_bound else self.initial
        value = source.get("unit") if source else None
        value = getattr(value, "pk", value)
        return str(value) if value not in (None, "") and str(value).isdigit() else ""

    def clean(self):
        data = super().clean()
        lat, lng = data.get("latitude"), data.get("longitude")
        if "latitude" not in self.errors and "longitude" not in self.errors and (lat is None) != (lng is None):
            self.add_error("latitude", _("Give both latitude and longitude, or neither."))
        return data


# --- the reporter's own report -----------------------------------------------------------------


class RateForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the answer?"),
        coerce=int,
        choices=[
            (1, _("1 – very unsatisfied")),
            (2, _("2 – unsatisfied")),
            (3, _("3 – neutral")),
            (4, _("4 – satisfied")),
            (5, _("5 – very satisfied")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a rating from 1 to 5."),
            "invalid_choice": _("Choose a rating from 1 to 5."),
        },
    )


class ReopenForm(forms.Form):
    note = forms.CharField(
        label=_("What is still wrong?"),
        max_length=2000,
        help_text=_("The unit reads this and handles your report again."),
        error_messages={"required": _("Say what is still wrong, so the unit knows what to do.")},
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Report code"),
        max_length=40,
        help_text=_("As shown when you sent the report, e.g. PA-26743-260115-0042."),
        error_messages={"required": _("Enter the report code.")},
    )

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()
