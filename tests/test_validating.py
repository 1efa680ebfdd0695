"""Reading and validation of real workbooks written by the project's writer: one test per kind of bad file."""

from __future__ import annotations

import os
import unicodedata
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import budget_ref, has_vietnamese, ref_of, result_ref
from openpyxl import load_workbook

from pipeline import workbook as wbk
from pipeline.formatting import number
from pipeline.layout import RawReport, read_report
from pipeline.periods import month, parse_period
from pipeline.reading import file_info
from pipeline.validating import Problem, Severity, Status, ValidationReport, validate
from pipeline.workbook import Filling

MARCH = month(2012, 3)


@pytest.fixture
def check(programmes, units):
    def run(path: Path) -> ValidationReport:
        return validate(read_report(file_info(path, path.parent), programmes, units), units)

    return run


def only_error(report: ValidationReport, code: str) -> Problem:
    """The report is rejected, for exactly one reason: `code`."""
    assert report.status is Status.REJECTED
    errors = report.errors
    assert [p.code for p in errors] == [code], errors
    problem = errors[0]
    assert problem.severity is Severity.ERROR
    assert problem.file == report.file.name
    assert has_vietnamese(problem.message), problem.message
    assert unicodedata.is_normalized("NFC", problem.message)
    return problem


def clean_filling() -> Filling:
    return Filling(
        results={"P1.2": 12, "P1.3": 3, "P2.1": 0, "P4.3": 1, "P5.1": 34},
        spending={"P1": {"KCQG": Decimal("10.1"), "KCĐP": 2}, "P4": {"Khác": 0.2, "KCĐP": 1260}},
        report_date=date(2012, 4, 3),
        preparer="Nguyễn Văn An",
        phone="0271 3812345",
        notes="Kinh phí phân bổ chậm.",
    )


# --- a clean file -----------------------------------------------------------------------------------


def test_clean_file_is_accepted_and_every_value_traced(tmp_path, make_workbook, check) -> None:
    filling = clean_filling()
    path = make_workbook(tmp_path, "bu-dang", MARCH, filling)
    report = check(path)
    assert report.status is Status.ACCEPTED, report.problems
    assert report.problems == []
    assert report.unit.code == "bu-dang"
    assert report.period == MARCH
    assert report.programme.code == "2011-2015"
    assert (report.report_date, report.preparer, report.phone, report.notes) == (
        date(2012, 4, 3),
        "Nguyễn Văn An",
        "0271 3812345",
        "Kinh phí phân bổ chậm.",
    )
    expected = {
        ("indicator", code, ""): (Decimal(str(v)), result_ref(path, code)) for code, v in filling.results.items()
    }
    expected |= {
        ("budget", sp, src): (Decimal(str(v)), budget_ref(path, sp, src))
        for sp, by_src in filling.spending.items()
        for src, v in by_src.items()
    }
    got = {(v.kind, v.code, v.source): (v.amount, v.cell) for v in report.values}
    assert got == expected
    assert len(report.values) == len(expected)  # blanks are not values; one value per written cell
    by_code = {v.code: v.amount for v in report.values if v.kind == "indicator"}
    assert str(by_code["P1.2"]) == "12" and by_code["P5.1"] == 34
    money = {(v.code, v.source): v.amount for v in report.values if v.kind == "budget"}
    assert str(money["P1", "KCQG"]) == "10.1" and str(money["P4", "Khác"]) == "0.2"  # not 0.2000000000000000111
    assert by_code["P2.1"] == 0  # a written zero is a value


def test_raw_cells_have_their_addresses(tmp_path, make_workbook, programmes, units) -> None:
    path = make_workbook(tmp_path, "loc-ninh", MARCH, Filling(results={"P3.1": 2}))
    raw = read_report(file_info(path, tmp_path), programmes, units)
    assert raw.refusal is None and raw.missing == []
    assert raw.sheet == wbk.SHEET
    assert raw.results["P3.1"].ref == result_ref(path, "P3.1")
    assert raw.results["P3.1"].value == 2
    assert raw.fields["unit"].ref == ref_of(path, "huyện Lộc Ninh")
    assert raw.fields["period"].ref == ref_of(path, "tháng 3 năm 2012")
    assert raw.title_period.ref == ref_of(path, "Tháng 3 năm 2012")
    assert len(raw.results) == 22 + 3 and len(raw.spending) == 7 * 3  # 22 indicators, 3 context


def test_blanks_are_not_values(tmp_path, make_workbook, check) -> None:
    path = make_workbook(
        tmp_path,
        "bu-dang",
        MARCH,
        Filling(results={"P1.2": "   ", "P1.3": None, "P1.4": 5}, spending={"P2": {"KCĐP": ""}}),
    )
    report = check(path)
    assert report.status is Status.ACCEPTED, report.problems
    assert [(v.code, v.amount) for v in report.values] == [("P1.4", 5)]


def test_provincial_centre_and_aliases_are_accepted(tmp_path, make_workbook, check) -> None:
    nfd = unicodedata.normalize("NFD", "UBND huyện Bù Đăng")
    report = check(
        make_workbook(
            tmp_path, "bu-dang", MARCH, Filling(unit_text=nfd, period_text="Tháng 03/2012", results={"P1.2": 1})
        )
    )
    assert report.status is Status.ACCEPTED, report.problems
    assert report.unit.code == "bu-dang" and report.period == MARCH
    report = check(make_workbook(tmp_path, "ttkc", parse_period("2012-Q3"), Filling(results={"P5.2": 1})))
    assert report.status is Status.ACCEPTED, report.problems
    assert report.unit.code == "ttkc" and report.period.code == "2012-Q3"


def test_row_total_disagreeing_with_sources_is_a_warning(tmp_path, make_workbook, check) -> None:
    spent = {"KCQG": Decimal("10.5"), "KCĐP": 2}
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(spending={"P1": spent}))
    wb = load_workbook(path)
    ws = wb[wbk.SHEET]
    total_ref = budget_ref(path, "P1", wbk.COL_TOTAL).split("!")[1]
    ws[total_ref] = 99  # the officer typed over the formula
    wb.save(path)
    report = check(path)
    assert report.status is Status.WARNINGS
    [problem] = report.problems
    assert (problem.code, problem.severity, problem.cell, problem.found) == (
        "TOTAL_MISMATCH",
        Severity.WARNING,
        f"{wbk.SHEET}!{total_ref}",
        "99",
    )
    assert number(sum(spent.values())) in problem.expected  # "12,5"
    assert has_vietnamese(problem.message)
    # the sources are still used
    assert {(v.source, v.amount) for v in report.values} == {(k, Decimal(v)) for k, v in spent.items()}

    ws[total_ref] = float(sum(spent.values()))  # a total that agrees is fine
    wb.save(path)
    assert check(path).status is Status.ACCEPTED


# --- one test per kind of bad file ------------------------------------------------------------------


def test_unknown_unit(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(unit_text="Huyện Không Có", results={"P1.2": 1}))
    problem = only_error(check(path), "UNIT_UNKNOWN")
    assert problem.cell == ref_of(path, "Huyện Không Có")
    assert problem.found == "«Huyện Không Có»"


def test_blank_unit(tmp_path, make_workbook, check) -> None:
    """A blank "Đơn vị báo cáo" falls back to the unit named in the title lines, with a warning."""
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(unit_text=""))
    report = check(path)
    assert report.status is Status.WARNINGS and report.unit.code == "bu-dang"
    [problem] = report.problems
    label = ref_of(path, wbk.LABEL_UNIT)
    assert (problem.code, problem.cell, problem.found) == ("UNIT_FROM_TITLE", label.replace("!A", "!C"), "(ô trống)")
    assert ref_of(path, "UBND HUYỆN BÙ ĐĂNG") in problem.message


def test_blank_unit_without_title(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(unit_text=""))
    wb = load_workbook(path)
    wb[wbk.SHEET]["A1"] = None  # no unit in the title lines either
    wb.save(path)
    problem = only_error(check(path), "UNIT_UNKNOWN")
    assert problem.found == "(ô trống)"


def test_unknown_period_text(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(period_text="Tháng ba/2012"))
    report = check(path)
    problem = only_error(report, "PERIOD_UNKNOWN")
    assert problem.cell == ref_of(path, "Tháng ba/2012")
    assert problem.found == "«Tháng ba/2012»"
    assert report.period is None


def test_period_not_matching_the_title(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(title_period_text="Quý II năm 2012"))
    report = check(path)
    problem = only_error(report, "PERIOD_MISMATCH")
    assert problem.cell == ref_of(path, "Quý II năm 2012")
    assert problem.found == "«Quý II năm 2012»"
    assert ref_of(path, "tháng 3 năm 2012") in problem.expected
    assert "quý II năm 2012" in problem.message and "tháng 3 năm 2012" in problem.message


def test_period_outside_the_programme(tmp_path, make_workbook, check, programme) -> None:
    path = make_workbook(tmp_path, "bu-dang", month(2017, 1), Filling(results={"P1.2": 1}), programme=programme)
    problem = only_error(check(path), "PERIOD_OUTSIDE_PROGRAMME")
    assert problem.cell == ref_of(path, "tháng 1 năm 2017")
    assert problem.found == "«tháng 1 năm 2017»"
    assert "2011-2015" in problem.message


def test_unit_not_existing_in_the_period(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "phu-rieng", MARCH, Filling(results={"P1.2": 1}))
    problem = only_error(check(path), "UNIT_NOT_IN_PERIOD")
    assert problem.cell == ref_of(path, "huyện Phú Riềng")
    assert problem.found == "«huyện Phú Riềng»"
    assert "01/07/2015" in problem.message and "tháng 3 năm 2012" in problem.message
    assert check(make_workbook(tmp_path, "phu-rieng", parse_period("2015-Q4"))).status is Status.ACCEPTED


@pytest.mark.parametrize("where", ["result", "budget"])
def test_text_in_a_number_cell(tmp_path, make_workbook, check, where: str) -> None:
    if where == "result":
        filling = Filling(results={"P1.2": 4, "P4.3": "khoảng 12 người"})
    else:
        filling = Filling(results={"P1.2": 4}, spending={"P3": {"KCĐP": "khoảng 1.260"}})
    path = make_workbook(tmp_path, "bu-dang", MARCH, filling)
    report = check(path)
    problem = only_error(report, "NOT_A_NUMBER")
    if where == "result":
        assert problem.cell == result_ref(path, "P4.3")
        assert problem.found == "«khoảng 12 người»"
    else:
        assert problem.cell == budget_ref(path, "P3", "KCĐP")
        assert problem.found == "«khoảng 1.260»"
    assert problem.cell in problem.message


@pytest.mark.parametrize("where", ["result", "budget"])
def test_negative_number(tmp_path, make_workbook, check, where: str) -> None:
    if where == "result":
        filling = Filling(results={"P1.2": -4, "P1.3": 2})
    else:
        filling = Filling(results={"P1.3": 2}, spending={"P6": {"KCQG": -0.5}})
    path = make_workbook(tmp_path, "bu-dang", MARCH, filling)
    problem = only_error(check(path), "NEGATIVE")
    if where == "result":
        assert (problem.cell, problem.found) == (result_ref(path, "P1.2"), "-4")
    else:
        assert (problem.cell, problem.found) == (budget_ref(path, "P6", "KCQG"), "-0,5")  # the Vietnamese way
    assert "số âm" in problem.message


def test_too_many_decimals(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": 1.2345}))
    problem = only_error(check(path), "TOO_PRECISE")
    assert (problem.cell, problem.found) == (result_ref(path, "P1.2"), "1,2345")


def _table_b_rows(ws) -> tuple[int, int]:
    """First row of table B (its heading) and first row of section C."""
    col_a = {str(c.value): c.row for c in ws["A"] if c.value is not None}
    return col_a[wbk.HEAD_B], col_a[wbk.HEAD_C]


def test_table_missing(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": 3}))
    wb = load_workbook(path)
    ws = wb[wbk.SHEET]
    head_b, _ = _table_b_rows(ws)
    for merged in [m for m in ws.merged_cells.ranges if m.min_row >= head_b]:
        ws.unmerge_cells(str(merged))
    ws.delete_rows(head_b, ws.max_row - head_b + 1)  # table B and section C gone
    wb.save(path)
    report = check(path)
    problem = only_error(report, "TABLE_MISSING")
    assert problem.cell == wbk.SHEET  # no single cell is at fault: the whole sheet lacks the table
    assert problem.found == "(không tìm thấy)"
    assert "B. KINH PHÍ" in problem.message
    assert [v.code for v in report.values] == ["P1.2"]


def test_table_header_missing(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH)
    wb = load_workbook(path)
    ws = wb[wbk.SHEET]
    head_b, _ = _table_b_rows(ws)
    for cell in ws[head_b + 1]:
        cell.value = None  # the header row of table B was wiped
    wb.save(path)
    problem = only_error(check(path), "TABLE_MISSING")
    assert problem.cell == f"{wbk.SHEET}!A{head_b + 1}"


@pytest.mark.parametrize("part", ["unit", "period"])
def test_header_label_missing(tmp_path, make_workbook, check, part: str) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": 3}))
    wb = load_workbook(path)
    ws = wb[wbk.SHEET]
    label = {"unit": wbk.LABEL_UNIT, "period": wbk.LABEL_PERIOD}[part]
    row = next(c.row for c in ws["A"] if c.value == label)
    title = "A1" if part == "unit" else "A5"  # the title lines name the unit (A1) and the period (A5)
    for ref in (f"A{row}", f"C{row}", title):
        ws[ref] = None  # neither the label, its value nor the title line
    wb.save(path)
    report = check(path)
    problem = only_error(report, "HEADER_MISSING")
    assert (problem.cell, problem.found) == (wbk.SHEET, "(không tìm thấy)")
    assert label in problem.expected and label in problem.message
    assert getattr(report, part) is None


def test_source_column_missing(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": 3}, spending={"P1": {"KCQG": 5}}))
    wb = load_workbook(path)
    ws = wb[wbk.SHEET]
    head_b, _ = _table_b_rows(ws)
    header = next(c for row in ws.iter_rows(min_row=head_b, max_row=head_b + 3) for c in row if c.value == "Khác")
    header.value = "Vốn vay"  # a source the programme does not have, in place of "Khác"
    wb.save(path)
    report = check(path)
    problem = only_error(report, "COLUMN_MISSING")
    assert problem.cell == f"{wbk.SHEET}!{header.row}:{header.row}"
    assert problem.found == "(không tìm thấy)" and "«Khác»" in problem.expected and "«Khác»" in problem.message
    assert {(v.code, v.source, v.amount) for v in report.values} == {("P1.2", "", 3), ("P1", "KCQG", 5)}


def test_two_possible_result_columns(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": 3}))
    ref = result_ref(path, "P1.2")
    wb = load_workbook(path)
    ws = wb[wbk.SHEET]
    result = next(c for row in ws.iter_rows() for c in row if c.value == wbk.COL_RESULT)
    result.value = "Thực hiện"
    ws.cell(result.row, result.column + 1).value = "Kết quả"  # was "Ghi chú": now either could be the result
    wb.save(path)
    report = check(path)
    assert report.status is Status.WARNINGS
    [problem] = report.problems
    assert (problem.code, problem.severity, problem.cell, problem.found) == (
        "AMBIGUOUS_COLUMN",
        Severity.WARNING,
        f"{wbk.SHEET}!{result.coordinate}",
        "«Thực hiện»",
    )
    assert "«Thực hiện»" in problem.message
    assert [(v.code, v.amount, v.cell) for v in report.values] == [("P1.2", 3, ref)]


def test_unreadable_report_date_is_a_warning(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": 3}, report_date=date(2012, 4, 3)))
    wb = load_workbook(path)
    ws = wb[wbk.SHEET]
    row = next(c.row for c in ws["A"] if c.value == wbk.LABEL_DATE)
    ws.cell(row, 3).value = "ngày mồng ba tháng tư"
    wb.save(path)
    report = check(path)
    assert report.status is Status.WARNINGS and report.report_date is None
    [problem] = report.problems
    assert (problem.code, problem.severity, problem.cell, problem.found) == (
        "DATE_INVALID",
        Severity.WARNING,
        f"{wbk.SHEET}!C{row}",
        "«ngày mồng ba tháng tư»",
    )
    assert [v.code for v in report.values] == ["P1.2"]


def test_missing_rows_are_warnings(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": 3}))
    wb = load_workbook(path)
    ws = wb[wbk.SHEET]
    row = int(result_ref(path, "P7.2").split("!E")[1])
    ws.cell(row, 2).value = "P7.9"  # the code column was edited
    wb.save(path)
    ws.cell(row, 3).value = "Một hoạt động khác"  # … and so was the name: the row matches nothing
    wb.save(path)
    report = check(path)
    assert report.status is Status.WARNINGS
    assert [(p.code, p.severity) for p in report.problems] == [
        ("ROW_MISSING", Severity.WARNING),
        ("UNMATCHED_ROW", Severity.WARNING),
    ]
    assert "P7.2" in report.problems[0].expected
    assert report.problems[1].cell == f"{wbk.SHEET}!C{row}"


def test_wrong_code_but_known_name_is_read_by_name(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P7.2": 1}))
    wb = load_workbook(path)
    ws = wb[wbk.SHEET]
    row = int(result_ref(path, "P7.2").split("!E")[1])
    ws.cell(row, 2).value = "P7.9"
    wb.save(path)
    report = check(path)
    assert [(p.code, p.cell) for p in report.problems] == [("CODE_UNKNOWN", f"{wbk.SHEET}!B{row}")]
    assert [(v.code, v.amount) for v in report.values] == [("P7.2", 1)]


def test_unreadable_file(tmp_path, check) -> None:
    path = tmp_path / "bao-cao-bu-dang-2012-03.xlsx"
    path.write_bytes(os.urandom(4096))
    report = check(path)
    problem = only_error(report, "NOT_A_WORKBOOK")
    assert problem.cell == ""  # not even a sheet could be opened
    assert problem.found == f"«{path.name}»"
    assert report.values == [] and report.unit is None and report.period is None


def _bomb(path: Path, size: int) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", bytes(size))
    return path


@pytest.mark.parametrize("size", [60 * 1024 * 1024, 3 * 1024 * 1024])  # too big; small but far too compressed
def test_zip_bomb(tmp_path, programmes, units, check, size: int) -> None:
    path = _bomb(tmp_path / "bom.xlsx", size)
    assert path.stat().st_size < size / 200
    raw: RawReport = read_report(file_info(path, tmp_path), programmes, units)
    assert raw.refusal is not None and raw.refusal.code == "ZIP_BOMB"
    problem = only_error(check(path), "ZIP_BOMB")
    assert (problem.cell, problem.found) == ("", "«bom.xlsx»")
