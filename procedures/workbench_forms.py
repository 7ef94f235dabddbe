"""Forms of the officer workbench: the queue filters and one small form per workflow action.

The forms only parse and check input; the decision (may this user do this,
now, to this dossier?) stays in `services.dossier_transition`. Which action
forms a page shows is derived from the workflow table, so a new rule appears
in the workbench without a template change.
"""

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from govportal.api.errors import ApplicationError
from govportal.cases import pages
from govportal.templatetags.portal import dmyhm
from govportal.tiers.models import Unit
from govportal.tiers.selectors import work_calendar
from procedures import workflow
from procedures.deadlines import apology_max_date
from procedures.models import Dossier, Procedure
from procedures.uploads import check_upload
from procedures.workflow import DossierStatus

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class QueueFilterForm(forms.Form):
    """The queue's filters, sent as a GET form (so a filtered queue is a link officers can share)."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    procedure = forms.ChoiceField(label=_("Procedure"), required=False)
    due_soon = forms.BooleanField(label=_("Due within 2 days"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All open dossiers"))] + [
            (value, label) for value, label in DossierStatus.choices if value != DossierStatus.DRAFT
        ]
        english = (get_language() or "").startswith("en")
        procedures = (
            Procedure.objects.filter(is_active=True).order_by("name_vi").values_list("code", "name_vi", "name_en")
        )
        self.fields["procedure"].choices = [("", _("All procedures"))] + [
            (code, f"{(name_en if english and name_en else name_vi)} ({code})") for code, name_vi, name_en in procedures
        ]

    def filters(self) -> dict:
        """Keyword arguments for `selectors.dossier_queue` (none when the form is not valid)."""
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "status": data["status"],
            "procedure_code": data["procedure"],
            "due_soon": data["due_soon"],
            "overdue": data["overdue"],
            "assigned_to_me": data["mine"],
        }


def _apology_range(dossier: Dossier) -> str:
    """The dates an apology may promise (docs/0006), so the officer need not guess."""
    if dossier.due_at is None or dossier.received_at is None:
        return ""
    latest = apology_max_date(dossier.procedure, dossier.due_at, dossier.received_at, work_calendar())
    return _("Later than the legal due date (%(due)s), at the latest %(latest)s.") % {
        "due": dmyhm(dossier.due_at),
        "latest": dmyhm(latest),
    }


def _unit_label(unit: Unit, english: bool) -> str:
    return (unit.name_en if english and unit.name_en else unit.name) + f" ({unit.code})"


class ActionForm(forms.Form):
    """One workflow action on one dossier, with only the inputs its rule needs.

    Prefixed with the action name so that several forms live on one page with
    distinct ids. `version` is the dossier version the officer saw: the
    service refuses the action if anyone changed the dossier since.
    """

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, rule: workflow.Rule, dossier: Dossier, **kwargs):
        kwargs.setdefault("prefix", rule.action)
        super().__init__(*args, **kwargs)
        self.rule = rule
        self.dossier = dossier
        if not self.is_bound:
            self.initial.setdefault("version", dossier.version)
        if rule.needs_note:
            self.fields["note"] = forms.CharField(
                label=_("Reason (the citizen will read it)"),
                widget=forms.Textarea(attrs={"rows": 3}),
                max_length=2000,
            )
        if rule.needs_unit:
            # ~190 units: grouped by tier (city and its departments first) so the list can be scanned.
            english = (get_language() or "").startswith("en")
            self._units = {
                str(unit.pk): unit
                for unit in Unit.objects.filter(is_active=True)
                .exclude(pk=dossier.acting_unit_id)
                .order_by("tier", "name")
            }
            groups: dict[str, list] = {}
            for key, unit in self._units.items():
                groups.setdefault(unit.get_tier_display(), []).append((key, _unit_label(unit, english)))
            self.fields["unit"] = forms.ChoiceField(
                label=_("Transfer to"), choices=[("", _("Choose a unit")), *groups.items()]
            )
        if rule.needs_reason:
            self.fields["reason"] = forms.ChoiceField(
                label=_("Reason for the transfer"),
                choices=[("", _("Choose a reason")), *workflow.TransferReason.choices],
            )
        if rule.needs_result:
            self.fields["result"] = forms.FileField(
                label=_("Result document (PDF, JPEG or PNG, at most 10 MB)"),
                widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
            )
        if rule.action == "apologise":
            self.fields["new_due_at"] = forms.DateTimeField(
                label=_("New due date"),
                help_text=_apology_range(dossier),
                input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S"],
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
            )
        if rule.action == "assign":
            self.fields["assignee"] = pages.UserChoiceField(
                label=_("Officer"),
                queryset=pages.unit_staff(dossier.acting_unit_id),
                empty_label=_("Choose an officer"),
            )

    def clean_unit(self):
        return self._units[self.cleaned_data["unit"]]

    def clean_result(self):
        upload = self.cleaned_data["result"]
        try:
            check_upload(upload)
        except ApplicationError as error:
            raise forms.ValidationError(error.detail, code=error.code) from error
        return upload

    def service_kwargs(self) -> dict:
        """Keyword arguments for `services.dossier_transition`, from the cleaned data."""
        data = self.cleaned_data
        return {
            "note": data.get("note", ""),
            "unit": data.get("unit"),
            "reason": data.get("reason", ""),
            "result_upload": data.get("result"),
            "new_due_at": data.get("new_due_at"),
            "assignee": data.get("assignee"),
            "expected_version": data["version"],
        }
