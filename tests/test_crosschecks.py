"""Cross-checks kept as data in the programme file (whole numbers, above target, province-only, totals)."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

from conftest import result_ref

from pipeline.layout import read_report
from pipeline.paths import packaged_config
from pipeline.periods import month
from pipeline.programme import load_programmes
from pipeline.reading import file_info
from pipeline.validating import Severity, Status, validate
from pipeline.workbook import Filling

MARCH = month(2012, 3)


def _check(path: Path, programmes, units):
    return validate(read_report(file_info(path, path.parent), programmes, units), units)


def _codes(report) -> list[tuple[str, str, str]]:
    return [(p.code, p.severity.value, p.cell) for p in report.problems]


def test_fractional_count_is_an_error(tmp_path, make_workbook, programmes, units) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": 2.5, "P1.3": 1}))
    report = _check(path, programmes, units)
    assert report.status is Status.REJECTED
    assert _codes(report) == [("NOT_WHOLE", "error", result_ref(path, "P1.2"))]


def test_value_above_target_is_a_warning(tmp_path, make_workbook, programmes, units) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.1": 5, "P1.2": 300}))  # targets 4 and 300
    report = _check(path, programmes, units)
    assert report.status is Status.WARNINGS
    assert _codes(report) == [("ABOVE_TARGET", "warning", result_ref(path, "P1.1"))]
    message = report.problems[0].message
    assert "5 bộ trong một báo cáo, vượt mục tiêu cả giai đoạn (4 bộ)." in message and "lần" not in message
    assert {v.code: v.amount for v in report.values} == {"P1.1": 5, "P1.2": 300}  # still counted


def test_value_above_a_multiple_of_the_target_says_the_share(tmp_path, make_workbook, programmes, units) -> None:
    """A programme whose check allows twice the target: the message gives the share of the target."""
    doubled = [
        p.model_copy(
            update={
                "checks": tuple(
                    c.model_copy(update={"multiple": Decimal(2)}) if c.rule == "above_target" else c for c in p.checks
                )
            }
        )
        for p in programmes
    ]
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.1": 9, "P1.2": 600}))
    report = _check(path, doubled, units)
    assert _codes(report) == [("ABOVE_TARGET", "warning", result_ref(path, "P1.1"))]
    assert (
        "9 bộ trong một báo cáo, bằng 225 % mục tiêu cả giai đoạn (4 bộ), quá mức 200 %." in report.problems[0].message
    )
    assert report.problems[0].expected == "không quá 8 bộ trong một báo cáo"


def test_district_reporting_a_province_activity_is_a_warning(tmp_path, make_workbook, programmes, units) -> None:
    district = make_workbook(tmp_path, "loc-ninh", MARCH, Filling(results={"P5.2": 1, "P1.2": 2}))
    report = _check(district, programmes, units)
    assert _codes(report) == [("PROVINCE_ONLY", "warning", result_ref(district, "P5.2"))]
    centre = make_workbook(tmp_path, "ttkc", MARCH, Filling(results={"P5.2": 1}))
    assert _check(centre, programmes, units).problems == []


def test_ambiguous_text_number_is_a_warning_naming_the_reading(tmp_path, make_workbook, programmes, units) -> None:
    path = make_workbook(
        tmp_path, "bu-dang", MARCH, Filling(spending={"P3": {"KCĐP": "1.260"}}, results={"P1.2": "12 người"})
    )
    report = _check(path, programmes, units)
    assert [p.code for p in report.problems] == ["AMBIGUOUS_NUMBER"]
    assert "1260" in report.problems[0].message
    amounts = {(v.code, v.source): v.amount for v in report.values}
    assert amounts == {("P1.2", ""): 12, ("P3", "KCĐP"): 1260}


def test_unit_typed_differently_is_a_warning(tmp_path, make_workbook, programmes, units) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": "12 cơ sở"}))
    report = _check(path, programmes, units)
    assert [(p.code, p.severity) for p in report.problems] == [("UNIT_TEXT_MISMATCH", Severity.WARNING)]


def test_severity_is_data(tmp_path, make_workbook, units) -> None:
    """Editing the programme file turns the province-only warning into an error, with no code change."""
    config = tmp_path / "config"
    shutil.copytree(packaged_config(), config)
    programme_file = config / "programmes" / "binh-phuoc-2011-2015.yaml"
    text = programme_file.read_text(encoding="utf-8")
    programme_file.write_text(
        text.replace("{rule: province_only, severity: warning}", "{rule: province_only, severity: error}"),
        encoding="utf-8",
    )
    strict = load_programmes(config)
    path = make_workbook(tmp_path, "loc-ninh", MARCH, Filling(results={"P5.2": 1}))
    report = _check(path, strict, units)
    assert report.status is Status.REJECTED and _codes(report)[0][:2] == ("PROVINCE_ONLY", "error")
    # and removing a check removes it
    programme_file.write_text(text.replace("  - {rule: province_only, severity: warning}", ""), encoding="utf-8")
    assert _check(path, load_programmes(config), units).problems == []


def test_the_centre_does_not_report_the_territorys_context(tmp_path, make_workbook, programmes, units) -> None:
    """README: the context table (C1-C3) is owed by the districts, towns and city; the provincial centre has no
    territory, so a context value in its report is a warning and is not counted (it would count a district's
    establishments twice)."""
    centre = make_workbook(tmp_path, "ttkc", MARCH, Filling(results={"C1": 40, "P1.2": 3}))
    report = _check(centre, programmes, units)
    assert report.status is Status.WARNINGS
    assert _codes(report) == [("DISTRICT_ONLY", "warning", result_ref(centre, "C1"))]
    assert {v.code: v.amount for v in report.values} == {"P1.2": 3}
    assert "không được cộng" in report.problems[0].message
    district = make_workbook(tmp_path, "loc-ninh", MARCH, Filling(results={"C1": 40}))
    assert _check(district, programmes, units).problems == []
