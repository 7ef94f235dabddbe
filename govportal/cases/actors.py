"""Who may act on a case, as the case apps' transition tables name their actors.

The parts a person plays come from `identity.access.acting_roles` (the one
place for access rules); SYSTEM is the portal itself (routing, payments, clocks).
"""

from identity.access import APPLICANT, CASE_HEAD, CASE_STAFF, TARGET_STAFF

STAFF = CASE_STAFF  # an officer or head posted to the acting unit
HEAD = CASE_HEAD  # the head of the acting unit only
SYSTEM = "system"  # the portal itself (routing, payments, clocks)

__all__ = ["APPLICANT", "HEAD", "STAFF", "SYSTEM", "TARGET_STAFF"]
