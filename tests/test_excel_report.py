"""Excel report: read the workbook back and compare with the known figures."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from render_samples import (
    BEHIND,
    many_units_report,
    recipient,
    sample_report,
    unit_result,
    unit_spending,
    xlsx_of,
)

from pipeline.aggregating import Note, UnitRow, UnitStatus
from pipeline.report.excel import DECIMAL_FORMAT, INT_FORMAT, SHARE_FORMAT
from pipeline.report.model import FIRST_DATA_ROW, HEADER_ROW
from pipeline.report.sentences import coverage_note


def _write(tmp_path: Path, code: str = "ubnd-tinh", **changes: object) -> Path:
    return xlsx_of(sample_report(**changes), recipient(code), tmp_path / "bao-cao.xlsx")


def _row(ws: Worksheet, key: str, col: int = 1) -> dict[str, object]:
    """The data row whose column `col` equals `key`, as {header: value}."""
    headers = [c.value for c in ws[HEADER_ROW]]
    for row in ws.iter_rows(min_row=FIRST_DATA_ROW):
        if row[col - 1].value == key:
            return dict(zip(headers, (c.value for c in row), strict=True))
    raise AssertionError(f"no row {key!r} in {ws.title}")


ISSUE4 = ["TienDo", "KinhPhiNam", "ChiTieuChung", "DonVi", "DieuChinh", "YKien"]


def _num(value: object) -> Decimal:
    """A numeric cell as a Decimal (cells hold int or float)."""
    assert isinstance(value, int | float) and not isinstance(value, bool), value
    return Decimal(str(value))


def _rows(ws: Worksheet, header_row: int = HEADER_ROW) -> list[dict[str, object]]:
    headers = [c.value for c in ws[header_row]]
    out = []
    for row in ws.iter_rows(min_row=header_row + 1, values_only=True):
        if all(v is None for v in row):
            break
        out.append(dict(zip(headers, row, strict=True)))
    return out


def test_sheets_per_recipient(tmp_path: Path) -> None:
    """One sheet per appendix of the recipient's copy (numbered as in the PDF), then the other tables."""
    appendices = ["PhuLuc01", "PhuLuc02", "PhuLuc03", "PhuLuc04"]
    assert load_workbook(_write(tmp_path)).sheetnames == [*appendices, *ISSUE4]
    assert load_workbook(_write(tmp_path, "bo-cong-thuong")).sheetnames == [*appendices, *ISSUE4]
    with_data = xlsx_of(sample_report(), recipient("ubnd-tinh"), tmp_path / "d.xlsx", provenance=_provenance())
    assert load_workbook(with_data).sheetnames == [*appendices, *ISSUE4, "DuLieu"]
    bo = xlsx_of(sample_report(), recipient("bo-cong-thuong"), tmp_path / "b.xlsx", provenance=_provenance())
    assert "DuLieu" not in load_workbook(bo).sheetnames  # programme level only


def test_layout_title_header_and_frozen_panes(tmp_path: Path) -> None:
    wb = load_workbook(
        xlsx_of(
            sample_report(),
            recipient("ubnd-tinh"),
            tmp_path / "x.xlsx",
            number=5,
            provenance=_provenance(),
        )
    )
    for ws in wb:
        if ws.title.startswith("PhuLuc"):
            assert ws["A1"].value.startswith(f"Phụ lục {ws.title[-2:]}. ")
            assert ws["A1"].value.endswith(" - quý III năm 2012")
            assert ws["A2"].value.startswith(
                "(Kèm theo Báo cáo số 05/BC-SCT ngày 05 tháng 10 năm 2012 của Sở Công Thương)"
            )
        else:
            assert ws["A1"].value == "Báo cáo tình hình thực hiện Chương trình khuyến công quý III năm 2012"
        assert ws["A2"].value
        assert ws.cell(HEADER_ROW, 1).value in ("Mã số", "STT", "Năm")
        assert all(c.font.b for c in ws[HEADER_ROW] if c.value)
        assert ws.freeze_panes in ("A4", "C4", "D4")
        assert ws.print_title_rows == "$1:$3"  # title and header rows repeated on every printed page
        assert int(ws.page_setup.paperSize) == 9  # A4
        assert ws.page_setup.fitToWidth in (None, 1)  # fit to the width: 1 page (absent: ECMA-376's default, 1)
        assert ws.page_setup.fitToHeight == 0
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert wb["PhuLuc01"]["A1"].value == (
        "Phụ lục 01. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA CHƯƠNG TRÌNH KHUYẾN CÔNG - quý III năm 2012"
    )
    assert wb["PhuLuc02"]["A2"].value.endswith("ĐVT: triệu đồng")
    for name in ("PhuLuc01", "PhuLuc02", "PhuLuc03", "PhuLuc04", "DuLieu"):
        assert wb[name].page_setup.orientation == "landscape", name
    blank = load_workbook(_write(tmp_path))["PhuLuc01"]["A2"].value
    assert blank.startswith("(Kèm theo Báo cáo số " + "\u00a0" * 6 + "/BC-SCT ngày 05 tháng 10 năm 2012")


def test_indicators_sheet(tmp_path: Path) -> None:
    ws = load_workbook(_write(tmp_path))["PhuLuc01"]
    p12 = _row(ws, "P1.2")
    assert p12["Chỉ tiêu"] == "Lao động được đào tạo mới" and p12["ĐVT"] == "người"
    assert p12["Thực hiện trong kỳ"] == 45 and isinstance(p12["Thực hiện trong kỳ"], int)
    assert p12["Lũy kế từ đầu chương trình (từ tháng 1 năm 2011 đến hết tháng 9 năm 2012)"] == 120
    assert p12["Mục tiêu giai đoạn"] == 300
    assert p12["Tỷ lệ đạt"] == pytest.approx(0.4) and p12["Tiến độ yêu cầu"] == pytest.approx(0.35)
    assert p12["Đánh giá"] is None and _row(ws, "P1.1")["Đánh giá"] == "chậm tiến độ"
    share_cell = next(c for c in ws["G"] if c.value == pytest.approx(0.4))
    assert share_cell.number_format == "0.0%"
    assert next(c for c in ws["D"] if c.value == 45).number_format == INT_FORMAT
    assert _row(ws, "P1")["Chỉ tiêu"] == "Đào tạo nghề, truyền nghề và phát triển nghề"
    assert _row(ws, "P1.1")["Thực hiện trong kỳ"] == 0  # zero is written, not left empty
    codes = [c.value for c in ws["A"][FIRST_DATA_ROW - 1 :]]
    assert codes[:6] == ["P1", "P1.1", "P1.2", "P1.3", "P1.4", "P2"] and "P7.2" in codes
    last = [c.value for c in ws[ws.max_row]]
    assert last[1] == "Cộng: 22 chỉ tiêu, 19 đạt tiến độ yêu cầu, 3 chậm tiến độ"
    assert all(c.font.b for c in ws[ws.max_row])


def test_every_figure_equals_the_aggregates(tmp_path: Path) -> None:
    """Read each appendix back and compare every number with the Consolidated record."""
    report = sample_report()
    src = report.programme.source_codes
    for code in ("ubnd-tinh", "bo-cong-thuong"):
        wb = load_workbook(_write(tmp_path, code))
        results = {r["Mã số"]: r for r in _rows(wb["PhuLuc01"])}
        cumulative = next(h for h in results["P1.1"] if h.startswith("Lũy kế"))
        for r in report.indicators:
            row = results[r.code]
            assert _num(row["Thực hiện trong kỳ"]) == r.in_period, r.code
            assert _num(row[cumulative]) == r.cumulative and _num(row["Mục tiêu giai đoạn"]) == r.target
            assert row["Tỷ lệ đạt"] == pytest.approx(float(r.share))
        funding = {r["Nội dung"]: r for r in _rows(wb["PhuLuc02"])}
        for b in (*report.budget, report.budget_totals):
            row = funding[b.name]
            for label, part, whole in (
                ("Kế hoạch", b.budget, b.budget_total),
                ("Trong kỳ", b.in_period, b.in_period_total),
                ("Lũy kế", b.cumulative, b.cumulative_total),
            ):
                assert _num(row[f"{label}: Tổng"]) == whole, (b.name, label)
                for s in src:
                    assert _num(row[f"{label}: {s}"]) == part[s], (b.name, label, s)
            assert row["Tỷ lệ đạt"] == pytest.approx(float(b.share))
        third = {r["Mã số"]: r for r in _rows(wb["PhuLuc03"])}
        if code == "ubnd-tinh":
            for ind in (i.code for sp in report.programme.subprogrammes for i in sp.indicators):
                values = [u.results[ind] for u in report.by_unit]
                assert [_num(third[ind][u.unit_name]) for u in report.by_unit] == values
                assert _num(third[ind]["Cộng"]) == sum(values)
        else:  # the national funds by sub-programme
            for b in report.budget:
                row = third[b.subprogramme]
                assert [
                    _num(row[k])
                    for k in ("Kế hoạch giai đoạn (KCQG)", "Thực hiện trong kỳ", "Lũy kế từ đầu chương trình")
                ] == [b.budget["KCQG"], b.in_period["KCQG"], b.cumulative["KCQG"]]
            total = _row(wb["PhuLuc03"], "Tổng cộng", col=2)
            assert _num(total["Lũy kế từ đầu chương trình"]) == Decimal("2730.5")
            assert total["Tỷ trọng trong tổng kinh phí đã thực hiện"] == pytest.approx(2730.5 / 7130.5)


def test_budget_sheet(tmp_path: Path) -> None:
    ws = load_workbook(_write(tmp_path))["PhuLuc02"]
    p1 = _row(ws, "P1")
    assert p1["Trong kỳ: KCQG"] == pytest.approx(20.56) and isinstance(p1["Trong kỳ: KCQG"], float)
    assert p1["Trong kỳ: KCĐP"] == 15
    assert p1["Trong kỳ: Khác"] == 0
    assert p1["Trong kỳ: Tổng"] == pytest.approx(35.56)
    assert p1["Lũy kế: Tổng"] == pytest.approx(200.5)
    assert p1["Kế hoạch: Tổng"] == 1260 and p1["Kế hoạch: KCQG"] == 630
    assert p1["Tỷ lệ đạt"] == pytest.approx(200.5 / 1260) and p1["Tiến độ yêu cầu"] == pytest.approx(0.35)
    total = _row(ws, "Tổng cộng", col=2)
    assert total["Kế hoạch: Tổng"] == 20560 and total["Trong kỳ: KCQG"] == pytest.approx(20.56)
    total_row = next(r for r in ws.iter_rows(min_row=FIRST_DATA_ROW) if r[1].value == "Tổng cộng")
    assert all(c.font.b for c in total_row)
    money = next(c for c in ws["H"] if c.value == pytest.approx(20.56))
    assert money.number_format == DECIMAL_FORMAT


def _provenance() -> pd.DataFrame:
    """Two values of Bù Đăng's July report (one superseded) and an officer's hostile file name."""
    return pd.DataFrame(
        {
            "unit": ["bu-dang", "bu-dang", "dong-xoai"],
            "period_reported": ["2012-07", "2012-07", "2012-Q3"],
            "kind": ["indicator", "budget", "indicator"],
            "code": ["P1.2", "P1", "P1.2"],
            "source": ["", "KCQG", ""],
            "value": ["30", "10.28", "15"],
            "file": ["bu-dang-2012-07.xlsx", "bu-dang-2012-07.xlsx", '=HYPERLINK("http://example.com","x").xlsx'],
            "sha256": ["a" * 64, "a" * 64, "b" * 64],
            "cell": ["BaoCao!D12", "BaoCao!D40", "Sheet1!E9"],
            "received_at": ["2012-08-09T09:30:00", "2012-08-09T09:30:00", "2012-10-03T09:30:00"],
            "counts_in_period": [True, False, True],
            "counts_cumulative": [True, True, True],
        }
    )


def test_data_sheet_long_form_with_provenance(tmp_path: Path) -> None:
    path = xlsx_of(sample_report(), recipient("ubnd-tinh"), tmp_path / "d.xlsx", provenance=_provenance())
    ws = load_workbook(path)["DuLieu"]
    rows = _rows(ws)
    assert [r["Mã đơn vị"] for r in rows] == ["bu-dang", "bu-dang", "dong-xoai"]
    first = rows[0]
    assert (first["Đơn vị"], first["Kỳ báo cáo"], first["Loại"], first["Mã số"], first["Nguồn"]) == (
        "Bù Đăng",
        "2012-07",
        "chỉ tiêu",
        "P1.2",
        None,
    )
    assert first["Giá trị"] == 30 and rows[1]["Giá trị"] == pytest.approx(10.28)
    assert (first["Tệp"], first["Ô"], first["Tính trong kỳ"], rows[1]["Tính trong kỳ"]) == (
        "bu-dang-2012-07.xlsx",
        "BaoCao!D12",
        "có",
        "không",
    )
    assert first["Ngày nhận"] == datetime(2012, 8, 9, 16, 30)  # the ledger's 09:30 UTC on the province's clock
    assert rows[2]["Tệp"] == '=HYPERLINK("http://example.com","x").xlsx'
    assert ws.cell(FIRST_DATA_ROW + 2, 9).data_type == "s"
    assert ws.auto_filter.ref == "A3:N6"


def test_units_sheet(tmp_path: Path) -> None:
    ws = load_workbook(_write(tmp_path))["DonVi"]
    assert ws["A2"].value.startswith("Tình hình báo cáo của các đơn vị: 3/4 đơn vị đã báo cáo")
    bu_dang = _row(ws, "bu-dang")
    assert bu_dang["Đơn vị"] == "Bù Đăng"
    assert bu_dang["Số tháng đã báo cáo"] == 2 and bu_dang["Số tệp"] == 2 and bu_dang["Số tệp trễ hạn"] == 1
    assert bu_dang["Ngày nhận gần nhất"] == datetime(2012, 10, 3)
    assert bu_dang["Ghi chú"] == "thiếu 1 tháng; trễ hạn" and bu_dang["Địa bàn ưu tiên"] == "x"  # as in the PDF
    assert _row(ws, "loc-ninh")["Ghi chú"] == "chưa báo cáo"
    assert _row(ws, "loc-ninh")["Ngày nhận gần nhất"] is None


def test_by_unit_sheet(tmp_path: Path) -> None:
    ws = load_workbook(_write(tmp_path))["PhuLuc03"]
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


def test_a_note_longer_than_an_excel_cell_goes_on_in_the_next_rows(tmp_path: Path) -> None:
    """Excel keeps 32 767 characters per cell: a 70 000-character note is written whole, over three rows."""
    text = " ".join(f"ý-kiến-{i}" for i in range(7000))[:70_000]
    path = _write(tmp_path, notes=(Note("Bù Đăng", "2012-Q3", text),))
    rows = [[c.value for c in row] for row in load_workbook(path)["YKien"].iter_rows(min_row=FIRST_DATA_ROW)]
    assert [r[:3] for r in rows] == [
        [1, "Bù Đăng", "2012-Q3"],
        [None, "Bù Đăng", "2012-Q3"],
        [None, "Bù Đăng", "2012-Q3"],
    ]
    assert "".join(r[3] for r in rows) == text and all(len(r[3]) <= 32_767 for r in rows)


INJECTIONS = ["=1+1", '=HYPERLINK("http://example.com","x")', "+1", "-2", "@SUM(A1)"]


def test_input_text_never_becomes_a_formula(tmp_path: Path) -> None:
    units = tuple(UnitStatus(f"u{i}", text, False, 3, 3, 3, (), ("a.xlsx",), None) for i, text in enumerate(INJECTIONS))
    by_unit = tuple(UnitRow(f"u{i}", text, {}, {}) for i, text in enumerate(INJECTIONS))
    notes = tuple(Note(text, "2012-Q3", text) for text in INJECTIONS)
    path = _write(tmp_path, units=units, by_unit=by_unit, notes=notes)

    wb = load_workbook(path)
    names = [c.value for c in wb["DonVi"]["B"][FIRST_DATA_ROW - 1 :]]
    assert names == INJECTIONS
    assert [c.value for c in wb["PhuLuc04"]["B"][FIRST_DATA_ROW - 1 : -1]] == INJECTIONS  # then "Cộng"
    assert [c.value for c in wb["PhuLuc03"][HEADER_ROW]][3:-1] == INJECTIONS
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


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_completeness_sheet(tmp_path: Path, code: str) -> None:
    ws = load_workbook(_write(tmp_path, code))["PhuLuc04"]
    report = sample_report()
    assert ws["A2"].value.endswith(coverage_note(report))
    rows = _rows(ws)
    assert [r["Mã số"] for r in rows] == [u.unit_code for u in report.units] + [None]
    for r, u in zip(rows, report.units, strict=False):
        assert r["Đơn vị"] == u.unit_name
        assert r["Địa bàn ưu tiên"] == ("x" if u.priority else None)
        assert _num(r["Số tháng phải báo cáo"]) == u.months_expected
        assert _num(r["Số tháng đã nhận"]) == u.months_covered
        assert _num(r["Số tháng đúng hạn"]) == u.months_on_time
        assert _num(r["Số tháng trễ hạn"]) == u.months_late
        assert r["Tỷ lệ báo cáo"] == pytest.approx(u.months_covered / u.months_expected)
        assert r["Tháng chưa báo cáo"] == (", ".join(u.missing_months) or None)
    bu_dang = rows[0]
    assert (bu_dang["Tháng chưa báo cáo"], bu_dang["Tệp trễ hạn"]) == ("2012-08", "bu-dang-2012-07.xlsx")
    assert bu_dang["Ghi chú"] == "thiếu 1 tháng; trễ hạn" and rows[2]["Ghi chú"] == "chưa báo cáo"
    assert bu_dang["Tỷ lệ đúng hạn"] == pytest.approx(1 / 3)
    total = rows[-1]
    assert total["Đơn vị"] == "Cộng"
    assert [
        _num(total[k]) for k in ("Số tháng phải báo cáo", "Số tháng đã nhận", "Số tháng đúng hạn", "Số tháng trễ hạn")
    ] == [Decimal(12), Decimal(8), Decimal(7), Decimal(1)]
    assert total["Tỷ lệ báo cáo"] == pytest.approx(8 / 12) and total["Tỷ lệ đúng hạn"] == pytest.approx(7 / 12)
    last = ws.max_row
    assert ws.cell(last, 2).font.b and ws.cell(last, 8).number_format == SHARE_FORMAT
    assert load_workbook(_write(tmp_path, code))["PhuLuc01"]["A2"].value.endswith(coverage_note(report))


def test_pace_sheet(tmp_path: Path) -> None:
    ws = load_workbook(_write(tmp_path))["TienDo"]
    assert "trên 10 điểm phần trăm" in ws["A2"].value and "4 dòng chậm tiến độ" in ws["A2"].value
    report = sample_report()
    rows = _rows(ws)
    assert [(r["Mã số"], r["Loại"]) for r in rows] == [
        (p.code, "Chỉ tiêu" if p.kind == "indicator" else "Kinh phí") for p in report.pace
    ]
    for r, p in zip(rows, report.pace, strict=True):
        assert r["Nội dung"] == p.name and r["ĐVT"] == p.unit
        assert _num(r["Lũy kế thực hiện"]) == p.achieved and _num(r["Mục tiêu giai đoạn"]) == p.target
        assert r["Tỷ lệ đạt"] == pytest.approx(float(p.share)) and r["Tiến độ yêu cầu"] == pytest.approx(0.35)
        assert r["Chênh lệch"] == pytest.approx(float(p.gap))
        assert r["Cơ sở tính"] == "chia đều theo thời gian"
        assert r["Đánh giá"] == ("chậm tiến độ" if p.code in BEHIND else None), p.code
    p1 = next(r for r in rows if r["Mã số"] == "P1")
    assert _num(p1["Lũy kế thực hiện"]) == Decimal("200.5") and p1["Tỷ lệ đạt"] == pytest.approx(200.5 / 1260)
    share = next(c for c in ws["G"][FIRST_DATA_ROW - 1 :] if c.value is not None)
    assert share.number_format == SHARE_FORMAT


def test_funding_sheet(tmp_path: Path) -> None:
    ws = load_workbook(_write(tmp_path, "bo-cong-thuong"))["KinhPhiNam"]
    assert ws["A2"].value.startswith("Kinh phí thực hiện theo năm và nguồn vốn. ĐVT: triệu đồng.")
    assert "2.150 triệu đồng, chiếm 30,2 %" in ws["A2"].value
    average = "So với bình quân 4.112 triệu đồng/năm"
    rows = {r["Năm"]: r for r in _rows(ws)}
    assert list(rows) == [2011, 2012, "Lũy kế", "Kế hoạch giai đoạn", "Tỷ lệ lũy kế so với kế hoạch"]
    y2011, y2012 = rows[2011], rows[2012]
    assert [_num(y2011[k]) for k in ("Số tháng", "KCQG", "KCĐP", "Khác", "Cộng", "Trong đó: địa bàn ưu tiên")] == [
        Decimal(12),
        Decimal(1500),
        Decimal(1800),
        Decimal(700),
        Decimal(4000),
        Decimal(1200),
    ]
    assert y2011[average] == pytest.approx(4000 / 4112)
    assert [_num(y2012[k]) for k in ("Số tháng", "KCQG", "KCĐP", "Khác", "Cộng", "Trong đó: địa bàn ưu tiên")] == [
        Decimal(9),
        Decimal("1230.5"),
        Decimal(1360),
        Decimal(540),
        Decimal("3130.5"),
        Decimal(950),
    ]
    cum = rows["Lũy kế"]
    assert [_num(cum[k]) for k in ("KCQG", "KCĐP", "Khác", "Cộng", "Trong đó: địa bàn ưu tiên")] == [
        Decimal("2730.5"),
        Decimal(3160),
        Decimal(1240),
        Decimal("7130.5"),
        Decimal(2150),
    ]
    budget = rows["Kế hoạch giai đoạn"]
    assert [_num(budget[k]) for k in ("KCQG", "KCĐP", "Khác", "Cộng")] == [
        Decimal(8130),
        Decimal(9130),
        Decimal(3300),
        Decimal(20560),
    ]
    shares = rows["Tỷ lệ lũy kế so với kế hoạch"]
    assert shares["KCQG"] == pytest.approx(2730.5 / 8130) and shares["Cộng"] == pytest.approx(7130.5 / 20560)
    share_cell = next(c for c in ws["F"] if c.value == pytest.approx(7130.5 / 20560))
    assert share_cell.number_format == SHARE_FORMAT
    assert ws.cell(FIRST_DATA_ROW, 1).number_format == "0"  # 2011, not 2.011


def test_reconciliation_sheet(tmp_path: Path) -> None:
    ws = load_workbook(_write(tmp_path))["DieuChinh"]
    assert ws["A2"].value == (
        "Có 2 báo cáo quý được tính thay cho các báo cáo đã gửi trước trong cùng kỳ; 1 báo cáo "
        "khớp đúng với tổng các tháng, 1 báo cáo có điều chỉnh."
    )
    rows = _rows(ws)
    assert [(r["STT"], r["Mã số"], r["Nguồn"]) for r in rows] == [
        (1, "P1", "KCQG"),
        (2, "P1.2", None),
        (3, "P4", "Khác"),
    ]
    for r in rows:
        assert (r["Đơn vị"], r["Kỳ báo cáo"], r["Tệp báo cáo"], r["Tệp được thay thế"]) == (
            "Đồng Xoài",
            "quý III năm 2012",
            "dong-xoai-2012-Q3.xlsx",
            "dong-xoai-2012-07.xlsx",
        )
    figures = [(r["Theo các báo cáo được thay thế"], r["Báo cáo thay thế"], r["Chênh lệch"]) for r in rows]
    assert [tuple(_num(v) for v in f) for f in figures] == [
        (Decimal(9), Decimal("20.1"), Decimal("11.1")),
        (Decimal(4), Decimal(10), Decimal(6)),
        (Decimal(0), Decimal(15), Decimal(15)),
    ]
    assert rows[1]["Nội dung"] == "Lao động được đào tạo mới" and rows[1]["ĐVT"] == "người"
    assert rows[0]["ĐVT"] == "triệu đồng"
    none = load_workbook(_write(tmp_path, reconciliations=()))["DieuChinh"]
    assert none.cell(FIRST_DATA_ROW, 2).value == "Không có điều chỉnh."


def test_context_and_growth_sheet(tmp_path: Path) -> None:
    ws = load_workbook(_write(tmp_path))["ChiTieuChung"]
    context = {r["Mã số"]: r for r in _rows(ws)}
    assert list(context) == ["C1", "C2", "C3"]
    assert _num(context["C1"]["Số liệu kỳ báo cáo"]) == Decimal(1250)
    assert _num(context["C3"]["Số liệu kỳ báo cáo"]) == Decimal("312450.5")
    assert context["C1"]["Cách tính"] == "tại thời điểm cuối kỳ" and context["C3"]["Cách tính"] == "cộng trong kỳ"
    assert (context["C2"]["Số đơn vị báo cáo"], context["C2"]["Số đơn vị phải báo cáo"]) == (2, 3)
    title = next(c.row for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("Tăng trưởng"))
    assert ws.cell(title, 1).value == (
        "Tăng trưởng giá trị sản xuất công nghiệp nông thôn (mục tiêu tăng bình quân 15-20 %/năm)"
    )
    growth = {r["Năm"]: r for r in _rows(ws, title + 1)}
    assert list(growth) == [2011, 2012, 2013]
    value = "Giá trị sản xuất công nghiệp nông thôn"
    assert [_num(growth[y][value]) for y in growth] == [Decimal(1150000), Decimal(1288000), Decimal(1520000)]
    assert growth[2011]["Tăng so với năm trước"] is None
    assert growth[2012]["Tăng so với năm trước"] == pytest.approx(0.12) and growth[2012]["Đánh giá"] == "dưới mục tiêu"
    assert growth[2013]["Tăng so với năm trước"] == pytest.approx(0.18) and growth[2013]["Đánh giá"] == "đạt mục tiêu"
    assert ws.cell(title + 1, 1).font.b
    assert next(c for c in ws["D"] if c.value == pytest.approx(0.12)).number_format == SHARE_FORMAT


def test_by_unit_sheet_with_many_units_has_a_row_per_unit(tmp_path: Path) -> None:
    """More units than a province's: one row per unit, every unit even beyond the PDF's max_units_listed."""
    n = 150
    path = xlsx_of(many_units_report(n), recipient("ubnd-tinh"), tmp_path / "many.xlsx")
    ws = load_workbook(path)["PhuLuc03"]
    prog = many_units_report(1).programme
    codes = [i.code for sp in prog.subprogrammes for i in sp.indicators]
    headers = [c.value for c in ws[HEADER_ROW]]
    assert headers[:3] == ["Mã số", "Đơn vị", "P1.1 Bộ giáo trình dạy nghề được biên soạn (bộ)"]
    assert headers[-4:] == [
        "KCQG Kinh phí khuyến công quốc gia (triệu đồng)",
        "KCĐP Kinh phí khuyến công địa phương (triệu đồng)",
        "Khác Nguồn khác (đóng góp của đơn vị thụ hưởng, …) (triệu đồng)",
        "Tổng kinh phí (triệu đồng)",
    ]
    order = list(prog.indicators)
    rows = list(ws.iter_rows(min_row=FIRST_DATA_ROW, values_only=True))
    assert len(rows) == n + 1
    for i, row in enumerate(rows[:-1], start=1):
        money = unit_spending(i)
        assert row[:2] == (f"u{i:04d}", f"huyện Số {i:04d}")
        assert [_num(v) for v in row[2 : 2 + len(codes)]] == [unit_result(i, order.index(c)) for c in codes]
        assert [_num(v) for v in row[2 + len(codes) :]] == [*money.values(), sum(money.values())]
    total = rows[-1]
    assert total[1] == "Cộng" and ws.cell(FIRST_DATA_ROW + n, 2).font.bold
    assert [_num(v) for v in total[2 : 2 + len(codes)]] == [
        sum(unit_result(i, order.index(c)) for i in range(1, n + 1)) for c in codes
    ]
    assert _num(total[-1]) == sum(sum(unit_spending(i).values()) for i in range(1, n + 1))
    assert ws.freeze_panes == "C4" and ws.page_setup.orientation == "landscape"


def test_the_excel_engine_does_not_import_the_html_engine() -> None:
    """Writing Excel needs neither WeasyPrint nor Jinja2 nor the HTML engine (a fresh interpreter's sys.modules)."""
    code = (
        "import sys, pipeline.report.excel; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('weasyprint', 'jinja2') "
        "or m == 'pipeline.report.html'))"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
