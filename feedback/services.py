"""Writes for 1022 feedback. For now: loading the report categories from `feedback/data/categories.json`.

The file is the researched reference data plus the portal's own decisions
(the department unit of city-tier categories, whether a photo is expected);
its `source` says which is which. City admins correct categories in the
admin; a reload keeps rows it does not name and, with `keep_existing`, every
admin edit.
"""

from pathlib import Path

from django.db import transaction

from feedback.models import Category
from govportal.reference_data import ReferenceDataError, new_counts, read_json, upsert_by_code
from govportal.tiers.models import Tier, Unit, UnitKind

CATEGORIES_PATH = Path(__file__).resolve().parent / "data" / "categories.json"


class CategoryDataError(ReferenceDataError):
    """The categories file cannot be loaded as it is."""


def _department(entry: dict, departments: dict[str, Unit]) -> Unit | None:
    code = entry.get("handling_department")
    if code is None:
        return None  # the model's clean() refuses a city-tier category without one
    if code not in departments:
        raise CategoryDataError(
            f"{entry['code']}: department {code!r} is not loaded; run `manage.py load_units` first."
        )
    return departments[code]


def _category_values(entry: dict, departments: dict[str, Unit]) -> dict:
    if entry.get("tier") not in Tier.values:
        raise CategoryDataError(f"{entry.get('code')}: tier must be one of {', '.join(Tier.values)}.")
    if not isinstance(entry.get("photo_expected"), bool):
        raise CategoryDataError(f"{entry['code']}: photo_expected must be true or false.")
    return {
        "name_vi": entry["name_vi"],
        "name_en": entry["name_en"],
        "tier": entry["tier"],
        "handling_department": _department(entry, departments),
        "handling_agency_vi": entry.get("handling_agency_vi", ""),
        "time_limit_working_days": entry["time_limit_working_days"],
        "photo_expected": entry["photo_expected"],
        "examples_vi": entry.get("examples_vi", []),
        "examples_en": entry.get("examples_en", []),
        "sources": entry.get("sources", []),
        "confidence": entry.get("confidence", ""),
    }


@transaction.atomic
def categories_load(*, path: Path | None = None, keep_existing: bool = False) -> dict:
    """Create or update the report categories from the shipped file; returns counts.

    {"created", "updated", "unchanged", "total"}. Raises CategoryDataError
    (and loads nothing) when any entry is refused.
    """
    data = read_json(path or CATEGORIES_PATH)
    departments = {unit.code: unit for unit in Unit.objects.filter(kind=UnitKind.DEPARTMENT)}
    counts = new_counts()
    try:
        for entry in data["categories"]:
            values = _category_values(entry, departments)
            upsert_by_code(Category, code=entry["code"], values=values, keep_existing=keep_existing, counts=counts)
    except ReferenceDataError as error:
        raise CategoryDataError(str(error)) from error
    counts["total"] = len(data["categories"])
    return counts
