"""Indicators, their targets and weights (data: data/indicators.json), and the score of a unit (docs/0009).

Each indicator is a ratio of two counters ("dossier.on_time" / "dossier.evaluated").
Its score is min(max, ratio / target × max); an indicator without cases in the
period (no denominator) is not applicable and leaves the total. The total is
out of 100 over the applicable indicators' points. A unit is green when every
applicable indicator meets its target.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import get_language

DATA = Path(__file__).resolve().parent / "data" / "indicators.json"


@dataclass(frozen=True)
class Indicator:
    key: str
    group: str
    group_vi: str
    group_en: str
    label_vi: str
    label_en: str
    numerator: str
    denominator: str
    max: float
    target: float
    source: str
    assumption: str
    source_vi: str = ""
    assumption_vi: str = ""
    invert: bool = False

    @property
    def label(self) -> str:
        return self.label_en if (get_language() or "vi").startswith("en") else self.label_vi

    @property
    def group_label(self) -> str:
        return self.group_en if (get_language() or "vi").startswith("en") else self.group_vi

    @property
    def source_text(self) -> str:
        return self.source if _english() else (self.source_vi or self.source)

    @property
    def assumption_text(self) -> str:
        return self.assumption if _english() else (self.assumption_vi or self.assumption)


def _english() -> bool:
    return (get_language() or "vi").startswith("en")


@dataclass(frozen=True)
class Line:
    indicator: Indicator
    numerator: int
    denominator: int
    ratio: float | None  # None: not applicable (nothing to count in the period)
    score: float | None
    meets_target: bool | None


@dataclass(frozen=True)
class Score:
    lines: list[Line]
    total: float | None  # out of 100 over the applicable indicators; None when none applies
    green: bool

    def line(self, key: str) -> Line:
        return next(line for line in self.lines if line.indicator.key == key)


@cache
def indicators() -> tuple[Indicator, ...]:
    """The indicators as the data file gives them (checked: the points add up to 100, targets in (0, 1])."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    items = tuple(Indicator(**item) for item in data["indicators"])
    total = sum(item.max for item in items)
    if abs(total - 100) > 1e-9:
        raise ValueError(f"{DATA.name}: the indicators' points add up to {total}, not 100.")
    for item in items:
        if not 0 < item.target <= 1:
            raise ValueError(f"{DATA.name}: the target of {item.key} must be in (0, 1].")
    return items


def source_note() -> str:
    """Where the indicators come from, in the reader's language."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    return data["source"] if _english() else data.get("source_vi") or data["source"]


def counter(counts: dict, name: str) -> int:
    """`counts` holds {"dossier": {...}, "report": {...}}; `name` is "kind.counter"."""
    kind, _, key = name.partition(".")
    return int((counts.get(kind) or {}).get(key) or 0)


def line_for(indicator: Indicator, counts: dict) -> Line:
    numerator, denominator = counter(counts, indicator.numerator), counter(counts, indicator.denominator)
    if denominator <= 0:
        return Line(indicator, numerator, denominator, None, None, None)
    ratio = numerator / denominator
    if indicator.invert:
        ratio = 1 - ratio
    score = min(indicator.max, ratio / indicator.target * indicator.max)
    return Line(indicator, numerator, denominator, ratio, round(score, 2), ratio >= indicator.target - 1e-12)


def score(counts: dict) -> Score:
    lines = [line_for(indicator, counts) for indicator in indicators()]
    applicable = [line for line in lines if line.ratio is not None]
    if not applicable:
        return Score(lines, None, False)
    points = sum(line.indicator.max for line in applicable)
    total = round(sum(line.score for line in applicable) / points * 100, 1)
    return Score(lines, total, all(line.meets_target for line in applicable))
