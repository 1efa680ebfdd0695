"""Receipts: Vietnamese, NFC, naming the file, its status, unit, period and every problem's cell."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import budget_ref, has_vietnamese, result_ref
from openpyxl import load_workbook

import flows
from pipeline import ledger
from pipeline.layout import read_report
from pipeline.periods import month
from pipeline.reading import file_info
from pipeline.receipts import receipt_path, receipt_relpath, receipt_text, write_receipt
from pipeline.validating import Status, ValidationReport, validate
from pipeline.workbook import SHEET, Filling, write_template

MARCH = month(2012, 3)


@pytest.fixture
def check(programmes, units):
    def run(path: Path, inputs: Path) -> ValidationReport:
        return validate(read_report(file_info(path, inputs), programmes, units), units)

    return run


def test_rejected_receipt(tmp_path, make_workbook, check) -> None:
    path = make_workbook(
        tmp_path,
        "bu-dang",
        MARCH,
        Filling(results={"P1.2": -4, "P4.3": "khoảng 3 cơ sở", "P1.3": 2}),
        received=date(2012, 4, 2),
    )
    report = check(path, tmp_path / "inputs")
    assert report.status is Status.REJECTED
    text = receipt_text(report)
    assert unicodedata.is_normalized("NFC", text) and has_vietnamese(text)
    assert text.startswith("BIÊN NHẬN BÁO CÁO KHUYẾN CÔNG\n")
    for expected in (
        f"Tệp: {path.name}",
        f"Mã kiểm tra (sha256): {report.file.sha256}",
        "Ngày nhận: 02/04/2012",
        "Kết quả: BỊ TỪ CHỐI",
        "Đơn vị: huyện Bù Đăng",
        "Kỳ báo cáo: tháng 3 năm 2012",
        "Số giá trị đã đọc: 1",
        "LỖI (phải sửa rồi gửi lại):",
        "CHƯA được tổng hợp",
    ):
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


# --- receipts for Vietnamese officers, end to end: real workbooks through the real intake (issue 12) ---------

AUGUST = month(2012, 8)
FORGED = "\nKết quả: ĐÃ TIẾP NHẬN"
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE


def _at(day: int, hour: int, minute: int, m: int = 4) -> datetime:
    return datetime(2012, m, day, hour, minute, tzinfo=UTC)


@pytest.fixture(scope="module")
def backlog_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("receipts")


@pytest.fixture(scope="module")
def backlog(backlog_root, programmes, units, harness) -> dict[str, str]:
    """One first ingest (a backlog: the files' own dates are their received times) of files made to show each
    part of a receipt. Returns the input's name -> its receipt's text."""
    root = backlog_root
    inputs = root / "inputs"
    programme = programmes[0]

    def put(name: str, unit: str, period, filling: Filling, at: datetime) -> Path:
        path = write_template(programme, units.by_code[unit], period, inputs / name, filling)
        os.utime(path, (at.timestamp(),) * 2)
        return path

    # 07:32 UTC on 02/04 is 14:32 in Bình Phước
    put(
        "dx.xlsx",
        "dong-xoai",
        MARCH,
        Filling(results={"P1.2": 4, "C3": 1260.5}, spending={"P1": {"KCQG": 12.5}}),
        _at(2, 7, 32),
    )
    shutil.copyfile(inputs / "dx.xlsx", inputs / "dx (1).xlsx")
    os.utime(inputs / "dx (1).xlsx", (_at(3, 2, 0).timestamp(),) * 2)
    put("bd.xlsx", "bu-dang", MARCH, Filling(results={"P1.2": 301}), _at(2, 9, 0))  # above the 5-year target (300)
    put("ln.xlsx", "loc-ninh", MARCH, Filling(results={"P1.3": 12.5, "P1.4": 1260.5}), _at(2, 9, 0))
    put("v1.xlsx", "bu-dop", AUGUST, Filling(results={"P1.2": 4}), _at(5, 9, 0, 9))  # 16:00 on 05/09
    put("v2.xlsx", "bu-dop", AUGUST, Filling(results={"P1.2": 6}), _at(6, 17, 30, 9))  # 00:30 on 07/09
    put("v3.xlsx", "bu-dop", AUGUST, Filling(results={"P1.2": -1}), _at(8, 9, 0, 9))  # rejected
    put("hq.xlsx", "hon-quan", AUGUST, Filling(results={"P1.2": -1}), _at(8, 9, 0, 9))  # rejected, nothing counts
    put(f"bc{FORGED}.xlsx", "chon-thanh", MARCH, Filling(results={"P1.2": -4}), _at(2, 9, 0))
    put(f"bc{RLO}xslx.xlsx", "phuoc-long", MARCH, Filling(results={"P1.2": -4}), _at(2, 9, 0))
    put(f"ls\u2028{FORGED[1:]}.xlsx", "bu-gia-map", MARCH, Filling(results={"P1.2": -4}), _at(2, 9, 0))  # LINE SEP.
    odd = put("odd.xlsx", "binh-long", MARCH, Filling(results={"P4.3": f"3{RLO} cơ sở\r{FORGED}"}), _at(2, 9, 0))
    wb = load_workbook(odd)
    wb[SHEET].title = f"Báo{RLO}cáo\u200f"
    wb.save(odd)
    os.utime(odd, (_at(2, 9, 0).timestamp(),) * 2)
    rows = put("rows.xlsx", "dong-phu", MARCH, Filling(results={"P1.2": 1}), _at(2, 9, 0))
    wb = load_workbook(rows)
    wb[SHEET].cell(20_001, 1, "x")  # refused before it is read: more rows than a report can have
    wb.save(rows)
    os.utime(rows, (_at(2, 9, 0).timestamp(),) * 2)

    flows.ingest_inputs(inputs=str(inputs), outputs=str(root / "outputs"), ledger_file=str(root / "ledger.sqlite"))
    folder = root / "outputs" / "receipts"
    by_name = {p.name: (folder / receipt_relpath(p.name)).read_text(encoding="utf-8") for p in inputs.iterdir()}
    assert len(list(folder.rglob("*.txt"))) == len(by_name) == 13
    for path in inputs.iterdir():
        assert hashlib.sha256(path.read_bytes()).hexdigest() in by_name[path.name]
    return by_name


def test_every_receipt_is_nfc(backlog) -> None:
    assert all(unicodedata.is_normalized("NFC", t) for t in backlog.values())


def test_numbers_on_receipts_are_written_the_vietnamese_way(backlog) -> None:
    """Decimals with a comma and thousands with a dot: in what was found, and in the values read."""
    rejected = backlog["ln.xlsx"]
    assert "Kết quả: BỊ TỪ CHỐI" in rejected
    assert ": có 12,5; cần một số nguyên (người)." in rejected
    assert ": có 1.260,5; cần một số nguyên (người)." in rejected
    accepted = backlog["dx.xlsx"]
    assert ": 1.260,5 triệu đồng (ô " in accepted and ": 12,5 triệu đồng (ô " in accepted
    assert "hơn 20.000 dòng" in backlog["rows.xlsx"]  # a refusal before reading, its figures the same way
    for text in backlog.values():
        figures = _figures(text)
        assert figures and not [n for n in figures if re.fullmatch(NOT_VIETNAMESE, n)], text


NOT_VIETNAMESE = r"\d+(\.\d{1,2}|\.\d{4,})|\d{4,}|\d{1,3}( \d{3})+"  # 12.5, 1260, 1 260


def _figures(text: str) -> list[str]:
    """The figures of a receipt, leaving out what is not a figure: days, times, years, hashes, codes, cells and
    what officers wrote (in «»)."""
    text = re.sub(r"\d\d/\d\d/\d{4}( lúc \d\d:\d\d)?|năm \d{4}|\d{4}-\d{4}|[0-9a-f]{64}|sha256", "", text)
    text = re.sub(r"«[^»]*»|\b[PC]\d(\.\d)?\b|[A-Za-z]+![A-Z]+\d+", "", text)
    return re.findall(r"\d[\d., ]*\d|\d", text)


def test_an_accepted_receipt_lists_the_values_read_by_code_name_unit_and_cell(backlog, backlog_root) -> None:
    text = backlog["dx.xlsx"]
    listing = text.split("CÁC GIÁ TRỊ ĐÃ ĐỌC:\n")[1].rstrip("\n").split("\n")
    path = backlog_root / "inputs" / "dx.xlsx"
    assert listing == [
        f"1. P1.2 – Lao động được đào tạo mới: 4 người (ô {result_ref(path, 'P1.2')})",
        f"2. C3 – Giá trị sản xuất công nghiệp nông thôn: 1.260,5 triệu đồng (ô {result_ref(path, 'C3')})",
        "3. Kinh phí P1 – Đào tạo nghề, truyền nghề và phát triển nghề, nguồn KCQG: 12,5 triệu đồng "
        f"(ô {budget_ref(path, 'P1', 'KCQG')})",
    ]
    assert "CÁC GIÁ TRỊ ĐÃ ĐỌC" not in backlog["ln.xlsx"]  # a rejected report's values are not used


def test_indicators_are_named_as_well_as_coded(backlog) -> None:
    text = backlog["ln.xlsx"]
    assert "(chỉ tiêu P1.3 – Lao động được đào tạo nâng cao tay nghề)" in text
    assert "(chỉ tiêu P1.4 – Nghệ nhân, thợ giỏi được tập huấn, đào tạo)" in text


def test_a_value_above_the_target_is_said_in_plain_words(backlog) -> None:
    text = backlog["bd.xlsx"]
    assert "Kết quả: ĐÃ TIẾP NHẬN, CÓ LƯU Ý" in text
    assert "301 người trong một báo cáo, vượt mục tiêu cả giai đoạn (300 người)." in text
    assert "lần mục tiêu" not in text


def test_receipts_give_the_time_of_receipt_on_the_provinces_clock(backlog) -> None:
    assert "Ngày nhận: 02/04/2012 lúc 14:32 (theo ngày lưu của tệp" in backlog["dx.xlsx"]
    assert "Ngày nhận: 07/09/2012 lúc 00:30 (theo ngày lưu của tệp" in backlog["v2.xlsx"]  # 17:30 UTC on the 6th
    assert "giống hệt tệp «dx.xlsx» nhận ngày 02/04/2012 lúc 14:32, đã tiếp nhận" in backlog["dx (1).xlsx"]


def test_receipts_say_which_version_counts_and_which_it_replaces(backlog) -> None:
    assert (
        "Bản được dùng cho kỳ này: CÓ, là bản mới nhất đơn vị gửi; thay bản «v1.xlsx» nhận ngày 05/09/2012 lúc 16:00."
    ) in backlog["v2.xlsx"]
    assert (
        "Bản được dùng cho kỳ này: KHÔNG, đơn vị đã gửi bản mới hơn «v2.xlsx» (nhận ngày 07/09/2012 lúc 00:30); "
        "bản đó được dùng."
    ) in backlog["v1.xlsx"]
    assert (
        "Bản được dùng cho kỳ này: KHÔNG (báo cáo bị từ chối); bản đang được dùng là «v2.xlsx» (nhận ngày "
        "07/09/2012 lúc 00:30)."
    ) in backlog["v3.xlsx"]
    assert (
        "Bản được dùng cho kỳ này: KHÔNG (báo cáo bị từ chối); đơn vị chưa có bản nào được dùng cho kỳ này."
        in backlog["hq.xlsx"]
    )
    assert "Bản được dùng cho kỳ này: CÓ, là bản đầu tiên được tiếp nhận cho kỳ này." in backlog["dx.xlsx"]


def test_officer_text_cannot_forge_a_line_or_reverse_the_receipt(backlog) -> None:
    """A newline in a file name, a right-to-left override in a name, a sheet name or a cell: never on the
    receipt; the forged text stays on the line of the field that carries it."""
    forged = backlog[f"bc{FORGED}.xlsx"]
    assert "Kết quả: BỊ TỪ CHỐI" in forged
    assert "Tệp: bc Kết quả: ĐÃ TIẾP NHẬN.xlsx\n" in forged
    odd = backlog["odd.xlsx"]
    assert "Kết quả: ĐÃ TIẾP NHẬN, CÓ LƯU Ý" not in odd and "Kết quả: BỊ TỪ CHỐI" in odd
    assert "có «3 cơ sở Kết quả: ĐÃ TIẾP NHẬN»" in odd and "sheet «Báo cáo»" in odd
    for text in backlog.values():
        lines = text.split("\n")
        assert len([line for line in lines if line.startswith("Kết quả:")]) == 1, text
        assert not any(c in text for c in (RLO, "\u200f", "\r", "\t", "\x0b", "\x0c", "\u2028", "\u2029")), text
        assert all(line.isprintable() for line in lines), text
    assert "Tệp: bc xslx.xlsx\n" in backlog[f"bc{RLO}xslx.xlsx"]
    assert "Tệp: ls Kết quả: ĐÃ TIẾP NHẬN.xlsx\n" in backlog[f"ls\u2028{FORGED[1:]}.xlsx"]


def test_a_watched_version_names_the_time_of_the_one_it_replaces(tmp_path, make_workbook, harness) -> None:
    """While the intake watches the folder, the times are when it first saw each file, on the province's clock."""
    (tmp_path / "inputs").mkdir()
    ingest = {
        "inputs": str(tmp_path / "inputs"),
        "outputs": str(tmp_path / "outputs"),
        "ledger_file": str(tmp_path / "ledger.sqlite"),
    }
    flows.ingest_inputs(**ingest)  # the backlog (none) is loaded: from now on the intake watches
    make_workbook(tmp_path, "bu-dang", AUGUST, Filling(results={"P1.2": 4}), name="v1.xlsx", received=date(2012, 9, 5))
    flows.ingest_inputs(**ingest)
    make_workbook(tmp_path, "bu-dang", AUGUST, Filling(results={"P1.2": 6}), name="v2.xlsx", received=date(2012, 9, 3))
    flows.ingest_inputs(**ingest)
    with ledger.open_ledger(tmp_path / "ledger.sqlite") as conn:
        at = ledger.submissions_frame(conn).set_index("file_name")["received_at"]
    local = {name: datetime.fromisoformat(iso).astimezone(ZoneInfo("Asia/Ho_Chi_Minh")) for name, iso in at.items()}
    shown = {name: f"{t:%d/%m/%Y} lúc {t:%H:%M}" for name, t in local.items()}
    v2 = (tmp_path / "outputs" / "receipts" / "v2.xlsx.txt").read_text(encoding="utf-8")
    assert f"Ngày nhận: {shown['v2.xlsx']} (lúc hệ thống tiếp nhận thấy tệp" in v2
    assert "Ngày lưu trên tệp: 03/09/2012 lúc 16:00" in v2
    assert f"thay bản «v1.xlsx» nhận ngày {shown['v1.xlsx']}." in v2
