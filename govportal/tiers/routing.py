"""The routing engine: which unit handles a case (a dossier now, a 1022 report later).

Pure: it works on small dataclasses and never imports models, procedures or
feedback, so both case types share it and it is tested with fixed data. The
rules are data (`tiers.RoutingRule`, edited in the admin); callers load them as
`RuleData` and store the decision's reason on the case, so an officer can see
why a case landed in their queue. Filing is accepted at any unit, whatever the
citizen's residence.

The one-stop rules it encodes by default (see `tiers.services.routing_rules_seed`):
commune-tier procedures are decided by the unit that received them; city-tier
procedures go to their department, and a ward that received one forwards it the
same working day, or the next one when it arrived after the 15:00 cut-off.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.utils.translation import gettext, gettext_noop

if TYPE_CHECKING:  # pragma: no cover - type hints only, the engine stays pure
    from govportal.tiers.calendar import WorkCalendar

# Case kinds and targets, as stored in `tiers.RoutingRule`.
DOSSIER = "dossier"
REPORT = "report"
ANY_KIND = "any"

TO_RECEIVING_UNIT = "receiving_unit"
TO_PROCEDURE_DEPARTMENT = "procedure_department"
TO_UNIT = "unit"
TARGETS = (TO_RECEIVING_UNIT, TO_PROCEDURE_DEPARTMENT, TO_UNIT)

# Placeholders a rule's description may use; anything else is shown as written.
PLACEHOLDERS = frozenset({"department", "unit"})
REASON_MAX_LENGTH = 300

# The shipped rules' texts (`tiers.services` seeds them) and the reason a router keeps
# for a unit staff chose. Reasons are stored in English, as the rules and logs are
# written; `reason_display` reads them back in the reader's language.
COMMUNE_TIER_DESCRIPTION = gettext_noop("commune-tier procedure, decided by {unit}")
CITY_TIER_DESCRIPTION = gettext_noop("city-tier procedure of {department}")
FALLBACK_DESCRIPTION = gettext_noop("no other rule applies: the city's coordinating unit, {unit}")
KEPT_REASON = gettext_noop("kept: the unit chosen by staff before routing")
_KNOWN_TEXTS = (COMMUNE_TIER_DESCRIPTION, CITY_TIER_DESCRIPTION, FALLBACK_DESCRIPTION, KEPT_REASON)
_STORED_REASON = re.compile(r"rule (?P<number>\d+): (?P<text>.*)", re.DOTALL)


class NoRoutingRule(Exception):
    """No active rule matches the case: the rules table needs a fallback rule."""

    def __init__(self, case: CaseInfo):
        self.case = case
        super().__init__(
            f"No active routing rule matches this {case.kind} (tier {case.tier or '-'}, "
            f"procedure {case.procedure_code or '-'}, category {case.category_code or '-'}, "
            f"place {case.place_unit_id or '-'}): add a fallback rule in the admin (Routing rules)."
        )


@dataclass(frozen=True)
class CaseInfo:
    kind: str  # "dossier" or "report"
    tier: str  # tier of the procedure or category: "commune" or "city" ("" when unknown)
    receiving_unit_id: int | None  # the unit the citizen chose (a report may have none)
    department_id: int | None = None  # the department named by the procedure or category
    procedure_code: str = ""
    category_code: str = ""
    # Where the case is: the receiving unit of a dossier, the place of a report.
    place_unit_id: int | None = None


@dataclass(frozen=True)
class RuleData:
    number: int  # the rule's id: a permanent link from the case's event to the rule
    priority: int  # lower runs first; unique, so it is the number cited in the reason
    case_kind: str = ANY_KIND
    tier: str = ""  # "" = any tier
    procedure_code: str = ""  # "" = any procedure
    category_code: str = ""  # "" = any category
    place_id: int | None = None  # None = any place
    target: str = TO_RECEIVING_UNIT
    target_unit_id: int | None = None
    description: str = ""

    def matches(self, case: CaseInfo) -> bool:
        return (
            self.case_kind in (ANY_KIND, case.kind)
            and self.tier in ("", case.tier)
            and self.procedure_code in ("", case.procedure_code)
            and self.category_code in ("", case.category_code)
            and self.place_id in (None, case.place_unit_id)
        )

    def target_of(self, case: CaseInfo) -> int | None:
        """The unit this rule sends the case to, or None when the case lacks it (try the next rule)."""
        if self.target == TO_RECEIVING_UNIT:
            return case.receiving_unit_id
        if self.target == TO_PROCEDURE_DEPARTMENT:
            return case.department_id
        if self.target == TO_UNIT:
            return self.target_unit_id
        return None


@dataclass(frozen=True)
class RoutingDecision:
    unit_id: int
    reason: str  # "rule 20: city-tier procedure of Sở Tư pháp"
    rule_number: int  # RuleData.number (the rule's id)


def decide_handling_unit(
    case: CaseInfo, rules: list[RuleData], *, department_name_of: Callable[[int], str]
) -> RoutingDecision:
    """The first active rule (by priority, then number) that matches the case and can name a unit.

    A rule whose target the case lacks (a city-tier procedure without a
    department, a report received nowhere) is skipped rather than failing, so
    the fallback rule catches it. `department_name_of(unit_id)` gives a unit's
    name for the reason; it is called only when the description needs it.
    """
    for rule in sorted(rules, key=lambda r: (r.priority, r.number)):
        if not rule.matches(case):
            continue
        unit_id = rule.target_of(case)
        if unit_id is None:
            continue
        return RoutingDecision(
            unit_id=unit_id, reason=_reason(rule, case, unit_id, department_name_of), rule_number=rule.number
        )
    raise NoRoutingRule(case)


def description_placeholders(description: str) -> set[str]:
    """Placeholders named in a description; raises ValueError on unbalanced braces."""
    return {name for _, name, _, _ in string.Formatter().parse(description) if name is not None}


def _reason(rule: RuleData, case: CaseInfo, unit_id: int, name_of: Callable[[int], str]) -> str:
    description = rule.description.strip() or rule.target
    try:
        names = description_placeholders(description)
    except ValueError:
        names = None  # a stray brace: show the text as the admin wrote it
    if names is not None and names <= PLACEHOLDERS:
        values = {}
        if "unit" in names:
            values["unit"] = name_of(unit_id)
        if "department" in names:
            values["department"] = name_of(case.department_id) if case.department_id else ""
        text = description.format(**values)
        # The department is the point of a department rule: name it even if the text does not.
        if rule.target == TO_PROCEDURE_DEPARTMENT and not names:
            text = f"{text} ({name_of(unit_id)})"
    else:
        text = description
    return f"rule {rule.priority}: {text}"[:REASON_MAX_LENGTH]


def reason_display(stored: str) -> str:
    """A stored reason in the active language: "quy tắc 10: thủ tục cấp xã, do Phường Bến Thành giải quyết".

    Translated when shown, not when stored, so reasons routed before the
    translation existed read the same way. A text an admin wrote for a rule is
    shown as written; only the shipped texts (and the "rule N" prefix) are known.
    """
    match = _STORED_REASON.fullmatch(stored or "")
    if match is None:
        return _known_text(stored or "")
    return gettext("rule %(number)s: %(text)s") % {"number": match["number"], "text": _known_text(match["text"])}


def _known_text(text: str) -> str:
    for template in _KNOWN_TEXTS:
        pattern = re.escape(template)
        for name in PLACEHOLDERS:
            pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>.*)")
        match = re.fullmatch(pattern, text, re.DOTALL)
        if match is not None:
            return gettext(template).format(**match.groupdict())
    return text


def forward_deadline(received_at: datetime, calendar: WorkCalendar) -> datetime:
    """When a ward must have forwarded a city-tier case: the end of the working day it arrived,
    or of the next working day when it arrived after the 15:00 cut-off (or outside office days).

    `clock_start` already applies the cut-off, weekends, holidays and half days;
    the deadline is the end of the last session held on that day.
    """
    start = calendar.clock_start(received_at)
    sessions = calendar.sessions_on(start.date())
    return sessions[-1][1]
