"""Excel report: read the workbook back and compare with the known figures."""

from __future__ import annotations

import re
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from render_samples import issuer, recipient, sample_report

from pipeline.aggregating import Note, UnitRow, UnitStatus
from pipeline.excel_report import DECIMAL_FORMAT, FIRST_DATA_ROW, HEADER_ROW, INT_FORMAT, write_excel_report


def _write(tmp_path: Path, code: str = "ubnd-tinh", **changes: object) -> Path:
    return write_excel_report(sample_report(**changes), recipient(code), issuer(), tmp_path / "bao-cao.xlsx")


def _row(ws: Worksheet, key: str, col: int = 1) -> dict[str, object]:
    """The data row whose column `col` equals `key`, as {header: value}."""
    headers = [c.value for c in ws[HEADER_ROW]]
    for row in ws.iter_rows(min_row=FIRST_DATA_ROW):
        if row[col - 1].value == key:
            return dict(zip(headers, (c.value for c in row), strict=True))
    raise AssertionError(f"no row {key!r} in {ws.title}")


def test_sheets_per_recipient(tmp_path: Path) -> None:
    assert load_workbook(_write(tmp_path)).sheetnames == ["ChiTieu", "KinhPhi", "DonVi", "TheoDonVi", "YKien"]
    bo = load_workbook(_write(tmp_path, "bo-cong-thuong"))
    assert bo.sheetnames == ["ChiTieu", "KinhPhi", "DonVi", "YKien"]


def test_layout_title_header_and_frozen_panes(tmp_path: Path) -> None:
    wb = load_workbook(_write(tmp_path))
    for ws in wb:
        assert ws["A1"].value == "Báo cáo tình hình thực hiện Chương trình khuyến công quý III năm 2012"
        assert ws["A2"].value
        assert ws.cell(HEADER_ROW, 1).value in ("Mã số", "STT")
        assert all(c.font.b for c in ws[HEADER_ROW] if c.value)
        assert ws.freeze_panes in ("A4", "D4")
        assert ws.print_title_rows == "$3:$3"
        assert int(ws.page_setup.paperSize) == 9 and ws.page_setup.fitToWidth == 1  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert wb["KinhPhi"]["A2"].value.endswith("ĐVT: triệu đồng")
    assert wb["TheoDonVi"].page_setup.orientation == "landscape"


def test_indicators_sheet(tmp_path: Path) -> None:
    ws = load_workbook(_write(tmp_path))["ChiTieu"]
    p12 = _row(ws, "P1.2")
    assert p12["Chỉ tiêu"] == "Lao động được đào tạo mới" and p12["ĐVT"] == "người"
    assert p12["Thực hiện trong kỳ"] == 45 and isinstance(p12["Thực hiện trong kỳ"], int)
    assert p12["Lũy kế từ đầu chương trình (từ tháng 1 năm 2011 đến hết tháng 9 năm 2012)"] == 120
    assert p12["Mục tiêu giai đoạn"] == 300
    assert p12["Tỷ lệ đạt"] == pytest.approx(0.4)
    share_cell = next(c for c in ws["G"] if c.value == pytest.approx(0.4))
    assert share_cell.number_format == "0.0%"
    assert next(c for c in ws["D"] if c.value == 45).number_format == INT_FORMAT
    assert _row(ws, "P1")["Chỉ tiêu"] == "Đào tạo nghề, truyền nghề và phát triển nghề"
    assert _row(ws, "P1.1")["Thực hiện trong kỳ"] == 0  # zero is written, not left empty
    codes = [c.value for c in ws["A"][FIRST_DATA_ROW - 1 :]]
    assert codes[:6] == ["P1", "P1.1", "P1.2", "P1.3", "P1.4", "P2"] and "P7.2" in codes


def test_budget_sheet(tmp_path: Path) -> None:
    ws = load_workbook(_write(tmp_path))["KinhPhi"]
    p1 = _row(ws, "P1")
    assert p1["Trong kỳ: KCQG"] == pytest.approx(20.56) and isinstance(p1["Trong kỳ: KCQG"], float)
    assert p1["Trong kỳ: KCĐP"] == 15
    assert p1["Trong kỳ: Khác"] == 0
    assert p1["Trong kỳ: Cộng"] == pytest.approx(35.56)
    assert p1["Lũy kế từ đầu chương trình"] == pytest.approx(200.5)
    assert p1["Kế hoạch giai đoạn"] == 1260
    assert p1["Tỷ lệ đạt"] == pytest.approx(200.5 / 1260)
    total = _row(ws, "Tổng cộng", col=2)
    assert total["Kế hoạch giai đoạn"] == 20560 and total["Trong kỳ: KCQG"] == pytest.approx(20.56)
    total_row = next(r for r in ws.iter_rows(min_row=FIRST_DATA_ROW) if r[1].value == "Tổng cộng")
    assert all(c.font.b for c in total_row)
    money = next(c for c in ws["C"] if c.value == pytest.approx(20.56))
    assert money.number_format == DECIMAL_FORMAT


def test_units_sheet(tmp_path: Path) -> None:
    ws = load_workbook(_write(tmp_path))["DonVi"]
    assert ws["A2"].value.startswith("III. Tình hình báo cáo của các đơn vị: 3/4 đơn vị đã báo cáo")
    bu_dang = _row(ws, "bu-dang")
    assert bu_dang["Đơn vị"] == "Bù Đăng"
    assert bu_dang["Số tháng đã báo cáo"] == 3 and bu_dang["Số tệp"] == 2 and bu_dang["Số tệp trễ hạn"] == 1
    assert bu_dang["Ngày nhận gần nhất"] == datetime(2012, 10, 3)
    assert bu_dang["Ghi chú"] == "trễ hạn" and bu_dang["Địa bàn ưu tiên"] == "x"
    assert _row(ws, "loc-ninh")["Ghi chú"] == "chưa báo cáo"
    assert _row(ws, "loc-ninh")["Ngày nhận gần nhất"] is None


def test_by_unit_sheet(tmp_path: Path) -> None:
    ws = load_workbook(_write(tmp_path))["TheoDonVi"]
    assert [c.value for c in ws[HEADER_ROW]] == [
        "Mã số",
        "Chỉ tiêu",
        "ĐVT",
        "Bù Đăng",
        "Đồng Xoài",
        "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp",
        "Cộng",
    ]
    p12 = _row(ws, "P1.2")
    assert (p12["Bù Đăng"], p12["Đồng Xoài"], p12["Cộng"]) == (30, 15, 45)
    kcqg = _row(ws, "KCQG")
    assert kcqg["Bù Đăng"] == pytest.approx(10.28) and kcqg["Cộng"] == pytest.approx(20.56)
    total = _row(ws, "Tổng kinh phí", col=2)
    assert total["Cộng"] == pytest.approx(20.56)


def test_notes_sheet(tmp_path: Path) -> None:
    ws = load_workbook(_write(tmp_path))["YKien"]
    assert [c.value for c in ws[FIRST_DATA_ROW]] == [
        1,
        "Bù Đăng",
        "2012-Q3",
        "Kinh phí đối ứng của địa phương còn thiếu; đề nghị bổ sung.",
    ]
    empty = load_workbook(_write(tmp_path, notes=()))["YKien"]
    assert empty.cell(FIRST_DATA_ROW, 2).value == "Không có ý kiến."


INJECTIONS = ["=1+1", '=HYPERLINK("http://example.com","x")', "+1", "-2", "@SUM(A1)"]


def test_input_text_never_becomes_a_formula(tmp_path: Path) -> None:
    units = tuple(UnitStatus(f"u{i}", text, False, 3, 3, 3, (), ("a.xlsx",), None) for i, text in enumerate(INJECTIONS))
    by_unit = tuple(UnitRow(f"u{i}", text, {}, {}) for i, text in enumerate(INJECTIONS))
    notes = tuple(Note(text, "2012-Q3", text) for text in INJECTIONS)
    path = _write(tmp_path, units=units, by_unit=by_unit, notes=notes)

    wb = load_workbook(path)
    names = [c.value for c in wb["DonVi"]["B"][FIRST_DATA_ROW - 1 :]]
    assert names == INJECTIONS
    assert [c.value for c in wb["TheoDonVi"][HEADER_ROW]][3:-1] == INJECTIONS
    assert [c.value for c in wb["YKien"]["D"][FIRST_DATA_ROW - 1 :]] == INJECTIONS
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", z.read(name)), name


def test_control_characters_are_dropped(tmp_path: Path) -> None:
    path = _write(tmp_path, notes=(Note("Bù Đăng", "2012-Q3", "dòng 1\x0bdòng 2\x00"),))
    assert load_workbook(path)["YKien"].cell(FIRST_DATA_ROW, 4).value == "dòng 1dòng 2"


def test_write_is_atomic(tmp_path: Path) -> None:
    path = _write(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    _write(tmp_path)  # overwriting works too
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
