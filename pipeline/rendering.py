"""Render the consolidated report as HTML (preview) and PDF (Jinja2 + WeasyPrint).

The document follows NĐ 30/2020/NĐ-CP (domain-notes §5): the two-column header, "Số: 05/BC-SCT", place and
date, "BÁO CÁO" and its summary line, "Kính gửi:", the body in sections I, II … written as sentences from the
figures, charts (inline SVG, pipeline.charts), "Nơi nhận:" and the signer, then the tables as numbered
appendices ("Phụ lục 01" …). What each recipient's copy holds is data (config/recipients.yaml).

The template is ``templates/report.html.j2``; it inlines ``templates/report.css`` so the HTML preview
stands alone. One page per recipient: the preview is written as rendered, and the PDF is laid out from the same
page (``PdfWriter``, which parses the stylesheet once for all the pages of a run and keeps one font
configuration); what every recipient's copy shows alike is made once (``shared_context``).
Everything that came from inputs is escaped (autoescape on; the SVG charts escape their text
themselves), and WeasyPrint may only load ``data:`` URLs and files inside the templates folder
(``SafeFetcher``); the report itself loads nothing.

The helpers below turn the record into rows and Vietnamese sentences; the Excel writer uses the same ones.

Scale: nothing a recipient reads grows without bound with the number of units. Sentences name at most a dozen
units ("… và 287 đơn vị khác"), section IV and the reconciliation notes print at most NOTES_MAX items beyond a
dozen units, and the unit appendices follow the recipient's max_units_listed (by_unit_layout, reporting_rows);
what the PDF leaves out is named and found in the Excel workbook, which lists every unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from pipeline import charts
from pipeline.aggregating import NAMED_MAX, NAMED_SHOWN, ZERO, BudgetRow, Consolidated, IndicatorRow, UnitRow, named
from pipeline.completeness import Completeness, ReportingRules, UnitStatus
from pipeline.files import atomic_output
from pipeline.formatting import long_date, number, percent, short_date
from pipeline.paths import TEMPLATES_DIR
from pipeline.periods import Kind, Period, PeriodError, month, parse_period, quarter, year
from pipeline.programme import Programme
from pipeline.progress import FundingYear, Pace
from pipeline.recipients import Issuer, Recipient
from pipeline.rollup import Difference, Reconciliation
from pipeline.text import nfc, officer_note, printable

TEMPLATE = "report.html.j2"
# Results by unit (appendix "units"): up to UNIT_COLUMNS_MAX units (a province) the units are columns, at most
# MAX_UNITS_PER_TABLE to a table; beyond, the units are rows (a table of at most ROW_TABLE_COLUMNS figures
# across, its headings repeated on every page), so the pages grow with the units and stay readable; beyond
# the recipient's max_units_listed, a summary by indicator (the Excel workbook lists every unit).
UNIT_COLUMNS_MAX = 12
MAX_UNITS_PER_TABLE = 10  # unit columns per table in the by-unit section (landscape A4)
ROW_TABLE_COLUMNS = 12
NOTE_CHARS = 600  # an officer's note on the PDF page: longer ones are cut, their full text is in the Excel
NOTES_MAX = 30  # beyond NAMED_MAX units, the PDF prints at most this many notes (section IV) and reconciliations
FLAG = "\u25bc"  # ▼ marks a line behind pace or a year below the growth objective (legible in black and white)
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
COARSER = {
    Kind.QUARTER: "báo cáo quý",
    Kind.HALF: "báo cáo 6 tháng",
    Kind.NINE_MONTHS: "báo cáo 9 tháng",
    Kind.YEAR: "báo cáo năm",
}


class BlockedURLError(ValueError):
    """The report tried to load something other than a data: URL or a file in the templates folder."""


class SafeFetcher(URLFetcher):
    """URL fetcher that serves only ``data:`` URLs and files inside `root`; everything else raises."""

    def __init__(self, root: Path = TEMPLATES_DIR, **kwargs: object) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, **kwargs)
        self.root = Path(root).resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self.allowed_path(url)
            if path is not None:
                return super().fetch(path.as_uri(), headers)
        raise BlockedURLError(f"refusing to load {url[:200]!r}: only data: URLs and files in {self.root}")

    def allowed_path(self, url: str) -> Path | None:
        """The local file a ``file:`` URL names, if it is an existing file inside `root`."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(parts.path)).resolve()
        return path if path.is_relative_to(self.root) and path.is_file() else None


@dataclass(frozen=True)
class IndicatorGroup:
    """A sub-programme heading and its indicator rows, in programme order."""

    code: str
    name: str
    rows: tuple[IndicatorRow, ...]


@dataclass(frozen=True)
class ByUnitTable:
    """One slice of the unit x indicator table (at most MAX_UNITS_PER_TABLE unit columns)."""

    units: tuple[UnitRow, ...]
    with_total: bool  # the last slice carries the "Cộng" column


def report_basename(report: Consolidated, recipient: Recipient) -> str:
    """File name without extension, e.g. ``bao-cao-2012-Q3-ubnd-tinh``."""
    return f"bao-cao-{report.period.code}-{recipient.code}"


def indicator_groups(report: Consolidated) -> list[IndicatorGroup]:
    """Indicator rows grouped by sub-programme, programme order first, unknown codes last."""
    names = {sp.code: sp.name for sp in report.programme.subprogrammes}
    by_code: dict[str, list[IndicatorRow]] = {code: [] for code in names}
    for row in report.indicators:
        by_code.setdefault(row.subprogramme, []).append(row)
    return [IndicatorGroup(code, names.get(code, code), tuple(rows)) for code, rows in by_code.items() if rows]


def by_unit_tables(units: Sequence[UnitRow], size: int = MAX_UNITS_PER_TABLE) -> list[ByUnitTable]:
    """Split the unit columns into balanced slices that fit a landscape page."""
    if not units:
        return []
    count = math.ceil(len(units) / size)
    base, extra = divmod(len(units), count)
    bounds = [i * base + min(i, extra) for i in range(count + 1)]
    slices = [tuple(units[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
    return [ByUnitTable(s, with_total=i == len(slices) - 1) for i, s in enumerate(slices)]


@dataclass(frozen=True)
class UnitColumn:
    """A figure of the by-unit table: an indicator's result, a source's spending, or the spending total."""

    code: str  # indicator or source code; "" for the spending total
    name: str
    unit: str
    kind: str  # "result", "spending" or "spent" (the total)

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}".strip()

    def of(self, row: UnitRow) -> Decimal | None:
        """This figure for one unit."""
        if self.kind == "result":
            return row.results.get(self.code)
        return row.spending.get(self.code) if self.kind == "spending" else row.spending_total

    def total(self, rows: Sequence[UnitRow]) -> Decimal | None:
        """This figure summed over the units (the "Cộng" of by_unit_totals)."""
        return sum_or_none([self.of(r) for r in rows])


@dataclass(frozen=True)
class UnitColumnGroup:
    """One table of the by-unit appendix with units as rows: its part title, headings and figures."""

    title: str  # "A. Kết quả thực hiện trong kỳ: chương trình P1 đến P3"
    heads: tuple[tuple[str, int], ...]  # (heading above its columns, how many columns it spans)
    columns: tuple[UnitColumn, ...]


def unit_columns(programme: Programme) -> tuple[list[tuple[str, str, list[UnitColumn]]], list[UnitColumn]]:
    """([(sub-programme code, heading, its indicator columns) …], the spending columns: each source, the total)."""
    results = [
        (sp.code, f"{sp.code}. {sp.name}", [UnitColumn(i.code, i.name, i.unit, "result") for i in sp.indicators])
        for sp in programme.subprogrammes
        if sp.indicators
    ]
    money = programme.money_unit
    spending = [UnitColumn(s.code, s.name, money, "spending") for s in programme.sources]
    return results, [*spending, UnitColumn("", "Tổng kinh phí", money, "spent")]


def unit_column_groups(programme: Programme, width: int = ROW_TABLE_COLUMNS) -> list[UnitColumnGroup]:
    """The tables of the by-unit appendix with units as rows: sub-programmes packed in order, at most `width`
    figures across (a sub-programme wider than that is split), then the spending by source."""
    results, spending = unit_columns(programme)
    packs: list[list[tuple[str, str, list[UnitColumn]]]] = []
    for code, head, columns in results:
        for i in range(0, len(columns), width):
            piece = (code, head, columns[i : i + width])
            if packs and sum(len(p[2]) for p in packs[-1]) + len(piece[2]) <= width:
                packs[-1].append(piece)
            else:
                packs.append([piece])
    out = []
    for n, pack in enumerate(packs):
        codes = list(dict.fromkeys(code for code, _, _ in pack))
        which = codes[0] if len(codes) == 1 else f"{codes[0]} đến {codes[-1]}"
        out.append(
            UnitColumnGroup(
                f"{_letter(n)}. Kết quả thực hiện trong kỳ: chương trình {which}",
                tuple((head, len(cols)) for _, head, cols in pack),
                tuple(col for _, _, cols in pack for col in cols),
            )
        )
    title = f"{_letter(len(out))}. Kinh phí thực hiện trong kỳ (ĐVT: {programme.money_unit})"
    out.append(UnitColumnGroup(title, (("Kinh phí thực hiện trong kỳ", len(spending)),), tuple(spending)))
    return out


def _letter(n: int) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[n] if n < 26 else str(n + 1)


@dataclass(frozen=True)
class UnitSummaryRow:
    """A figure of the by-unit appendix when the units are too many to list: its total over the units, how many
    units contributed, and the largest contribution (with how many other units reached it)."""

    column: UnitColumn
    total: Decimal | None
    units_with: int  # units with a figure above 0
    top_name: str
    top_value: Decimal | None
    top_ties: int  # other units with the same largest figure


def unit_summary(report: Consolidated) -> list[tuple[str, list[UnitSummaryRow]]]:
    """[(heading, rows) …] for every sub-programme's indicators, then spending: the summary by indicator."""
    results, spending = unit_columns(report.programme)
    out = []
    for _, head, columns in [*results, ("", "Kinh phí thực hiện trong kỳ", spending)]:
        rows = []
        for col in columns:
            values = [(u, col.of(u)) for u in report.by_unit]
            present = [(u, v) for u, v in values if v]
            top = max((v for _, v in present), default=None)
            leaders = [u for u, v in present if v == top]
            first = leaders[0].unit_name if leaders else ""
            rows.append(
                UnitSummaryRow(col, col.total(report.by_unit), len(present), first, top, max(len(leaders) - 1, 0))
            )
        out.append((head, rows))
    return out


def by_unit_layout(report: Consolidated, recipient: Recipient) -> str:
    """How appendix "units" shows the units: "columns" (a province), "rows", "summary" (beyond the recipient's
    max_units_listed) or "" (no unit detail, or no units)."""
    count = len(report.by_unit)
    if not recipient.unit_detail or not count:
        return ""
    if count > recipient.max_units_listed:
        return "summary"
    return "columns" if count <= UNIT_COLUMNS_MAX else "rows"


def excel_sheet(recipient: Recipient, key: str) -> str:
    """The Excel sheet of an appendix ("PhuLuc03"), named as write_excel_report names it."""
    return f"PhuLuc{appendix_numbers(recipient)[key]}"


def excel_file_sheet(report: Consolidated, recipient: Recipient, sheet: str) -> str:
    """ "sheet YKien của tệp Excel kèm theo (bao-cao-2013-ubnd-tinh.xlsx)" """
    return f"sheet {sheet} của tệp Excel kèm theo ({report_basename(report, recipient)}.xlsx)"


def excel_pointer(report: Consolidated, recipient: Recipient, key: str) -> str:
    """Where appendix `key` lists every unit: "sheet PhuLuc03 của tệp Excel kèm theo (bao-cao-….xlsx)"."""
    return excel_file_sheet(report, recipient, excel_sheet(recipient, key))


def sum_or_none(values: Sequence[Decimal | None]) -> Decimal | None:
    """Sum of the values present; None when none is."""
    present = [v for v in values if v is not None]
    return sum(present, ZERO) if present else None


def by_unit_totals(report: Consolidated) -> dict[str, object]:
    """Column "Cộng" of the by-unit table: results and spending summed over the units."""
    rows = report.by_unit
    return {
        "result_totals": {
            code: sum_or_none([u.results.get(code) for u in rows]) for code in report.programme.indicators
        },
        "spending_totals": {
            src: sum_or_none([u.spending.get(src) for u in rows]) for src in report.programme.source_codes
        },
        "spending_grand_total": sum_or_none([u.spending_total for u in rows]),
    }


# --- completeness ------------------------------------------------------------------------------------


def completeness_of(report: Consolidated) -> Completeness:
    """The record's completeness, or one made from its unit rows (records built before it existed)."""
    return report.completeness or Completeness(report.period.code, report.units)


def month_list(codes: Sequence[str]) -> str:
    """("2012-07", "2012-08", "2012-09", "2013-02") -> "7-9/2012; 2/2013" (runs of months joined by a dash)."""
    by_year: dict[int, list[int]] = {}
    for code in codes:
        y, m = (int(x) for x in code.split("-"))
        by_year.setdefault(y, []).append(m)
    parts = []
    for y, months in by_year.items():
        runs: list[list[int]] = []
        for m in sorted(set(months)):
            if runs and m == runs[-1][-1] + 1:
                runs[-1].append(m)
            else:
                runs.append([m])
        text = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)
        parts.append(f"{text}/{y}")
    return "; ".join(parts)


def unit_remark(u: UnitStatus) -> str:
    """The "Ghi chú" of a unit's completeness row: "chưa báo cáo", "thiếu 1 tháng", "trễ hạn"."""
    if not u.months_covered:
        if u.rejected_files and u.months_expected:
            return "đã gửi nhưng bị từ chối (" + "; ".join(u.rejected_files) + ")"
        return "chưa báo cáo" if u.months_expected else ""
    parts = []
    if u.months_covered < u.months_expected:
        parts.append(f"thiếu {u.months_expected - u.months_covered} tháng")
    if u.late_files:
        parts.append("trễ hạn")
    if u.rejected_files:
        parts.append(f"có {len(u.rejected_files)} tệp bị từ chối")
    return "; ".join(parts)


def reporting_rows(report: Consolidated, recipient: Recipient) -> tuple[list[tuple[int, UnitStatus]], str]:
    """The rows of appendix "reporting" as (number in the full list, unit), and the line saying what was left
    out: every unit up to the recipient's max_units_listed; beyond, only the units that did not report fully or
    on time (at most max_units_listed of them)."""
    rows = completeness_of(report).rows
    limit = recipient.max_units_listed
    if len(rows) <= limit:
        return list(enumerate(rows, start=1)), ""
    attention = [(i, u) for i, u in enumerate(rows, start=1) if unit_remark(u)]
    n, k = number(len(rows)), number(len(attention))
    text = f"Báo cáo tổng hợp từ {n} đơn vị, nhiều hơn {number(limit)} đơn vị: "
    if not attention:
        text += "tất cả đã báo cáo đủ số tháng và đúng hạn, bảng chỉ có dòng Cộng"
    elif len(attention) <= limit:
        text += (
            f"bảng chỉ liệt kê {k}/{n} đơn vị chưa báo cáo đủ số tháng hoặc trễ hạn (số thứ tự theo danh sách đầy đủ)"
        )
    else:
        text += (
            f"bảng chỉ liệt kê {number(limit)} đơn vị đầu tiên trong số {k}/{n} đơn vị chưa báo cáo đủ số "
            "tháng hoặc trễ hạn (số thứ tự theo danh sách đầy đủ)"
        )
    if attention and len(attention) < len(rows):
        text += f"; {number(len(rows) - len(attention))} đơn vị còn lại đã báo cáo đủ số tháng và đúng hạn"
    text += (
        f". Dòng Cộng tính cho cả {n} đơn vị. Tình hình báo cáo của từng đơn vị: "
        f"{excel_pointer(report, recipient, 'reporting')}."
    )
    return attention[:limit], text


def completeness_summary(report: Consolidated) -> str:
    """ "Đã nhận báo cáo cho 31/33 tháng-đơn vị (93,9 %), trong đó 29 tháng-đơn vị đúng hạn (87,9 %) …" """
    c = completeness_of(report)
    if not c.expected:
        return "Không có đơn vị nào phải báo cáo trong kỳ."
    expected = number(c.expected)
    text = (
        f"Đã nhận báo cáo cho {number(c.received)}/{expected} tháng-đơn vị ({percent(c.rate)}), trong đó "
        f"{number(c.on_time)}/{expected} tháng-đơn vị đúng hạn ({percent(c.on_time_rate)}) và {number(c.late)} "
        "tháng-đơn vị trễ hạn"
    )
    extra = []
    if c.missing_units:
        extra.append(f"{number(len(c.missing_units))} đơn vị chưa báo cáo")
    if c.partial_units:
        extra.append(f"{number(len(c.partial_units))} đơn vị báo cáo chưa đủ số tháng")
    return text + (f"; {', '.join(extra)}." if extra else ".")


# --- reconciliations ------------------------------------------------------------------------------------


def unit_names(report: Consolidated) -> dict[str, str]:
    """Unit code -> the name the report shows for it."""
    names = {u.unit_code: u.unit_name for u in report.by_unit}
    names.update({u.unit_code: u.unit_name for u in completeness_of(report).rows})
    return names


def _period_title(code: str) -> str:
    try:
        return parse_period(code).title
    except PeriodError:
        return code


def _coarser_kind(code: str) -> str:
    try:
        return COARSER.get(parse_period(code).kind, "báo cáo nhiều tháng")
    except PeriodError:
        return "báo cáo nhiều tháng"


def _finer_words(code: str) -> str:
    return "tổng các tháng" if _coarser_kind(code) == "báo cáo quý" else "tổng các kỳ ngắn hơn"


def signed(value: Decimal) -> str:
    """+2; -1,5; 0"""
    return f"+{number(value)}" if value > 0 else number(value)


@dataclass(frozen=True)
class DifferenceLine:
    """One difference of a reconciliation, with names for the reader (a row of sheet DieuChinh)."""

    unit_name: str
    period_title: str
    file_name: str
    finer_files: tuple[str, ...]
    code: str
    name: str
    source: str
    unit: str
    finer_total: Decimal
    coarser: Decimal
    change: Decimal


def _what(report: Consolidated, d: Difference) -> tuple[str, str]:
    """(name, unit) of a difference's indicator or sub-programme budget line."""
    prog = report.programme
    if d.kind == "indicator":
        ind = prog.indicators.get(d.code)
        return (ind.name, ind.unit) if ind else (d.code, "")
    sp = next((s for s in prog.subprogrammes if s.code == d.code), None)
    return (sp.name if sp else d.code), prog.money_unit


def difference_lines(report: Consolidated) -> list[DifferenceLine]:
    names = unit_names(report)
    out = []
    for r in report.reconciliations:
        for d in r.differences:
            name, unit = _what(report, d)
            out.append(
                DifferenceLine(
                    names.get(r.unit_code, r.unit_code),
                    _period_title(r.period_code),
                    r.file_name,
                    r.finer_files,
                    d.code,
                    name,
                    d.source,
                    unit,
                    d.finer_total,
                    d.coarser,
                    d.change,
                )
            )
    return out


def _difference_text(report: Consolidated, d: Difference, words: str) -> str:
    name, unit = _what(report, d)
    unit_text = f" {unit}" if unit else ""
    if d.kind == "indicator":
        what = f"{d.code} ({name})"
    else:
        what = f"kinh phí {d.code} ({name}) nguồn {d.source}" if d.source else f"kinh phí {d.code} ({name})"
    if d.level:
        words = "số cuối kỳ của báo cáo được thay thế kết thúc sau cùng"
    return f"{what} từ {number(d.finer_total)} ({words}) thành {number(d.coarser)}{unit_text} ({signed(d.change)})"


def reconciliation_note(report: Consolidated, r: Reconciliation) -> str:
    """ "Đồng Xoài, quý III năm 2012: báo cáo quý điều chỉnh P1.2 (…) từ 4 (tổng các tháng) thành 10 người (+6); …" """
    name = unit_names(report).get(r.unit_code, r.unit_code)
    name = name[:1].upper() + name[1:]  # it opens the sentence ("thị xã Phước Long" -> "Thị xã Phước Long")
    kind, words = _coarser_kind(r.period_code), _finer_words(r.period_code)
    head = f"{name}, {_period_title(r.period_code)}: {kind} ({r.file_name}) được tính thay cho "
    head += f"{len(r.finer_files)} báo cáo đã gửi trước ({r.finer_months}/{r.months} tháng)"
    changes = "; ".join(_difference_text(report, d, words) for d in r.differences)
    return f"{head}, điều chỉnh {changes}."


def reconciliation_notes(report: Consolidated) -> list[str]:
    """Notes for the reconciliations that changed a figure."""
    return [reconciliation_note(report, r) for r in report.reconciliations if r.differences]


def shown_notes(items: Sequence[object], units: int) -> tuple[list[object], int]:
    """(what the PDF prints, how many it leaves to the Excel workbook): every item when they come from at most
    NAMED_MAX units (a province), else the first NOTES_MAX."""
    if units <= NAMED_MAX or len(items) <= NOTES_MAX:
        return list(items), 0
    return list(items[:NOTES_MAX]), len(items) - NOTES_MAX


def reconciliation_summary(report: Consolidated, lead_in: bool = False) -> str:
    """How many coarser reports replaced finer ones, and how many matched them exactly ("" if none did).

    With `lead_in`, a sentence followed by the notes ends in "như sau:"."""
    recs = report.reconciliations
    if not recs:
        return ""
    kinds = {_coarser_kind(r.period_code) for r in recs}
    kind = kinds.pop() if len(kinds) == 1 else "báo cáo nhiều tháng"
    words = "tổng các tháng" if kind == "báo cáo quý" else "tổng các báo cáo được thay thế"
    matched = sum(1 for r in recs if not r.differences)
    changed = len(recs) - matched
    text = f"Có {len(recs)} {kind} được tính thay cho các báo cáo đã gửi trước trong cùng kỳ"
    if not changed:
        whose = "số liệu" if len(recs) == 1 else f"số liệu của cả {len(recs)} báo cáo"
        return text + f"; {whose} khớp đúng với {words}."
    if matched:
        text += f"; {matched} báo cáo khớp đúng với {words}, {changed} báo cáo có điều chỉnh"
    else:
        text += "; số liệu có điều chỉnh" if changed == 1 else f"; cả {changed} báo cáo đều có điều chỉnh"
    return text + (" như sau:" if lead_in else ".")


def straddling_note(report: Consolidated) -> str:
    """Why the cumulative figure before the period plus the period's figure may differ from the cumulative
    figure: reports counted in the cumulative figure that also cover months before the period ("" if none)."""
    if not report.straddling:
        return ""
    names = unit_names(report)
    items = [
        f"{names.get(s.unit_code, s.unit_code)}, {_period_title(s.period_code)} (tệp {printable(s.file_name)})"
        for s in report.straddling
    ]
    many = len(items) > 1
    return (
        f"Số lũy kế đến hết {report.period.title} tính cả {number(len(items))} báo cáo gồm cả các tháng trước "
        f"kỳ này: {'; '.join(items)}. {'Các báo cáo này' if many else 'Báo cáo này'} không nằm trọn trong kỳ "
        "nên không được tính vào số liệu trong kỳ; vì vậy số lũy kế đến kỳ trước cộng số liệu trong kỳ có thể "
        "khác số lũy kế đến hết kỳ."
    )


def reconciliation_heading(report: Consolidated) -> str:
    kinds = {_coarser_kind(r.period_code) for r in report.reconciliations}
    return "Điều chỉnh theo báo cáo quý" if kinds == {"báo cáo quý"} else "Điều chỉnh theo báo cáo nhiều tháng"


# --- pace ---------------------------------------------------------------------------------------------


def pace_index(report: Consolidated) -> dict[tuple[str, str], Pace]:
    """(kind, code) -> pace; kind "indicator" (indicator code) or "budget" (sub-programme code)."""
    return {(p.kind, p.code): p for p in report.pace}


def pace_margin(report: Consolidated) -> Decimal:
    return report.pace[0].margin if report.pace else ReportingRules().pace_margin


def elapsed_months(report: Consolidated) -> tuple[int, int]:
    """(months of the programme passed by the end of the period, months of the programme)."""
    total = report.programme.years * 12
    return min(len(report.cumulative_period), total), total


def pace_legend(report: Consolidated) -> str:
    """What the "Tiến độ yêu cầu" column and the flag mean."""
    done, total = elapsed_months(report)
    bases = {p.basis for p in report.pace}
    margin = number(pace_margin(report) * 100)
    text = f"Tiến độ yêu cầu: tỷ lệ mục tiêu giai đoạn phải đạt đến hết {_period_end_title(report)}, "
    if bases == {"kế hoạch năm"}:
        text += "theo kế hoạch năm"
    elif "kế hoạch năm" in bases:
        text += f"theo kế hoạch năm nếu có, nếu không thì chia đều theo thời gian ({done}/{total} tháng)"
    else:
        text += f"chia đều mục tiêu theo thời gian ({done}/{total} tháng = {percent(Decimal(done) / total)})"
    return text + f". {FLAG} Chậm tiến độ: tỷ lệ đạt thấp hơn tiến độ yêu cầu trên {margin} điểm phần trăm."


def _period_end_title(report: Consolidated) -> str:
    y, m = report.period.last
    return f"tháng {m} năm {y}"


def behind_lines(report: Consolidated, kind: str) -> list[str]:
    """One line per indicator (kind "indicator") or budget line ("budget") behind pace."""
    out = []
    for p in report.behind_pace:
        if p.kind != kind:
            continue
        gap = number(-(p.gap or ZERO) * 100, 1)
        verb = "lũy kế" if kind == "indicator" else "đã thực hiện"
        out.append(
            f"{p.code} {p.name}: {verb} {number(p.achieved)}/{number(p.target)} {p.unit}, đạt "
            f"{percent(p.share)}, tiến độ yêu cầu {percent(p.expected_share)} (chậm {gap} điểm phần trăm)."
        )
    return out


def budget_total_expected(report: Consolidated) -> Decimal | None:
    """The expected share for the budget's totals row: the sub-programmes' one when they all share it."""
    shares = {p.expected_share for p in report.pace if p.kind == "budget"}
    return shares.pop() if len(shares) == 1 else None


# --- funding by year ---------------------------------------------------------------------------------------


def year_label(y: FundingYear) -> str:
    """ "2012 (đến tháng 9)" for a year the period ends in, else "2011"."""
    return f"{y.year} (đến tháng {y.months})" if y.months < 12 else str(y.year)


def share_of(value: Decimal, whole: Decimal | None) -> Decimal | None:
    return value / whole if whole else None


def funding_note(report: Consolidated) -> str:
    """The sentence on the share spent in the priority areas (seed, Điều 2)."""
    f = report.funding
    if f is None or not f.years:
        return ""
    spent = sum((y.priority for y in f.years), ZERO)
    names = [u.unit_name for u in completeness_of(report).rows if u.priority]
    where = f"các địa bàn ưu tiên ({named(names)})" if names else "các địa bàn ưu tiên"
    if f.priority_share is None:
        return f"Chưa có kinh phí thực hiện để tính tỷ lệ tại {where}."
    return (
        f"Lũy kế từ đầu Chương trình đến hết {_period_end_title(report)}, kinh phí thực hiện tại {where} là "
        f"{number(spent)} {report.programme.money_unit}, chiếm {percent(f.priority_share)} tổng kinh phí "
        "đã thực hiện."
    )


# --- growth ----------------------------------------------------------------------------------------------


def growth_objective(report: Consolidated) -> str:
    """ "mục tiêu tăng bình quân 15-20 %/năm" """
    g = report.programme.growth
    if g is None:
        return ""
    return f"mục tiêu tăng bình quân {number(g.low * 100)}-{number(g.high * 100)} %/năm"


def growth_below(report: Consolidated, growth: Decimal | None) -> bool:
    g = report.programme.growth
    return g is not None and growth is not None and growth < g.low


def keep_percent(text: str) -> str:
    """Sentences: keep "%" on the line of its number ("36,7 %" never breaks before the sign)."""
    return text.replace(" %", "\u00a0%")


# --- the official document: numbers, sections, appendices ---------------------------------------------------

NATIONAL = "KCQG"  # the national khuyến công funds, set apart for the Bộ Công Thương
SECTION_TITLES = {
    "results": "KẾT QUẢ THỰC HIỆN CÁC NỘI DUNG CỦA CHƯƠNG TRÌNH",
    "funding": "KINH PHÍ THỰC HIỆN",
    "reporting": "TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ",
    "difficulties": "KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ",
    "tasks": "NHIỆM VỤ",  # + the next period ("NHIỆM VỤ QUÝ IV NĂM 2012")
}
APPENDIX_TITLES = {
    "results": "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA CHƯƠNG TRÌNH KHUYẾN CÔNG",
    "funding": "KINH PHÍ THỰC HIỆN THEO CHƯƠNG TRÌNH VÀ NGUỒN VỐN",
    "units": "KẾT QUẢ THỰC HIỆN THEO ĐƠN VỊ",
    "kcqg": "SỬ DỤNG KINH PHÍ KHUYẾN CÔNG QUỐC GIA THEO CHƯƠNG TRÌNH",
    "reporting": "TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ",
}


def appendix_numbers(recipient: Recipient) -> dict[str, str]:
    """Appendix key -> its number in this recipient's copy ("01", "02" …), in the recipient's order."""
    return {key: f"{i:02d}" for i, key in enumerate(recipient.appendices, start=1)}


def appendix_ref(recipient: Recipient, key: str) -> str:
    """ " (chi tiết tại Phụ lục 01)" or "" when the recipient's copy has no such appendix."""
    no = appendix_numbers(recipient).get(key)
    return f" (chi tiết tại Phụ lục {no})" if no else ""


def cite(text: str, recipient: Recipient, key: str) -> str:
    """`text` with " (chi tiết tại Phụ lục 01)" before its final full stop, when the copy has that appendix."""
    ref = appendix_ref(recipient, key)
    return f"{text[:-1]}{ref}." if ref and text.endswith(".") else text + ref


def attachment_line(report: Consolidated, issuer: Issuer, number: int | None) -> str:
    """ "(Kèm theo Báo cáo số 05/BC-SCT ngày 05 tháng 01 năm 2013 của Sở Công Thương)" """
    no = issuer.document_number(number).removeprefix("Số:").strip("\u00a0 ")
    if number is None:
        no = "\u00a0" * 6 + no
    return f"(Kèm theo Báo cáo số {no} {long_date(report.generated_on)} của {issuer.short_name})"


def next_period(period: Period, programme: Programme) -> Period | None:
    """The period after `period` of the same kind, if it starts within the programme."""
    y, m = period.last
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    if ny > programme.last_year:
        return None
    match period.kind:
        case Kind.MONTH:
            return month(ny, nm)
        case Kind.QUARTER | Kind.NINE_MONTHS:
            return quarter(ny, (nm - 1) // 3 + 1)
        case Kind.HALF:
            return Period((ny, nm), (ny, nm + 5), Kind.HALF)
        case Kind.YEAR:
            return year(ny)
    return None


# --- section I: results in sentences ---------------------------------------------------------------------


@dataclass(frozen=True)
class ResultSection:
    """A sub-programme's results in sentences: one line per indicator, then its funding."""

    code: str
    name: str
    lines: tuple[str, ...]
    budget_line: str


def _contributors(report: Consolidated, code: str) -> str:
    """ "Bù Đăng 30, Đồng Xoài 15" — the units that did something for indicator `code` in the period; beyond
    NAMED_MAX units, the NAMED_SHOWN largest "và 287 đơn vị khác cộng 1.234" (the parts add up to the figure)."""
    units = [(u.unit_name, u.results[code]) for u in report.by_unit if u.results.get(code)]
    if len(units) <= NAMED_MAX:
        return ", ".join(f"{name} {number(v)}" for name, v in units)
    largest = sorted(units, key=lambda u: u[1], reverse=True)  # stable: equal figures keep the units' order
    shown, rest = largest[:NAMED_SHOWN], largest[NAMED_SHOWN:]
    listed = ", ".join(f"{name} {number(v)}" for name, v in shown)
    return f"{listed} và {len(rest)} đơn vị khác cộng {number(sum((v for _, v in rest), ZERO))}"


def indicator_sentence(report: Consolidated, row: IndicatorRow, p: Pace | None, by_unit: bool = False) -> str:
    """ "Đào tạo mới 45 lao động (huyện Bù Đăng 30, …); lũy kế 180/300 lao động, đạt 60,0 % kế hoạch giai
    đoạn." - from the indicator's phrase in the programme file when it has one, else "<name>: trong kỳ thực
    hiện 45 người; …" (with who did it when `by_unit`, and the pace when behind or done)."""
    indicator = report.programme.indicators.get(row.code)
    phrase = indicator.phrase if indicator is not None else None
    noun = (indicator.noun if indicator is not None else None) or row.unit
    unit = f" {row.unit}" if row.unit else ""
    who = _contributors(report, row.code) if by_unit and row.in_period else ""
    if row.in_period and phrase:
        now = phrase.replace("{n}", number(row.in_period)) + (f" ({who})" if who else "")
    elif row.in_period:
        now = f"{row.name}: trong kỳ thực hiện {number(row.in_period)}{unit}" + (f" ({who})" if who else "")
    else:
        now = f"{row.name}: trong kỳ chưa thực hiện"
    if row.target:
        total = f"lũy kế {number(row.cumulative)}/{number(row.target)} {noun}, "
        total += f"đạt {percent(row.share)} kế hoạch giai đoạn"
        if p is not None and p.behind:
            total += f", chậm tiến độ (tiến độ yêu cầu {percent(p.expected_share)})"
        elif row.share is not None and row.share >= 1:
            total += ", đã hoàn thành kế hoạch giai đoạn"
    else:
        total = f"lũy kế {number(row.cumulative)} {noun}"
    return keep_percent(f"{now}; {total}.")


def budget_sentence(report: Consolidated, b: BudgetRow, p: Pace | None) -> str:
    """ "Kinh phí: trong kỳ 35,56 triệu đồng (KCQG 20,56; KCĐP 15); lũy kế 200,5/1.260 triệu đồng, đạt 15,9 %
    kế hoạch giai đoạn." """
    money = report.programme.money_unit
    if b.in_period_total:
        parts = "; ".join(f"{s} {number(v)}" for s, v in b.in_period.items() if v)
        now = f"trong kỳ {number(b.in_period_total)} {money} ({parts})"
    else:
        now = "trong kỳ chưa phát sinh"
    total = f"lũy kế {number(b.cumulative_total)}/{number(b.budget_total)} {money}"
    if b.share is not None:
        total += f", đạt {percent(b.share)} kế hoạch giai đoạn"
    if p is not None and p.behind:
        total += f", chậm tiến độ (tiến độ yêu cầu {percent(p.expected_share)})"
    return keep_percent(f"Kinh phí thực hiện: {now}; {total}.")


def result_sections(report: Consolidated, recipient: Recipient) -> list[ResultSection]:
    paces = pace_index(report)
    budgets = {b.subprogramme: b for b in report.budget}
    out = []
    for group in indicator_groups(report):
        lines = tuple(
            indicator_sentence(report, r, paces.get(("indicator", r.code)), recipient.unit_detail) for r in group.rows
        )
        b = budgets.get(group.code)
        line = budget_sentence(report, b, paces.get(("budget", b.subprogramme))) if b else ""
        out.append(ResultSection(group.code, group.name, lines, line))
    return out


def results_summary(report: Consolidated) -> str:
    """The opening sentence of section I: how many targets are on pace, which are behind."""
    done, total = elapsed_months(report)
    targeted = [r for r in report.indicators if r.target]
    text = (
        f"Lũy kế từ đầu Chương trình đến hết {_period_end_title(report)} ({done}/{total} tháng của giai "
        f"đoạn), Chương trình có {len(targeted)} chỉ tiêu có mục tiêu giai đoạn"
    )
    if not report.pace:
        return text + "."
    behind = [p.code for p in report.behind_pace if p.kind == "indicator"]
    finished = [r.code for r in targeted if r.share is not None and r.share >= 1]
    text += f", trong đó {len(targeted) - len(behind)} chỉ tiêu đạt tiến độ yêu cầu"
    if finished:
        text += f" ({len(finished)} chỉ tiêu đã hoàn thành kế hoạch giai đoạn)"
    if behind:
        text += f" và {len(behind)} chỉ tiêu chậm tiến độ ({', '.join(behind)})"
    return text + "."


def progress_bars(report: Consolidated) -> list[charts.ProgressBar]:
    paces = pace_index(report)
    out = []
    for group in indicator_groups(report):
        for r in group.rows:
            if not r.target:
                continue
            p = paces.get(("indicator", r.code))
            out.append(
                charts.ProgressBar(
                    r.code,
                    r.name,
                    r.share,
                    p.expected_share if p else None,
                    bool(p and p.behind),
                    f"{group.code} {group.name}",
                )
            )
    return out


def progress_svg(report: Consolidated) -> str:
    bars = progress_bars(report)
    return charts.progress_chart(bars) if bars else ""


# --- section II: funding in sentences ---------------------------------------------------------------------


def funding_summary(report: Consolidated) -> list[str]:
    """Sentences on spending in the period and since the programme began, by source."""
    t, money = report.budget_totals, report.programme.money_unit
    names = {s.code: s.name for s in report.programme.sources}
    if t.in_period_total:
        parts = ", ".join(f"{names.get(s, s)} ({s}) {number(v)} {money}" for s, v in t.in_period.items() if v)
        first = f"Kinh phí thực hiện trong kỳ là {number(t.in_period_total)} {money}, gồm: {parts}."
    else:
        first = "Trong kỳ chưa phát sinh kinh phí thực hiện."
    by_source = "; ".join(
        f"{s} {number(t.cumulative[s])}/{number(t.budget[s])} {money} "
        f"({percent(share_of(t.cumulative[s], t.budget[s]))})"
        for s in report.programme.source_codes
    )
    second = (
        f"Lũy kế từ đầu Chương trình đến hết {_period_end_title(report)}, kinh phí thực hiện là "
        f"{number(t.cumulative_total)}/{number(t.budget_total)} {money}, đạt {percent(t.share)} kế hoạch "
        f"giai đoạn; theo nguồn: {by_source}."
    )
    return [keep_percent(first), keep_percent(second)]


def funding_bars(report: Consolidated) -> list[charts.FundingBar]:
    f = report.funding
    return [charts.FundingBar(year_label(y), dict(y.by_source)) for y in f.years] if f else []


def funding_svg(report: Consolidated) -> str:
    f = report.funding
    if f is None or not f.years:
        return ""
    sources = [(s.code, s.name) for s in report.programme.sources]
    return charts.funding_chart(
        funding_bars(report), sources, unit=report.programme.money_unit, average=f.average_per_year
    )


@dataclass(frozen=True)
class NationalRow:
    """A sub-programme's use of the national funds (KCQG)."""

    code: str
    name: str
    budget: Decimal
    in_period: Decimal
    cumulative: Decimal
    cumulative_all: Decimal  # all sources, for the share of KCQG in what was spent

    @property
    def share(self) -> Decimal | None:
        return share_of(self.cumulative, self.budget)

    @property
    def weight(self) -> Decimal | None:
        return share_of(self.cumulative, self.cumulative_all)


def national_rows(report: Consolidated) -> list[NationalRow]:
    """Every sub-programme's KCQG line, then the totals row (code "")."""
    rows = [
        NationalRow(
            b.subprogramme,
            b.name,
            b.budget.get(NATIONAL, ZERO),
            b.in_period.get(NATIONAL, ZERO),
            b.cumulative.get(NATIONAL, ZERO),
            b.cumulative_total,
        )
        for b in report.budget
    ]
    t = report.budget_totals
    return rows + [
        NationalRow(
            "",
            "Tổng cộng",
            t.budget.get(NATIONAL, ZERO),
            t.in_period.get(NATIONAL, ZERO),
            t.cumulative.get(NATIONAL, ZERO),
            t.cumulative_total,
        )
    ]


def national_summary(report: Consolidated) -> str:
    """The paragraph on the national funds for the Bộ Công Thương."""
    if NATIONAL not in report.programme.source_codes:
        return ""
    rows = national_rows(report)
    t, money = rows[-1], report.programme.money_unit
    used = [f"{r.code} {number(r.in_period)} {money}" for r in rows[:-1] if r.in_period]
    text = (
        f"Kinh phí khuyến công quốc gia ({NATIONAL}) của Chương trình giai đoạn là {number(t.budget)} {money}. "
        f"Trong kỳ đã sử dụng {number(t.in_period)} {money}"
    )
    text += f" ({'; '.join(used)})" if used else ""
    text += (
        f"; lũy kế từ đầu Chương trình {number(t.cumulative)} {money}, đạt {percent(t.share)} kế hoạch "
        f"giai đoạn và chiếm {percent(t.weight)} tổng kinh phí đã thực hiện."
    )
    return keep_percent(text)


# --- section III: how the units reported -------------------------------------------------------------------


def reporting_sentences(report: Consolidated) -> list[str]:
    """Completeness, then the units missing, short of months or late, by name."""
    c = completeness_of(report)
    out = [
        f"{number(len(report.reporting_units))}/{number(len(report.units))} đơn vị đã báo cáo. "
        f"{completeness_summary(report)}"
    ]
    missing = report.missing_units
    rejected = report.rejected_units
    if missing:
        out.append(f"Các đơn vị chưa báo cáo: {named([u.unit_name for u in missing])}.")
    if rejected:
        out.append(
            "Các đơn vị đã gửi báo cáo nhưng báo cáo bị từ chối (chưa gửi lại bản đạt yêu cầu): "
            + named([f"{u.unit_name} ({'; '.join(u.rejected_files)})" for u in rejected], "; ")
            + "."
        )
    if not missing and not rejected:
        out.append("Tất cả các đơn vị đã báo cáo.")
    partial = [u for u in c.partial_units if u.reported]
    if partial:
        out.append(
            "Các đơn vị báo cáo chưa đủ số tháng: "
            + named([f"{u.unit_name} (thiếu {month_list(u.missing_months)})" for u in partial], "; ")
            + "."
        )
    late = [u for u in c.rows if u.late_files]
    if late:  # beyond a province's units, how many files each rather than their names
        few = len(late) <= NAMED_MAX
        parts = [
            f"{u.unit_name} ({', '.join(u.late_files) if few else f'{number(len(u.late_files))} tệp'})" for u in late
        ]
        out.append(f"Các đơn vị nộp báo cáo trễ hạn: {named(parts, '; ')}.")
    if report.rejected:
        out.append(f"Có {number(len(report.rejected))} tệp bị từ chối, xem biên nhận.")
    return [keep_percent(x) for x in out]


# --- section V: tasks for the next period --------------------------------------------------------------


def task_groups(report: Consolidated) -> list[tuple[str, str, tuple[str, ...]]]:
    """(code, name, tasks) of every sub-programme the programme file gives tasks for."""
    return [(sp.code, sp.name, sp.tasks) for sp in report.programme.subprogrammes if sp.tasks]


def _day(value: date | datetime | None) -> str:
    return short_date(value.date() if isinstance(value, datetime) else value)


def _note(text: str) -> str:
    """An officer's note as the PDF shows it: printable, at most NOTE_CHARS characters."""
    shown, cut = officer_note(text, NOTE_CHARS)
    return shown + " (toàn văn trong tệp Excel, sheet YKien)" if cut else shown


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=number,
        pct=percent,
        day=_day,
        long_date=long_date,
        months=month_list,
        signed=signed,
        keep=keep_percent,
        sentence=lambda text: text[:1].upper() + text[1:],
        note=_note,
    )
    return env


def shared_context(report: Consolidated) -> dict[str, object]:
    """What every recipient's copy shows alike - the charts (SVG), the sentences, the tables' rows: made once
    per report and given to render_html for each recipient."""
    units = report.units
    notes, notes_left_out = shown_notes(report.notes, len({n.unit_name for n in report.notes}))
    changed = [r for r in report.reconciliations if r.differences]
    reconciliation_notes_, reconciliations_left_out = shown_notes(
        reconciliation_notes(report), len({r.unit_code for r in changed})
    )
    following = next_period(report.period, report.programme)
    return {
        "report": report,
        "programme": report.programme,
        "period": report.period,
        "section_titles": SECTION_TITLES,
        "appendix_titles": APPENDIX_TITLES,
        "next_period": following,
        "task_groups": task_groups(report),
        "results_summary": keep_percent(results_summary(report)),
        "progress_chart": Markup(progress_svg(report)),
        "funding_chart": Markup(funding_svg(report)),
        "funding_summary": funding_summary(report),
        "national_code": NATIONAL,
        "reporting_sentences": reporting_sentences(report),
        "groups": indicator_groups(report),
        "budget_totals": report.budget_totals,
        "reported_count": len(report.reporting_units),
        "late_count": sum(1 for u in units if u.late_files),
        **by_unit_totals(report),
        "notes": notes,
        "notes_left_out": notes_left_out,
        "flag": FLAG,
        "roman": ROMAN,
        "completeness": completeness_of(report),
        "completeness_summary": completeness_summary(report),
        "unit_remark": unit_remark,
        "reconciliation_heading": reconciliation_heading(report),
        "reconciliation_summary": reconciliation_summary(report, lead_in=True),
        "reconciliation_notes": reconciliation_notes_,
        "reconciliations_left_out": reconciliations_left_out,
        "straddling_note": straddling_note(report),
        "pace": pace_index(report),
        "pace_legend": pace_legend(report) if report.pace else "",
        "behind_indicators": behind_lines(report, "indicator"),
        "behind_budget": behind_lines(report, "budget"),
        "budget_total_expected": budget_total_expected(report),
        "funding": report.funding,
        "funding_note": funding_note(report),
        "year_label": year_label,
        "share_of": share_of,
        "period_title": _period_title,
        "context_partial": any(c.units_reporting < c.units_expected for c in report.context),
        "growth_objective": growth_objective(report),
        "growth_below": lambda g: growth_below(report, g),
    }


def render_html(
    report: Consolidated,
    recipient: Recipient,
    issuer: Issuer,
    number: int | None = None,
    shared: dict[str, object] | None = None,
) -> str:
    """The report as a self-contained HTML page (NFC), for preview and for the PDF.

    `number` is the document's number ("Số: 05/BC-SCT"); None leaves it blank for the office to fill in.
    `shared` is shared_context(report), when it is already made (for another recipient)."""
    shared = shared_context(report) if shared is None else shared
    following = shared["next_period"]
    sections = [k for k in recipient.sections if k != "tasks" or (following is not None and shared["task_groups"])]
    layout = by_unit_layout(report, recipient)
    reporting_rows_, reporting_left_out = reporting_rows(report, recipient)
    context = {
        **shared,
        "recipient": recipient,
        "issuer": issuer,
        "doc_number": issuer.document_number(number),
        "attachment": attachment_line(report, issuer, number),
        "sections": sections,
        "appendices": list(recipient.appendices),
        "appendix_no": appendix_numbers(recipient),
        "cite": lambda text, key: cite(text, recipient, key),
        "result_sections": result_sections(report, recipient),
        "national": national_rows(report) if recipient.kcqg_separate else [],
        "national_summary": national_summary(report) if recipient.kcqg_separate else "",
        "unit_layout": layout,
        "by_unit_tables": by_unit_tables(report.by_unit) if layout == "columns" else [],
        "unit_groups": unit_column_groups(report.programme) if layout == "rows" else [],
        "unit_summary": unit_summary(report) if layout == "summary" else [],
        "units_pointer": excel_pointer(report, recipient, "units") if "units" in recipient.appendices else "",
        "reporting_rows": reporting_rows_,
        "reporting_left_out": reporting_left_out,
        "notes_pointer": excel_file_sheet(report, recipient, "YKien"),
        "reconciliations_pointer": excel_file_sheet(report, recipient, "DieuChinh"),
    }
    return nfc(_environment().get_template(TEMPLATE).render(context))


class PdfWriter:
    """WeasyPrint set up once for every PDF of a run: one font configuration, and the report's stylesheet
    (the page's <style>, the same for every recipient) parsed once rather than once per document."""

    def __init__(self) -> None:
        self.fonts = FontConfiguration()
        self._sheets: dict[str, CSS] = {}

    def write(self, html: str, out_path: Path) -> Path:
        """Render `html` (render_html's page) to `out_path` (written atomically) and return that path."""
        body, css = _split_style(html)
        sheet = self._sheets.get(css)
        if sheet is None:
            sheet = self._sheets[css] = CSS(
                string=css, base_url=str(TEMPLATES_DIR), url_fetcher=SafeFetcher(), font_config=self.fonts
            )
        # Given apart, the sheet is of the "user" origin rather than the "author" one: the same cascade here,
        # since the page has no other stylesheet and report.css uses no !important.
        doc = HTML(string=body, base_url=str(TEMPLATES_DIR), url_fetcher=SafeFetcher())
        with atomic_output(out_path) as tmp:
            doc.write_pdf(tmp, stylesheets=[sheet], font_config=self.fonts)
        return out_path


def _split_style(html: str) -> tuple[str, str]:
    """(the page without its first <style> element, that element's CSS): the template inlines report.css in
    the head, before anything that comes from inputs (which is escaped anyway)."""
    start = html.find("<style>")
    end = html.find("</style>", start)
    if start < 0 or end < 0:
        return html, ""
    return html[:start] + html[end + len("</style>") :], html[start + len("<style>") : end]


def render_pdf(
    report: Consolidated, recipient: Recipient, issuer: Issuer, out_path: Path, number: int | None = None
) -> Path:
    """Render the report to `out_path` (written atomically) and return that path."""
    return PdfWriter().write(render_html(report, recipient, issuer, number), out_path)


def write_page(html: str, out_path: Path) -> Path:
    """Write a page render_html made (the PDF's own input) as the HTML preview, atomically; return its path."""
    with atomic_output(out_path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return out_path
