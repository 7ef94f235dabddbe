"""The login page's form: pick a demo citizen or type an ID number, and a level.

Messages are bilingual pairs (Vietnamese, then English) rather than gettext
strings: the mock provider stands in for a national system with its own fixed
bilingual page, whatever language the portal is set to.
"""

import re

from django import forms
from django.utils.formats import date_format

ID_FORMAT = ("Số định danh cá nhân phải gồm đúng 12 chữ số.", "A personal ID number has exactly 12 digits.")
ID_UNKNOWN = (
    "Không tìm thấy số định danh này trong cơ sở dữ liệu dân cư mô phỏng.",
    "This ID number is not in the mock population registry.",
)
PICK_ONE = ("Hãy chọn một công dân hoặc nhập số định danh cá nhân.", "Pick a citizen or type a personal ID number.")
PICK_CONFLICT = (
    "Bạn vừa chọn một công dân vừa nhập một số định danh khác. Hãy chỉ dùng một cách.",
    "You picked a citizen and typed a different ID number. Use only one.",
)
ENGLISH = {vi: en for vi, en in (ID_FORMAT, ID_UNKNOWN, PICK_ONE, PICK_CONFLICT)}

LEVEL_CHOICES = [
    (2, "Mức 2 – đã xác thực trực tiếp"),
    (1, "Mức 1 – cơ bản"),
]


def person_label(person) -> str:
    return f"{person.full_name} – {person.personal_id} – {date_format(person.birth_date, 'd/m/Y')}"


class CitizenLoginForm(forms.Form):
    person = forms.ChoiceField(required=False, widget=forms.RadioSelect)
    personal_id = forms.CharField(required=False, max_length=32, strip=True)
    eid_level = forms.TypedChoiceField(choices=LEVEL_CHOICES, coerce=int, initial=2, widget=forms.RadioSelect)

    def __init__(self, *args, people=(), lookup, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = list(people)
        self.lookup = lookup
        self.fields["person"].choices = [(p.personal_id, person_label(p)) for p in self.people]

    def clean_personal_id(self) -> str:
        value = re.sub(r"[\s.]", "", self.cleaned_data.get("personal_id") or "")
        if value and not re.fullmatch(r"\d{12}", value):
            raise forms.ValidationError(ID_FORMAT[0], code="id_format")
        return value

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        typed, picked = cleaned.get("personal_id"), cleaned.get("person")
        if typed and picked and typed != picked:
            raise forms.ValidationError(PICK_CONFLICT[0], code="conflict")
        personal_id = typed or picked
        if not personal_id:
            raise forms.ValidationError(PICK_ONE[0], code="required")
        record = self.lookup(personal_id)
        if record is None:
            self.add_error("personal_id" if typed else None, forms.ValidationError(ID_UNKNOWN[0], code="id_unknown"))
            return cleaned
        cleaned["record"] = record
        return cleaned

    def bilingual_errors(self) -> dict[str, list[tuple[str, str]]]:
        """Errors by field ("__all__" for the form) as (Vietnamese, English) pairs."""
        return {
            name: [(message, ENGLISH.get(message, "")) for message in messages]
            for name, messages in self.errors.items()
        }
