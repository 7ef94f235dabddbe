"""The rules of a procedure's form fields, in one place for every door.

A procedure's form is data (`Procedure.form_fields`: name, labels, type,
required, prefill). Each type maps to one Django form field here. The
citizen's draft page builds its inputs from it, the services clean what the
API (or any caller) saves with it, and the submission re-checks what is
stored with it: a value refused on one door cannot come in through another,
and a bad value already stored cannot be submitted.

Every field is optional while the dossier is a draft (a draft may be saved
half done); which fields must be filled is the submission's rule
(`services.missing_for_submission`). Values are stored as JSON text: ISO
dates (yyyy-mm-dd), plain decimal numbers, stripped text.
"""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def field_for(spec: dict, *, label: str | None = None) -> forms.Field:
    """The form field that checks values of this kind (all optional: completeness is checked at submission)."""
    kind = spec.get("type", "text")
    common = {"label": label or spec.get("label_vi") or spec["name"], "required": False}
    if kind == "date":
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            input_formats=DATE_INPUT_FORMATS,
            error_messages={"invalid": _("Enter a date as dd/mm/yyyy.")},
            **common,
        )
    if kind == "number":
        return forms.DecimalField(
            max_digits=18,
            decimal_places=4,
            widget=forms.NumberInput(attrs={"step": "any"}),
            **common,
        )
    if kind == "textarea":
        return forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 4}), **common)
    return forms.CharField(max_length=500, **common)


def stored(value) -> str:
    """A cleaned value as it is kept in `Dossier.form_data`."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value).strip()


def clean_value(spec: dict, value) -> str:
    """The stored form of `value`, or forms.ValidationError when the field's rule refuses it."""
    return stored(field_for(spec).clean(value))


def clean_form_data(form_fields: list[dict], data: dict) -> tuple[dict, dict]:
    """(cleaned values, errors per field name) for answers sent to a draft; unknown names are errors."""
    specs = {spec["name"]: spec for spec in form_fields}
    cleaned: dict = {}
    errors: dict = {}
    for name, value in data.items():
        spec = specs.get(name)
        if spec is None:
            errors[name] = [str(_("This procedure has no such field."))]
            continue
        try:
            cleaned[name] = clean_value(spec, value)
        except forms.ValidationError as error:
            errors[name] = [str(message) for message in error.messages]
    return cleaned, errors


def stored_errors(form_fields: list[dict], form_data: dict) -> dict:
    """Errors per field of the values already stored (checked again at submission)."""
    errors = {}
    for spec in form_fields:
        value = form_data.get(spec["name"])
        if value in (None, ""):
            continue
        try:
            clean_value(spec, value)
        except forms.ValidationError as error:
            errors[spec["name"]] = [str(message) for message in error.messages]
    return errors
