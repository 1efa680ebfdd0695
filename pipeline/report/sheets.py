"""The Excel workbook's content: its sheets as model.Sheet (title, subtitle, header row, cells, column widths,
orientation), built from the consolidated record by sheets(); pipeline.report.excel writes them (formats, print
setup). The same content as the PDF, and more.

The sheets (stable; tests and users rely on them; rows 1-3 are the title, subtitle and headings, see excel):

Appendix sheets, one per appendix of the recipient's copy and numbered as in its PDF ("PhuLuc01" …):

- results: Mã số | Chỉ tiêu | ĐVT | Thực hiện trong kỳ | Lũy kế từ đầu chương trình (…) | Mục tiêu giai đoạn |
  Tỷ lệ đạt | Tiến độ yêu cầu | Đánh giá ("chậm tiến độ"); a sub-programme row (Mã số "P1", bold) precedes its
  indicators; the last row (bold) counts the indicators and those behind pace.
- funding (the seed's appendix): Mã số | Nội dung | Kế hoạch: Tổng | Kế hoạch: <source> … | Trong kỳ: Tổng |
  Trong kỳ: <source> … | Lũy kế: Tổng | Lũy kế: <source> … | Tỷ lệ đạt | Tiến độ yêu cầu; one row per
  sub-programme, then the bold "Tổng cộng" row (Mã số empty).
- units (recipients with unit detail): up to 12 units (a province), Mã số | Chỉ tiêu | ĐVT | <one column per
  unit> | Cộng; indicator rows, then one spending row per source (Mã số = source code) and the bold "Tổng kinh
  phí" row. With more units, one row per unit: Mã số (the unit's code) | Đơn vị | <one column per indicator,
  "P1.2 Lao động được đào tạo mới (người)"> … | <one per source> | Tổng kinh phí (triệu đồng); then the bold
  "Cộng" row. Every unit, whatever the recipient's max_units_listed (which only limits the PDF).
- kcqg (recipients with the national funds set apart): Mã số | Chương trình | Kế hoạch giai đoạn (KCQG) |
  Thực hiện trong kỳ | Lũy kế từ đầu chương trình | Tỷ lệ đạt | Tỷ trọng trong tổng kinh phí đã thực hiện; then
  the bold "Tổng cộng" row.
- reporting (completeness, DHIS2-style): Mã số | Đơn vị | Địa bàn ưu tiên | Số tháng phải báo cáo |
  Số tháng đã nhận | Số tháng đúng hạn | Số tháng trễ hạn | Tỷ lệ báo cáo | Tỷ lệ đúng hạn | Tháng chưa báo cáo |
  Tệp trễ hạn | Ghi chú; then the bold "Cộng" row with the totals and rates.

Then, for every recipient:

- ``TienDo``: Mã số | Loại | Nội dung | ĐVT | Lũy kế thực hiện | Mục tiêu giai đoạn | Tỷ lệ đạt | Tiến độ yêu cầu |
  Chênh lệch | Cơ sở tính | Đánh giá; one row per indicator, then one per sub-programme's budget.
- ``KinhPhiNam``: Năm | Số tháng | <source> … | Cộng | So với bình quân … | Trong đó: địa bàn ưu tiên; one row
  per year, then "Lũy kế" (bold), "Kế hoạch giai đoạn" and "Tỷ lệ lũy kế so với kế hoạch".
- ``ChiTieuChung``: the context indicators, then (after an empty row) the growth table with its own title
  and header rows.
- ``DonVi``: Mã số | Đơn vị | Số tháng đã báo cáo | Số tháng phải báo cáo | Số tệp | Ngày nhận gần nhất |
  Số tệp trễ hạn | Địa bàn ưu tiên | Ghi chú.
- ``DieuChinh``: one row per difference between a coarser report and the finer ones it replaced.
- ``YKien``: STT | Đơn vị | Kỳ báo cáo | Nội dung (difficulties and proposals).
- ``DuLieu`` (recipients with ``data_sheet``, when the values are given): every value behind the figures in
  long form: STT | Mã đơn vị | Đơn vị | Kỳ báo cáo | Loại | Mã số | Nguồn | Giá trị | Tệp | Ô (sheet!cell) |
  SHA-256 | Ngày nhận | Tính trong kỳ | Tính lũy kế; with an auto-filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from pipeline.aggregating import ZERO, Consolidated
from pipeline.assessment import PARTS, Assessment
from pipeline.formatting import number, spreadsheet_time
from pipeline.recipients import Issuer, Recipient, Titles
from pipeline.report.model import FIRST_DATA_ROW, Sheet, SheetCell, Value
from pipeline.report.numbering import appendix_numbers, attachment_line, excel_sheet
from pipeline.report.sentences import (
    coverage_note,
    funding_note,
    growth_objective,
    pace_legend,
    reconciliation_summary,
    straddling_note,
    unit_remark,
)
from pipeline.report.tables import (
    UNIT_COLUMNS_MAX,
    budget_total_expected,
    by_unit_totals,
    completeness_of,
    difference_lines,
    growth_below,
    indicator_groups,
    national_rows,
    pace_index,
    share_of,
    unit_columns,
    unit_names,
)
from pipeline.text import nfc


def _title(report: Consolidated) -> str:
    return f"Báo cáo tình hình thực hiện Chương trình khuyến công {report.period.title}"


class _Grid:
    """A sheet being filled, with rows and columns numbered from 1 as in Excel (frozen into a model.Sheet)."""

    def __init__(
        self,
        name: str,
        title: str,
        subtitle: str,
        headers: Sequence[str],
        widths: Sequence[float],
        landscape: bool,
        freeze: str,
        header_height: float,
    ) -> None:
        self.args = (name, title, subtitle, tuple(headers), tuple(float(w) for w in widths), landscape, freeze)
        self.header_height = header_height
        self.cells: list[tuple[int, int, SheetCell]] = []
        self.heights: list[tuple[int, float]] = []
        self.autofilter = False

    def put(self, row: int, col: int, value: Value, *, share: bool = False, bold: bool = False, kind: str = "") -> None:
        """One table cell: `share` shows a fraction as a percentage; `kind` overrides the format the value would
        get ("header", "year", "datetime")."""
        self.cells.append((row, col, SheetCell(value, share, bold, kind)))

    def text(self, row: int, col: int, text: str, kind: str) -> None:
        """A text line outside the tables ("title" or "subtitle")."""
        self.cells.append((row, col, SheetCell(text, kind=kind)))

    def headers(self, row: int, headers: Sequence[str], height: float = 45) -> None:
        """A header row inside the sheet (a second table)."""
        self.heights.append((row, height))
        for col, header in enumerate(headers, start=1):
            self.put(row, col, header, kind="header")

    def sheet(self) -> Sheet:
        name, title, subtitle, headers, widths, landscape, freeze = self.args
        return Sheet(
            name,
            title,
            subtitle,
            headers,
            widths,
            tuple(self.cells),
            landscape,
            freeze,
            self.header_height,
            tuple(self.heights),
            self.autofilter,
        )


def _sheet(
    book: list[_Grid],
    name: str,
    report: Consolidated,
    subtitle: str,
    headers: Sequence[str],
    widths: Sequence[float],
    *,
    landscape: bool = False,
    freeze: str = "A4",
    title: str | None = None,
    header_height: float = 45,
) -> _Grid:
    """A new sheet of the workbook, with its title (the report's, unless given), subtitle and header row."""
    grid = _Grid(name, title or _title(report), subtitle, headers, widths, landscape, freeze, header_height)
    book.append(grid)
    return grid


@dataclass(frozen=True)
class Appendix:
    """Where an appendix sheet goes and what heads it."""

    sheet: str  # "PhuLuc01"
    title: str  # "Phụ lục 01. KẾT QUẢ THỰC HIỆN … - quý III năm 2012"
    attachment: str  # "(Kèm theo Báo cáo số 05/BC-SCT ngày … của Sở Công Thương)"


def _indicators_sheet(book: list[_Grid], report: Consolidated, appx: Appendix) -> None:
    cumulative = f"Lũy kế từ đầu chương trình ({report.cumulative_period.title})"
    headers = [
        "Mã số",
        "Chỉ tiêu",
        "ĐVT",
        "Thực hiện trong kỳ",
        cumulative,
        "Mục tiêu giai đoạn",
        "Tỷ lệ đạt",
        "Tiến độ yêu cầu",
        "Đánh giá",
    ]
    note = coverage_note(report)
    subtitle = appx.attachment + (f". {note}" if note else "")
    ws = _sheet(
        book,
        appx.sheet,
        report,
        subtitle,
        headers,
        [9, 52, 12, 14, 20, 14, 11, 11, 14],
        title=appx.title,
        landscape=True,
    )
    paces = pace_index(report)
    row, count, behind = FIRST_DATA_ROW, 0, 0
    for group in indicator_groups(report):
        ws.put(row, 1, group.code, bold=True)
        ws.put(row, 2, group.name, bold=True)
        for col in range(3, len(headers) + 1):
            ws.put(row, col, None)
        row += 1
        for r in group.rows:
            p = paces.get(("indicator", r.code))
            for col, value in enumerate([r.code, r.name, r.unit, r.in_period, r.cumulative, r.target], start=1):
                ws.put(row, col, value)
            ws.put(row, 7, r.share, share=True)
            ws.put(row, 8, p.expected_share if p else None, share=True)
            ws.put(row, 9, "chậm tiến độ" if p and p.behind else "")
            count, behind = count + 1, behind + bool(p and p.behind)
            row += 1
    if count:
        ws.put(row, 1, "", bold=True)
        text = f"Cộng: {count} chỉ tiêu" + (
            f", {count - behind} đạt tiến độ yêu cầu, {behind} chậm tiến độ" if report.pace else ""
        )
        ws.put(row, 2, text, bold=True)
        for col in range(3, len(headers) + 1):
            ws.put(row, col, None, bold=True)


def _budget_sheet(book: list[_Grid], report: Consolidated, appx: Appendix) -> None:
    """Funding by sub-programme and source (the seed's appendix): plan, in the period, since the start."""
    sources = report.programme.source_codes
    groups = ("Kế hoạch", "Trong kỳ", "Lũy kế")
    headers = [
        "Mã số",
        "Nội dung",
        *(f"{g}: {s}" for g in groups for s in ("Tổng", *sources)),
        "Tỷ lệ đạt",
        "Tiến độ yêu cầu",
    ]
    widths = [9, 42, *([12] * (3 * (len(sources) + 1))), 10, 10]
    subtitle = f"{appx.attachment}. ĐVT: {report.programme.money_unit}"
    ws = _sheet(book, appx.sheet, report, subtitle, headers, widths, landscape=True, title=appx.title, freeze="C4")
    paces = pace_index(report)
    rows = [(b, False) for b in report.budget] + [(report.budget_totals, True)]
    for row, (b, total) in enumerate(rows, start=FIRST_DATA_ROW):
        values: list[Value] = [b.subprogramme, b.name]
        for part, whole in (
            (b.budget, b.budget_total),
            (b.in_period, b.in_period_total),
            (b.cumulative, b.cumulative_total),
        ):
            values += [whole, *(part.get(s) for s in sources)]
        for col, value in enumerate(values, start=1):
            ws.put(row, col, value, bold=total)
        p = paces.get(("budget", b.subprogramme))
        expected = budget_total_expected(report) if total else p.expected_share if p else None
        ws.put(row, len(values) + 1, b.share, share=True, bold=total)
        ws.put(row, len(values) + 2, expected, share=True, bold=total)


def _national_sheet(book: list[_Grid], report: Consolidated, appx: Appendix) -> None:
    """The use of national funds (KCQG) by sub-programme, then the totals row."""
    headers = [
        "Mã số",
        "Chương trình",
        f"Kế hoạch giai đoạn ({report.programme.national_source or ''})",
        "Thực hiện trong kỳ",
        "Lũy kế từ đầu chương trình",
        "Tỷ lệ đạt",
        "Tỷ trọng trong tổng kinh phí đã thực hiện",
    ]
    subtitle = f"{appx.attachment}. ĐVT: {report.programme.money_unit}"
    ws = _sheet(book, appx.sheet, report, subtitle, headers, [9, 50, 14, 14, 16, 11, 16], title=appx.title)
    for row, r in enumerate(national_rows(report), start=FIRST_DATA_ROW):
        total = not r.code
        for col, value in enumerate([r.code, r.name, r.budget, r.in_period, r.cumulative], start=1):
            ws.put(row, col, value, bold=total)
        ws.put(row, 6, r.share, share=True, bold=total)
        ws.put(row, 7, r.weight, share=True, bold=total)


def _units_sheet(book: list[_Grid], report: Consolidated) -> None:
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
    subtitle = f"Tình hình báo cáo của các đơn vị: {counts} đơn vị đã báo cáo"
    if report.rejected:
        subtitle += f"; có {len(report.rejected)} tệp bị từ chối, xem biên nhận"
    ws = _sheet(book, "DonVi", report, subtitle, headers, [14, 40, 12, 12, 9, 14, 10, 10, 16])
    for row, u in enumerate(report.units, start=FIRST_DATA_ROW):
        remark = unit_remark(u)
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
            ws.put(row, col, value)


def _pace_sheet(book: list[_Grid], report: Consolidated) -> None:
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
    ws = _sheet(book, "TienDo", report, subtitle, headers, [9, 10, 50, 12, 14, 14, 11, 11, 11, 20, 16], landscape=True)
    for row, p in enumerate(report.pace, start=FIRST_DATA_ROW):
        values: list[Value] = [
            p.code,
            "Chỉ tiêu" if p.kind == "indicator" else "Kinh phí",
            p.name,
            p.unit,
            p.achieved,
            p.target,
        ]
        for col, value in enumerate(values, start=1):
            ws.put(row, col, value, bold=p.behind)
        ws.put(row, 7, p.share, share=True, bold=p.behind)
        ws.put(row, 8, p.expected_share, share=True, bold=p.behind)
        ws.put(row, 9, p.gap, share=True, bold=p.behind)
        ws.put(row, 10, p.basis, bold=p.behind)
        ws.put(row, 11, "chậm tiến độ" if p.behind else "", bold=p.behind)
    if not report.pace:
        ws.put(FIRST_DATA_ROW, 3, "Không có số liệu.")


def _funding_sheet(book: list[_Grid], report: Consolidated) -> None:
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
    ws = _sheet(book, "KinhPhiNam", report, subtitle, headers, [24, 9, *([13] * len(sources)), 13, 16, 14])
    if f is None:
        ws.put(FIRST_DATA_ROW, 1, "Không có số liệu.")
        return
    row = FIRST_DATA_ROW
    for y in f.years:
        values: list[Value] = [y.year, y.months, *(y.by_source.get(s) for s in sources), y.total]
        for col, value in enumerate(values, start=1):
            ws.put(row, col, value, kind="year" if col == 1 else None)
        ws.put(row, len(values) + 1, share_of(y.total, f.average_per_year), share=True)
        ws.put(row, len(values) + 2, y.priority)
        row += 1
    budget_total = sum(f.budget.values(), ZERO)
    priority = sum((y.priority for y in f.years), ZERO)
    summary: list[tuple[str, list[Value], bool, bool, Value]] = [
        ("Lũy kế", [f.cumulative.get(s) for s in sources] + [f.cumulative_total], False, True, priority),
        ("Kế hoạch giai đoạn", [f.budget.get(s) for s in sources] + [budget_total], False, False, None),
        (
            "Tỷ lệ lũy kế so với kế hoạch",
            [share_of(f.cumulative.get(s, ZERO), f.budget.get(s)) for s in sources]
            + [share_of(f.cumulative_total, budget_total)],
            True,
            False,
            None,
        ),
    ]
    for label, values, share, bold, last in summary:
        ws.put(row, 1, label, bold=bold)
        ws.put(row, 2, None, bold=bold)
        for col, value in enumerate(values, start=3):
            ws.put(row, col, value, share=share, bold=bold)
        ws.put(row, len(values) + 3, None, bold=bold)
        ws.put(row, len(values) + 4, last, bold=bold)
        row += 1


def _context_sheet(book: list[_Grid], report: Consolidated) -> None:
    prog = report.programme
    title = prog.context.name if prog.context else "Chỉ tiêu chung về công nghiệp nông thôn"
    headers = [
        "Mã số",
        "Chỉ tiêu",
        "ĐVT",
        "Số liệu kỳ báo cáo",
        "Cách tính",
        "Số đơn vị báo cáo",
        "Số đơn vị phải báo cáo",
    ]
    subtitle = f"{title}; số liệu cộng từ các đơn vị đã báo cáo chỉ tiêu"
    ws = _sheet(book, "ChiTieuChung", report, subtitle, headers, [9, 45, 12, 16, 16, 12, 12, 16])
    row = FIRST_DATA_ROW
    for c in report.context:
        how = "tại thời điểm cuối kỳ" if c.kind == "level" else "cộng trong kỳ"
        for col, value in enumerate([c.code, c.name, c.unit, c.value, how, c.units_reporting, c.units_expected], 1):
            ws.put(row, col, value)
        row += 1
    if not report.context:
        ws.put(row, 2, "Không có số liệu.")
        row += 1
    if prog.growth is None:
        return
    indicator = prog.indicators[prog.growth.indicator]
    row += 1
    ws.text(row, 1, f"Tăng trưởng {indicator.name.lower()} ({growth_objective(report)})", "subtitle")
    row += 1
    ws.headers(
        row,
        [
            "Năm",
            indicator.name,
            "ĐVT",
            "Tăng so với năm trước",
            "Số đơn vị báo cáo",
            "Số đơn vị phải báo cáo",
            "Đánh giá",
        ],
    )
    row += 1
    for g in report.growth:
        below = growth_below(report, g.growth)
        verdict = "dưới mục tiêu" if below else "" if g.growth is None else "đạt mục tiêu"
        if not g.complete:
            verdict = "; ".join(v for v in (verdict, "chưa đủ đơn vị báo cáo") if v)
        for col, value in enumerate([g.year, g.value, indicator.unit], start=1):
            ws.put(row, col, value, bold=below, kind="year" if col == 1 else None)
        ws.put(row, 4, g.growth, share=True, bold=below)
        for col, value in enumerate([g.units_reporting, g.units_expected, verdict], start=5):
            ws.put(row, col, value, bold=below)
        row += 1
    if not report.growth:
        ws.put(row, 2, "Chưa có năm trọn vẹn để tính mức tăng.")


def _completeness_sheet(book: list[_Grid], report: Consolidated, appx: Appendix) -> None:
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
    subtitle = f"{appx.attachment}. Mức độ đầy đủ và đúng hạn của báo cáo (tháng-đơn vị)"
    note = coverage_note(report)
    if note:
        subtitle += f". {note}"
    widths = [14, 40, 10, 11, 11, 11, 11, 11, 11, 24, 30, 18]
    ws = _sheet(book, appx.sheet, report, subtitle, headers, widths, landscape=True, title=appx.title)
    row = FIRST_DATA_ROW
    for u in c.rows:
        values: list[Value] = [
            u.unit_code,
            u.unit_name,
            "x" if u.priority else "",
            u.months_expected,
            u.months_covered,
            u.months_on_time,
            u.months_late,
        ]
        for col, value in enumerate(values, start=1):
            ws.put(row, col, value)
        ws.put(row, 8, share_of(Decimal(u.months_covered), Decimal(u.months_expected)), share=True)
        ws.put(row, 9, share_of(Decimal(u.months_on_time), Decimal(u.months_expected)), share=True)
        for col, value in enumerate([", ".join(u.missing_months), ", ".join(u.late_files), unit_remark(u)], 10):
            ws.put(row, col, value)
        row += 1
    totals: list[Value] = ["", "Cộng", "", c.expected, c.received, c.on_time, c.late]
    for col, value in enumerate(totals, start=1):
        ws.put(row, col, value, bold=True)
    ws.put(row, 8, c.rate, share=True, bold=True)
    ws.put(row, 9, c.on_time_rate, share=True, bold=True)
    for col in (10, 11, 12):
        ws.put(row, col, None, bold=True)


def _reconciliation_sheet(book: list[_Grid], report: Consolidated) -> None:
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
        "Theo các báo cáo được thay thế",
        "Báo cáo thay thế",
        "Chênh lệch",
    ]
    subtitle = reconciliation_summary(report) or "Không có báo cáo nhiều tháng thay cho các báo cáo đã gửi trước."
    widths = [6, 28, 18, 26, 30, 9, 40, 9, 12, 14, 14, 12]
    ws = _sheet(book, "DieuChinh", report, subtitle, headers, widths, landscape=True)
    lines = difference_lines(report)
    if not lines:
        ws.put(FIRST_DATA_ROW, 2, "Không có điều chỉnh.")
    note = straddling_note(report)
    if note:
        ws.put(FIRST_DATA_ROW + max(len(lines), 1) + 1, 2, note)
    for row, d in enumerate(lines, start=FIRST_DATA_ROW):
        values: list[Value] = [
            row - FIRST_DATA_ROW + 1,
            d.unit_name,
            d.period_title,
            d.file_name,
            ", ".join(d.finer_files),
            d.code,
            d.name,
            d.source,
            d.unit,
            d.finer_total,
            d.coarser,
            d.change,
        ]
        for col, value in enumerate(values, start=1):
            ws.put(row, col, value)


def _by_unit_sheet(book: list[_Grid], report: Consolidated, appx: Appendix) -> None:
    if len(report.by_unit) > UNIT_COLUMNS_MAX:
        _by_unit_rows_sheet(book, report, appx)
        return
    prog, units = report.programme, report.by_unit
    totals = by_unit_totals(report)
    headers = ["Mã số", "Chỉ tiêu", "ĐVT", *(u.unit_name for u in units), "Cộng"]
    widths = [9, 45, 12, *([12] * len(units)), 12]
    subtitle = f"{appx.attachment}. Kết quả thực hiện trong kỳ theo đơn vị; kinh phí tính bằng {prog.money_unit}"
    ws = _sheet(book, appx.sheet, report, subtitle, headers, widths, landscape=True, freeze="D4", title=appx.title)
    last_col = len(headers)
    row = FIRST_DATA_ROW

    def heading(code: str, name: str) -> None:
        nonlocal row
        ws.put(row, 1, code, bold=True)
        ws.put(row, 2, name, bold=True)
        for col in range(3, last_col + 1):
            ws.put(row, col, None)
        row += 1

    def line(code: str, name: str, unit: str, values: Sequence[Value], total: Value, bold: bool = False) -> None:
        nonlocal row
        for col, value in enumerate([code, name, unit, *values, total], start=1):
            ws.put(row, col, value, bold=bold)
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


def _by_unit_rows_sheet(book: list[_Grid], report: Consolidated, appx: Appendix) -> None:
    """Results by unit with the units as rows (more units than a province's): every unit, every figure."""
    results, spending = unit_columns(report.programme)
    columns = [c for _, _, cols in results for c in cols] + spending
    headers = ["Mã số", "Đơn vị", *(f"{c.label} ({c.unit})" for c in columns)]
    widths = [14, 34, *([13] * len(columns))]
    subtitle = (
        f"{appx.attachment}. Kết quả thực hiện trong kỳ của {len(report.by_unit)} đơn vị, mỗi đơn vị "
        f"một dòng; kinh phí tính bằng {report.programme.money_unit}"
    )
    ws = _sheet(
        book,
        appx.sheet,
        report,
        subtitle,
        headers,
        widths,
        landscape=True,
        freeze="C4",
        title=appx.title,
        header_height=90,
    )
    row = FIRST_DATA_ROW
    for u in report.by_unit:
        for col, value in enumerate([u.unit_code, u.unit_name, *(c.of(u) for c in columns)], start=1):
            ws.put(row, col, value)
        row += 1
    for col, value in enumerate(["", "Cộng", *(c.total(report.by_unit) for c in columns)], start=1):
        ws.put(row, col, value, bold=True)


def _notes_sheet(book: list[_Grid], report: Consolidated) -> None:
    headers = ["STT", "Đơn vị", "Kỳ báo cáo", "Nội dung"]
    ws = _sheet(book, "YKien", report, "Khó khăn, vướng mắc và đề xuất", headers, [6, 30, 12, 90])
    if not report.notes:
        ws.put(FIRST_DATA_ROW, 2, "Không có ý kiến.")
    row = FIRST_DATA_ROW
    for n, note in enumerate(report.notes, start=1):
        for part, text in enumerate(cell_parts(note.text)):
            for col, value in enumerate([n if part == 0 else "", note.unit_name, note.period_code, text], 1):
                ws.put(row, col, value)
            row += 1


def _assessment_sheet(book: list[_Grid], report: Consolidated, own: Assessment) -> None:
    """The office's own text, part by part, a paragraph or list item per row, as in the PDF."""
    ws = _sheet(book, "DanhGia", report, "Đánh giá của cơ quan báo cáo", ["Phần", "Nội dung"], [34, 110])
    row = FIRST_DATA_ROW
    for part, (title, _) in PARTS.items():
        for i, block in enumerate(own.part(part)):
            mark = ("+ " if block.depth else "- ") if block.bullet else f"{block.number}. " if block.number else ""
            for j, text in enumerate(cell_parts(nfc(mark + block.text))):
                ws.put(row, 1, title if i == 0 and j == 0 else "", bold=True)
                ws.put(row, 2, text)
                row += 1


CELL_CHARS = 32_000  # Excel keeps at most 32 767 characters in a cell; a longer text goes on in the next rows


def cell_parts(text: str, size: int = CELL_CHARS) -> list[str]:
    """`text` cut into parts that each fit a cell, at a space where one is near the limit; joined, the parts
    give `text` back exactly."""
    parts = []
    while len(text) > size:
        cut = text.rfind(" ", size - 200, size) + 1 or size
        parts.append(text[:cut])
        text = text[cut:]
    return [*parts, text]


def _data_sheet(book: list[_Grid], report: Consolidated, provenance: pd.DataFrame) -> None:
    """Every value behind the period's figures, in long form, with the file and sheet!cell it came from."""
    headers = [
        "STT",
        "Mã đơn vị",
        "Đơn vị",
        "Kỳ báo cáo",
        "Loại",
        "Mã số",
        "Nguồn",
        "Giá trị",
        "Tệp",
        "Ô",
        "SHA-256",
        "Ngày nhận",
        "Tính trong kỳ",
        "Tính lũy kế",
    ]
    subtitle = (
        "Dữ liệu: mọi giá trị của các báo cáo trong phạm vi lũy kế, kể cả bản đã được thay thế; "
        "tệp và ô (sheet!ô) nguồn; có/không được tính vào số liệu kỳ này và lũy kế"
    )
    widths = [7, 14, 30, 12, 11, 9, 9, 14, 36, 18, 20, 18, 10, 10]
    ws = _sheet(book, "DuLieu", report, subtitle, headers, widths, landscape=True, freeze="D4")
    names = unit_names(report)
    kinds = {"indicator": "chỉ tiêu", "budget": "kinh phí"}
    for i, r in enumerate(provenance.itertuples(index=False), start=1):
        row = FIRST_DATA_ROW + i - 1
        received = spreadsheet_time(r.received_at) if r.received_at else None
        values: list[Value] = [
            i,
            r.unit,
            names.get(r.unit, r.unit),
            r.period_reported,
            kinds.get(r.kind, r.kind),
            r.code,
            r.source or "",
            Decimal(str(r.value)),
            r.file,
            r.cell,
            r.sha256,
            received,
            "có" if r.counts_in_period else "không",
            "có" if r.counts_cumulative else "không",
        ]
        for col, value in enumerate(values, start=1):
            ws.put(row, col, value, kind="datetime" if col == 12 else None)  # received: with its time of day
    ws.autofilter = True


APPENDIX_SHEETS = {
    "results": _indicators_sheet,
    "funding": _budget_sheet,
    "units": _by_unit_sheet,
    "kcqg": _national_sheet,
    "reporting": _completeness_sheet,
}


APPENDIX_SHEETS = {
    "results": _indicators_sheet,
    "funding": _budget_sheet,
    "units": _by_unit_sheet,
    "kcqg": _national_sheet,
    "reporting": _completeness_sheet,
}


def sheets(
    report: Consolidated,
    recipient: Recipient,
    issuer: Issuer,
    titles: Titles,
    number: int | None = None,
    provenance: pd.DataFrame | None = None,
    own: Assessment | None = None,
) -> tuple[Sheet, ...]:
    """The recipient's workbook: its appendices' sheets (numbered as in its PDF), then the other tables, the
    office's own assessment (DanhGia, when written) and DuLieu (`provenance`, pipeline.export.provenance) for
    recipients with `data_sheet`."""
    attachment = attachment_line(report, issuer, number)
    book: list[_Grid] = []
    for key, no in appendix_numbers(recipient).items():
        title = f"Phụ lục {no}. {titles.appendix(key)} - {report.period.title}"
        APPENDIX_SHEETS[key](book, report, Appendix(excel_sheet(recipient, key), title, attachment))
    _pace_sheet(book, report)
    _funding_sheet(book, report)
    _context_sheet(book, report)
    _units_sheet(book, report)
    _reconciliation_sheet(book, report)
    _notes_sheet(book, report)
    if own is not None and own.parts:
        _assessment_sheet(book, report, own)
    if recipient.data_sheet and provenance is not None:
        _data_sheet(book, report, provenance)
    return tuple(g.sheet() for g in book)
