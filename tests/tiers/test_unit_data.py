"""The shipped reference data and the search folding: plain pytest, no database, no Django."""

import subprocess
import sys
from collections import Counter
from types import SimpleNamespace

import pytest

from govportal.tiers.unit_data import (
    DATA_DIR,
    english_name,
    fold,
    load_city_departments,
    load_hcmc_units,
    load_id_province_codes,
)
from govportal.tiers.unit_data_refresh import build_hcmc_units, counts_as_expected, kind_counts


@pytest.fixture(scope="module")
def hcmc():
    return load_hcmc_units()


def test_data_files_live_in_data_dir():
    for name in ("hcmc_units.json", "city_departments.json", "id_province_codes.json"):
        assert (DATA_DIR / name).is_file()


def test_hcmc_has_168_units_113_wards_54_communes_1_special_zone(hcmc):
    units = hcmc["units"]
    assert len(units) == 168
    assert Counter(unit["kind"] for unit in units) == {"ward": 113, "commune": 54, "special_zone": 1}
    assert counts_as_expected(hcmc)


def test_hcmc_codes_are_unique_numeric_and_sorted(hcmc):
    codes = [unit["code"] for unit in hcmc["units"]]
    assert all(isinstance(code, str) and code.isdigit() for code in codes)
    assert len(set(codes)) == len(codes)
    assert codes == sorted(codes, key=int)


def test_hcmc_known_units(hcmc):
    by_code = {unit["code"]: unit for unit in hcmc["units"]}
    assert by_code["26743"]["name"] == "Phường Bến Thành"
    assert by_code["26743"]["name_en"] == "Ben Thanh Ward"
    assert by_code["26740"]["name"] == "Phường Sài Gòn"
    special = [unit for unit in hcmc["units"] if unit["kind"] == "special_zone"]
    assert [(u["name"], u["name_en"]) for u in special] == [("Đặc khu Côn Đảo", "Con Dao Special Zone")]


def test_hcmc_province_and_provenance(hcmc):
    assert hcmc["province"] == {"code": "79", "name": "Thành phố Hồ Chí Minh", "name_en": "Ho Chi Minh City"}
    assert "vietnam-provinces" in hcmc["source"] and "2026-11-27" in hcmc["source"]
    assert hcmc["licence"].startswith("GPL-3.0")


def test_hcmc_names_are_clean_and_english_names_ascii(hcmc):
    for unit in hcmc["units"]:
        assert unit["name"] == " ".join(unit["name"].split()), unit
        assert unit["name_en"].isascii(), unit
        assert unit["name_en"] == english_name(unit["name"], unit["kind"]), unit


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Phường Bến Thành", "phuong ben thanh"),
        ("Đặc khu Côn Đảo", "dac khu con dao"),
        ("  Xã   Cần\tGiờ ", "xa can gio"),
        ("ĐỒNG THÁP", "dong thap"),
        ("ben thanh", "ben thanh"),
        ("", ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_fold_handles_decomposed_input():
    # Text pasted from some systems arrives in NFD; it must fold the same way.
    import unicodedata

    assert fold(unicodedata.normalize("NFD", "Phường Bến Thành")) == "phuong ben thanh"


def test_id_province_codes():
    codes = load_id_province_codes()
    assert len(codes) == 63
    assert all(len(code) == 3 and code.isdigit() for code in codes)
    assert codes["001"] == "Hà Nội"
    assert codes["079"] == "Hồ Chí Minh"
    assert codes["096"] == "Cà Mau"


def test_city_departments():
    departments = load_city_departments()
    assert len(departments) == 21
    assert len({d["code"] for d in departments}) == 21
    for department in departments:
        assert set(department) == {"code", "filing_code", "name_vi", "name_en", "handles", "sources", "confidence"}
    # Filing codes (docs/0005): "79" + 3 digits, unique, outside the national commune-level range.
    filing_codes = [d["filing_code"] for d in departments]
    assert len(set(filing_codes)) == 21
    assert all(len(code) == 5 and code.isdigit() and code.startswith("79") for code in filing_codes)


def _ward(code, name, division_type):
    return SimpleNamespace(code=code, name=name, division_type=SimpleNamespace(value=division_type))


def test_build_hcmc_units_converts_sorts_and_cleans():
    document = build_hcmc_units(
        [
            _ward(26743, "Phường Bến Thành", "phường"),
            _ward(26732, "Đặc khu Côn Đảo", "đặc khu"),
            _ward(26887, "Phường  An Nhơn", "phường"),
            _ward(27676, "Xã Thạnh An", "xã"),
        ],
        province_name="Thành phố Hồ Chí Minh",
        package_version="9.9.9",
        data_version="2099-01-01",
        retrieved="2026-11-27",
    )
    assert document["units"] == [
        {"code": "26732", "name": "Đặc khu Côn Đảo", "name_en": "Con Dao Special Zone", "kind": "special_zone"},
        {"code": "26743", "name": "Phường Bến Thành", "name_en": "Ben Thanh Ward", "kind": "ward"},
        {"code": "26887", "name": "Phường An Nhơn", "name_en": "An Nhon Ward", "kind": "ward"},
        {"code": "27676", "name": "Xã Thạnh An", "name_en": "Thanh An Commune", "kind": "commune"},
    ]
    assert "vietnam-provinces 9.9.9" in document["source"] and "retrieved 2026-11-27" in document["source"]
    assert kind_counts(document) == {"ward": 2, "commune": 1, "special_zone": 1}
    assert not counts_as_expected(document)


def test_build_hcmc_units_refuses_unknown_division_type():
    with pytest.raises(ValueError, match="unknown division type"):
        build_hcmc_units(
            [_ward(1, "Quận 1", "quận")],
            province_name="Thành phố Hồ Chí Minh",
            package_version="x",
            data_version="x",
            retrieved="2026-11-27",
        )


def test_loading_the_data_does_not_import_the_gpl_package():
    code = (
        "import sys, govportal.tiers.unit_data as m; m.load_hcmc_units(); import govportal.tiers.unit_data_refresh; "
        "assert 'vietnam_provinces' not in sys.modules, 'vietnam_provinces imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
