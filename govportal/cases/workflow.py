"""A case kind's transition table: rules as data, one table per case app, read the same way by every kind."""

from collections.abc import Iterable
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


class Table(dict):
    """{(source status, action): Rule} for one kind, with the rules in the order pages offer them."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules = list(rules)
        super().__init__({(source, rule.action): rule for rule in self.rules for source in rule.sources})
        self.actions: dict[str, Rule] = {rule.action: rule for rule in self.rules}

    def rule_for(self, status: str, action: str) -> Rule | None:
        return self.get((status, action))

    def actions_from(self, status: str) -> list[Rule]:
        return [rule for rule in self.rules if status in rule.sources]
