"""Regenerate hcmc_units.json from an installed vietnam-provinces package.

Used by ``manage.py refresh_unit_data`` and nothing at run time: the portal
reads the shipped JSON, never the package (GPL-3.0; installed only through the
project's optional ``data`` extra). The conversion itself (``build_hcmc_units``)
takes plain objects, so it is tested without the package.
"""

import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from govportal.tiers.unit_data import (
    COMMUNE,
    EXPECTED_KIND_COUNTS,
    HCMC_UNITS_FILE,
    SPECIAL_ZONE,
    WARD,
    english_name,
)

PACKAGE = "vietnam-provinces"
PACKAGE_PAGE = "https://pypi.org/project/vietnam-provinces/"
PACKAGE_REPOSITORY = "https://github.com/sunshine-tech/VietnamProvinces"
HCMC_PROVINCE_CODE = 79

# vietnam_provinces.VietNamDivisionType values of the commune level -> our kinds.
DIVISION_KINDS = {"phường": WARD, "xã": COMMUNE, "đặc khu": SPECIAL_ZONE}

PROVINCE = {"code": "79", "name": "Thành phố Hồ Chí Minh", "name_en": "Ho Chi Minh City"}

_WHITESPACE = re.compile(r"\s+")


class PackageMissing(ImportError):
    """vietnam-provinces is not installed where the refresh runs."""


def build_hcmc_units(
    wards: Iterable,
    *,
    province_name: str,
    package_version: str,
    data_version: str,
    retrieved: str,
) -> dict:
    """Turn the package's wards of province 79 into the hcmc_units.json document.

    ``wards`` are objects with ``name``, ``code`` and ``division_type`` (an enum
    or its string value), as ``vietnam_provinces.Ward``. Names are trimmed and
    runs of spaces collapsed (the package has "Phường  An Nhơn"); codes become
    strings and the units are sorted by code. An unknown division type raises
    ValueError rather than being guessed.
    """
    units = []
    for ward in wards:
        division = getattr(ward.division_type, "value", ward.division_type)
        try:
            kind = DIVISION_KINDS[str(division)]
        except KeyError:
            raise ValueError(f"Unit {ward.code} ({ward.name}) has unknown division type {division!r}") from None
        name = _WHITESPACE.sub(" ", str(ward.name)).strip()
        units.append({"code": str(int(ward.code)), "name": name, "name_en": english_name(name, kind), "kind": kind})
    units.sort(key=lambda unit: int(unit["code"]))
    codes = [unit["code"] for unit in units]
    if len(codes) != len(set(codes)):
        raise ValueError("Duplicate unit codes in the package data")
    return {
        "source": (
            f"{PACKAGE} {package_version} (data version {data_version}), {PACKAGE_PAGE} "
            f"(project: {PACKAGE_REPOSITORY}); commune-level units of province {HCMC_PROVINCE_CODE} "
            f"after the 1 July 2025 reorganisation; retrieved {retrieved}. "
            "Regenerate with `manage.py refresh_unit_data`."
        ),
        "licence": (
            f"GPL-3.0 (data extracted from {PACKAGE}; the names and codes are the national administrative "
            "unit codes published by the General Statistics Office of Viet Nam; the package is not imported "
            "at run time)"
        ),
        "province": {**PROVINCE, "name": _WHITESPACE.sub(" ", province_name).strip()},
        "units": units,
    }


def extract_hcmc_units(*, retrieved: str | None = None) -> dict:
    """Build the hcmc_units.json document from the installed vietnam-provinces package.

    Uses the package's 2-tier (post-July-2025) API: ``Ward.iter_by_province``
    with ``ProvinceCode.P_79``. Raises PackageMissing if it is not installed.
    """
    try:
        import vietnam_provinces
        from vietnam_provinces import Province, ProvinceCode, Ward
    except ImportError as exc:
        raise PackageMissing(str(exc)) from exc

    province_code = ProvinceCode(HCMC_PROVINCE_CODE)
    return build_hcmc_units(
        Ward.iter_by_province(province_code),
        province_name=Province.from_code(province_code).name,
        package_version=vietnam_provinces.__version__,
        data_version=getattr(vietnam_provinces, "__data_version__", "unknown"),
        retrieved=retrieved or date.today().isoformat(),
    )


def kind_counts(document: dict) -> dict[str, int]:
    """Number of units of each kind, every expected kind included (0 if absent)."""
    counts = Counter(unit["kind"] for unit in document["units"])
    result = {kind: counts.get(kind, 0) for kind in EXPECTED_KIND_COUNTS}
    result.update({kind: count for kind, count in sorted(counts.items()) if kind not in result})
    return result


def counts_as_expected(document: dict) -> bool:
    """True when the document has exactly 113 wards, 54 communes and 1 special zone."""
    return kind_counts(document) == EXPECTED_KIND_COUNTS


def write_hcmc_units(document: dict, path: Path = HCMC_UNITS_FILE) -> None:
    """Write the document as indented UTF-8 JSON (Vietnamese kept readable), ending with a newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
