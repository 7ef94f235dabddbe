"""The dossier lifecycle as data: one table, applied by `services.dossier_transition`.

Statuses keep the codes that one-stop systems exchange with the national
public service portal (1-10); `draft` is the portal's own and has no code.
Each rule says who may act (the applicant, the staff of the acting unit, the
system), what the action needs (a note, a unit, a result file) and what it does
to the legal clock. A new transition is one entry here plus one test.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from govportal.cases.actors import APPLICANT, HEAD, STAFF, SYSTEM, TARGET_STAFF

# Transfers and their hop limit are the same for every kind of case.
from govportal.cases.transfers import MAX_TRANSFERS, TransferReason  # noqa: F401
from govportal.cases.workflow import Rule, Table


class DossierStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RECEIVED = "received", _("Received")
    NOT_RECEIVED = "not_received", _("Not received")
    PROCESSING = "processing", _("Being processed")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplement requested")
    PAYMENT_REQUIRED = "payment_required", _("Waiting for payment")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    STOPPED = "stopped", _("Stopped")
    DECIDED = "decided", _("Decided")
    RESULT_RETURNED = "result_returned", _("Result returned")

    @classmethod
    def national_code(cls, status: str) -> int | None:
        return NATIONAL_CODES.get(status)


NATIONAL_CODES = {
    DossierStatus.SUBMITTED: 1,
    DossierStatus.RECEIVED: 2,
    DossierStatus.NOT_RECEIVED: 3,
    DossierStatus.PROCESSING: 4,
    DossierStatus.SUPPLEMENT_REQUESTED: 5,
    DossierStatus.PAYMENT_REQUIRED: 6,
    DossierStatus.WITHDRAWN: 7,
    DossierStatus.STOPPED: 8,
    DossierStatus.DECIDED: 9,
    DossierStatus.RESULT_RETURNED: 10,
}

FINAL = frozenset(
    {DossierStatus.NOT_RECEIVED, DossierStatus.WITHDRAWN, DossierStatus.STOPPED, DossierStatus.RESULT_RETURNED}
)
# Statuses in which the unit's legal clock runs: it starts at receipt, pauses while the citizen
# owes something (a supplement, a payment) and stops at the decision (docs/0006).
CLOCK_RUNNING = frozenset({DossierStatus.RECEIVED, DossierStatus.PROCESSING})
OPEN = frozenset(s for s in DossierStatus.values if s not in FINAL and s != DossierStatus.DRAFT)

# Who may act: APPLICANT, STAFF, HEAD, SYSTEM, TARGET_STAFF, the actor kinds every case shares.

# Clock effects.
START = "start"
PAUSE = "pause"
RESUME = "resume"
STOP = "stop"

# A target that means "back to where the dossier was before the supplement request".
PREVIOUS = "previous"

S = DossierStatus

# Once the unit has finished, whatever the outcome (result returned, refused, not received), the
# applicant may rate the service (the satisfaction indicator, issue 11). Rating again replaces the
# rating: each one is an event that keeps the previous value. A withdrawn dossier is the citizen's
# own ending and is not rated.
RATEABLE = frozenset({DossierStatus.RESULT_RETURNED, DossierStatus.STOPPED, DossierStatus.NOT_RECEIVED})


RULES = [
    Rule("submit", frozenset({S.DRAFT}), S.SUBMITTED, frozenset({APPLICANT}), _("Submit")),
    # Receipt starts the legal clock and gives the citizen the appointment slip.
    Rule("receive", frozenset({S.SUBMITTED}), S.RECEIVED, frozenset({STAFF}), _("Receive"), clock=START),
    # Refusing to receive needs a written reason (the citizen must be told why).
    Rule(
        "refuse_receipt",
        frozenset({S.SUBMITTED}),
        S.NOT_RECEIVED,
        frozenset({STAFF}),
        _("Refuse to receive"),
        needs_note=True,
        clock=STOP,
    ),
    Rule("start_processing", frozenset({S.RECEIVED}), S.PROCESSING, frozenset({STAFF}), _("Start processing")),
    # A supplement request says what is missing and pauses the clock until the citizen answers.
    Rule(
        "request_supplement",
        frozenset({S.SUBMITTED, S.RECEIVED, S.PROCESSING}),
        S.SUPPLEMENT_REQUESTED,
        frozenset({STAFF}),
        _("Request a supplement"),
        needs_note=True,
        clock=PAUSE,
    ),
    Rule(
        "supplement",
        frozenset({S.SUPPLEMENT_REQUESTED}),
        PREVIOUS,
        frozenset({APPLICANT}),
        _("Send the supplement"),
        clock=RESUME,
    ),
    # Fees that must be paid before the decision (payments announce the outcome). The citizen's
    # time to pay is not the unit's: the clock pauses until the payment arrives (docs/0006).
    Rule(
        "require_payment",
        frozenset({S.RECEIVED, S.PROCESSING}),
        S.PAYMENT_REQUIRED,
        frozenset({STAFF}),
        _("Ask for payment"),
        clock=PAUSE,
    ),
    Rule(
        "payment_received",
        frozenset({S.PAYMENT_REQUIRED}),
        S.PROCESSING,
        frozenset({SYSTEM, STAFF}),
        _("Payment received"),
        clock=RESUME,
    ),
    Rule(
        "decide",
        frozenset({S.PROCESSING}),
        S.DECIDED,
        frozenset({STAFF}),
        _("Decide and attach the result"),
        needs_result=True,
    ),
    # Stopping after processing (refusal on the merits) needs the legal reason.
    Rule(
        "stop",
        frozenset({S.PROCESSING, S.PAYMENT_REQUIRED}),
        S.STOPPED,
        frozenset({STAFF}),
        _("Refuse (stop processing)"),
        needs_note=True,
        clock=STOP,
    ),
    Rule(
        "return_result",
        frozenset({S.DECIDED}),
        S.RESULT_RETURNED,
        frozenset({STAFF}),
        _("Return the result"),
        clock=STOP,
    ),
    Rule(
        "withdraw",
        frozenset({S.DRAFT, S.SUBMITTED, S.RECEIVED, S.PROCESSING, S.SUPPLEMENT_REQUESTED, S.PAYMENT_REQUIRED}),
        S.WITHDRAWN,
        frozenset({APPLICANT}),
        _("Withdraw"),
        clock=STOP,
    ),
    # Transfer to the competent unit, with a reason code and a note the citizen reads. It waits
    # for the receiving unit to accept or return it; after MAX_TRANSFERS hops the request goes
    # to the city's coordinating unit, which decides.
    Rule(
        "transfer",
        frozenset({S.SUBMITTED, S.RECEIVED, S.PROCESSING}),
        None,
        frozenset({STAFF, SYSTEM}),
        _("Transfer to another unit"),
        needs_note=True,
        needs_unit=True,
        needs_reason=True,
    ),
    Rule(
        "accept_transfer",
        frozenset({S.SUBMITTED, S.RECEIVED, S.PROCESSING}),
        None,
        frozenset({TARGET_STAFF}),
        _("Accept the transfer"),
    ),
    # Returning a transfer needs the reason: the sending unit must know why it is not competent.
    Rule(
        "return_transfer",
        frozenset({S.SUBMITTED, S.RECEIVED, S.PROCESSING}),
        None,
        frozenset({TARGET_STAFF}),
        _("Return the transfer"),
        needs_note=True,
    ),
    # Before a dossier is late the unit apologises in writing with a new date (the citizen sees it):
    # only while its clock runs, and at the latest the working day before the legal due date
    # (the guard in services). The promised date never moves the legal one (docs/0006).
    Rule(
        "apologise",
        frozenset({S.RECEIVED, S.PROCESSING}),
        None,
        frozenset({STAFF}),
        _("Apologise and set a new date"),
        needs_note=True,
    ),
    # The rating itself (an integer 1-5) is checked by the service (`services._rate`); no status change.
    Rule("rate", RATEABLE, None, frozenset({APPLICANT}), _("Rate the service")),
    Rule("claim", frozenset(OPEN), None, frozenset({STAFF}), _("Take this dossier")),
    Rule("assign", frozenset(OPEN), None, frozenset({HEAD}), _("Assign to an officer")),
]

TABLE = Table(RULES)
ACTIONS = TABLE.actions
rule_for = TABLE.rule_for
actions_from = TABLE.actions_from
