"""What every kind's staff page shares: the actions offered, the people a head assigns, and one action's POST.

Each case app keeps its own pages and forms (what a dossier or a report
shows); the steps that are the same for every kind live here once.
"""

from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from govportal.api.errors import ApplicationError
from govportal.cases.workflow import Rule
from identity import access


def staff_rules(user, case, available: list[Rule], *, hidden: frozenset = frozenset()) -> list[Rule]:
    """Of the service's own answer (`available`), the rules staff apply on a staff page.

    Rules only the applicant or the portal itself apply are never offered
    there, even to an officer who happens to be the applicant; `hidden` names
    the kind's actions that have no place on the workbench.
    """
    staff_roles = access.acting_roles(user, case) - {access.APPLICANT}
    return [rule for rule in available if rule.actors & staff_roles and rule.action not in hidden]


def unit_staff(unit_id):
    """Officers and heads with an active posting at the unit (the people a head may assign)."""
    return (
        get_user_model()
        .objects.filter(
            postings__unit_id=unit_id,
            postings__is_active=True,
            postings__role__in=[access.OFFICER, access.HEAD],
            is_active=True,
        )
        .distinct()
        .order_by("full_name", "username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.full_name or obj.username


def add_service_errors(form: forms.Form, error: ApplicationError, *, fields: dict | None = None) -> None:
    """A service refusal on the form: per-field messages by the fields (renamed by `fields`), the rest on top."""
    fields = fields or {}
    per_field = (error.extra or {}).get("errors") or {}
    for name, found in per_field.items():
        target = fields.get(name, name)
        for message in found if isinstance(found, list | tuple) else [found]:
            form.add_error(target if target in form.fields else None, message)
    if not per_field:
        form.add_error(None, error.detail)


def act(request, *, rule: Rule, form, apply: Callable[..., object], render: Callable, stale_message: str):
    """The POST of one action form on a staff page; None when the action was recorded (the caller redirects).

    An invalid form comes back with its errors (400). A stale form (someone
    acted since the page was loaded) shows the case as it is now with a clear
    message and the officer's note kept (`render(fresh=True, keep=(action,
    note))`). Any other refusal of the service comes back on the form with its
    status (400/403/409), never a 500. `apply(**form.service_kwargs())` calls
    the kind's transition service.
    """
    if not form.is_valid():
        messages.error(request, _("Check the highlighted fields of “%(action)s”.") % {"action": rule.label})
        return render(bound=form, status=400)
    try:
        apply(**form.service_kwargs())
    except ApplicationError as error:
        if error.code == "stale":
            messages.error(request, stale_message)
            keep = (rule.action, form.cleaned_data.get("note", ""))
            return render(fresh=True, keep=keep, status=error.status_code)
        messages.error(request, error.detail)
        add_service_errors(form, error)
        return render(fresh=True, bound=form, status=error.status_code)
    return None
