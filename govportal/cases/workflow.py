"""One rule of a case kind's transition table: each case app keeps its own table of these (data, one place)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    action: str
    sources: frozenset
    target: str | None  # None: the status does not change (an event only)
    actors: frozenset  # the actor kinds of govportal.cases.actors
    label: str
    needs_note: bool = False
    needs_unit: bool = False
    needs_result: bool = False  # a result document (dossiers' decision)
    needs_reason: bool = False  # a transfer reason code
    clock: str | None = None
