"""The 1022 report lifecycle as data: one table, applied by `services.report_transition`.

Each rule says who may act (the reporter, the staff of the acting unit, the
system), what the action needs and what it does to the legal clock. Routing
(new -> routed) is applied by the shared routing service (`govportal.cases.routing`)
in the same update that records the handling unit: the kind names the target
(`case_kind.build`, `routed_status`). Transfers, claims and assignment are the
shared effects of `govportal.cases`. A new transition is one entry here plus one test.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from govportal.cases.actors import APPLICANT, HEAD, STAFF, SYSTEM, TARGET_STAFF
from govportal.cases.transfers import TransferReason  # noqa: F401  (the reasons every kind shares)
from govportal.cases.workflow import Rule, Table


class ReportStatus(models.TextChoices):
    NEW = "new", _("New")
    ROUTED = "routed", _("Routed")
    IN_PROGRESS = "in_progress", _("In progress")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")


class RejectionReason(models.TextChoices):
    NOT_PUBLIC_MATTER = "not_public_matter", _("Not a public-administration matter")
    SPAM = "spam", _("Spam")
    DUPLICATE = "duplicate", _("Duplicate of another report")


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    APP = "app", _("Mobile app")
    HOTLINE = "hotline", _("Hotline 1022")
    EMAIL = "email", _("Email")
    MESSAGING = "messaging", _("Messaging")
    OPEN311 = "open311", _("Civic app (Open311)")


S = ReportStatus

FINAL = frozenset({S.CLOSED, S.REJECTED})
# The clock runs from receipt by the portal until the answer (or a rejection); a reopening runs it again.
CLOCK_RUNNING = frozenset({S.NEW, S.ROUTED, S.IN_PROGRESS})
# Counted on an officer's desk.
OPEN = frozenset({S.NEW, S.ROUTED, S.IN_PROGRESS})
# A reporter may rate the answer and reopen the report in these statuses.
ANSWERED = frozenset({S.ANSWERED, S.CLOSED})

# Clock effects.
STOP = "stop"  # the unit's work ended (answer, rejection)
RESTART = "restart"  # a reopening: the unit works again, to the same legal due date

REOPEN_WITHIN_DAYS = 7
MAX_REOPENINGS = 1


RULES = [
    # Applied by the shared routing service (system only): see the module docstring.
    Rule("route", frozenset({S.NEW}), S.ROUTED, frozenset({SYSTEM}), _("Route")),
    Rule("start", frozenset({S.ROUTED}), S.IN_PROGRESS, frozenset({STAFF}), _("Start handling")),
    # A unit that cannot finish in time says how far it is and commits to a date, before the legal
    # due date (the guard in services); the legal due date never moves (docs/0006).
    Rule(
        "post_progress",
        frozenset({S.ROUTED, S.IN_PROGRESS}),
        None,
        frozenset({STAFF}),
        _("Post progress and a committed date"),
        needs_note=True,
    ),
    Rule(
        "answer",
        frozenset({S.ROUTED, S.IN_PROGRESS}),
        S.ANSWERED,
        frozenset({STAFF}),
        _("Answer"),
        needs_note=True,
        clock=STOP,
    ),
    # Rejection needs a reason code and a note the reporter reads.
    Rule(
        "reject",
        frozenset({S.NEW, S.ROUTED, S.IN_PROGRESS}),
        S.REJECTED,
        frozenset({STAFF}),
        _("Reject"),
        needs_note=True,
        clock=STOP,
    ),
    Rule("close", frozenset({S.ANSWERED}), S.CLOSED, frozenset({SYSTEM, STAFF}), _("Close")),
    Rule("rate", frozenset(ANSWERED), None, frozenset({APPLICANT}), _("Rate the answer")),
    # Once, within REOPEN_WITHIN_DAYS of the answer (the guard in services).
    # The reporter says what is still wrong: the unit reads it (page and API alike).
    Rule(
        "reopen",
        frozenset(ANSWERED),
        S.IN_PROGRESS,
        frozenset({APPLICANT}),
        _("Reopen"),
        needs_note=True,
        clock=RESTART,
    ),
    Rule(
        "transfer",
        frozenset({S.NEW, S.ROUTED, S.IN_PROGRESS}),
        None,
        frozenset({STAFF, SYSTEM}),
        _("Transfer to another unit"),
        needs_note=True,
        needs_unit=True,
        needs_reason=True,
    ),
    Rule(
        "accept_transfer",
        frozenset({S.NEW, S.ROUTED, S.IN_PROGRESS}),
        None,
        frozenset({TARGET_STAFF}),
        _("Accept the transfer"),
    ),
    Rule(
        "return_transfer",
        frozenset({S.NEW, S.ROUTED, S.IN_PROGRESS}),
        None,
        frozenset({TARGET_STAFF}),
        _("Return the transfer"),
        needs_note=True,
    ),
    # Moderation: the unit publishes an answered report on the public board with the texts it checked for
    # personal data (public_text, public_answer), and may take it down again.
    Rule("publish", frozenset(ANSWERED), None, frozenset({STAFF}), _("Publish on the board")),
    Rule("unpublish", frozenset(ANSWERED), None, frozenset({STAFF}), _("Take off the board"), needs_note=True),
    Rule("claim", frozenset(OPEN), None, frozenset({STAFF}), _("Take this report")),
    Rule("assign", frozenset(OPEN), None, frozenset({HEAD}), _("Assign to an officer")),
]

TABLE = Table(RULES)
ACTIONS = TABLE.actions
rule_for = TABLE.rule_for
actions_from = TABLE.actions_from
ROUTED_STATUS = ACTIONS["route"].target
