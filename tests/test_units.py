"""The unit list: ten district-level units plus the provincial centre, Phú Riềng from 2015, aliases, priority."""

from __future__ import annotations

import shutil
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from pipeline.paths import packaged_config
from pipeline.periods import month, parse_period, quarter, year
from pipeline.units import UnitRegistry, load_units

# domain-notes §3: 2011 to mid-2015, ten units.
TOWNS = {"Đồng Xoài", "Bình Long", "Phước Long"}
DISTRICTS = {"Bù Đăng", "Bù Đốp", "Bù Gia Mập", "Chơn Thành", "Đồng Phú", "Hớn Quản", "Lộc Ninh"}
# seed, Điều 2: priority areas.
PRIORITY = {"Bù Gia Mập", "Bù Đăng", "Bù Đốp", "Lộc Ninh", "Hớn Quản"}


def test_ten_district_units_and_the_centre_throughout_2012(units: UnitRegistry) -> None:
    for period in (year(2012), month(2012, 3), quarter(2012, 3)):
        expected = units.expected(period)
        districts = [u for u in expected if u.level == "district"]
        assert {u.name for u in districts} == TOWNS | DISTRICTS
        assert len(districts) == 10
        assert all(u.exists_throughout(period) for u in expected)
        centres = [u for u in expected if u.level == "province"]
        assert [u.code for u in centres] == ["ttkc"]
    day = date(2012, 6, 1)
    assert {u.name for u in units.expected(year(2012)) if u.type_on(day) == "thị xã"} == TOWNS
    assert {u.name for u in units.expected(year(2012)) if u.type_on(day) == "huyện"} == DISTRICTS


def test_provincial_centre(units: UnitRegistry) -> None:
    ttkc = units.by_code["ttkc"]
    assert ttkc.level == "province"
    assert ttkc.name == "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp"
    assert ttkc.full_name(date(2012, 3, 1)) == ttkc.name
    assert units.find("Trung tâm Khuyến công") is ttkc
    assert units.find("TTKC") is ttkc


def test_phu_rieng_only_from_2015(units: UnitRegistry) -> None:
    phu_rieng = units.find("Phú Riềng")
    assert phu_rieng is not None and phu_rieng.code == "phu-rieng"
    assert phu_rieng.split_from == "bu-gia-map"
    assert phu_rieng.valid_from.year == 2015
    assert not phu_rieng.exists_during(month(2012, 3))
    assert not phu_rieng.exists_throughout(month(2012, 3))
    assert phu_rieng.exists_throughout(parse_period("2015-Q4"))
    assert phu_rieng not in units.expected(month(2012, 3))
    assert phu_rieng not in units.expected(parse_period("2015-Q1"))
    assert phu_rieng in units.expected(parse_period("2015-Q4"))
    assert len([u for u in units.expected(parse_period("2015-Q4")) if u.level == "district"]) == 11
    assert not phu_rieng.exists_throughout(year(2015))  # created during the year
    assert phu_rieng.exists_during(year(2015))


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("UBND huyện Bù Đăng", "bu-dang"),
        ("H. Bù Đăng", "bu-dang"),
        ("huyện Bù Đăng", "bu-dang"),
        ("Bù Đăng", "bu-dang"),
        ("Bu Dang", "bu-dang"),
        ("  BÙ   ĐĂNG  ", "bu-dang"),
        ("Phòng Kinh tế và Hạ tầng huyện Bù Đăng", "bu-dang"),
        ("TX Đồng Xoài", "dong-xoai"),
        ("Thị xã Đồng Xoài", "dong-xoai"),
        ("thị xã Đồng Xoài", "dong-xoai"),
        ("TX. Bình Long", "binh-long"),
        ("UBND thị xã Phước Long", "phuoc-long"),
        ("Huyện Lộc Ninh", "loc-ninh"),
        ("Hon Quan", "hon-quan"),
        ("bu-gia-map", "bu-gia-map"),
    ],
)
def test_aliases_resolve(units: UnitRegistry, text: str, code: str) -> None:
    found = units.find(text)
    assert found is not None and found.code == code


@pytest.mark.parametrize("text", ["Huyện Không Có", "", "Bình Phước", "Bù", "huyện"])
def test_unknown_names_do_not_resolve(units: UnitRegistry, text: str) -> None:
    assert units.find(text) is None


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("UBND huyện Bù Đăng", "bu-dang"),
        ("Thị xã Đồng Xoài", "dong-xoai"),
        ("Huyện Bù Gia Mập", "bu-gia-map"),
        ("Lộc Ninh", "loc-ninh"),
    ],
)
def test_nfd_input_resolves(units: UnitRegistry, text: str, code: str) -> None:
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    found = units.find(nfd)
    assert found is not None and found.code == code


def test_priority_flags_match_seed(units: UnitRegistry) -> None:
    assert {u.name for u in units.units if u.priority} == PRIORITY
    dong_phu = units.by_code["dong-phu"]
    assert not dong_phu.priority and dong_phu.priority_note  # only some communes of Đồng Phú


def test_names_change_over_time(units: UnitRegistry) -> None:
    dong_xoai, chon_thanh = units.by_code["dong-xoai"], units.by_code["chon-thanh"]
    assert dong_xoai.full_name(date(2012, 3, 1)) == "thị xã Đồng Xoài"
    assert dong_xoai.full_name(date(2018, 12, 1)) == "thành phố Đồng Xoài"
    assert chon_thanh.full_name(date(2022, 9, 30)) == "huyện Chơn Thành"
    assert chon_thanh.full_name(date(2022, 10, 1)) == "thị xã Chơn Thành"
    assert units.by_code["bu-dang"].full_name(date(2012, 3, 1)) == "huyện Bù Đăng"


def test_no_district_after_the_reform(units: UnitRegistry) -> None:
    assert [u.code for u in units.expected(month(2025, 7))] == ["ttkc"]


def test_alias_shared_by_two_units_is_refused(tmp_path: Path) -> None:
    shutil.copy(packaged_config() / "units.yaml", tmp_path / "units.yaml")
    assert len(load_units(tmp_path).units) == 12
    text = (tmp_path / "units.yaml").read_text(encoding="utf-8")
    text = text.replace('"Bu Dop"]', '"Bu Dop", "Bu Dang"]')
    (tmp_path / "units.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="bu dang"):
        load_units(tmp_path)
