"""Render the consolidated report as HTML (preview) and PDF (Jinja2 + WeasyPrint).

The template is ``templates/report.html.j2``; it inlines ``templates/report.css`` so the HTML preview
stands alone. Everything that came from inputs is escaped (autoescape on), and WeasyPrint may only load
``data:`` URLs and files inside the templates folder (``SafeFetcher``).

The helpers below turn the record's newer parts (completeness, reconciliations, pace, funding by year,
context indicators and growth) into rows and Vietnamese sentences; the Excel writer uses the same ones.
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
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from pipeline.aggregating import ZERO, Consolidated, IndicatorRow, UnitRow
from pipeline.completeness import Completeness, ReportingRules, UnitStatus
from pipeline.files import atomic_output
from pipeline.formatting import long_date, number, percent, short_date
from pipeline.paths import TEMPLATES_DIR
from pipeline.periods import Kind, PeriodError, parse_period
from pipeline.progress import FundingYear, Pace
from pipeline.recipients import Issuer, Recipient
from pipeline.rollup import Difference, Reconciliation
from pipeline.text import nfc

TEMPLATE = "report.html.j2"
MAX_UNITS_PER_TABLE = 10  # unit columns per table in the by-unit section (landscape A4)
FLAG = "\u25bc"  # ▼ marks a line behind pace or a year below the growth objective (legible in black and white)
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
COARSER = {Kind.QUARTER: "báo cáo quý", Kind.HALF: "báo cáo 6 tháng", Kind.NINE_MONTHS: "báo cáo 9 tháng",
           Kind.YEAR: "báo cáo năm"}


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
        return "chưa báo cáo" if u.months_expected else ""
    parts = []
    if u.months_covered < u.months_expected:
        parts.append(f"thiếu {u.months_expected - u.months_covered} tháng")
    if u.late_files:
        parts.append("trễ hạn")
    return "; ".join(parts)


def completeness_summary(report: Consolidated) -> str:
    """ "Đã nhận báo cáo cho 31/33 tháng-đơn vị (93,9 %), trong đó 29 tháng-đơn vị đúng hạn (87,9 %) …" """
    c = completeness_of(report)
    if not c.expected:
        return "Không có đơn vị nào phải báo cáo trong kỳ."
    text = (f"Đã nhận báo cáo cho {c.received}/{c.expected} tháng-đơn vị ({percent(c.rate)}), trong đó "
            f"{c.on_time}/{c.expected} tháng-đơn vị đúng hạn ({percent(c.on_time_rate)}) và {c.late} tháng-đơn vị "
            "trễ hạn")
    extra = []
    if c.missing_units:
        extra.append(f"{len(c.missing_units)} đơn vị chưa báo cáo")
    if c.partial_units:
        extra.append(f"{len(c.partial_units)} đơn vị báo cáo chưa đủ số tháng")
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
            out.append(DifferenceLine(names.get(r.unit_code, r.unit_code), _period_title(r.period_code), r.file_name,
                                      r.finer_files, d.code, name, d.source, unit, d.finer_total, d.coarser, d.change))
    return out


def _difference_text(report: Consolidated, d: Difference, words: str) -> str:
    name, unit = _what(report, d)
    unit_text = f" {unit}" if unit else ""
    if d.kind == "indicator":
        what = f"{d.code} ({name})"
    else:
        what = f"kinh phí {d.code} ({name}) nguồn {d.source}" if d.source else f"kinh phí {d.code} ({name})"
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
    text = (f"Tiến độ yêu cầu: tỷ lệ mục tiêu giai đoạn phải đạt đến hết {_period_end_title(report)}, ")
    if bases == {"kế hoạch năm"}:
        text += "theo kế hoạch năm"
    elif "kế hoạch năm" in bases:
        text += f"theo kế hoạch năm nếu có, nếu không thì chia đều theo thời gian ({done}/{total} tháng)"
    else:
        text += f"chia đều mục tiêu theo thời gian ({done}/{total} tháng = {percent(Decimal(done) / total)})"
    return (text + f". {FLAG} Chậm tiến độ: tỷ lệ đạt thấp hơn tiến độ yêu cầu trên {margin} điểm phần trăm.")


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
        out.append(f"{p.code} {p.name}: {verb} {number(p.achieved)}/{number(p.target)} {p.unit}, đạt "
                   f"{percent(p.share)}, tiến độ yêu cầu {percent(p.expected_share)} (chậm {gap} điểm phần trăm).")
    return out


def budget_total_expected(report: Consolidated) -> Decimal | None:
    """The expected share for the budget's totals row: the sub-programmes' one when they all share it."""
    shares = {p.expected_share for p in report.pace if p.kind == "budget"}
    return shares.pop() if len(shares) == 1 else None


# --- funding by year ---------------------------------------------------------------------------------------

def year_label(y: FundingYear) -> str:
    """ "2012 (đến tháng 9)" for a year the period ends in, else "2011". """
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
    where = f"các địa bàn ưu tiên ({', '.join(names)})" if names else "các địa bàn ưu tiên"
    if f.priority_share is None:
        return f"Chưa có kinh phí thực hiện để tính tỷ lệ tại {where}."
    return (f"Lũy kế từ đầu Chương trình đến hết {_period_end_title(report)}, kinh phí thực hiện tại {where} là "
            f"{number(spent)} {report.programme.money_unit}, chiếm {percent(f.priority_share)} tổng kinh phí "
            "đã thực hiện.")


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


def _day(value: date | datetime | None) -> str:
    return short_date(value.date() if isinstance(value, datetime) else value)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=number, pct=percent, day=_day, long_date=long_date, months=month_list, signed=signed,
                       keep=keep_percent)
    return env


def render_html(report: Consolidated, recipient: Recipient, issuer: Issuer) -> str:
    """The report as a self-contained HTML page (NFC), for preview and for the PDF."""
    units = report.units
    context = {
        "report": report,
        "programme": report.programme,
        "period": report.period,
        "recipient": recipient,
        "issuer": issuer,
        "groups": indicator_groups(report),
        "budget_totals": report.budget_totals,
        "reported_count": len(report.reporting_units),
        "late_count": sum(1 for u in units if u.late_files),
        "by_unit_tables": by_unit_tables(report.by_unit) if recipient.unit_detail else [],
        **by_unit_totals(report),
        "flag": FLAG,
        "roman": ROMAN,
        "completeness": completeness_of(report),
        "completeness_summary": completeness_summary(report),
        "unit_remark": unit_remark,
        "reconciliation_heading": reconciliation_heading(report),
        "reconciliation_summary": reconciliation_summary(report, lead_in=True),
        "reconciliation_notes": reconciliation_notes(report),
        "pace": pace_index(report),
        "pace_legend": pace_legend(report) if report.pace else "",
        "behind_indicators": behind_lines(report, "indicator"),
        "behind_budget": behind_lines(report, "budget"),
        "budget_total_expected": budget_total_expected(report),
        "funding": report.funding,
        "funding_note": funding_note(report),
        "year_label": year_label,
        "share_of": share_of,
        "context_partial": any(c.units_reporting < c.units_expected for c in report.context),
        "growth_objective": growth_objective(report),
        "growth_below": lambda g: growth_below(report, g),
    }
    return nfc(_environment().get_template(TEMPLATE).render(context))


def render_pdf(report: Consolidated, recipient: Recipient, issuer: Issuer, out_path: Path) -> Path:
    """Render the report to `out_path` (written atomically) and return that path."""
    html = HTML(
        string=render_html(report, recipient, issuer),
        base_url=str(TEMPLATES_DIR),
        url_fetcher=SafeFetcher(),
    )
    with atomic_output(out_path) as tmp:
        html.write_pdf(tmp)
    return out_path


def write_html(report: Consolidated, recipient: Recipient, issuer: Issuer, out_path: Path) -> Path:
    """Write the HTML preview (same template as the PDF) atomically and return its path."""
    with atomic_output(out_path) as tmp:
        tmp.write_text(render_html(report, recipient, issuer), encoding="utf-8")
    return out_path
