"""Loading the procedure catalogue from `procedures/data/catalogue.json` (the one write path for seed data).

The file is built from the researched reference data (its `source` says how
and what was added). It is illustrative demo data, not legal advice: city
admins correct it in the admin.

Procedures are matched by `code`, so a second run changes nothing, and a
procedure an admin added by hand is never touched. Fee lines and documents
are replaced only when they differ from the file, so the rows (and their ids)
stay put on an unchanged catalogue. `keep_existing=True` only adds the
procedures that are missing, for deployments where the admin, not the file,
is the source of truth.
"""

import json
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from govportal.tiers.models import Unit, UnitKind
from procedures.models import FeeLine, Procedure, RequiredDocument

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "catalogue.json"

FORM_FIELD_TYPES = ("text", "date", "textarea", "number")
# Attributes of identity.registry.base.RegistryRecord that a form field may be filled from.
PREFILL_SOURCES = ("full_name", "birth_date", "permanent_address", "personal_id")

# Procedure fields the file sets; anything else (is_active, admin-only notes) is left alone.
_FIELDS = (
    "national_code",
    "name_vi",
    "name_en",
    "field",
    "tier",
    "handling_agency_vi",
    "handling_agency_en",
    "time_limit_value",
    "time_limit_unit",
    "min_eid_level",
    "online_level",
    "form_fields",
    "legal_basis",
    "sources",
    "confidence",
)


class CatalogueError(Exception):
    """The catalogue file cannot be loaded as it is (a missing department, a malformed form field...)."""


def form_fields_errors(value) -> list[str]:
    """What is wrong with a `form_fields` list; empty when it is fine (shared by the loader and the admin)."""
    if not isinstance(value, list):
        return ["Form fields must be a list."]
    errors, names = [], set()
    for position, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            errors.append(f"Field {position}: must be an object.")
            continue
        name = item.get("name")
        if not name or not isinstance(name, str) or not name.isidentifier():
            errors.append(f"Field {position}: 'name' must be a simple identifier such as child_name.")
        elif name in names:
            errors.append(f"Field {position}: the name {name!r} is used twice.")
        names.add(name)
        if not item.get("label_vi"):
            errors.append(f"Field {position}: 'label_vi' is required.")
        if item.get("type") not in FORM_FIELD_TYPES:
            errors.append(f"Field {position}: 'type' must be one of {', '.join(FORM_FIELD_TYPES)}.")
        if not isinstance(item.get("required", False), bool):
            errors.append(f"Field {position}: 'required' must be true or false.")
        prefill = item.get("prefill")
        if prefill is not None and prefill not in PREFILL_SOURCES:
            errors.append(f"Field {position}: 'prefill' must be one of {', '.join(PREFILL_SOURCES)}.")
    return errors


def catalogue_read(path: Path | None = None) -> dict:
    return json.loads((path or CATALOGUE_PATH).read_text(encoding="utf-8"))


def _department(entry: dict, departments: dict[str, Unit]) -> Unit | None:
    code = entry.get("handling_department")
    if entry["tier"] == "commune":
        if code:
            raise CatalogueError(f"{entry['code']}: a commune-level procedure has no handling department.")
        return None
    if not code:
        raise CatalogueError(f"{entry['code']}: a city-tier procedure needs a handling department.")
    if code not in departments:
        raise CatalogueError(f"{entry['code']}: department {code!r} is not loaded; run `manage.py load_units` first.")
    return departments[code]


def _procedure_values(entry: dict) -> dict:
    errors = form_fields_errors(entry.get("form_fields", []))
    if errors:
        raise CatalogueError(f"{entry['code']}: " + " ".join(errors))
    return {
        "national_code": entry.get("national_code") or "",
        "name_vi": entry["name_vi"],
        "name_en": entry["name_en"],
        "field": entry["field"],
        "tier": entry["tier"],
        "handling_agency_vi": entry.get("handling_agency_vi", ""),
        "handling_agency_en": entry.get("handling_agency_en", ""),
        "time_limit_value": Decimal(str(entry["time_limit"]["value"])),
        "time_limit_unit": entry["time_limit"]["unit"],
        "min_eid_level": entry["min_eid_level"],
        "online_level": entry["online_level"],
        "fee_due_at_filing": bool(entry.get("fee_due_at_filing", False)),
        "form_fields": entry.get("form_fields", []),
        "legal_basis": entry.get("legal_basis", ""),
        "sources": entry.get("sources", []),
        "confidence": entry.get("confidence", ""),
    }


def _fee_rows(entry: dict) -> list[tuple]:
    return [
        (line["kind"], line["name_vi"], line.get("name_en", ""), int(line["amount_vnd"]), line.get("note", ""))
        for line in entry.get("fees", [])
    ]


def _document_rows(entry: dict) -> list[tuple]:
    return [
        (
            doc["key"],
            doc["name_vi"],
            doc.get("name_en", ""),
            bool(doc["replaceable_by_registry"]),
            doc.get("required", True),
        )
        for doc in entry.get("required_documents", [])
    ]


def _sync_fee_lines(procedure: Procedure, rows: list[tuple]) -> bool:
    current = [(f.kind, f.name_vi, f.name_en, f.amount_vnd, f.note) for f in procedure.fee_lines.order_by("id")]
    if current == rows:
        return False
    procedure.fee_lines.all().delete()
    for kind, name_vi, name_en, amount, note in rows:
        line = FeeLine(procedure=procedure, kind=kind, name_vi=name_vi, name_en=name_en, amount_vnd=amount, note=note)
        line.full_clean()
        line.save()
    return True


def _sync_documents(procedure: Procedure, rows: list[tuple]) -> bool:
    current = [
        (d.key, d.name_vi, d.name_en, d.replaceable_by_registry, d.is_required)
        for d in procedure.documents.order_by("id")
    ]
    if current == rows:
        return False
    # Safe to replace: dossiers refer to documents by key (a string), not by row.
    procedure.documents.all().delete()
    for key, name_vi, name_en, replaceable, required in rows:
        document = RequiredDocument(
            procedure=procedure,
            key=key,
            name_vi=name_vi,
            name_en=name_en,
            replaceable_by_registry=replaceable,
            is_required=required,
        )
        document.full_clean()
        document.save()
    return True


def _save(procedure: Procedure) -> None:
    try:
        procedure.full_clean()
    except ValidationError as error:
        raise CatalogueError(f"{procedure.code}: {error.message_dict}") from error
    procedure.save()


@transaction.atomic
def catalogue_load(*, path: Path | None = None, keep_existing: bool = False) -> dict:
    """Create or update the catalogue from the shipped file; returns counts.

    {"created", "updated", "unchanged", "total"}: a procedure counts as
    updated when any of its fields, fee lines or documents changed.
    """
    data = catalogue_read(path)
    departments = {u.code: u for u in Unit.objects.filter(kind=UnitKind.DEPARTMENT)}
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for entry in data["procedures"]:
        values = _procedure_values(entry)
        department = _department(entry, departments)
        procedure = Procedure.objects.filter(code=entry["code"]).first()
        if procedure is None:
            procedure = Procedure(code=entry["code"], handling_department=department, **values)
            _save(procedure)
            _sync_fee_lines(procedure, _fee_rows(entry))
            _sync_documents(procedure, _document_rows(entry))
            counts["created"] += 1
            continue
        if keep_existing:
            counts["unchanged"] += 1
            continue
        changed = {key: value for key, value in values.items() if getattr(procedure, key) != value}
        if procedure.handling_department_id != (department.pk if department else None):
            changed["handling_department"] = department
        if changed:
            for key, value in changed.items():
                setattr(procedure, key, value)
            _save(procedure)
        fees_changed = _sync_fee_lines(procedure, _fee_rows(entry))
        documents_changed = _sync_documents(procedure, _document_rows(entry))
        counts["updated" if (changed or fees_changed or documents_changed) else "unchanged"] += 1
    counts["total"] = len(data["procedures"])
    return counts
