"""One transition service for every kind of case: lock, check, change, audit, notify on commit (docs/0007).

A kind hands over its table (govportal.cases.workflow.Table), its effects (what
an action does beyond the status), its guards (what the case's own data
forbids), the step that applies the clock and picks the target status, and
its words. The order of the checks, the version check, the actor check against
`identity.access`, the input every kind shares (note, unit, transfer reason),
the audit event and the notice on commit are written here once.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from govportal.api.errors import ApplicationError
from govportal.cases.actors import SYSTEM
from govportal.cases.transfers import TransferReason
from govportal.cases.workflow import Rule, Table
from identity import access


@dataclass(frozen=True)
class Messages:
    """The kind's words (already translated when read: gettext_lazy or a callable is fine)."""

    stale: str
    forbidden: str
    not_allowed: str  # with %(action)s and %(status)s
    note_missing: str


@dataclass(frozen=True)
class Transitions:
    model: type
    table: Table
    error: type[ApplicationError]
    messages: Messages
    # action -> effect(case, *, actor, note, now, cleanup, **params) -> event data
    effects: Mapping[str, Callable[..., dict]]
    # action -> guard(case, now) -> the refusal, or None
    guards: Mapping[str, Callable]
    # (case, rule, *, from_status, actor, now, params, cleanup) -> (target status or None, event data)
    finish: Callable[..., tuple[str | None, dict]]
    append_event: Callable[..., object]
    notify_actions: frozenset
    notify: Callable[[int], None]
    related: tuple[str, ...] = ()
    # (rule, params) -> {field: message} for input only this kind has (a result document)
    check_input: Callable[[Rule, dict], dict] = field(default=lambda rule, params: {})

    def refusal(self, case, action: str, *, now: datetime | None = None) -> ApplicationError | None:
        """Why `action` cannot be taken on this case now, beyond its status and the actor's role."""
        guard = self.guards.get(action)
        return guard(case, now or timezone.now()) if guard is not None else None

    def available(self, case, user, *, now: datetime | None = None) -> list[Rule]:
        """The rules `user` may apply now, in table order: what pages and the API offer (the same checks as `apply`).

        Claiming a case already one's own is left out: it would change nothing.
        """
        roles = access.acting_roles(user, case)
        return [
            rule
            for rule in self.table.actions_from(case.status)
            if rule.actors & roles
            and not (rule.action == "claim" and case.assigned_to_id == user.pk)
            and self.refusal(case, rule.action, now=now) is None
        ]

    def refuse_status(self, case, action: str) -> ApplicationError:
        rule = self.table.actions.get(action)
        return self.error(
            "not_allowed",
            str(self.messages.not_allowed)
            % {"action": rule.label if rule else action, "status": case.get_status_display()},
            status_code=409,
        )

    def check_actor(self, rule: Rule, case, actor) -> None:
        """The rule's actor kinds against the parts `identity.access` says the actor plays on this case."""
        if actor is None:
            if SYSTEM in rule.actors:
                return
        elif rule.actors & access.acting_roles(actor, case):
            return
        raise self.error("forbidden", str(self.messages.forbidden), status_code=403)

    def apply(self, *, case, action: str, actor, note: str = "", expected_version=None, now=None, **params):
        """Apply one action of the table to `case`; returns the changed case. `actor=None` is the portal itself.

        The row is locked, so two people acting at once cannot both succeed:
        the second finds the case changed (`stale`) or in another status
        (`not_allowed`). Files an effect stores register their removal in
        `cleanup`; they are removed again when the action is not recorded.
        """
        now = now or timezone.now()
        note = (note or "").strip()
        cleanup: list[Callable[[], None]] = []
        try:
            with transaction.atomic():
                locked = self._locked(case, expected_version)
                rule = self.table.rule_for(locked.status, action)
                if rule is None:
                    raise self.refuse_status(locked, action)
                self.check_actor(rule, locked, actor)
                refusal = self.refusal(locked, action, now=now)
                if refusal is not None:
                    raise refusal
                self._check_input(rule, note, params)
                from_status = locked.status
                effect = self.effects.get(action) or _SHARED_EFFECTS.get(action)
                data = (
                    effect(locked, actor=actor, note=note, now=now, cleanup=cleanup, error=self.error, **params)
                    if effect
                    else {}
                )
                target, more = self.finish(
                    locked, rule, from_status=from_status, actor=actor, now=now, params=params, cleanup=cleanup
                )
                data.update(more)
                if target is not None:
                    locked.status = target
                locked.version += 1
                locked.save()
                event = self.append_event(
                    case=locked,
                    actor=actor,
                    action=action,
                    from_status=from_status,
                    to_status=locked.status,
                    note=note,
                    data=data,
                    now=now,
                )
                if action in self.notify_actions:
                    event_id = event.pk
                    transaction.on_commit(lambda: self.notify(event_id))
        except BaseException:
            for undo in cleanup:
                undo()
            raise
        return locked

    def _locked(self, case, expected_version):
        locked = self.model.objects.select_for_update().select_related(*self.related).get(pk=case.pk)
        if expected_version is not None and locked.version != expected_version:
            raise self.error("stale", str(self.messages.stale), status_code=409)
        return locked

    def _check_input(self, rule: Rule, note: str, params: dict) -> None:
        errors = {}
        if rule.needs_note and not note:
            errors["note"] = str(self.messages.note_missing)
        if rule.needs_unit and params.get("unit") is None:
            errors["unit"] = _("Choose the unit.")
        if rule.needs_reason and params.get("reason") not in TransferReason.values:
            errors["reason"] = _("Choose the reason for the transfer.")
        errors.update(self.check_input(rule, params))
        if errors:
            raise self.error("invalid", _("Some information is missing."), extra={"errors": errors})


def _claim(case, *, actor, **kwargs) -> dict:
    case.assigned_to = actor
    return {"assigned_to": actor.pk}


def _assign(case, *, assignee=None, error, **kwargs) -> dict:
    if assignee is None or case.acting_unit_id not in access.units_where(assignee, access.OFFICER, access.HEAD):
        raise error(
            "invalid",
            _("Some information is missing."),
            extra={"errors": {"assignee": _("Choose an officer of this unit.")}},
        )
    case.assigned_to = assignee
    return {"assigned_to": assignee.pk}


# Effects every kind's table shares, unless the kind gives its own.
_SHARED_EFFECTS = {"claim": _claim, "assign": _assign}
