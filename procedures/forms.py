"""Citizen forms for dossiers: starting, the draft (built from the procedure), supplement, withdrawal.

The draft form is built from `Procedure.form_fields` and the procedure's
required documents, so a new procedure needs data, not code. Every field of
the draft is optional here: a draft may be saved half done, and completeness
is the submit service's rule (`services.missing_for_submission`), not the form's.
"""

from decimal import Decimal

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from govportal.tiers.models import Unit, UnitKind

FIELD_PREFIX = "f_"
DOCUMENT_PREFIX = "doc_"
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
COMMUNE_KINDS = frozenset({UnitKind.WARD, UnitKind.COMMUNE, UnitKind.SPECIAL_ZONE})


def in_english() -> bool:
    return (get_language() or "vi").startswith("en")


def field_label(spec: dict) -> str:
    """The label of a procedure form field in the reader's language (Vietnamese when unsure)."""
    if in_english() and spec.get("label_en"):
        return spec["label_en"]
    return spec.get("label_vi") or spec.get("label_en") or spec["name"]


def document_label(document) -> str:
    if in_english() and document.name_en:
        return document.name_en
    return document.name_vi


def unit_choices(units) -> list:
    """Commune-level units first (where most citizens file), then the city departments.

    Any of them may receive a dossier: filing does not depend on residence.
    """
    communes = [(u.pk, u.name) for u in units if u.kind in COMMUNE_KINDS]
    departments = [(u.pk, u.name) for u in units if u.kind == UnitKind.DEPARTMENT]
    choices = [("", _("Choose a unit"))]
    if communes:
        choices.append((_("Wards, communes and special zone"), communes))
    if departments:
        choices.append((_("City departments"), departments))
    return choices


class UnitChoiceField(forms.TypedChoiceField):
    """A grouped select of receiving units that cleans to the Unit itself."""

    def __init__(self, *, units, **kwargs):
        self.units = {u.pk: u for u in units if u.kind in COMMUNE_KINDS or u.kind == UnitKind.DEPARTMENT}
        super().__init__(choices=unit_choices(self.units.values()), coerce=int, **kwargs)

    def clean(self, value):
        pk = super().clean(value)
        return self.units.get(pk) if pk not in (None, "") else None


def _receiving_unit_field(units, *, required: bool) -> UnitChoiceField:
    return UnitChoiceField(
        units=units,
        label=_("Receiving unit"),
        required=required,
        help_text=_("Any ward, commune or city department may receive your dossier, wherever you live."),
        error_messages={"required": _("Choose the unit that will receive your dossier.")},
    )


class StartForm(forms.Form):
    """Starting a dossier: asks for a receiving unit only when the citizen has no known residence."""

    def __init__(self, *args, units, needs_unit: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if needs_unit:
            self.fields["receiving_unit"] = _receiving_unit_field(units, required=True)


def _data_field(spec: dict) -> forms.Field:
    kind = spec.get("type", "text")
    common = {"label": field_label(spec), "required": False}
    if kind == "date":
        return forms.DateField(
            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            input_formats=["%Y-%m-%d", "%d/%m/%Y"],
            error_messages={"invalid": _("Enter a date as dd/mm/yyyy.")},
            **common,
        )
    if kind == "number":
        return forms.DecimalField(
            max_digits=18, decimal_places=4, widget=forms.NumberInput(attrs={"step": "any"}), **common
        )
    if kind == "textarea":
        return forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 4}), **common)
    return forms.CharField(max_length=500, **common)


def _stored(value) -> str:
    """Form data is kept as JSON text: ISO dates, plain decimal numbers."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return text
    return str(value).strip()


class DraftForm(forms.Form):
    """The one draft page: receiving unit, the procedure's fields, one file per document asked of the citizen.

    Fields filled from the population registry are not inputs: they are shown
    as facts, so what the officer reads as "from the registry" really is.
    """

    def __init__(self, *args, dossier, units, documents, **kwargs):
        self.dossier = dossier
        prefilled = set((dossier.reused_data or {}).get("fields", []))
        self.specs = [s for s in dossier.procedure.form_fields if s["name"] not in prefilled]
        self.asked_documents = [d for d in documents if not d.replaceable_by_registry]
        initial = {FIELD_PREFIX + s["name"]: dossier.form_data.get(s["name"], "") for s in self.specs}
        initial["receiving_unit"] = dossier.receiving_unit_id
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["receiving_unit"] = _receiving_unit_field(units, required=True)
        for spec in self.specs:
            field = _data_field(spec)
            if spec.get("required"):
                field.widget.attrs["aria-required"] = "true"
            self.fields[FIELD_PREFIX + spec["name"]] = field
        for document in self.asked_documents:
            self.fields[DOCUMENT_PREFIX + document.key] = forms.FileField(
                label=document_label(document),
                required=False,
                widget=forms.FileInput(attrs={"accept": ACCEPT}),
                help_text=_("PDF, JPEG or PNG, at most 10 MB."),
            )

    def data_fields(self) -> list[tuple[dict, forms.BoundField]]:
        return [(spec, self[FIELD_PREFIX + spec["name"]]) for spec in self.specs]

    def document_fields(self) -> list[tuple[object, forms.BoundField]]:
        return [(doc, self[DOCUMENT_PREFIX + doc.key]) for doc in self.asked_documents]

    def typed_data(self) -> dict:
        """The typed answers that are valid (call after is_valid(), whatever it returned)."""
        cleaned = getattr(self, "cleaned_data", {})
        return {
            spec["name"]: _stored(cleaned[FIELD_PREFIX + spec["name"]])
            for spec in self.specs
            if FIELD_PREFIX + spec["name"] in cleaned
        }

    def chosen_unit(self) -> Unit | None:
        return getattr(self, "cleaned_data", {}).get("receiving_unit")

    def uploads(self) -> list[tuple[str, str, object]]:
        """(form field name, document key, uploaded file) for every file chosen in this request."""
        cleaned = getattr(self, "cleaned_data", {})
        chosen = []
        for document in self.asked_documents:
            name = DOCUMENT_PREFIX + document.key
            if cleaned.get(name):
                chosen.append((name, document.key, cleaned[name]))
        return chosen


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class SupplementForm(forms.Form):
    files = MultipleFileField(
        label=_("Documents requested"),
        required=False,
        help_text=_("You may choose several files. PDF, JPEG or PNG, at most 10 MB each."),
    )
    note = forms.CharField(
        label=_("Message to the officer (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("files") and not (cleaned.get("note") or "").strip() and not self.errors:
            raise forms.ValidationError(_("Attach the documents requested, or write a message to the officer."))
        return cleaned


class WithdrawForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I want to withdraw this dossier. I understand that it will not be processed further."),
        required=True,
        error_messages={"required": _("Tick the box to confirm that you want to withdraw the dossier.")},
    )
    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )


class SubmitForm(forms.Form):
    """The review page's submit button: carries the version the citizen reviewed."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Dossier code"),
        max_length=40,
        help_text=_("As printed on your appointment slip, e.g. HCM-26743-260115-0042."),
        error_messages={"required": _("Enter the dossier code.")},
    )

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()
