"""The officers' workbook: the official template, blank or filled (demo data, tests).

Layout of sheet "BaoCao" (the reader finds everything by its labels, not by these positions):
  rows 1-2   issuing unit (left) and Quốc hiệu (right); row 4-5 title and period
  rows 7-11  header fields: "Đơn vị báo cáo:", "Kỳ báo cáo:", "Ngày báo cáo:", "Người lập biểu:", "Điện thoại:"
             label in column A, value in column C
  table A    "A. KẾT QUẢ THỰC HIỆN TRONG KỲ": STT | Mã số | Chỉ tiêu | Đơn vị tính | Thực hiện trong kỳ | Ghi chú
             a heading row per sub-programme, then its indicators; the result goes in column E
  table B    "B. KINH PHÍ THỰC HIỆN TRONG KỲ": STT | Mã số | Chương trình | <one column per source> | Tổng cộng
             one row per sub-programme (amounts in triệu đồng), row totals and a "Tổng cộng" row as formulas
  section C  "C. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ": free text in the merged cell below the heading
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from pipeline.files import atomic_output
from pipeline.periods import Period
from pipeline.programme import Programme
from pipeline.units import Unit

SHEET = "BaoCao"
LABEL_UNIT = "Đơn vị báo cáo:"
LABEL_PERIOD = "Kỳ báo cáo:"
LABEL_DATE = "Ngày báo cáo:"
LABEL_PREPARER = "Người lập biểu:"
LABEL_PHONE = "Điện thoại:"
TITLE = "BÁO CÁO KẾT QUẢ THỰC HIỆN CHƯƠNG TRÌNH KHUYẾN CÔNG"
HEAD_A = "A. KẾT QUẢ THỰC HIỆN TRONG KỲ"
HEAD_B = "B. KINH PHÍ THỰC HIỆN TRONG KỲ (ĐVT: triệu đồng)"
HEAD_C = "C. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ"
COLS_A = ("STT", "Mã số", "Chỉ tiêu", "Đơn vị tính", "Thực hiện trong kỳ", "Ghi chú")
COL_RESULT = "Thực hiện trong kỳ"
COL_CODE = "Mã số"
COL_TOTAL = "Tổng cộng"
TOTAL_ROW = "Tổng cộng"

_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_INPUT_FILL = PatternFill("solid", fgColor="FFF9E5")
_HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
_BOLD = Font(name="Times New Roman", bold=True, size=12)
_PLAIN = Font(name="Times New Roman", size=12)
_UNLOCKED = Protection(locked=False)


@dataclass
class Filling:
    """What an officer typed. Any value may be a number or raw text, as officers do."""

    results: Mapping[str, object] = field(default_factory=dict)  # indicator code -> value
    spending: Mapping[str, Mapping[str, object]] = field(default_factory=dict)  # sub-programme -> source -> value
    report_date: date | None = None
    preparer: str = ""
    phone: str = ""
    notes: str = ""
    unit_text: str | None = None  # override what is written as the unit (tests of bad input)
    period_text: str | None = None  # override the period cell
    title_period_text: str | None = None  # override the period under the title


def _cell(ws, row: int, col: int, value=None, *, bold=False, box=False, fill=None, wrap=False, align=None):
    c = ws.cell(row=row, column=col, value=value)
    c.font = _BOLD if bold else _PLAIN
    if box:
        c.border = _BOX
    if fill:
        c.fill = fill
    c.alignment = Alignment(wrap_text=wrap, vertical="center", horizontal=align)
    return c


def _input(ws, row: int, col: int, value=None, **kw):
    c = _cell(ws, row, col, _typed(value), box=True, fill=_INPUT_FILL, **kw)
    c.protection = _UNLOCKED
    return c


def _typed(value: object) -> object:
    return float(value) if isinstance(value, Decimal) else value


def build_workbook(programme: Programme, unit: Unit, period: Period, filling: Filling | None = None) -> Workbook:
    """The official workbook for one unit and period, blank or filled."""
    f = filling or Filling()
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for col, width in zip("ABCDEFG", (6, 9, 58, 13, 14, 14, 14), strict=True):
        ws.column_dimensions[col].width = width
    ws.merge_cells("A1:C1")
    ws.merge_cells("A2:C2")
    ws.merge_cells("D1:G1")
    ws.merge_cells("D2:G2")
    _cell(
        ws,
        1,
        1,
        f"UBND {unit.full_name(period.start).upper()}" if unit.level != "province" else "SỞ CÔNG THƯƠNG BÌNH PHƯỚC",
        align="center",
    )
    _cell(ws, 2, 1, reporting_office(unit, period.start).upper(), bold=True, align="center", wrap=True)
    _cell(ws, 1, 4, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold=True, align="center")
    _cell(ws, 2, 4, "Độc lập - Tự do - Hạnh phúc", bold=True, align="center")
    ws.merge_cells("A4:G4")
    ws.merge_cells("A5:G5")
    _cell(ws, 4, 1, TITLE, bold=True, align="center")
    _cell(ws, 5, 1, f.title_period_text or sentence_case(period.title), bold=True, align="center")

    header = [
        (LABEL_UNIT, f.unit_text if f.unit_text is not None else unit.full_name(period.start)),
        (LABEL_PERIOD, f.period_text if f.period_text is not None else period.title),
        (LABEL_DATE, f.report_date),
        (LABEL_PREPARER, f.preparer or None),
        (LABEL_PHONE, f.phone or None),
    ]
    row = 7
    for label, value in header:
        _cell(ws, row, 1, label, bold=True)
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=5)
        c = _input(ws, row, 3, value, align="left")
        if label == LABEL_DATE:
            c.number_format = "dd/mm/yyyy"
        row += 1

    row += 1
    row = _table_a(ws, row, programme, f)
    row = _table_b(ws, row + 1, programme, f)
    row += 1
    _cell(ws, row, 1, HEAD_C, bold=True)
    ws.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=7)
    _input(ws, row + 1, 1, f.notes or None, wrap=True)
    ws.row_dimensions[row + 1].height = 90

    ws.protection.sheet = True
    ws.protection.formatRows = False
    ws.protection.formatColumns = False
    ws.freeze_panes = None
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0
    return wb


def _header_row(ws, row: int, labels: tuple[str, ...]) -> None:
    for col, label in enumerate(labels, start=1):
        _cell(ws, row, col, label, bold=True, box=True, fill=_HEAD_FILL, wrap=True, align="center")


def _number_validation(ws, ref: str) -> None:
    dv = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Giá trị không hợp lệ",
        error="Vui lòng nhập một số không âm.",
    )
    ws.add_data_validation(dv)
    dv.add(ref)


def _table_a(ws, row: int, programme: Programme, f: Filling) -> int:
    _cell(ws, row, 1, HEAD_A, bold=True)
    row += 1
    _header_row(ws, row, COLS_A)
    first_input = None
    for n, sp in enumerate(programme.groups, start=1):
        row += 1
        label = n if sp in programme.subprogrammes else ""
        for col, value in enumerate((label, sp.code, sp.name), start=1):
            _cell(ws, row, col, value, bold=True, box=True, wrap=True)
        for col in (4, 5, 6):
            _cell(ws, row, col, None, box=True)
        for k, ind in enumerate(sp.indicators, start=1):
            row += 1
            _cell(ws, row, 1, f"{n}.{k}", box=True, align="center")
            _cell(ws, row, 2, ind.code, box=True)
            _cell(ws, row, 3, ind.name, box=True, wrap=True)
            _cell(ws, row, 4, ind.unit, box=True, align="center")
            c = _input(ws, row, 5, f.results.get(ind.code))
            c.number_format = "#,##0.###"
            _input(ws, row, 6, None)
            first_input = first_input or row
    _number_validation(ws, f"E{first_input}:E{row}")
    return row + 1


def _table_b(ws, row: int, programme: Programme, f: Filling) -> int:
    sources = programme.source_codes
    _cell(ws, row, 1, HEAD_B, bold=True)
    row += 1
    _header_row(ws, row, ("STT", COL_CODE, "Chương trình", *sources, COL_TOTAL))
    first = row + 1
    last_src = get_column_letter(3 + len(sources))
    total_col = 4 + len(sources)
    for n, sp in enumerate(programme.subprogrammes, start=1):
        row += 1
        _cell(ws, row, 1, n, box=True, align="center")
        _cell(ws, row, 2, sp.code, box=True)
        _cell(ws, row, 3, sp.name, box=True, wrap=True)
        given = f.spending.get(sp.code, {})
        for k, src in enumerate(sources):
            c = _input(ws, row, 4 + k, given.get(src))
            c.number_format = "#,##0.###"
        c = _cell(ws, row, total_col, f"=SUM(D{row}:{last_src}{row})", box=True)
        c.number_format = "#,##0.###"
    _number_validation(ws, f"D{first}:{last_src}{row}")
    row += 1
    _cell(ws, row, 3, TOTAL_ROW, bold=True, box=True)
    for col in range(4, total_col + 1):
        letter = get_column_letter(col)
        c = _cell(ws, row, col, f"=SUM({letter}{first}:{letter}{row - 1})", bold=True, box=True)
        c.number_format = "#,##0.###"
    return row + 1


def save_atomic(wb: Workbook, path: Path) -> Path:
    """Write a workbook to a temporary file beside `path`, then rename it into place."""
    with atomic_output(path) as tmp:
        wb.save(tmp)
    return path


def template_name(unit: Unit, period: Period) -> str:
    return f"bao-cao-{unit.code}-{period.code}.xlsx"


# The office that prepares a unit's report, by the unit's type (domain notes: Phòng Kinh tế và Hạ tầng in a
# huyện, Phòng Kinh tế in a thị xã or thành phố); the provincial centre reports under its own name.
OFFICE_BY_TYPE = {"huyện": "Phòng Kinh tế và Hạ tầng", "thị xã": "Phòng Kinh tế", "thành phố": "Phòng Kinh tế"}


def reporting_office(unit: Unit, day: date) -> str:
    """The office under the unit's name in the workbook's header, on `day` (a unit's type may change)."""
    if unit.level == "province":
        return unit.name
    return OFFICE_BY_TYPE[unit.type_on(day)]


def sentence_case(text: str) -> str:
    """The first letter capitalised, the rest as written ("quý III năm 2012" -> "Quý III năm 2012")."""
    return text[:1].upper() + text[1:]


def write_template(
    programme: Programme, unit: Unit, period: Period, path: Path, filling: Filling | None = None
) -> Path:
    """Write the official workbook (blank unless `filling` is given) to `path`."""
    return save_atomic(build_workbook(programme, unit, period, filling), path)
