"""The programme file against the seed (QĐ 2818/QĐ-UBND, Điều 4 and 5), and refusal of figures that do not add up."""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.configfile import ConfigError
from pipeline.layout import read_report
from pipeline.paths import packaged_config
from pipeline.periods import month
from pipeline.programme import Programme, ProgrammeError, load_programme, load_programmes, programme_for_year
from pipeline.reading import file_info
from pipeline.validating import Status, validate
from pipeline.workbook import Filling

PROGRAMME_FILE = packaged_config() / "programmes" / "binh-phuoc-2011-2015.yaml"

# The seed, Điều 4 (one entry per sub-programme): budget by source (triệu đồng) and expected results.
SEED: dict[str, tuple[dict[str, int], int, list[tuple[str, str, str, int]]]] = {
    "P1": (
        {"KCQG": 630, "KCĐP": 630, "Khác": 0},
        1260,
        [
            ("P1.1", "Bộ giáo trình dạy nghề được biên soạn", "bộ", 4),
            ("P1.2", "Lao động được đào tạo mới", "người", 300),
            ("P1.3", "Lao động được đào tạo nâng cao tay nghề", "người", 270),
            ("P1.4", "Nghệ nhân, thợ giỏi được tập huấn, đào tạo", "người", 30),
        ],
    ),
    "P2": (
        {"KCQG": 0, "KCĐP": 300, "Khác": 200},
        500,
        [
            ("P2.1", "Học viên được đào tạo", "lượt người", 300),
            ("P2.2", "Hội thảo được tổ chức", "hội thảo", 5),
            ("P2.3", "Đoàn tham quan, khảo sát", "đoàn", 6),
            ("P2.4", "Cơ sở tham gia các đoàn tham quan, khảo sát", "cơ sở", 60),
        ],
    ),
    "P3": (
        {"KCQG": 2250, "KCĐP": 2370, "Khác": 120},
        4740,
        [
            ("P3.1", "Mô hình trình diễn kỹ thuật được xây dựng", "mô hình", 15),
            ("P3.2", "Cơ sở được hỗ trợ chuyển giao công nghệ, ứng dụng máy móc thiết bị hiện đại", "cơ sở", 15),
        ],
    ),
    "P4": (
        {"KCQG": 1000, "KCĐP": 4150, "Khác": 2350},
        7500,
        [
            ("P4.1", "Hội chợ triển lãm do tỉnh tổ chức", "hội chợ", 1),
            ("P4.2", "Hội chợ triển lãm tham gia", "hội chợ", 27),
            ("P4.3", "Cơ sở CNNT được hỗ trợ tham gia hội chợ triển lãm", "cơ sở", 100),
            ("P4.4", "Lần bình chọn sản phẩm CNNT tiêu biểu cấp tỉnh", "lần", 3),
        ],
    ),
    "P5": (
        {"KCQG": 0, "KCĐP": 1140, "Khác": 500},
        1640,
        [
            ("P5.1", "Cơ sở được hỗ trợ tư vấn, cung cấp thông tin", "cơ sở", 100),
            ("P5.2", "Bản tin phát hành", "bản", 20),
            ("P5.3", "Chuyên mục khuyến công phát sóng", "chuyên mục", 60),
        ],
    ),
    "P6": (
        {"KCQG": 4050, "KCĐP": 230, "Khác": 130},
        4410,
        [
            ("P6.1", "Hiệp hội ngành nghề CNNT được hỗ trợ thành lập", "hiệp hội", 2),
            ("P6.2", "Mô hình liên kết sản phẩm TTCN truyền thống với du lịch", "mô hình", 4),
            ("P6.3", "Cụm công nghiệp, làng nghề được hỗ trợ lập quy hoạch chi tiết, đầu tư hạ tầng", "cụm", 5),
        ],
    ),
    "P7": (
        {"KCQG": 200, "KCĐP": 310, "Khác": 0},
        510,
        [
            ("P7.1", "Lớp nâng cao năng lực quản lý nhà nước về khuyến công", "lớp", 11),
            ("P7.2", "Đoàn học tập kinh nghiệm", "đoàn", 4),
        ],
    ),
}
# The seed, Điều 5: 20,560 tỷ đồng = 8,130 + 9,130 + 3,300; on average 4,112 tỷ đồng a year.
SEED_TOTAL = {"KCQG": 8130, "KCĐP": 9130, "Khác": 3300}
SEED_GRAND_TOTAL = 20560
SEED_AVERAGE = 4112


def test_header_facts(programme: Programme) -> None:
    assert programme.code == "2011-2015"
    assert (programme.first_year, programme.last_year, programme.years) == (2011, 2015, 5)
    assert "2818/QĐ-UBND" in programme.decision
    assert programme.province == "Bình Phước"
    assert programme.money_unit == "triệu đồng"
    assert programme.source_codes == ("KCQG", "KCĐP", "Khác")


def test_seven_subprogrammes_in_order(programme: Programme) -> None:
    assert [sp.code for sp in programme.subprogrammes] == list(SEED)


@pytest.mark.parametrize("code", list(SEED))
def test_subprogramme_budget_matches_seed(programme: Programme, code: str) -> None:
    by_source, total, _ = SEED[code]
    sp = next(s for s in programme.subprogrammes if s.code == code)
    assert sp.budget.by_source == {k: Decimal(v) for k, v in by_source.items()}
    assert sp.budget.total == Decimal(total)
    assert sum(by_source.values()) == total  # the seed is consistent with itself


@pytest.mark.parametrize("code", list(SEED))
def test_indicators_match_seed(programme: Programme, code: str) -> None:
    sp = next(s for s in programme.subprogrammes if s.code == code)
    assert [(i.code, i.name, i.unit, i.target) for i in sp.indicators] == [
        (c, name, unit, Decimal(target)) for c, name, unit, target in SEED[code][2]
    ]
    for c, *_ in SEED[code][2]:
        assert programme.subprogramme_of(c).code == code


def test_programme_totals_match_seed(programme: Programme) -> None:
    assert programme.budget.by_source == {k: Decimal(v) for k, v in SEED_TOTAL.items()}
    assert programme.budget.total == SEED_GRAND_TOTAL == sum(SEED_TOTAL.values())
    assert programme.average_per_year == SEED_AVERAGE == SEED_GRAND_TOTAL / 5
    # Điều 4 and Điều 5 agree: the seven budgets add up to the totals, source by source.
    for src, total in SEED_TOTAL.items():
        assert sum(by_source[src] for by_source, _, _ in SEED.values()) == total
    assert sum(total for _, total, _ in SEED.values()) == SEED_GRAND_TOTAL
    assert len(programme.targeted) == sum(len(ind) for _, _, ind in SEED.values()) == 22


def _changed_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = PROGRAMME_FILE.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    folder = tmp_path / "programmes"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / PROGRAMME_FILE.name
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_unchanged_copy_loads(tmp_path: Path, programme: Programme) -> None:
    path = _changed_copy(tmp_path, "average_per_year: 4112", "average_per_year: 4112")
    assert load_programme(path) == programme.model_copy(update={"vocabulary": None})  # labels.yaml: not in it


def test_changed_subprogramme_figure_is_refused(tmp_path: Path) -> None:
    path = _changed_copy(
        tmp_path, "{KCQG: 2250, KCĐP: 2370, Khác: 120, total: 4740}", "{KCQG: 2250, KCĐP: 2380, Khác: 120, total: 4740}"
    )
    with pytest.raises(ConfigError) as err:
        load_programme(path)
    message = str(err.value)
    assert "P3" in message
    assert "2.380" in message  # the changed figure
    assert "4.750" in message and "4.740" in message  # what the sources add up to, and the stated total
    with pytest.raises(ConfigError, match="P3"):
        load_programmes(tmp_path)


def test_changed_programme_total_is_refused(tmp_path: Path) -> None:
    path = _changed_copy(tmp_path, "total: 20560}", "total: 20570}")
    with pytest.raises(ConfigError) as err:
        load_programme(path)
    assert "20.560" in str(err.value) and "20.570" in str(err.value)


def test_programme_source_not_matching_subprogrammes_is_refused(tmp_path: Path) -> None:
    path = _changed_copy(
        tmp_path,
        "budget: {KCQG: 8130, KCĐP: 9130, Khác: 3300, total: 20560}",
        "budget: {KCQG: 8140, KCĐP: 9130, Khác: 3300, total: 20570}",
    )
    with pytest.raises(ConfigError) as err:
        load_programme(path)
    assert "KCQG" in str(err.value) and "8.130" in str(err.value) and "8.140" in str(err.value)


def test_wrong_average_is_refused(tmp_path: Path) -> None:
    path = _changed_copy(tmp_path, "average_per_year: 4112", "average_per_year: 4113")
    with pytest.raises(ConfigError, match="4.113"):
        load_programme(path)


def test_duplicate_indicator_code_is_refused(tmp_path: Path) -> None:
    path = _changed_copy(tmp_path, "{code: P7.2,", "{code: P7.1,")
    with pytest.raises(ConfigError, match="P7.1"):
        load_programme(path)


def test_the_national_source_comes_from_the_file(tmp_path: Path) -> None:
    assert load_programme(PROGRAMME_FILE).national_source == "KCQG"
    unmarked = _changed_copy(tmp_path, "national: true,", "")
    assert load_programme(unmarked).national_source is None
    (tmp_path / "two").mkdir()
    twice = _changed_copy(
        tmp_path / "two",
        'name: "Kinh phí khuyến công địa phương",',
        'name: "Kinh phí khuyến công địa phương", national: true,',
    )
    with pytest.raises(ConfigError, match=r"only one source can be national, not \['KCQG', 'KCĐP'\]"):
        load_programme(twice)


def test_malformed_file_is_refused(tmp_path: Path) -> None:
    path = _changed_copy(tmp_path, "first_year: 2011", "first_year: hai nghìn")
    with pytest.raises(ConfigError, match=PROGRAMME_FILE.name):
        load_programme(path)


SECOND = """\
code: "2016-2020"
name: "Chương trình khuyến công tỉnh Bình Phước, giai đoạn 2016-2020"
decision: "Quyết định thử nghiệm"
province: "Bình Phước"
first_year: 2016
last_year: 2020
money_unit: "triệu đồng"
sources:
  - {code: "KCQG", name: "Kinh phí khuyến công quốc gia"}
  - {code: "KCĐP", name: "Kinh phí khuyến công địa phương"}
  - {code: "Khác", name: "Nguồn khác"}
budget: {KCQG: 100, KCĐP: 400, Khác: 0, total: 500}
average_per_year: 100
subprogrammes:
  - code: Q1
    name: "Đào tạo nghề"
    budget: {KCQG: 100, KCĐP: 400, Khác: 0, total: 500}
    indicators:
      - {code: Q1.1, name: "Lao động được đào tạo", unit: "người", target: 500}
"""


@pytest.fixture
def two_programme_config(tmp_path: Path) -> Path:
    config = tmp_path / "config"
    (config / "programmes").mkdir(parents=True)
    shutil.copy(PROGRAMME_FILE, config / "programmes" / PROGRAMME_FILE.name)
    # named so that it sorts first: load_programmes orders by years, not by file name
    (config / "programmes" / "a-binh-phuoc-2016-2020.yaml").write_text(SECOND, encoding="utf-8")
    shutil.copy(packaged_config() / "units.yaml", config / "units.yaml")
    return config


def test_second_programme_loads_without_code_change(two_programme_config: Path) -> None:
    loaded = load_programmes(two_programme_config)
    assert [p.code for p in loaded] == ["2011-2015", "2016-2020"]
    assert programme_for_year(loaded, 2011).code == "2011-2015"
    assert programme_for_year(loaded, 2015).code == "2011-2015"
    assert programme_for_year(loaded, 2016).code == "2016-2020"
    assert programme_for_year(loaded, 2020).code == "2016-2020"
    assert loaded[1].indicators["Q1.1"].target == 500
    for year in (2010, 2021):
        with pytest.raises(ProgrammeError, match=str(year)):
            programme_for_year(loaded, year)


def test_report_is_read_against_the_programme_of_its_year(
    two_programme_config: Path, tmp_path: Path, make_workbook, units
) -> None:
    loaded = load_programmes(two_programme_config)
    second = loaded[1]
    path = make_workbook(
        tmp_path,
        "bu-dang",
        month(2017, 3),
        Filling(results={"Q1.1": 7}, spending={"Q1": {"KCĐP": 12.5}}, report_date=date(2017, 4, 2)),
        programme=second,
    )
    report = validate(read_report(file_info(path, path.parent), loaded, units), units)
    assert report.status is Status.ACCEPTED, report.problems
    assert report.programme == second
    assert {(v.code, v.source, v.amount) for v in report.values} == {("Q1.1", "", 7), ("Q1", "KCĐP", Decimal("12.5"))}
