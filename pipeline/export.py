"""Export: a period's figures, every value behind them and the problems found in the period's files, as files
anyone can open or recompute from.

Three tables: the values (each with its unit, file, sheet!cell and whether this version counts, in the period
and cumulatively), the figures, and the problems. Two formats (`write_exports`):
- "vi" (what a run writes): for Excel under Vietnamese regional settings - CSV with ";" between fields, a
  decimal comma, UTF-8 with BOM and Vietnamese headers, and beside each CSV an .xlsx with the same rows (numbers
  as numbers, header bold and frozen, autofilter);
- "machine": CSV with "," and a decimal point, ASCII headers, UTF-8, times as stored (ISO, UTC).
In both, text a spreadsheet would take for a formula (=, +, -, @, tab, CR first) is neutralised.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import pandas as pd
from xlsxwriter import Workbook

from pipeline.aggregating import Consolidated
from pipeline.files import atomic_output
from pipeline.formatting import spreadsheet_time
from pipeline.ledger import from_milli
from pipeline.periods import Period, PeriodError, parse_period
from pipeline.programme import Programme
from pipeline.rollup import current_versions, select_counted
from pipeline.text import nfc
from pipeline.validating import Status


def provenance(
    subs: pd.DataFrame, vals: pd.DataFrame, programme: Programme, period: Period, cumulative_period: Period
) -> pd.DataFrame:
    """Accepted values of every report inside the cumulative window, superseded versions included."""
    ok = subs[(subs["status"] != "rejected") & (subs["programme"] == programme.code)]
    lo, hi = _ym(cumulative_period.first), _ym(cumulative_period.last)
    ok = ok[(ok["period_first"] >= lo) & (ok["period_last"] <= hi)]
    current = current_versions(subs[subs["programme"] == programme.code])
    in_period = set(select_counted(current, period)["id"])
    cumulative = set(select_counted(current, cumulative_period)["id"])
    frame = vals.merge(ok, left_on="submission_id", right_on="id")
    out = pd.DataFrame(
        {
            "unit": frame["unit_code"],
            "period_reported": frame["period_code"],
            "kind": frame["kind"],
            "code": frame["code"],
            "source": frame["source"],
            "value": [str(from_milli(m)) for m in frame["milli"]],
            "file": frame["file_name"],
            "sha256": frame["sha256"],
            "cell": frame["cell"],
            "basis": frame.get("basis", ""),
            "received_at": frame["received_at"],
            "counts_in_period": frame["submission_id"].isin(in_period),
            "counts_cumulative": frame["submission_id"].isin(cumulative),
        }
    )
    return out.sort_values(["unit", "period_reported", "file", "kind", "code", "source"]).reset_index(drop=True)


def period_problems(subs: pd.DataFrame, problems: pd.DataFrame, report: Consolidated) -> pd.DataFrame:
    """Every problem (errors and warnings) of the period's files: every version, accepted or rejected, of a
    report whose period lies inside the report's period, and the rejected files whose period could not be read
    that the report lists. `problems` is the ledger's problems frame (all of it, or at least these files')."""
    period = report.period
    dated = subs["period_first"].notna() & subs["period_last"].notna()
    first, last = subs["period_first"].where(dated, ""), subs["period_last"].where(dated, "")
    inside = dated & (first >= _ym(period.first)) & (last <= _ym(period.last))
    unplaced = {r.file_name for r in report.rejected}
    undated = ~dated & (subs["status"] == "rejected") & subs["file_name"].isin(unplaced)
    files = subs[inside | undated]
    current = current_versions(subs[subs["programme"] == report.programme.code])
    counted = set(select_counted(current, period)["id"])
    frame = problems.merge(files, left_on="submission_id", right_on="id", suffixes=("", "_file"))
    out = pd.DataFrame(
        {
            "unit": frame["unit_code"].fillna(""),
            "period_reported": frame["period_code"].fillna(""),
            "file": frame["file_name"],
            "sha256": frame["sha256"],
            "received_at": frame["received_at"],
            "status": frame["status"],
            "counts_in_period": frame["submission_id"].isin(counted),
            "cell": frame["cell"],
            "problem": frame["code"],
            "severity": frame["severity"],
            "found": frame["found"],
            "expected": frame["expected"],
            "message": frame["message"],
            "_seq": frame["seq"],
        }
    )
    order = ["unit", "period_reported", "received_at", "file", "_seq"]
    return out.sort_values(order).drop(columns="_seq").reset_index(drop=True)


def figures(report: Consolidated) -> pd.DataFrame:
    """The aggregated figures of a consolidated report, one row per figure (amounts as Decimal, None where no
    unit reported a context indicator)."""
    prog = report.programme
    rows = []
    for i in report.indicators:
        rows.append(
            {
                "kind": "indicator",
                "code": i.code,
                "source": "",
                "in_period": i.in_period,
                "cumulative": i.cumulative,
                "target": i.target,
                "reports": " ".join(str(r) for r in i.reports),
            }
        )
    for c in report.context:
        rows.append(
            {
                "kind": "context",
                "code": c.code,
                "source": "",
                "in_period": c.value,
                "cumulative": None,
                "target": None,
                "reports": "",
            }
        )
    for b in report.budget:
        for src in prog.source_codes:
            rows.append(
                {
                    "kind": "budget",
                    "code": b.subprogramme,
                    "source": src,
                    "in_period": b.in_period[src],
                    "cumulative": b.cumulative[src],
                    "target": b.budget[src],
                    "reports": "",
                }
            )
    frame = pd.DataFrame(rows, columns=["kind", "code", "source", "in_period", "cumulative", "target", "reports"])
    return frame.astype({"in_period": object, "cumulative": object, "target": object})


# --- the tables as written ----------------------------------------------------------------------------


class Format(StrEnum):
    VI = "vi"  # Excel under Vietnamese regional settings: CSV (";", decimal comma, BOM) and .xlsx
    MACHINE = "machine"  # CSV for programs: ",", decimal point, ASCII headers, ISO times in UTC


class Cell(StrEnum):
    TEXT = "text"
    NUMBER = "number"  # Decimal, int or None
    FLAG = "flag"  # bool
    TIME = "time"  # ISO text as stored in the ledger (UTC)


@dataclass(frozen=True)
class Column:
    key: str  # the machine header (ASCII)
    title: str  # the Vietnamese header
    cell: Cell = Cell.TEXT
    width: float = 12  # in the .xlsx, in characters


@dataclass(frozen=True)
class Table:
    stem: str  # the Vietnamese file name after the period code: 2012-Q3-gia-tri.csv
    machine_stem: str  # the machine file name: 2012-Q3-values.csv
    sheet: str  # the .xlsx sheet's name
    columns: tuple[Column, ...]


_UNIT = (Column("unit", "Mã đơn vị", width=12), Column("unit_name", "Đơn vị", width=22))
_INDICATOR = (
    Column("kind", "Loại", width=10),
    Column("code", "Mã chỉ tiêu", width=8),
    Column("name", "Chỉ tiêu", width=42),
    Column("source", "Nguồn", width=8),
)
VALUES = Table(
    "gia-tri",
    "values",
    "Giá trị",
    (
        *_UNIT,
        Column("period_reported", "Kỳ báo cáo", width=10),
        *_INDICATOR,
        Column("value", "Giá trị", Cell.NUMBER, 12),
        Column("measure", "Đơn vị tính", width=11),
        Column("file", "Tệp", width=34),
        Column("cell", "Ô", width=12),
        Column("sha256", "SHA-256", width=18),
        Column("received_at", "Thời điểm nhận", Cell.TIME, 19),
        Column("counts_in_period", "Tính trong kỳ", Cell.FLAG, 9),
        Column("counts_cumulative", "Tính lũy kế", Cell.FLAG, 9),
    ),
)
BASIS = Column("basis", "Căn cứ khớp chỉ tiêu", width=48)  # free layout: why a row went to its indicator
VALUES_WITH_BASIS = Table(
    VALUES.stem, VALUES.machine_stem, VALUES.sheet, (*VALUES.columns[:-2], BASIS, *VALUES.columns[-2:])
)
FIGURES = Table(
    "so-lieu",
    "figures",
    "Số liệu",
    (
        Column("period", "Kỳ báo cáo", width=10),
        *_INDICATOR,
        Column("measure", "Đơn vị tính", width=11),
        Column("in_period", "Thực hiện trong kỳ", Cell.NUMBER, 14),
        Column("cumulative", "Lũy kế từ đầu chương trình", Cell.NUMBER, 14),
        Column("target", "Mục tiêu / kinh phí giai đoạn", Cell.NUMBER, 14),
        Column("reports", "Báo cáo được tính (số trong sổ cái)", width=30),
    ),
)
PROBLEMS = Table(
    "van-de",
    "problems",
    "Vấn đề",
    (
        *_UNIT,
        Column("period_reported", "Kỳ báo cáo", width=10),
        Column("file", "Tệp", width=34),
        Column("sha256", "SHA-256", width=18),
        Column("received_at", "Thời điểm nhận", Cell.TIME, 19),
        Column("status", "Trạng thái tệp", width=16),
        Column("counts_in_period", "Tính trong kỳ", Cell.FLAG, 9),
        Column("cell", "Ô", width=12),
        Column("problem", "Mã vấn đề", width=18),
        Column("severity", "Mức độ", width=8),
        Column("found", "Tìm thấy", width=20),
        Column("expected", "Cần có", width=20),
        Column("message", "Nội dung", width=60),
    ),
)

KIND_TITLES = {"indicator": "chỉ tiêu", "budget": "kinh phí", "context": "chỉ tiêu chung"}
SEVERITY_TITLES = {"error": "lỗi", "warning": "lưu ý"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may read as the start of a formula
XLSX_ROWS = 1_048_575  # data rows a worksheet holds below its header; more go on further sheets
CONSTANT_MEMORY_ROWS = 50_000  # beyond, the .xlsx is streamed row by row (memory stays flat)


def unit_names(report: Consolidated) -> dict[str, str]:
    """Unit code -> the name the report shows for it ("huyện Bù Đăng")."""
    return {u.unit_code: u.unit_name for u in (*report.by_unit, *report.units)}


def indicator_names(programme: Programme) -> dict[tuple[str, str], tuple[str, str]]:
    """(kind, code) -> (name, unit of measure) of every indicator and sub-programme's budget line."""
    out = {(k, i.code): (i.name, i.unit) for i in programme.indicators.values() for k in ("indicator", "context")}
    out |= {("budget", s.code): (s.name, programme.money_unit) for s in programme.subprogrammes}
    return out


def values_table(values: pd.DataFrame, report: Consolidated) -> pd.DataFrame:
    """The provenance frame as exported: unit and indicator names beside their codes, amounts as Decimal."""
    units, names = unit_names(report), indicator_names(report.programme)
    out = values.copy()
    out["unit_name"] = [units.get(u, "") for u in out["unit"]]
    out["name"] = [names.get((k, c), ("", ""))[0] for k, c in zip(out["kind"], out["code"], strict=True)]
    out["measure"] = [names.get((k, c), ("", ""))[1] for k, c in zip(out["kind"], out["code"], strict=True)]
    out["value"] = [Decimal(v) for v in out["value"]]
    return out


def figures_table(report: Consolidated) -> pd.DataFrame:
    """The figures as exported: the period and the indicators' names beside their codes."""
    names = indicator_names(report.programme)
    out = figures(report)
    out["period"] = report.period.code
    out["name"] = [names.get((k, c), ("", ""))[0] for k, c in zip(out["kind"], out["code"], strict=True)]
    out["measure"] = [names.get((k, c), ("", ""))[1] for k, c in zip(out["kind"], out["code"], strict=True)]
    return out


def problems_table(problems: pd.DataFrame, report: Consolidated) -> pd.DataFrame:
    """The period's problems as exported: unit names beside their codes."""
    units = unit_names(report)
    return problems.assign(unit_name=[units.get(u, "") for u in problems["unit"]])


def write_exports(
    report: Consolidated,
    values: pd.DataFrame,
    folder: Path,
    problems: pd.DataFrame | None = None,
    fmt: Format = Format.VI,
) -> list[Path]:
    """The period's export files in `folder` (nothing outside it), each written atomically: the values
    (`values`, from `provenance`), the figures, and the problems (`problems`, from `period_problems`; without
    them no problems file is written). Format "vi": "<period>-gia-tri", "-so-lieu", "-van-de", each .csv and
    .xlsx; format "machine": "<period>-values.csv", "-figures.csv", "-problems.csv"."""
    shown = values_table(values, report)
    # the basis column only when a value was read from a free-layout report (template-only periods export as before)
    with_basis = "basis" in shown and bool((shown["basis"].fillna("") != "").any())
    tables = [(VALUES_WITH_BASIS if with_basis else VALUES, shown), (FIGURES, figures_table(report))]
    if problems is not None:
        tables.append((PROBLEMS, problems_table(problems, report)))
    code = report.period.code
    out: list[Path] = []
    for table, frame in tables:
        if fmt is Format.MACHINE:
            out.append(write_csv(table, frame, folder / f"{code}-{table.machine_stem}.csv", fmt))
        else:
            out.append(write_csv(table, frame, folder / f"{code}-{table.stem}.csv", fmt))
            out.append(write_xlsx(table, frame, folder / f"{code}-{table.stem}.xlsx"))
    return out


def write_csv(table: Table, frame: pd.DataFrame, path: Path, fmt: Format = Format.VI) -> Path:
    """One table as CSV, atomically. "vi": ";" between fields, decimal comma, local times "dd/mm/yyyy hh:mm:ss",
    "có"/"không", UTF-8 with BOM (Excel then reads Vietnamese right). "machine": ",", decimal point, ISO UTC
    times, True/False, UTF-8. Text a spreadsheet would take for a formula gets a leading apostrophe."""
    vi = fmt is Format.VI
    shown = [_csv_cells(frame[c.key], c, vi) for c in table.columns]
    with atomic_output(path) as tmp, tmp.open("w", encoding="utf-8-sig" if vi else "utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=";" if vi else ",", lineterminator="\r\n")
        writer.writerow([c.title if vi else c.key for c in table.columns])
        writer.writerows(zip(*shown, strict=True))
    return path


def write_xlsx(table: Table, frame: pd.DataFrame, path: Path) -> Path:
    """One table as a workbook, atomically: the Vietnamese headers in a bold frozen first row with an
    autofilter, numbers as numbers, times as date-times (local), text always as text (write_string; formula
    starts quote-prefixed). Rows beyond a worksheet's capacity continue on further sheets."""
    rows = len(frame)
    with atomic_output(path) as tmp:
        book = Workbook(str(tmp), {"constant_memory": rows > CONSTANT_MEMORY_ROWS})
        with book:
            book.set_properties({"title": table.sheet})
            formats = _XlsxFormats(book)
            columns = [_xlsx_cells(frame[c.key], c) for c in table.columns]
            for part, start in enumerate(range(0, max(rows, 1), XLSX_ROWS)):
                stop = min(start + XLSX_ROWS, rows)
                ws = book.add_worksheet(table.sheet if part == 0 else f"{table.sheet} ({part + 1})")
                ws.freeze_panes(1, 0)
                for j, c in enumerate(table.columns):
                    ws.set_column(j, j, c.width)
                    ws.write_string(0, j, c.title, formats.header)
                ws.autofilter(0, 0, max(stop - start, 1), len(table.columns) - 1)
                for i in range(start, stop):
                    for j, cells in enumerate(columns):
                        formats.put(ws, i - start + 1, j, cells[i])
    return path


# --- cells ------------------------------------------------------------------------------------------------------


def _csv_cells(series: pd.Series, column: Column, vi: bool) -> list[str]:
    """A column's cells as CSV text."""
    if column.cell is Cell.NUMBER:
        return _each_distinct(series, lambda v: _plain(v, vi))
    if column.cell is Cell.FLAG:
        return _each_distinct(series, lambda v: ("có" if v else "không") if vi else str(bool(v)))
    if column.cell is Cell.TIME:
        return _each_distinct(
            series, lambda v: spreadsheet_time(v).strftime("%d/%m/%Y %H:%M:%S") if vi and v else _text(v)
        )
    if not vi:
        return _each_distinct(series, lambda v: _neutral(_text(v)))
    shown = _vi_labels(column.key) or _text
    return _each_distinct(series, lambda v: _neutral(nfc(shown(v))))


def _xlsx_cells(series: pd.Series, column: Column) -> list[object]:
    """A column's cells as the .xlsx holds them: numbers, date-times or text (None: an empty cell)."""
    if column.cell is Cell.NUMBER:
        return _each_distinct(series, lambda v: None if _missing(v) else _number(Decimal(str(v))))
    if column.cell is Cell.FLAG:
        return _each_distinct(series, lambda v: "có" if v else "không")
    if column.cell is Cell.TIME:
        return _each_distinct(series, lambda v: spreadsheet_time(v) if v else None)
    shown = _vi_labels(column.key) or _text
    return _each_distinct(series, lambda v: nfc(shown(v)))


def _each_distinct(series: pd.Series, shown: Callable[[object], object]) -> list:
    """`shown` of every value of `series`, worked out once per distinct value (units, files, cells, times and
    flags repeat down a column)."""
    memo: dict[object, object] = {}
    out = []
    for v in series.tolist():  # plain objects: iterating a pandas string array costs ten times more
        try:
            out.append(memo[v])
        except KeyError:
            out.append(memo.setdefault(v, shown(v)))
    return out


def _vi_labels(key: str) -> Callable[[object], str] | None:
    """How a coded text column reads in Vietnamese (periods, kinds, severities, file statuses), or None."""
    if key in ("period", "period_reported"):
        return lambda v: _period_title(_text(v))
    labels = {"kind": KIND_TITLES, "severity": SEVERITY_TITLES, "status": {s.value: s.label for s in Status}}.get(key)
    return None if labels is None else (lambda v: labels.get(_text(v), _text(v)))


@lru_cache(maxsize=1024)
def _period_title(code: str) -> str:
    """ "2012-07" -> "tháng 7 năm 2012": what an officer reads, and what Excel cannot turn into a date."""
    try:
        return parse_period(code).title if code else ""
    except PeriodError:
        return code


class _XlsxFormats:
    """The cell formats of one workbook, each made once."""

    def __init__(self, book: Workbook) -> None:
        self.header = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.text = book.add_format({})
        self.quoted = book.add_format({"quote_prefix": True})  # Excel keeps "=…" text, never a formula
        self.int = book.add_format({"num_format": "#,##0"})
        self.decimal = book.add_format({"num_format": "#,##0.0##"})
        self.time = book.add_format({"num_format": "dd/mm/yyyy hh:mm:ss"})

    def put(self, ws, row: int, col: int, value: object) -> None:
        if value is None:
            return
        if isinstance(value, str):
            if value:
                ws.write_string(row, col, value, self.quoted if value.startswith(FORMULA_START) else self.text)
        elif isinstance(value, datetime):
            ws.write_datetime(row, col, value, self.time)
        else:
            ws.write_number(row, col, value, self.int if isinstance(value, int) else self.decimal)


def _ym(month: tuple[int, int]) -> str:
    return f"{month[0]}-{month[1]:02d}"


def _missing(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def _text(value: object) -> str:
    return "" if _missing(value) else str(value)


def _neutral(text: str) -> str:
    """Text a spreadsheet would read as a formula ("=…", "+…", "-…", "@…"), with a leading apostrophe."""
    return f"'{text}" if text.startswith(FORMULA_START) else text


def _plain(value: object, vi: bool) -> str:
    """A number as digits: "1260", "20,56" (vi) or "20.56"; never an exponent, never a thousands separator."""
    if _missing(value):
        return ""
    text = format(Decimal(str(value)).normalize(), "f")  # 7.50 -> "7.5", 1E+2 -> "100"
    return text.replace(".", ",") if vi else text


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)
