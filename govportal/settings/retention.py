"""How long personal data is kept (govportal.operations.retention), configurable per deployment.

Decree 13/2023/ND-CP (art. 3.7) and the Law on Personal Data Protection
(91/2025/QH15, in force 1 January 2026) allow keeping personal data only as
long as its purpose needs it. The defaults are the portal's reading of that:

* a closed or rejected 1022 report's contact details (name, phone, email of a
  reporter without an account): one year after closing. The answer has been
  given and the reporter may still complain about it (90 days under the Law on
  Complaints 2011) and units report on their handling per year; after that the
  report, its answer and its timeline stay, anonymous.
* a draft dossier never submitted, with its uploaded files: 90 days after its
  last change. Nobody but the citizen ever saw it; 90 days leave time to
  gather papers, and the citizen can start again at any time.
"""

import environ

_env = environ.Env()

RETENTION_REPORT_CONTACT_DAYS = _env.int("RETENTION_REPORT_CONTACT_DAYS", default=365)
RETENTION_DRAFT_DAYS = _env.int("RETENTION_DRAFT_DAYS", default=90)
RETENTION_ONE_TIME_CODE_DAYS = _env.int("RETENTION_ONE_TIME_CODE_DAYS", default=30)
# At most this many rows per run and kind (the beat runs daily; the rest waits for the next run).
RETENTION_BATCH_SIZE = _env.int("RETENTION_BATCH_SIZE", default=1000)
