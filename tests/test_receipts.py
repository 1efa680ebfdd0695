"""Receipts: Vietnamese, NFC, naming the file, its status, unit, period and every problem's cell."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest
from conftest import has_vietnamese, result_ref
from openpyxl import load_workbook

from pipeline.layout import read_report
from pipeline.periods import month
from pipeline.reading import file_info
from pipeline.receipts import receipt_path, receipt_text, write_receipt
from pipeline.validating import Status, ValidationReport, validate
from pipeline.workbook import Filling

MARCH = month(2012, 3)


@pytest.fixture
def check(programmes, units):
    def run(path: Path, inputs: Path) -> ValidationReport:
        return validate(read_report(file_info(path, inputs), programmes, units), units)

    return run


def test_rejected_receipt(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": -4, "P4.3": "khoảng 3 cơ sở", "P1.3": 2}),
                         received=date(2012, 4, 2))
    report = check(path, tmp_path / "inputs")
    assert report.status is Status.REJECTED
    text = receipt_text(report)
    assert unicodedata.is_normalized("NFC", text) and has_vietnamese(text)
    assert text.startswith("BIÊN NHẬN BÁO CÁO KHUYẾN CÔNG\n")
    for expected in (f"Tệp: {path.name}", f"Mã kiểm tra (sha256): {report.file.sha256}", "Ngày nhận: 02/04/2012",
                     "Kết quả: BỊ TỪ CHỐI", "Đơn vị: huyện Bù Đăng", "Kỳ báo cáo: tháng 3 năm 2012",
                     "Số giá trị đã đọc: 1", "LỖI (phải sửa rồi gửi lại):", "CHƯA được tổng hợp"):
        assert expected in text, expected
    assert len(report.problems) == 2
    for p in report.problems:
        assert f"ô {p.cell}: có {p.found}; cần {p.expected}." in text
        assert p.message in text
    assert f"ô {result_ref(path, 'P1.2')}: có -4" in text
    assert f"ô {result_ref(path, 'P4.3')}: có «khoảng 3 cơ sở»" in text


def test_accepted_receipt(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "dong-xoai", MARCH, Filling(results={"P1.2": 4}, spending={"P1": {"KCQG": 2}}))
    text = receipt_text(check(path, tmp_path / "inputs"))
    assert "Kết quả: ĐÃ TIẾP NHẬN\n" in text
    assert "Đơn vị: thị xã Đồng Xoài" in text and "Số giá trị đã đọc: 2" in text
    assert "LỖI" not in text and "LƯU Ý" not in text and "CHƯA" not in text


def test_warning_receipt(tmp_path, make_workbook, check) -> None:
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": 4}))
    wb = load_workbook(path)
    ws = wb["BaoCao"]
    date_cell = next(c for row in ws.iter_rows() for c in row if c.value == "Ngày báo cáo:")
    ws.cell(date_cell.row, 3).value = "mồng 5 tháng tư"
    wb.save(path)
    report = check(path, tmp_path / "inputs")
    assert report.status is Status.WARNINGS
    text = receipt_text(report)
    assert "Kết quả: ĐÃ TIẾP NHẬN, CÓ LƯU Ý" in text
    assert f"LƯU Ý:\n1. ô BaoCao!C{date_cell.row}: có «mồng 5 tháng tư»" in text
    assert "CHƯA" not in text


def test_unreadable_receipt(tmp_path, check) -> None:
    path = tmp_path / "bao-cao.xlsx"
    path.write_bytes(b"\x00\x01 not excel")
    text = receipt_text(check(path, tmp_path))
    assert "Đơn vị: (không xác định)" in text and "Kỳ báo cáo: (không xác định)" in text
    assert "1. tệp: có «bao-cao.xlsx»" in text
    assert "Kết quả: BỊ TỪ CHỐI" in text


def test_receipt_is_nfc_even_for_nfd_input(tmp_path, make_workbook, check) -> None:
    nfd_name = unicodedata.normalize("NFD", "báo-cáo-Bù-Đăng.xlsx")
    nfd_unit = unicodedata.normalize("NFD", "Huyện Không Có")
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(unit_text=nfd_unit), name=nfd_name)
    report = check(path, tmp_path / "inputs")
    assert report.status is Status.REJECTED
    text = receipt_text(report)
    assert unicodedata.is_normalized("NFC", text)
    assert "Tệp: báo-cáo-Bù-Đăng.xlsx" in text
    assert "có «Huyện Không Có»" in text


def test_write_receipt(tmp_path, make_workbook, check) -> None:
    inputs = tmp_path / "inputs"
    path = make_workbook(tmp_path, "bu-dang", MARCH, Filling(results={"P1.2": 4}), name="2012/bu-dang/bc.xlsx")
    report = check(path, inputs)
    assert report.file.name == "2012/bu-dang/bc.xlsx"
    out = tmp_path / "receipts"
    written = write_receipt(out, report)
    assert written == receipt_path(out, report.file.name) == out / "2012" / "bu-dang" / "bc.xlsx.txt"
    assert receipt_path(out, "a/b_c.xlsx") != receipt_path(out, "a_b/c.xlsx")  # no two files share a receipt
    assert receipt_path(out, "../../etc/passwd").resolve().is_relative_to(out.resolve())
    assert written.read_text(encoding="utf-8") == receipt_text(report)
    assert [p.name for p in written.parent.iterdir()] == [written.name]  # no temporary file left behind
    write_receipt(out, report)  # written again: replaced, not duplicated
    assert [p.name for p in written.parent.iterdir()] == [written.name]
