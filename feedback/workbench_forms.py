"""Forms of the officers' 1022 workbench: the queue filters, one small form per action, the operator's intake.

The forms only parse and check the shape of the input; the decision (may
this user do this, now, to this report?) stays in
`feedback.services.report_transition` and `report_create`. Which action forms
a report's page shows comes from `services.report_actions_available`, so a
new rule of the table appears here without a template change.
"""

from django import forms
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from feedback import workflow
from feedback.forms import PhotosField, ReportForm, category_name, in_english
from feedback.models import Report
from feedback.selectors import categories_active
from feedback.workflow import Channel, RejectionReason, ReportStatus
from govportal.cases import pages
from govportal.cases.transfers import TransferReason
from govportal.tiers.models import Unit

# The committed date is typed as the portal writes dates; a browser's datetime-local value is accepted too.
DATETIME_INPUT_FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
DMY_HM = "%d/%m/%Y %H:%M"

# Actions the staff never take on a page (routing is the portal's; rating and reopening the reporter's).
NOT_ON_THE_WORKBENCH = frozenset({"route", "rate", "reopen"})
OPERATOR_CHANNELS = (Channel.HOTLINE, Channel.EMAIL, Channel.MESSAGING)


# --- the queue ----------------------------------------------------------------------------------


class ReportQueueFilterForm(forms.Form):
    """The queue's filters, sent as a GET form (a filtered queue is a link officers can share)."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [
            ("", _("All reports not closed")),
            *ReportStatus.choices,
        ]
        self.fields["category"].choices = [("", _("All categories"))] + [
            (category.code, category_name(category)) for category in categories_active().order_by("tier", "name_vi")
        ]

    def filters(self) -> dict:
        """Keyword arguments for the queue (none when the form is not valid)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "status": data["status"],
            "category_code": data["category"],
            "overdue": data["overdue"],
            "assigned_to_me": data["mine"],
        }


# --- one action on one report ---------------------------------------------------------------------


NOTE_LABELS = {
    "post_progress": _("How far the unit is (the reporter will read it)"),
    "answer": _("Answer (the reporter will read it)"),
    "reject": _("Reason for the rejection (the reporter will read it)"),
    "transfer": _("Note for the other unit"),
    "return_transfer": _("Why the report is returned"),
    "unpublish": _("Why the report is taken off the board"),
}


def merge_note(code: str) -> str:
    """The note a merge sends the reporter, in the portal's language (Vietnamese), whoever the officer is.

    Notes are stored as written and read by the reporter later; the
    officer's own interface language says nothing about the reporter's.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return str(
            _(
                "Your report describes the same problem as report %(code)s. The unit handles them together: "
                "you will receive the answer to %(code)s."
            )
        ) % {"code": code}


class ReportActionForm(forms.Form):
    """One workflow action on one report, with only the inputs its rule needs.

    Prefixed with the action name so several forms live on one page with
    distinct ids. `version` is the report version the officer saw: the service
    refuses the action if anyone changed the report since.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, rule: workflow.Rule, report: Report, **kwargs):
        kwargs.setdefault("prefix", rule.action)
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.report = report
        if not self.is_bound:
            self.initial.setdefault("version", report.version)
        action = rule.action
        if rule.needs_note:
            self.fields["note"] = forms.CharField(
                label=NOTE_LABELS.get(action, _("Note")),
                widget=forms.Textarea(attrs={"rows": 4 if action == "answer" else 3}),
                max_length=5000,
            )
        if action == "post_progress":
            self.fields["committed_at"] = forms.DateTimeField(
                label=_("Committed date (dd/mm/yyyy hh:mm)"),
                help_text=_(
                    "The date by which the unit will answer: later than the legal due date, which never moves."
                ),
                input_formats=DATETIME_INPUT_FORMATS,
                widget=forms.DateTimeInput(
                    format=DMY_HM, attrs={"placeholder": "dd/mm/yyyy hh:mm", "inputmode": "numeric"}
                ),
            )
        if action == "answer":
            self.fields["photos"] = PhotosField(
                label=_("Photos of the fix (optional)"),
                required=False,
                help_text=_("Up to 5 photos, JPEG or PNG, at most 10 MB each."),
            )
        if action == "reject":
            self.fields["reason"] = forms.ChoiceField(
                label=_("Reason code"), choices=[("", _("Choose a reason")), *RejectionReason.choices]
            )
            self.fields["duplicate_of"] = forms.CharField(
                label=_("Report it repeats (its code, for a duplicate)"),
                required=False,
                max_length=40,
                help_text=_("For example PA-26743-260115-0042. The report is merged into that one."),
            )
        if rule.needs_unit:
            english = in_english()
            self._units = {
                str(unit.pk): unit
                for unit in Unit.objects.filter(is_active=True)
                .exclude(pk=report.acting_unit_id)
                .order_by("tier", "name")
            }
            groups: dict[str, list] = {}
            for key, unit in self._units.items():
                name = unit.name_en if english and unit.name_en else unit.name
                groups.setdefault(unit.get_tier_display(), []).append((key, f"{name} ({unit.code})"))
            self.fields["unit"] = forms.ChoiceField(
                label=_("Transfer to"), choices=[("", _("Choose a unit")), *groups.items()]
            )
        if rule.needs_reason:
            self.fields["reason"] = forms.ChoiceField(
                label=_("Reason for the transfer"), choices=[("", _("Choose a reason")), *TransferReason.choices]
            )
        if action == "publish":
            self.fields["public_text"] = forms.CharField(
                label=_("Report as the board shows it"),
                help_text=_("Take out names, phone numbers, house numbers and anything else that identifies a person."),
                widget=forms.Textarea(attrs={"rows": 5}),
                max_length=5000,
            )
            self.fields["public_answer"] = forms.CharField(
                label=_("Answer as the board shows it"),
                help_text=_("Take out names, phone numbers and anything else that identifies a person."),
                widget=forms.Textarea(attrs={"rows": 5}),
                max_length=5000,
            )
            if not self.is_bound:
                self.initial.setdefault("public_text", report.public_text or report.text)
                self.initial.setdefault("public_answer", report.public_answer or report.answer)
        if action == "assign":
            self.fields["assignee"] = pages.UserChoiceField(
                label=_("Officer"), queryset=pages.unit_staff(report.acting_unit_id), empty_label=_("Choose an officer")
            )

    def clean_unit(self):
        return self._units[self.cleaned_data["unit"]]

    def clean_duplicate_of(self):
        code = (self.cleaned_data.get("duplicate_of") or "").strip().upper()
        if not code:
            return None
        original = Report.objects.filter(code=code).first()
        if original is None:
            raise forms.ValidationError(_("No report has this code."), code="unknown_report")
        return original

    def clean(self):
        data = super().clean()
        if self.rule.action == "reject" and data.get("reason") == RejectionReason.DUPLICATE:
            if not data.get("duplicate_of") and "duplicate_of" not in self.errors:
                self.add_error("duplicate_of", _("Give the code of the report this one repeats."))
        return data

    def service_kwargs(self) -> dict:
        """Keyword arguments for `services.report_transition`, from the cleaned data."""
        data = self.cleaned_data
        kwargs = {"note": data.get("note", ""), "expected_version": data["version"]}
        for name in ("unit", "reason", "committed_at", "assignee", "public_text", "public_answer"):
            if data.get(name) not in (None, ""):
                kwargs[name] = data[name]
        if data.get("photos"):
            kwargs["photos"] = data["photos"]
        if self.rule.action == "reject" and data.get("reason") == RejectionReason.DUPLICATE:
            kwargs["duplicate_of"] = data.get("duplicate_of")
        return kwargs


# --- the operator's intake (hotline, email, messaging) ------------------------------------------


class OperatorReportForm(ReportForm):
    """A report taken by an operator: the channel and the caller's contact, then what and where.

    The citizen's form without its place search (operators pick from the full
    list) and without the photo-location choice (photos sent by email or chat
    are always stripped).
    """

    channel = forms.ChoiceField(
        label=_("Received by"),
        choices=[("", _("Choose the channel")), *[(c.value, c.label) for c in OPERATOR_CHANNELS]],
        error_messages={"required": _("Choose the channel.")},
    )
    contact_name = forms.CharField(
        label=_("Caller's or sender's name"),
        max_length=200,
        error_messages={"required": _("Give the name of the person who reports.")},
    )
    contact_phone = forms.CharField(
        label=_("Phone number"),
        max_length=20,
        required=False,
        help_text=_("The unit calls or texts this number back. Give it, or an email address, or both."),
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    contact_email = forms.EmailField(label=_("Email address"), required=False)

    field_order = [
        "channel",
        "contact_name",
        "contact_phone",
        "contact_email",
        "category",
        "unit",
        "address",
        "text",
        "latitude",
        "longitude",
        "photos",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["unit_q"]
        del self.fields["keep_location"]
        self.fields["text"].label = _("What the person reports")
        self.fields["category"].queryset = categories_active().order_by("tier", "name_vi")

    def clean(self):
        data = super().clean()
        if not self.has_error("contact_phone") and not self.has_error("contact_email"):
            if not (data.get("contact_phone", "").strip() or data.get("contact_email", "").strip()):
                self.add_error("contact_phone", _("Give a phone number or an email address so the unit can answer."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "category": data["category"],
            "text": data["text"],
            "unit": data["unit"],
            "address": data["address"],
            "latitude": data.get("latitude"),
            "longitude": data.get("longitude"),
            "contact_name": data["contact_name"],
            "contact_phone": data.get("contact_phone", ""),
            "contact_email": data.get("contact_email", ""),
            "channel": data["channel"],
            "photos": data.get("photos") or (),
        }
