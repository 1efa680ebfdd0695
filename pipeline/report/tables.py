"""The rows of the report's tables, from the consolidated record: indicators by sub-programme, the results by
unit (as columns, as rows or summarised), the national funds, completeness, reconciliations, pace, funding by
year and the charts' bars. Figures stay Decimals (None when there is none); the engines format them.

Scale: nothing a recipient reads grows without bound with the number of units. The unit appendices follow the
recipient's max_units_listed (by_unit_layout, reporting_rows) and the notes beyond a dozen units are cut to
NOTES_MAX (shown_notes); what the PDF leaves out is found in the Excel workbook, which lists every unit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pipeline import charts
from pipeline.aggregating import ZERO, Consolidated, IndicatorRow, UnitRow
from pipeline.completeness import Completeness, ReportingRules, UnitStatus
from pipeline.periods import PeriodError, parse_period
from pipeline.programme import Programme
from pipeline.progress import FundingYear, Pace
from pipeline.recipients import Recipient
from pipeline.rollup import Difference

# A sentence names every unit up to NAMED_MAX (a province's dozen); beyond, the first NAMED_SHOWN and how many
# others ("… và 287 đơn vị khác"), so that no sentence grows with the number of units.
NAMED_MAX = 12
NAMED_SHOWN = 10
# Results by unit (appendix "units"): up to UNIT_COLUMNS_MAX units (a province) the units are columns, at most
# MAX_UNITS_PER_TABLE to a table; beyond, the units are rows (a table of at most ROW_TABLE_COLUMNS figures
# across, its headings repeated on every page), so the pages grow with the units and stay readable; beyond
# the recipient's max_units_listed, a summary by indicator (the Excel workbook lists every unit).
UNIT_COLUMNS_MAX = 12


MAX_UNITS_PER_TABLE = 10  # unit columns per table in the by-unit section (landscape A4)


ROW_TABLE_COLUMNS = 12


NOTES_MAX = 30  # beyond NAMED_MAX units, the PDF prints at most this many notes (section IV) and reconciliations


@dataclass(frozen=True)
class IndicatorGroup:
    """A sub-programme heading and its indicator rows, in programme order."""

    code: str
    name: str
    rows: tuple[IndicatorRow, ...]


def indicator_groups(report: Consolidated) -> list[IndicatorGroup]:
    """Indicator rows grouped by sub-programme, programme order first, unknown codes last."""
    names = {sp.code: sp.name for sp in report.programme.subprogrammes}
    by_code: dict[str, list[IndicatorRow]] = {code: [] for code in names}
    for row in report.indicators:
        by_code.setdefault(row.subprogramme, []).append(row)
    return [IndicatorGroup(code, names.get(code, code), tuple(rows)) for code, rows in by_code.items() if rows]


@dataclass(frozen=True)
class ByUnitTable:
    """One slice of the unit x indicator table (at most MAX_UNITS_PER_TABLE unit columns)."""

    units: tuple[UnitRow, ...]
    with_total: bool  # the last slice carries the "Cộng" column


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


def completeness_of(report: Consolidated) -> Completeness:
    """The record's completeness, or one made from its unit rows (records built before it existed)."""
    return report.completeness or Completeness(report.period.code, report.units)


def reporting_rows(report: Consolidated, recipient: Recipient) -> list[tuple[int, UnitStatus]]:
    """The rows of appendix "reporting" as (number in the full list, unit): every unit up to the recipient's
    max_units_listed; beyond, only the units that did not report fully or on time (at most max_units_listed of
    them; sentences.reporting_left_out says what was left out)."""
    rows = completeness_of(report).rows
    limit = recipient.max_units_listed
    if len(rows) <= limit:
        return list(enumerate(rows, start=1))
    return [(i, u) for i, u in enumerate(rows, start=1) if needs_attention(u)][:limit]


def needs_attention(u: UnitStatus) -> bool:
    """The unit did not report every month, or not on time, or had a file refused."""
    if not u.months_covered:
        return bool(u.months_expected)
    return u.months_covered < u.months_expected or bool(u.late_files) or bool(u.rejected_files)


def unit_names(report: Consolidated) -> dict[str, str]:
    """Unit code -> the name the report shows for it."""
    names = {u.unit_code: u.unit_name for u in report.by_unit}
    names.update({u.unit_code: u.unit_name for u in completeness_of(report).rows})
    return names


def period_title(code: str) -> str:
    try:
        return parse_period(code).title
    except PeriodError:
        return code


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


def difference_subject(report: Consolidated, d: Difference) -> tuple[str, str]:
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
            name, unit = difference_subject(report, d)
            out.append(
                DifferenceLine(
                    names.get(r.unit_code, r.unit_code),
                    period_title(r.period_code),
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


def shown_notes(items: Sequence[object], units: int) -> tuple[list[object], int]:
    """(what the PDF prints, how many it leaves to the Excel workbook): every item when they come from at most
    NAMED_MAX units (a province), else the first NOTES_MAX."""
    if units <= NAMED_MAX or len(items) <= NOTES_MAX:
        return list(items), 0
    return list(items[:NOTES_MAX]), len(items) - NOTES_MAX


def pace_index(report: Consolidated) -> dict[tuple[str, str], Pace]:
    """(kind, code) -> pace; kind "indicator" (indicator code) or "budget" (sub-programme code)."""
    return {(p.kind, p.code): p for p in report.pace}


def pace_margin(report: Consolidated) -> Decimal:
    return report.pace[0].margin if report.pace else ReportingRules().pace_margin


def elapsed_months(report: Consolidated) -> tuple[int, int]:
    """(months of the programme passed by the end of the period, months of the programme)."""
    total = report.programme.years * 12
    return min(len(report.cumulative_period), total), total


def budget_total_expected(report: Consolidated) -> Decimal | None:
    """The expected share for the budget's totals row: the sub-programmes' one when they all share it."""
    shares = {p.expected_share for p in report.pace if p.kind == "budget"}
    return shares.pop() if len(shares) == 1 else None


def year_label(y: FundingYear) -> str:
    """ "2012 (đến tháng 9)" for a year the period ends in, else "2011"."""
    return f"{y.year} (đến tháng {y.months})" if y.months < 12 else str(y.year)


def share_of(value: Decimal, whole: Decimal | None) -> Decimal | None:
    return value / whole if whole else None


def growth_below(report: Consolidated, growth: Decimal | None) -> bool:
    g = report.programme.growth
    return g is not None and growth is not None and growth < g.low


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


def funding_bars(report: Consolidated) -> list[charts.FundingBar]:
    f = report.funding
    return [charts.FundingBar(year_label(y), dict(y.by_source)) for y in f.years] if f else []


def progress_svg(report: Consolidated) -> str:
    bars = progress_bars(report)
    return charts.progress_chart(bars) if bars else ""


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
    """Every sub-programme's line of the national source (the programme's `national` one, KCQG), then the
    totals row (code ""); all zero when the programme has no national source."""
    code = report.programme.national_source or ""
    rows = [
        NationalRow(
            b.subprogramme,
            b.name,
            b.budget.get(code, ZERO),
            b.in_period.get(code, ZERO),
            b.cumulative.get(code, ZERO),
            b.cumulative_total,
        )
        for b in report.budget
    ]
    t = report.budget_totals
    return rows + [
        NationalRow(
            "",
            "Tổng cộng",
            t.budget.get(code, ZERO),
            t.in_period.get(code, ZERO),
            t.cumulative.get(code, ZERO),
            t.cumulative_total,
        )
    ]


def task_groups(report: Consolidated) -> list[tuple[str, str, tuple[str, ...]]]:
    """(code, name, tasks) of every sub-programme the programme file gives tasks for."""
    return [(sp.code, sp.name, sp.tasks) for sp in report.programme.subprogrammes if sp.tasks]
