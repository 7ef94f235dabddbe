"""Citizen forms for dossiers: starting, the draft (built from the procedure), supplement, withdrawal, rating.

The draft form is built from `Procedure.form_fields` and the procedure's
required documents, so a new procedure needs data, not code. Every field of
the draft is optional here: a draft may be saved half done, and completeness
is the submit service's rule (`services.missing_for_submission`), not the form's.
"""

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from govportal.tiers.models import Tier, Unit, UnitKind
from procedures import form_rules

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
    """City agencies first (a city-tier procedure's department and the service centre), then the
    commune-level units (where most citizens file).

    The units are those that may receive the procedure (`receiving_units_for`),
    whatever the citizen's residence.
    """
    city = [(u.pk, u.name) for u in units if u.tier == Tier.CITY]
    communes = [(u.pk, u.name) for u in units if u.kind in COMMUNE_KINDS]
    choices = [("", _("Choose a unit"))]
    if city:
        choices.append((_("City agencies"), city))
    if communes:
        choices.append((_("Wards, communes and special zone"), communes))
    return choices


class UnitChoiceField(forms.TypedChoiceField):
    """A grouped select of receiving units that cleans to the Unit itself.

    A unit that is not offered is refused with `refusal(unit_id)`'s message when
    given (why that unit may not receive the procedure), else Django's own.
    """

    def __init__(self, *, units, refusal=None, **kwargs):
        self.units = {u.pk: u for u in units if u.kind in COMMUNE_KINDS or u.tier == Tier.CITY}
        self.refusal = refusal
        super().__init__(choices=unit_choices(self.units.values()), coerce=int, **kwargs)

    def validate(self, value):
        if self.refusal is not None and value not in self.empty_values and not self.valid_value(value):
            message = self.refusal(int(value)) if str(value).isdigit() else None
            if message:
                raise forms.ValidationError(message, code="receiving_unit_not_allowed")
        super().validate(value)

    def clean(self, value):
        pk = super().clean(value)
        return self.units.get(pk) if pk not in (None, "") else None


def _refusal_for(procedure):
    """The service's message for a unit that may not receive `procedure` (one rule, one message)."""

    def refusal(unit_id: int) -> str | None:
        from procedures.services import receiving_unit_refusal

        unit = Unit.objects.filter(pk=unit_id).first()
        error = receiving_unit_refusal(procedure, unit) if unit is not None else None
        return error.detail if error is not None else None

    return refusal


def _receiving_unit_field(units, *, procedure, required: bool) -> UnitChoiceField:
    if procedure.tier == Tier.CITY:
        help_text = _(
            "File at the department that decides, at the city's Public Administration Service Centre, or at any "
            "ward, commune or special zone, wherever you live: it forwards the dossier to the department."
        )
    else:
        help_text = _(
            "Any ward, commune or special zone of the city receives and decides this procedure, wherever you live."
        )
    return UnitChoiceField(
        units=units,
        refusal=_refusal_for(procedure),
        label=_("Receiving unit"),
        required=required,
        help_text=help_text,
        error_messages={"required": _("Choose the unit that will receive your dossier.")},
    )


class StartForm(forms.Form):
    """Starting a dossier: asks for a receiving unit only when the citizen's residence cannot receive it
    (no known residence)."""

    def __init__(self, *args, units, needs_unit: bool, procedure, **kwargs):
        super().__init__(*args, **kwargs)
        if needs_unit:
            self.fields["receiving_unit"] = _receiving_unit_field(units, procedure=procedure, required=True)


def _data_field(spec: dict) -> forms.Field:
    """The input of one procedure field: its rule is `form_rules`', shared with the API and the submission."""
    return form_rules.field_for(spec, label=field_label(spec))


_stored = form_rules.stored


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
        self.fields["receiving_unit"] = _receiving_unit_field(units, procedure=dossier.procedure, required=True)
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


class RateForm(forms.Form):
    """The applicant rates the service once the unit has finished (the service checks the value again).

    The five answers are the 1022 reports' (feedback.forms.RateForm), so both
    satisfaction questions read alike and are already translated.
    """

    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the service?"),
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
