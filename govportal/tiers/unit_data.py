"""Reference data shipped with the portal, and the text folding used to search it.

The official list of Ho Chi Minh City's 168 commune-level units, the city's
departments and the province codes of personal ID numbers live as JSON files in
``DATA_DIR``, each recording where it came from. They are files rather than a
package import because the unit list is extracted from vietnam-provinces
(GPL-3.0): shipping the data with its source keeps that package out of the
running portal, and a reviewer can diff the file when it is refreshed
(``manage.py refresh_unit_data``, see ``unit_data_refresh``).

This module is deliberately pure (no Django models, no settings) so that the
models, the loaders, the ID checks and plain pytest can all import it.
"""

import json
import re
import unicodedata
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

HCMC_UNITS_FILE = DATA_DIR / "hcmc_units.json"
CITY_DEPARTMENTS_FILE = DATA_DIR / "city_departments.json"
ID_PROVINCE_CODES_FILE = DATA_DIR / "id_province_codes.json"

# Kinds of commune-level unit, as used in hcmc_units.json.
WARD = "ward"
COMMUNE = "commune"
SPECIAL_ZONE = "special_zone"

# Since 1 July 2025 the city has 113 wards, 54 communes and 1 special zone.
# Anything else means the list changed and a human must look before it ships.
EXPECTED_KIND_COUNTS = {WARD: 113, COMMUNE: 54, SPECIAL_ZONE: 1}

# English suffix and Vietnamese prefix of each kind: "Phường Bến Thành" is
# "Ben Thanh Ward", "Đặc khu Côn Đảo" is "Con Dao Special Zone".
KIND_NAME_EN_SUFFIX = {WARD: "Ward", COMMUNE: "Commune", SPECIAL_ZONE: "Special Zone"}
KIND_NAME_VI_PREFIX = {WARD: "Phường", COMMUNE: "Xã", SPECIAL_ZONE: "Đặc khu"}

_WHITESPACE = re.compile(r"\s+")


def _read(path: Path):
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


def load_hcmc_units() -> dict:
    """The city's commune-level units: {"source", "licence", "province", "units": [...]}.

    Each unit is {"code", "name", "name_en", "kind"}, sorted by code. Read fresh
    on each call: callers get their own copy to change as they like.
    """
    return _read(HCMC_UNITS_FILE)


def load_city_departments() -> list[dict]:
    """The city's departments: [{"code", "name_vi", "name_en", "handles", "sources", "confidence"}]."""
    return _read(CITY_DEPARTMENTS_FILE)["departments"]


def load_id_province_codes() -> dict[str, str]:
    """The 63 three-digit province codes that open a personal ID number, e.g. {"079": "Hồ Chí Minh"}.

    These are the pre-July-2025 provinces (Circular 07/2016/TT-BCA): numbers
    already issued keep them, so they stay valid after the 2025 merger.
    """
    return _read(ID_PROVINCE_CODES_FILE)["codes"]


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics, keeping case: "Đặc khu Côn Đảo" -> "Dac khu Con Dao".

    NFD splits a letter from its marks, which are then dropped. "đ"/"Đ" is a
    letter of its own, not "d" plus a mark, so it is mapped by hand.
    """
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped.replace("đ", "d").replace("Đ", "D"))


def fold(text: str) -> str:
    """Fold text for search: lowercase, no diacritics, single spaces, trimmed.

    Residents type names with or without accents ("ben thanh", "Bến Thành"),
    so stored names and queries are both folded before they are compared:
    "Phường Bến Thành" -> "phuong ben thanh".
    """
    return _WHITESPACE.sub(" ", strip_diacritics(text or "").lower()).strip()


def english_name(name: str, kind: str) -> str:
    """The English name of a unit: its name without the kind prefix, without diacritics, plus the kind.

    "Phường Bến Thành" (ward) -> "Ben Thanh Ward"; "Xã Cần Giờ" (commune) ->
    "Can Gio Commune"; "Đặc khu Côn Đảo" (special_zone) -> "Con Dao Special Zone".
    """
    clean = _WHITESPACE.sub(" ", name).strip()
    prefix = KIND_NAME_VI_PREFIX[kind]
    if clean.lower().startswith(prefix.lower() + " "):
        clean = clean[len(prefix) + 1 :]
    return f"{strip_diacritics(clean)} {KIND_NAME_EN_SUFFIX[kind]}"
