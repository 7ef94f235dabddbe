"""The officer workbench: the unit's queue, bulk receipt, one dossier and its actions.

Thin views: the queue and the dossier come from `procedures.selectors`, every
change goes through `services.dossier_transition` (one call per action), and
what a user may do is decided there and in `identity.access`. The queue works
without JavaScript; with htmx the filter form swaps only the table.
"""

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.db import DatabaseError
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from govportal import keyset
from govportal.api.errors import ApplicationError
from govportal.cases import pages
from govportal.templatetags.portal import dmy
from identity import access
from procedures import selectors, services, workflow
from procedures.workbench_forms import ActionForm, QueueFilterForm
from procedures.workflow import DossierStatus

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
CURSOR = "after"  # the query parameter of the next page's link (govportal.keyset)
# A bulk receipt handles at most one page of the queue: each dossier is its own transaction.
MAX_BULK = PAGE_SIZE

QUEUE_TEMPLATE = "procedures/workbench/queue.html"
QUEUE_TABLE_TEMPLATE = "procedures/workbench/queue_table.html"
DOSSIER_TEMPLATE = "procedures/workbench/dossier.html"


def _require_queue_access(user) -> None:
    """The queue is for officers and heads: it lists the units they act for."""
    if not access.units_where(user, access.OFFICER, access.HEAD):
        raise PermissionDenied


def _require_staff(user) -> None:
    """Dossier pages are for staff (city admins read them too); citizens use their own pages."""
    if not access.is_staff_member(user):
        raise PermissionDenied


def _is_overdue(dossier, now) -> bool:
    # The one definition (Dossier.is_overdue_at = Dossier.objects.overdue), as the queue's filter.
    return dossier.is_overdue_at(now)


# --- the queue ---------------------------------------------------------------------


@login_required
@require_GET
def workbench(request):
    """The queue of the units the officer acts for, soonest due first.

    A fixed number of queries whatever the queue's size, and no count: pages
    follow a cursor (`?after=`), each branch of the queue read from its index
    one page long, with its procedure, units and people (`dossier_queue_page`).
    """
    _require_queue_access(request.user)
    form = QueueFilterForm(request.GET or None)
    cursor = request.GET.get(CURSOR, "")
    try:
        page = selectors.dossier_queue_page(user=request.user, cursor=cursor, size=PAGE_SIZE, **form.filters())
    except keyset.InvalidCursor:  # an edited link: the first page, as for any bad filter value
        cursor = ""
        page = selectors.dossier_queue_page(user=request.user, size=PAGE_SIZE, **form.filters())
    now = timezone.now()
    rows = page.rows
    for dossier in rows:
        dossier.overdue = _is_overdue(dossier, now)
    params = request.GET.copy()
    params.pop(CURSOR, None)
    params.pop("page", None)  # links of the page-number queue, still in bookmarks
    context = {
        "filter_form": form,
        "rows": rows,
        "next_cursor": page.next_cursor,
        "not_first_page": bool(cursor),
        "query": params.urlencode(),
        "query_with_page": request.GET.urlencode(),
        "can_bulk_receive": any(d.status == DossierStatus.SUBMITTED for d in rows),
        "english": (get_language() or "").startswith("en"),
    }
    htmx = getattr(request, "htmx", None)
    # A history restore asks for the whole page (htmx lost its snapshot).
    partial = bool(htmx) and not htmx.history_restore_request
    response = render(request, QUEUE_TABLE_TEMPLATE if partial else QUEUE_TEMPLATE, context)
    # The same URL answers a table or a page: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _back_to_queue(request):
    query = QueryDict(request.POST.get("query", "")).urlencode()
    url = reverse("workbench")
    return redirect(f"{url}?{query}" if query else url)


@login_required
@require_POST
def bulk_receive(request):
    """Receive the selected dossiers, one transaction each; report what worked and what did not.

    One dossier failing (already received by a colleague, transferred away)
    never stops the others, and never shows the officer an error page.
    """
    _require_queue_access(request.user)
    codes = list(dict.fromkeys(code.strip() for code in request.POST.getlist("dossiers") if code.strip()))
    if not codes:
        messages.warning(request, _("Select at least one dossier to receive."))
        return _back_to_queue(request)
    if len(codes) > MAX_BULK:
        messages.error(
            request,
            _("Select at most %(max)s dossiers at a time. Nothing was received.") % {"max": MAX_BULK},
        )
        return _back_to_queue(request)

    received, failed = [], []
    for code in codes:
        try:
            dossier = selectors.dossier_get_for(user=request.user, code=code)
            services.dossier_transition(dossier=dossier, action="receive", actor=request.user)
        except (Http404, ObjectDoesNotExist):
            failed.append((code[:40], _("not found in your units' dossiers")))
        except ApplicationError as error:
            failed.append((code, error.detail))
        except DatabaseError:
            logger.exception("Bulk receipt of %s failed", code)
            failed.append((code, _("could not be saved just now; try again")))
        else:
            received.append(code)

    if received:
        messages.success(
            request,
            ngettext(
                "%(count)s dossier received: %(codes)s.",
                "%(count)s dossiers received: %(codes)s.",
                len(received),
            )
            % {"count": len(received), "codes": ", ".join(received)},
        )
    if failed:
        messages.error(
            request,
            ngettext(
                "%(count)s dossier was not received:",
                "%(count)s dossiers were not received:",
                len(failed),
            )
            % {"count": len(failed)},
        )
        for code, reason in failed:
            messages.error(request, f"{code}: {reason}")
    return _back_to_queue(request)


# --- one dossier -------------------------------------------------------------------


def _form_rows(dossier, english: bool) -> list[dict]:
    """The form data as (label, value, from the registry?) rows, in the procedure's order."""
    reused = set(dossier.reused_data.get("fields", []))
    data = dict(dossier.form_data)
    rows = []
    for field in dossier.procedure.form_fields:
        name = field.get("name")
        label = (field.get("label_en") if english else field.get("label_vi")) or field.get("label_vi") or name
        value = data.pop(name, "")
        if field.get("type") == "date":
            value = dmy(value)  # stored as ISO, read as dd/mm/yyyy
        rows.append({"label": label, "value": value, "reused": name in reused})
    # Data kept from an earlier version of the procedure's form is shown too, never hidden.
    for name, value in data.items():
        rows.append({"label": name, "value": value, "reused": name in reused})
    return rows


def _registry_record(user, dossier):
    """The applicant's registry record for this case: an audited read, only for the acting unit's staff.

    Returns (record, unavailable): a registry that cannot be reached must not
    take the whole dossier page down with it.
    """
    personal_id = dossier.applicant.personal_id
    if not personal_id or not access.can(user, "registry.read_for_case", dossier):
        return None, False
    from identity.registry.services import registry_lookup

    try:
        record = registry_lookup(
            personal_id=personal_id, actor=user, purpose="dossier review", case_ref=f"dossier:{dossier.code}"
        )
    except Exception:  # the backend's own errors (network, credentials) are not known here
        logger.exception("Registry read for dossier %s failed", dossier.code)
        return None, True
    return record, False


def _render_dossier(request, dossier, *, bound: ActionForm | None = None, keep: tuple = (), status: int = 200):
    user = request.user
    english = (get_language() or "").startswith("en")
    action_forms = []
    for rule in pages.staff_rules(user, dossier, services.actions_available(dossier=dossier, user=user)):
        if bound is not None and bound.rule.action == rule.action:
            action_forms.append(bound)
            continue
        initial = {"note": keep[1]} if keep and keep[0] == rule.action else None
        action_forms.append(ActionForm(rule=rule, dossier=dossier, initial=initial))
    documents = list(dossier.documents.all())
    required = list(dossier.procedure.documents.all())
    names = {doc.key: (doc.name_en if english and doc.name_en else doc.name_vi) for doc in required}
    for document in documents:
        document.label = names.get(document.key, "")
        document.url = f"/dossiers/{dossier.code}/documents/{document.pk}/"
    reused_documents = [names.get(key, key) for key in dossier.reused_data.get("documents", [])]
    record, registry_unavailable = _registry_record(user, dossier)
    context = {
        "dossier": dossier,
        "english": english,
        "form_rows": _form_rows(dossier, english),
        "documents": documents,
        "reused_documents": reused_documents,
        "record": record,
        "registry_allowed": access.can(user, "registry.read_for_case", dossier),
        "registry_unavailable": registry_unavailable,
        "events": selectors.timeline(dossier=dossier),
        "action_forms": action_forms,
        "overdue": _is_overdue(dossier, timezone.now()),
        "slip_url": f"/dossiers/{dossier.code}/slip/" if dossier.received_at else "",
    }
    return render(request, DOSSIER_TEMPLATE, context, status=status)


@login_required
@require_GET
def dossier_detail(request, code):
    _require_staff(request.user)
    dossier = selectors.dossier_get_for(user=request.user, code=code)
    return _render_dossier(request, dossier)


@login_required
@require_POST
def dossier_action(request, code, action):
    """One action on one dossier: one service call, then back to the dossier.

    A stale form (someone acted since the page was loaded) shows the dossier
    as it is now with a clear message; the officer's note is kept in its form.
    """
    _require_staff(request.user)
    rule = workflow.ACTIONS.get(action)
    if rule is None:
        raise Http404
    dossier = selectors.dossier_get_for(user=request.user, code=code)
    form = ActionForm(request.POST, request.FILES, rule=rule, dossier=dossier)

    def render(*, fresh=False, **kwargs):
        shown = selectors.dossier_get_for(user=request.user, code=code) if fresh else dossier
        return _render_dossier(request, shown, **kwargs)

    refused = pages.act(
        request,
        rule=rule,
        form=form,
        apply=lambda **kwargs: services.dossier_transition(
            dossier=dossier, action=action, actor=request.user, **kwargs
        ),
        render=render,
        stale_message=_(
            "Another officer changed this dossier while you were looking at it, so nothing was done. "
            "The page now shows it as it is: check it, then act again if it is still needed."
        ),
    )
    if refused is not None:
        return refused
    messages.success(request, _("Done: “%(action)s” (%(code)s).") % {"action": rule.label, "code": code})
    return redirect("workbench-dossier", code=code)
