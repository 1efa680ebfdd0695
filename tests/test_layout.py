"""Finding reports in what officers really send: regressions from the review of the reading stage."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from pipeline import workbook as wbk
from pipeline.layout import read_report
from pipeline.periods import month
from pipeline.reading import file_info
from pipeline.validating import Status, validate
from pipeline.workbook import Filling

Q3 = "BÁO CÁO KẾT QUẢ CÔNG TÁC KHUYẾN CÔNG QUÝ III NĂM 2012"


def _check(path: Path, programmes, units):
    return validate(read_report(file_info(path, path.parent), programmes, units), units)


def _free(
    tmp_path: Path, rows: list[list[object]], header: list[str] | None = None, title: str = Q3, name: str = "free.xlsx"
) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(["UBND HUYỆN BÙ ĐĂNG"])
    ws.append([title])
    ws.append(header or ["STT", "Nội dung", "ĐVT", "Kế hoạch", "Thực hiện", "Ghi chú"])
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def _codes(report) -> list[tuple[str, str]]:
    return [(p.code, p.cell) for p in report.problems if p.code != "TABLE_MISSING"]


def _values(report) -> dict[str, object]:
    return {v.code: v.amount for v in report.values if v.kind == "indicator"}


def test_cong_tac_is_an_activity_not_a_total(tmp_path, programmes, units) -> None:
    path = _free(
        tmp_path, [[1, "Công tác tư vấn, cung cấp thông tin cho cơ sở", "cơ sở", 10, 5], [None, "Cộng", None, None, 5]]
    )
    report = _check(path, programmes, units)
    assert _codes(report) == []  # not taken for a total: read as the activity it is (pipeline.matching)
    assert _values(report) == {"P5.1": 5}


def test_sub_items_a_b_c_are_rows_not_sections(tmp_path, programmes, units) -> None:
    path = _free(
        tmp_path,
        [
            ["I", "Đào tạo nghề, truyền nghề và phát triển nghề"],
            ["a.", "Đào tạo mới cho lao động", "người", 30, 20],
            ["b.", "Đào tạo nâng cao tay nghề", "người", 20, 15],
            ["c.", "Nghệ nhân, thợ giỏi", "người", 5, 2],
        ],
    )
    assert _values(_check(path, programmes, units)) == {"P1.2": 20, "P1.3": 15, "P1.4": 2}
    path = _free(
        tmp_path,
        [["1", "a. Đào tạo mới cho lao động", "người", 30, 20], ["2", "b. Đào tạo nâng cao tay nghề", "người", 20, 15]],
        name="b.xlsx",
    )
    assert _values(_check(path, programmes, units)) == {"P1.2": 20, "P1.3": 15}


def test_group_row_with_a_number_is_flagged(tmp_path, programmes, units) -> None:
    path = _free(tmp_path, [["V", "Tư vấn, cung cấp thông tin", None, None, 7], [1, "Phát hành bản tin", "bản", 4, 2]])
    report = _check(path, programmes, units)
    assert ("GROUP_ROW_VALUE", "Sheet!E4") in _codes(report)


def test_repeated_header_continues_the_table(tmp_path, programmes, units) -> None:
    header = ["STT", "Nội dung", "ĐVT", "Kế hoạch", "Thực hiện", "Ghi chú"]
    path = _free(
        tmp_path,
        [[1, "Đào tạo mới cho lao động", "người", 30, 20], header, [2, "Hội thảo được tổ chức", "hội thảo", 2, 1]],
    )
    assert _values(_check(path, programmes, units)) == {"P1.2": 20, "P2.2": 1}


def test_result_column_chosen_by_whole_words(tmp_path, programmes, units) -> None:
    path = _free(
        tmp_path,
        [[1, "Đào tạo mới cho lao động", "người", 30, 20]],
        header=["STT", "Nội dung", "ĐVT", "Kế hoạch", "Kết quả đạt được"],
    )
    assert _values(_check(path, programmes, units)) == {"P1.2": 20}  # "được" is not "ước" (an estimate)


def test_merged_result_header_over_plan_and_result(tmp_path, programmes, units) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["UBND HUYỆN BÙ ĐĂNG"])
    ws.append([Q3])
    ws.append(["STT", "Nội dung", "ĐVT", "Thực hiện trong kỳ", None])
    ws.append([None, None, None, "Kế hoạch", "Thực hiện"])
    ws.merge_cells("D3:E3")
    ws.append([1, "Đào tạo mới cho lao động", "người", 50, 20])
    path = tmp_path / "m.xlsx"
    wb.save(path)
    assert _values(_check(path, programmes, units)) == {"P1.2": 20}


def test_excel_error_cells_are_reported_not_dropped(tmp_path, make_workbook, programmes, units) -> None:
    path = make_workbook(tmp_path, "bu-dang", month(2012, 3), Filling(results={"P1.2": 4}))
    ref = next(c.coordinate for c in load_workbook(path)[wbk.SHEET]["B"] if c.value == "P1.3")
    ref = "E" + ref[1:]
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = next(n for n in parts if n.startswith("xl/worksheets/sheet"))
    xml = parts[sheet].decode()
    start = xml.index(f'<c r="{ref}"')
    end = xml.index(">", start) + 1  # the template's value cells are empty: <c r="E18" s="…"/>
    if xml[end - 2] != "/":  # or <c r="E18" s="…"></c>, as openpyxl writes it through lxml
        assert xml.startswith("</c>", end)
        end += len("</c>")
    cell = f'<c s="1" t="e" r="{ref}"><f>1/0</f><v>#DIV/0!</v></c>'  # an error, attributes in another order
    parts[sheet] = (xml[:start] + cell + xml[end:]).encode()
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    report = _check(path, programmes, units)
    assert report.status is Status.REJECTED
    assert [(p.code, p.cell, p.found) for p in report.problems] == [("FORMULA_ERROR", f"BaoCao!{ref}", "«#DIV/0!»")]


def test_duplicate_budget_row_and_other_report_sheet(tmp_path, make_workbook, programmes, units) -> None:
    path = make_workbook(tmp_path, "bu-dang", month(2012, 3), Filling(spending={"P1": {"KCQG": 10}}))
    wb = load_workbook(path)
    ws = wb[wbk.SHEET]
    p2 = [c.row for c in ws["B"] if c.value == "P2"][-1]
    ws[f"B{p2}"] = "P1"
    ws[f"D{p2}"] = 99
    wb.copy_worksheet(ws).title = "Quý 3"
    wb.save(path)
    report = _check(path, programmes, units)
    codes = _codes(report)
    assert ("DUPLICATE_ROW", f"BaoCao!D{p2}") in codes and ("OTHER_SHEET", "'Quý 3'") in codes
    assert report.status is Status.REJECTED


def test_unit_in_title_must_match_the_label(tmp_path, make_workbook, programmes, units) -> None:
    path = make_workbook(tmp_path, "bu-dang", month(2012, 3))
    wb = load_workbook(path)
    wb[wbk.SHEET]["A1"] = "UBND HUYỆN BÙ ĐỐP"
    wb.save(path)
    report = _check(path, programmes, units)
    assert _codes(report) == [("UNIT_MISMATCH", "BaoCao!A1")] and report.status is Status.REJECTED


def test_money_units_and_magnitudes(tmp_path, make_workbook, programmes, units) -> None:
    path = make_workbook(
        tmp_path,
        "bu-dang",
        month(2012, 3),
        Filling(
            spending={"P1": {"KCQG": "1,5 tỷ", "KCĐP": "2 triệu đồng", "Khác": 1e16}},
            results={"P1.2": 0.30000000000000004 * 10},
        ),
    )
    report = _check(path, programmes, units)
    assert sorted(p.code for p in report.problems) == ["MONEY_UNIT", "TOO_LARGE"]
    assert {(v.code, v.source): v.amount for v in report.values} == {("P1.2", ""): 3, ("P1", "KCĐP"): 2}


def test_period_typed_as_a_number_or_a_date(tmp_path, make_workbook, programmes, units) -> None:
    for value, code in ((2012, "2012"), (datetime(2012, 3, 1), "2012-03")):
        path = make_workbook(
            tmp_path,
            "bu-dang",
            month(2012, 3),
            name=f"{code}.xlsx",
            filling=Filling(period_text=value, title_period_text=" "),
        )
        report = _check(path, programmes, units)
        assert report.period is not None and report.period.code == code, report.problems


def test_unreadable_stylesheet_falls_back_to_the_text_heuristic(tmp_path, make_workbook, programmes, units) -> None:
    path = make_workbook(tmp_path, "bu-dang", month(2012, 3), Filling(results={"P1.2": 4}))
    wb = load_workbook(path)
    wb[wbk.SHEET]["F17"].font = Font(name=".VnTime")
    wb[wbk.SHEET]["F17"] = "Ghi chó"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    parts["xl/styles.xml"] = parts["xl/styles.xml"].replace(b'<sz val="12"', b'<sz val="12pt"', 1)
    with zipfile.ZipFile(path, "w") as z:
        for n, data in parts.items():
            z.writestr(n, data)
    report = _check(path, programmes, units)  # openpyxl refuses this stylesheet; the run goes on
    assert report.status is not Status.REJECTED and _values(report) == {"P1.2": 4}


def test_formula_and_error_cells_found_by_their_reference_not_by_text() -> None:
    from pipeline import reading

    data = (
        b'<sheetData><row r="17"><c r="A17" t="inlineStr"><is><t>see r="E17" and \'F17\'</t></is></c>'
        b'<c r="E17" s="2"><f>SUM(A1:A3)</f></c><c r=\'F17\' t="e"><v>#N/A</v></c>'
        b'<c r="G17"><f>1+1</f><v>2</v></c><c r="H17"/></row></sheetData>'
    )
    assert reading._flag_of(data, b"E17") == "no value"
    assert reading._flag_of(data, b"F17") == "#N/A"
    assert reading._flag_of(data, b"G17") is None  # a formula with its value: read as the value
    assert reading._flag_of(data, b"A17") is None and reading._flag_of(data, b"H17") is None
    assert reading._flag_of(data, b"Z99") is None
    hostile = b"<f>" * 200_000 + b'"E17"' * 200_000  # no cell at all: bounded work, nothing flagged
    assert reading._flag_of(hostile, b"E17") is None


def test_unbounded_tag_after_a_reference_is_not_searched_to_the_end() -> None:
    from pipeline import reading

    data = b'<!-- <c "E16" r="E16" ' + b"x" * 3_000_000 + b'--><sheetData><c r="E16"><f>A1</f></c></sheetData>'
    assert reading._flag_of(data, b"E16") == "no value"  # the real cell, found in bounded steps


def test_merged_ranges_are_clipped_deduplicated_and_bounded() -> None:
    from pipeline.reading import Grid

    rows = [["Tiêu đề", "", ""], ["a", 1, 2]]
    grid = Grid("BaoCao", rows, [(1, 1, 1, 3)] * 10_000 + [(1, 1, 90_000, 16_000), (2, 2, 9, 9)])
    assert grid.merged_text(1, 3) == "tieu de"  # the real merge, once
    assert grid._merged_parent == {(1, 2): (1, 1), (1, 3): (1, 1), (2, 3): (2, 2)}  # clipped; the rest over budget


def test_an_unforeseen_error_refuses_that_file_only(tmp_path, programmes, units, monkeypatch) -> None:
    from pipeline import layout
    from pipeline.reading import file_info
    from pipeline.workbook import write_template

    path = write_template(programmes[0], units.by_code["bu-dang"], month(2012, 3), tmp_path / "a.xlsx", None)

    def broken(*_args, **_kwargs):
        raise ZeroDivisionError("a reader bug")

    monkeypatch.setattr(layout, "_read_notes", broken)
    raw = layout.read_report(file_info(path, tmp_path), programmes, units)
    assert raw.refusal.code == "FILE_UNREADABLE" and "ZeroDivisionError" in raw.refusal.message
