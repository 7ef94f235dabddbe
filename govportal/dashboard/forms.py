"""The dashboards' period form: GET `from`, `to` (dd/mm/yyyy or ISO) and `every` (week | month).

A wrong value never breaks the page: the form says what is wrong and the
dashboard shows the default period (the year so far) meanwhile.
"""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from govportal.dashboard.selectors import Period, default_period

DATE_INPUTS = ["%d/%m/%Y", "%Y-%m-%d"]
# A longer range would sum years of aggregates in one request; the evaluation is yearly anyway.
MAX_DAYS = 3 * 366
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)
# Weeks read well up to about half a year; beyond, months.
WEEKS_UP_TO_DAYS = 183


class PeriodForm(forms.Form):
    def __init__(self, data=None, *, today: date | None = None):
        super().__init__(data)
        default = default_period(today)
        self.default = default
        # "from" is a Python keyword: the fields are set here rather than declared.
        self.fields["from"] = forms.DateField(
            label=_("From"),
            required=False,
            input_formats=DATE_INPUTS,
            help_text=_("dd/mm/yyyy"),
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 10}),
        )
        self.fields["to"] = forms.DateField(
            label=_("To"),
            required=False,
            input_formats=DATE_INPUTS,
            help_text=_("dd/mm/yyyy"),
            widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "size": 10}),
        )
        self.fields["every"] = forms.ChoiceField(
            label=_("Trend by"),
            required=False,
            choices=[("", _("Automatic")), ("week", _("Week")), ("month", _("Month"))],
        )

    def clean(self):
        cleaned = super().clean()
        day_from, day_to = cleaned.get("from"), cleaned.get("to")
        for name, day in (("from", day_from), ("to", day_to)):
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(name, _("Enter a date between 01/01/2000 and 31/12/2100."))
        if self.errors:
            return cleaned
        day_to = day_to or (self.default.day_to if day_from is None or day_from <= self.default.day_to else day_from)
        day_from = day_from or date(day_to.year, 1, 1)
        if day_to < day_from:
            self.add_error("to", _("The end of the period comes before its start."))
        elif (day_to - day_from).days + 1 > MAX_DAYS:
            self.add_error("to", _("A period can be at most three years long."))
        else:
            cleaned["from"], cleaned["to"] = day_from, day_to
        return cleaned

    @property
    def period(self) -> Period:
        """The period asked for, or the default one when the form has errors."""
        if self.is_bound and self.is_valid():
            return Period(self.cleaned_data["from"], self.cleaned_data["to"])
        return self.default

    @property
    def every(self) -> str:
        chosen = self.cleaned_data.get("every") if self.is_bound and self.is_valid() else ""
        if chosen in ("week", "month"):
            return chosen
        return "week" if self.period.days <= WEEKS_UP_TO_DAYS else "month"
