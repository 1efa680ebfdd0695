"""Write the consolidated report as an Excel workbook (openpyxl).

Layout (stable; tests and users rely on it). Every sheet:

- row 1: the report title and period ("Báo cáo tình hình thực hiện Chương trình khuyến công quý III năm 2012");
- row 2: what the table is, with its unit line ("ĐVT: triệu đồng") where it has one;
- row 3: the header row (bold; repeated when printed; panes frozen below it);
- row 4 on: the data.

Sheets and columns:

- ``ChiTieu``: Mã số | Chỉ tiêu | ĐVT | Thực hiện trong kỳ | Lũy kế từ đầu chương trình | Mục tiêu giai đoạn |
  Tỷ lệ đạt. A sub-programme row (Mã số "P1", bold) precedes its indicators (Mã số "P1.1" …). Row 2 ends
  with the coverage note (how many unit-months the figures come from).
- ``KinhPhi``: Mã số | Nội dung | Trong kỳ: <source code> … | Trong kỳ: Cộng | Lũy kế từ đầu chương trình |
  Kế hoạch giai đoạn | Tỷ lệ đạt; one row per sub-programme, then the bold "Tổng cộng" row (Mã số empty).
- ``TienDo``: Mã số | Loại ("Chỉ tiêu" / "Kinh phí") | Nội dung | ĐVT | Lũy kế thực hiện | Mục tiêu giai đoạn |
  Tỷ lệ đạt | Tiến độ yêu cầu | Chênh lệch (share minus expected share) | Cơ sở tính | Đánh giá ("chậm tiến độ"
  or empty); one row per indicator, then one per sub-programme's budget. Row 2 explains the margin.
- ``KinhPhiNam``: Năm | Số tháng | <source code> … | Cộng | So với bình quân <average> <money>/năm |
  Trong đó: địa bàn ưu tiên; one row per year (Năm a number; Số tháng < 12 for the year the period ends in),
  then the bold "Lũy kế" row, "Kế hoạch giai đoạn" (the budget) and "Tỷ lệ lũy kế so với kế hoạch" (shares) -
  these three with their label in Năm. Row 2 carries the sentence on the priority areas.
- ``ChiTieuChung``: the context indicators, Mã số | Chỉ tiêu | ĐVT | Số liệu kỳ báo cáo | Cách tính |
  Số đơn vị báo cáo | Số đơn vị phải báo cáo; then, after an empty row, the growth table with its own italic
  title row and bold header row: Năm | <indicator name> | ĐVT | Tăng so với năm trước | Số đơn vị báo cáo |
  Số đơn vị phải báo cáo | Đánh giá ("dưới mục tiêu" below the objective's low end).
- ``DonVi``: Mã số (unit code) | Đơn vị | Số tháng đã báo cáo | Số tháng phải báo cáo | Số tệp |
  Ngày nhận gần nhất | Số tệp trễ hạn | Địa bàn ưu tiên ("x") | Ghi chú ("chưa báo cáo" / "trễ hạn").
- ``HoanThanh`` (completeness, DHIS2-style): Mã số | Đơn vị | Địa bàn ưu tiên | Số tháng phải báo cáo |
  Số tháng đã nhận | Số tháng đúng hạn | Số tháng trễ hạn | Tỷ lệ báo cáo | Tỷ lệ đúng hạn | Tháng chưa báo cáo
  (period codes) | Tệp trễ hạn | Ghi chú; one row per unit, then the bold "Cộng" row (Mã số empty) with the
  totals and rates. Row 2 is the coverage note.
- ``DieuChinh``: STT | Đơn vị | Kỳ báo cáo | Tệp báo cáo | Tệp được thay thế | Mã số | Nội dung | Nguồn | ĐVT |
  Tổng các báo cáo được thay thế | Báo cáo thay thế | Chênh lệch; one row per difference between a coarser
  report (a quarter) and the finer ones it replaced. Row 2 says how many matched exactly; "Không có điều chỉnh."
  if nothing changed.
- ``TheoDonVi`` (only for recipients with unit detail): Mã số | Chỉ tiêu | ĐVT | <one column per unit> | Cộng;
  indicator rows as in ChiTieu, then one spending row per source (Mã số = source code) and the bold
  "Tổng kinh phí" row (Mã số empty).
- ``YKien``: STT | Đơn vị | Kỳ báo cáo | Nội dung (difficulties and proposals); "Không có ý kiến." if none.

Sheet order: ChiTieu, KinhPhi, TienDo, KinhPhiNam, ChiTieuChung, DonVi, HoanThanh, DieuChinh, [TheoDonVi], YKien.
Numbers are real numbers (int when whole, else float; format '#,##0' or '#,##0.0##'), shares are fractions
(format '0.0%'), missing values are empty cells. Text from inputs is always stored as text, never as a formula.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.aggregating import ZERO, Consolidated
from pipeline.files import atomic_output
from pipeline.formatting import number
from pipeline.recipients import Issuer, Recipient
from pipeline.rendering import (
    by_unit_totals,
    completeness_of,
    difference_lines,
    funding_note,
    growth_below,
    growth_objective,
    indicator_groups,
    pace_legend,
    reconciliation_summary,
    share_of,
    unit_remark,
)
from pipeline.text import nfc

TITLE_ROW, SUBTITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3, 4

INT_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0##"
SHARE_FORMAT = "0.0%"
DATE_FORMAT = "DD/MM/YYYY"
YEAR_FORMAT = "0"  # a year is a number, shown without a thousands separator

_FONT = "Times New Roman"
_REGULAR = Font(name=_FONT, size=11)
_BOLD = Font(name=_FONT, size=11, bold=True)
_TITLE = Font(name=_FONT, size=13, bold=True)
_SUBTITLE = Font(name=_FONT, size=11, italic=True)
_THIN = Side(style="thin")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_TEXT_ALIGN = Alignment(vertical="center", wrap_text=True)
_FORMULA_START = ("=", "+", "-", "@")

Value = str | Decimal | int | float | date | None


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _put(ws: Worksheet, row: int, col: int, value: Value, *, share: bool = False, bold: bool = False) -> Cell:
    """Write one table cell: numbers as numbers, shares as fractions, text always as text."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        text = _clean(value)
        cell.value = text
        if text.startswith(_FORMULA_START):
            cell.data_type = "s"  # openpyxl would otherwise store "=…" as a formula
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
        cell.alignment = _TEXT_ALIGN
    elif isinstance(value, Decimal | int | float):
        number = float(value) if share else _number(Decimal(str(value)))
        cell.value = number
        cell.number_format = SHARE_FORMAT if share else INT_FORMAT if isinstance(number, int) else DECIMAL_FORMAT
    elif isinstance(value, datetime | date):
        cell.value = value.date() if isinstance(value, datetime) else value
        cell.number_format = DATE_FORMAT
        cell.alignment = Alignment(horizontal="center")
    cell.font = _BOLD if bold else _REGULAR
    cell.border = _BOX
    return cell


def _sheet(
    wb: Workbook,
    name: str,
    report: Consolidated,
    subtitle: str,
    headers: Sequence[str],
    widths: Sequence[float],
    *,
    landscape: bool = False,
    freeze: str = "A4",
) -> Worksheet:
    """A sheet with the title, subtitle and header rows, column widths, frozen panes and print setup."""
    ws = wb.create_sheet(name)
    ws.cell(TITLE_ROW, 1, _title(report)).font = _TITLE
    ws.cell(SUBTITLE_ROW, 1, _clean(subtitle)).font = _SUBTITLE
    for col, header in enumerate(headers, start=1):
        _put(ws, HEADER_ROW, col, header, bold=True).alignment = _HEADER_ALIGN
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.row_dimensions[HEADER_ROW].height = 45
    ws.freeze_panes = freeze
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left, ws.page_margins.right = 30 / 25.4, 15 / 25.4
    ws.page_margins.top = ws.page_margins.bottom = 20 / 25.4
    return ws


def _clean(text: str) -> str:
    """NFC text without the control characters a worksheet cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", nfc(text))


def _title(report: Consolidated) -> str:
    return f"Báo cáo tình hình thực hiện Chương trình khuyến công {report.period.title}"


def _indicators_sheet(wb: Workbook, report: Consolidated) -> None:
    cumulative = f"Lũy kế từ đầu chương trình ({report.cumulative_period.title})"
    headers = ["Mã số", "Chỉ tiêu", "ĐVT", "Thực hiện trong kỳ", cumulative, "Mục tiêu giai đoạn", "Tỷ lệ đạt"]
    subtitle = "I. Kết quả thực hiện theo chỉ tiêu" + (f". {report.coverage_note}" if report.coverage_note else "")
    ws = _sheet(wb, "ChiTieu", report, subtitle, headers, [9, 52, 12, 14, 20, 14, 11])
    row = FIRST_DATA_ROW
    for group in indicator_groups(report):
        _put(ws, row, 1, group.code, bold=True)
        _put(ws, row, 2, group.name, bold=True)
        for col in range(3, 8):
            _put(ws, row, col, None)
        row += 1
        for r in group.rows:
            for col, value in enumerate([r.code, r.name, r.unit, r.in_period, r.cumulative, r.target], start=1):
                _put(ws, row, col, value)
            _put(ws, row, 7, r.share, share=True)
            row += 1


def _budget_sheet(wb: Workbook, report: Consolidated) -> None:
    sources = report.programme.source_codes
    headers = [
        "Mã số",
        "Nội dung",
        *(f"Trong kỳ: {s}" for s in sources),
        "Trong kỳ: Cộng",
        "Lũy kế từ đầu chương trình",
        "Kế hoạch giai đoạn",
        "Tỷ lệ đạt",
    ]
    widths = [9, 45, *([12] * len(sources)), 12, 16, 14, 11]
    subtitle = f"II. Kinh phí thực hiện. ĐVT: {report.programme.money_unit}"
    ws = _sheet(wb, "KinhPhi", report, subtitle, headers, widths, landscape=True)
    rows = [(b, False) for b in report.budget] + [(report.budget_totals, True)]
    for row, (b, total) in enumerate(rows, start=FIRST_DATA_ROW):
        values: list[Value] = [
            b.subprogramme,
            b.name,
            *(b.in_period.get(s) for s in sources),
            b.in_period_total,
            b.cumulative_total,
            b.budget_total,
        ]
        for col, value in enumerate(values, start=1):
            _put(ws, row, col, value, bold=total)
        _put(ws, row, len(values) + 1, b.share, share=True, bold=total)


def _units_sheet(wb: Workbook, report: Consolidated) -> None:
    headers = [
        "Mã số",
        "Đơn vị",
        "Số tháng đã báo cáo",
        "Số tháng phải báo cáo",
        "Số tệp",
        "Ngày nhận gần nhất",
        "Số tệp trễ hạn",
        "Địa bàn ưu tiên",
        "Ghi chú",
    ]
    counts = f"{len(report.reporting_units)}/{len(report.units)}"
    subtitle = f"III. Tình hình báo cáo của các đơn vị: {counts} đơn vị đã báo cáo"
    if report.rejected:
        subtitle += f"; có {len(report.rejected)} tệp bị từ chối, xem biên nhận"
    ws = _sheet(wb, "DonVi", report, subtitle, headers, [14, 40, 12, 12, 9, 14, 10, 10, 16])
    for row, u in enumerate(report.units, start=FIRST_DATA_ROW):
        remark = "chưa báo cáo" if not u.reported else "trễ hạn" if u.late_files else ""
        values: list[Value] = [
            u.unit_code,
            u.unit_name,
            u.months_covered,
            u.months_expected,
            len(u.files),
            u.last_received,
            len(u.late_files),
            "x" if u.priority else "",
            remark,
        ]
        for col, value in enumerate(values, start=1):
            _put(ws, row, col, value)


def _pace_sheet(wb: Workbook, report: Consolidated) -> None:
    headers = [
        "Mã số",
        "Loại",
        "Nội dung",
        "ĐVT",
        "Lũy kế thực hiện",
        "Mục tiêu giai đoạn",
        "Tỷ lệ đạt",
        "Tiến độ yêu cầu",
        "Chênh lệch",
        "Cơ sở tính",
        "Đánh giá",
    ]
    behind = len(report.behind_pace)
    subtitle = f"Tiến độ thực hiện so với mục tiêu giai đoạn: {behind} dòng chậm tiến độ. "
    subtitle += pace_legend(report).replace("\u25bc ", "") if report.pace else ""
    ws = _sheet(wb, "TienDo", report, subtitle, headers, [9, 10, 50, 12, 14, 14, 11, 11, 11, 20, 16], landscape=True)
    for row, p in enumerate(report.pace, start=FIRST_DATA_ROW):
        values: list[Value] = [p.code, "Chỉ tiêu" if p.kind == "indicator" else "Kinh phí", p.name, p.unit,
                               p.achieved, p.target]
        for col, value in enumerate(values, start=1):
            _put(ws, row, col, value, bold=p.behind)
        _put(ws, row, 7, p.share, share=True, bold=p.behind)
        _put(ws, row, 8, p.expected_share, share=True, bold=p.behind)
        _put(ws, row, 9, p.gap, share=True, bold=p.behind)
        _put(ws, row, 10, p.basis, bold=p.behind)
        _put(ws, row, 11, "chậm tiến độ" if p.behind else "", bold=p.behind)
    if not report.pace:
        _put(ws, FIRST_DATA_ROW, 3, "Không có số liệu.")


def _funding_sheet(wb: Workbook, report: Consolidated) -> None:
    f, prog = report.funding, report.programme
    sources = prog.source_codes
    average = f.average_per_year if f else ZERO
    headers = [
        "Năm",
        "Số tháng",
        *sources,
        "Cộng",
        f"So với bình quân {number(average)} {prog.money_unit}/năm",
        "Trong đó: địa bàn ưu tiên",
    ]
    subtitle = f"Kinh phí thực hiện theo năm và nguồn vốn. ĐVT: {prog.money_unit}"
    if report.funding is not None and funding_note(report):
        subtitle += f". {funding_note(report)}"
    ws = _sheet(wb, "KinhPhiNam", report, subtitle, headers, [24, 9, *([13] * len(sources)), 13, 16, 14])
    if f is None:
        _put(ws, FIRST_DATA_ROW, 1, "Không có số liệu.")
        return
    row = FIRST_DATA_ROW
    for y in f.years:
        values: list[Value] = [y.year, y.months, *(y.by_source.get(s) for s in sources), y.total]
        for col, value in enumerate(values, start=1):
            _put(ws, row, col, value)
        ws.cell(row, 1).number_format = YEAR_FORMAT
        _put(ws, row, len(values) + 1, share_of(y.total, f.average_per_year), share=True)
        _put(ws, row, len(values) + 2, y.priority)
        row += 1
    budget_total = sum(f.budget.values(), ZERO)
    priority = sum((y.priority for y in f.years), ZERO)
    summary: list[tuple[str, list[Value], bool, bool, Value]] = [
        ("Lũy kế", [f.cumulative.get(s) for s in sources] + [f.cumulative_total], False, True, priority),
        ("Kế hoạch giai đoạn", [f.budget.get(s) for s in sources] + [budget_total], False, False, None),
        ("Tỷ lệ lũy kế so với kế hoạch",
         [share_of(f.cumulative.get(s, ZERO), f.budget.get(s)) for s in sources]
         + [share_of(f.cumulative_total, budget_total)], True, False, None),
    ]
    for label, values, share, bold, last in summary:
        _put(ws, row, 1, label, bold=bold)
        _put(ws, row, 2, None, bold=bold)
        for col, value in enumerate(values, start=3):
            _put(ws, row, col, value, share=share, bold=bold)
        _put(ws, row, len(values) + 3, None, bold=bold)
        _put(ws, row, len(values) + 4, last, bold=bold)
        row += 1


def _context_sheet(wb: Workbook, report: Consolidated) -> None:
    prog = report.programme
    title = prog.context.name if prog.context else "Chỉ tiêu chung về công nghiệp nông thôn"
    headers = ["Mã số", "Chỉ tiêu", "ĐVT", "Số liệu kỳ báo cáo", "Cách tính", "Số đơn vị báo cáo",
               "Số đơn vị phải báo cáo"]
    subtitle = f"{title}; số liệu cộng từ các đơn vị đã báo cáo chỉ tiêu"
    ws = _sheet(wb, "ChiTieuChung", report, subtitle, headers, [9, 45, 12, 16, 16, 12, 12, 16])
    row = FIRST_DATA_ROW
    for c in report.context:
        how = "tại thời điểm cuối kỳ" if c.kind == "level" else "cộng trong kỳ"
        for col, value in enumerate([c.code, c.name, c.unit, c.value, how, c.units_reporting, c.units_expected], 1):
            _put(ws, row, col, value)
        row += 1
    if not report.context:
        _put(ws, row, 2, "Không có số liệu.")
        row += 1
    if prog.growth is None:
        return
    indicator = prog.indicators[prog.growth.indicator]
    row += 1
    ws.cell(row, 1, _clean(f"Tăng trưởng {indicator.name.lower()} ({growth_objective(report)})")).font = _SUBTITLE
    row += 1
    growth_headers = ["Năm", indicator.name, "ĐVT", "Tăng so với năm trước", "Số đơn vị báo cáo",
                      "Số đơn vị phải báo cáo", "Đánh giá"]
    for col, header in enumerate(growth_headers, start=1):
        _put(ws, row, col, header, bold=True).alignment = _HEADER_ALIGN
    ws.row_dimensions[row].height = 45
    row += 1
    for g in report.growth:
        below = growth_below(report, g.growth)
        verdict = "dưới mục tiêu" if below else "" if g.growth is None else "đạt mục tiêu"
        if not g.complete:
            verdict = "; ".join(v for v in (verdict, "chưa đủ đơn vị báo cáo") if v)
        for col, value in enumerate([g.year, g.value, indicator.unit], start=1):
            _put(ws, row, col, value, bold=below)
        ws.cell(row, 1).number_format = YEAR_FORMAT
        _put(ws, row, 4, g.growth, share=True, bold=below)
        for col, value in enumerate([g.units_reporting, g.units_expected, verdict], start=5):
            _put(ws, row, col, value, bold=below)
        row += 1
    if not report.growth:
        _put(ws, row, 2, "Chưa có năm trọn vẹn để tính mức tăng.")


def _completeness_sheet(wb: Workbook, report: Consolidated) -> None:
    c = completeness_of(report)
    headers = [
        "Mã số",
        "Đơn vị",
        "Địa bàn ưu tiên",
        "Số tháng phải báo cáo",
        "Số tháng đã nhận",
        "Số tháng đúng hạn",
        "Số tháng trễ hạn",
        "Tỷ lệ báo cáo",
        "Tỷ lệ đúng hạn",
        "Tháng chưa báo cáo",
        "Tệp trễ hạn",
        "Ghi chú",
    ]
    subtitle = "Mức độ đầy đủ và đúng hạn của báo cáo (tháng-đơn vị)"
    if report.coverage_note:
        subtitle += f". {report.coverage_note}"
    widths = [14, 40, 10, 11, 11, 11, 11, 11, 11, 24, 30, 18]
    ws = _sheet(wb, "HoanThanh", report, subtitle, headers, widths, landscape=True)
    row = FIRST_DATA_ROW
    for u in c.rows:
        values: list[Value] = [u.unit_code, u.unit_name, "x" if u.priority else "", u.months_expected,
                               u.months_covered, u.months_on_time, u.months_late]
        for col, value in enumerate(values, start=1):
            _put(ws, row, col, value)
        _put(ws, row, 8, share_of(Decimal(u.months_covered), Decimal(u.months_expected)), share=True)
        _put(ws, row, 9, share_of(Decimal(u.months_on_time), Decimal(u.months_expected)), share=True)
        for col, value in enumerate([", ".join(u.missing_months), ", ".join(u.late_files), unit_remark(u)], 10):
            _put(ws, row, col, value)
        row += 1
    totals: list[Value] = ["", "Cộng", "", c.expected, c.received, c.on_time, c.late]
    for col, value in enumerate(totals, start=1):
        _put(ws, row, col, value, bold=True)
    _put(ws, row, 8, c.rate, share=True, bold=True)
    _put(ws, row, 9, c.on_time_rate, share=True, bold=True)
    for col in (10, 11, 12):
        _put(ws, row, col, None, bold=True)


def _reconciliation_sheet(wb: Workbook, report: Consolidated) -> None:
    headers = [
        "STT",
        "Đơn vị",
        "Kỳ báo cáo",
        "Tệp báo cáo",
        "Tệp được thay thế",
        "Mã số",
        "Nội dung",
        "Nguồn",
        "ĐVT",
        "Tổng các báo cáo được thay thế",
        "Báo cáo thay thế",
        "Chênh lệch",
    ]
    subtitle = reconciliation_summary(report) or "Không có báo cáo nhiều tháng thay cho các báo cáo đã gửi trước."
    widths = [6, 28, 18, 26, 30, 9, 40, 9, 12, 14, 14, 12]
    ws = _sheet(wb, "DieuChinh", report, subtitle, headers, widths, landscape=True)
    lines = difference_lines(report)
    if not lines:
        _put(ws, FIRST_DATA_ROW, 2, "Không có điều chỉnh.")
    for row, d in enumerate(lines, start=FIRST_DATA_ROW):
        values: list[Value] = [row - FIRST_DATA_ROW + 1, d.unit_name, d.period_title, d.file_name,
                               ", ".join(d.finer_files), d.code, d.name, d.source, d.unit, d.finer_total,
                               d.coarser, d.change]
        for col, value in enumerate(values, start=1):
            _put(ws, row, col, value)


def _by_unit_sheet(wb: Workbook, report: Consolidated) -> None:
    prog, units = report.programme, report.by_unit
    totals = by_unit_totals(report)
    headers = ["Mã số", "Chỉ tiêu", "ĐVT", *(u.unit_name for u in units), "Cộng"]
    widths = [9, 45, 12, *([12] * len(units)), 12]
    subtitle = f"IV. Kết quả thực hiện trong kỳ theo đơn vị; kinh phí tính bằng {prog.money_unit}"
    ws = _sheet(wb, "TheoDonVi", report, subtitle, headers, widths, landscape=True, freeze="D4")
    last_col = len(headers)
    row = FIRST_DATA_ROW

    def heading(code: str, name: str) -> None:
        nonlocal row
        _put(ws, row, 1, code, bold=True)
        _put(ws, row, 2, name, bold=True)
        for col in range(3, last_col + 1):
            _put(ws, row, col, None)
        row += 1

    def line(code: str, name: str, unit: str, values: Sequence[Value], total: Value, bold: bool = False) -> None:
        nonlocal row
        for col, value in enumerate([code, name, unit, *values, total], start=1):
            _put(ws, row, col, value, bold=bold)
        row += 1

    for sp in prog.subprogrammes:
        heading(sp.code, sp.name)
        for ind in sp.indicators:
            results = [u.results.get(ind.code) for u in units]
            line(ind.code, ind.name, ind.unit, results, totals["result_totals"][ind.code])
    heading("", "Kinh phí thực hiện trong kỳ")
    for src in prog.sources:
        spending = [u.spending.get(src.code) for u in units]
        line(src.code, src.name, prog.money_unit, spending, totals["spending_totals"][src.code])
    spent = [u.spending_total for u in units]
    line("", "Tổng kinh phí", prog.money_unit, spent, totals["spending_grand_total"], bold=True)


def _notes_sheet(wb: Workbook, report: Consolidated) -> None:
    headers = ["STT", "Đơn vị", "Kỳ báo cáo", "Nội dung"]
    ws = _sheet(wb, "YKien", report, "Khó khăn, vướng mắc và đề xuất", headers, [6, 30, 12, 90])
    if not report.notes:
        _put(ws, FIRST_DATA_ROW, 2, "Không có ý kiến.")
    for row, note in enumerate(report.notes, start=FIRST_DATA_ROW):
        for col, value in enumerate([row - FIRST_DATA_ROW + 1, note.unit_name, note.period_code, note.text], 1):
            _put(ws, row, col, value)


def write_excel_report(report: Consolidated, recipient: Recipient, issuer: Issuer, out_path: Path) -> Path:
    """Write the workbook to `out_path` (atomically) and return that path."""
    wb = Workbook()
    wb.remove(wb.active)
    _indicators_sheet(wb, report)
    _budget_sheet(wb, report)
    _pace_sheet(wb, report)
    _funding_sheet(wb, report)
    _context_sheet(wb, report)
    _units_sheet(wb, report)
    _completeness_sheet(wb, report)
    _reconciliation_sheet(wb, report)
    if recipient.unit_detail:
        _by_unit_sheet(wb, report)
    _notes_sheet(wb, report)
    wb.properties.title = _title(report)
    wb.properties.creator = f"{issuer.parent} - {issuer.name}"
    wb.properties.subject = recipient.name
    with atomic_output(out_path) as tmp:
        wb.save(tmp)
    return out_path
