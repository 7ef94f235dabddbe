"""The case machinery shared by every kind of case (dossiers, reports): docs/0007.

Routing service and sweep, legal clocks, transfers with their hop limit, the
append-only event trail, actor kinds, least-loaded assignment and the one
definition of overdue live here, parameterised by a registered case kind
(`govportal.cases.kinds`). This package never imports the apps that own the
cases; they register their kind in their AppConfig.ready.
"""
