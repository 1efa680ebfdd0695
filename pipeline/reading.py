"""Reading: a workbook file -> its cells (python-calamine), then the report's parts found by their labels.

Nothing here judges values: `RawReport` holds the cells exactly as read, each with its address, and
lists what could not be found. Validation (pipeline.validating) turns it into typed values and problems.
"""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from openpyxl.utils import get_column_letter
from python_calamine import CalamineError, CalamineWorkbook

from pipeline import workbook as wbk
from pipeline.periods import PeriodError, parse_period_text
from pipeline.programme import Programme
from pipeline.text import fold

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # a district workbook unpacks to well under 1 MB
MAX_RATIO = 200  # zip compression ratio above which a file is treated as a zip bomb


@dataclass(frozen=True)
class FileInfo:
    path: Path
    name: str  # as shown to people: relative to the inputs folder
    sha256: str
    size: int
    modified: datetime  # when it was dropped (file modification time), UTC


@dataclass(frozen=True)
class Cell:
    sheet: str
    row: int  # 1-based, as Excel shows it
    col: int
    value: object

    @property
    def ref(self) -> str:
        return f"{self.sheet}!{get_column_letter(self.col)}{self.row}"

    @property
    def blank(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


@dataclass(frozen=True)
class Missing:
    """A part of the report that was not found: what it is, and where it was looked for."""

    part: str  # "unit", "period", "table_a", "table_b", "row:P1.2", "source:KCQG" …
    sheet: str
    cell: str  # where it was expected, "" if nowhere in particular


@dataclass
class RawReport:
    file: FileInfo
    sheet: str = ""
    fields: dict[str, Cell] = field(default_factory=dict)  # unit, period, date, preparer, phone
    title_period: Cell | None = None
    results: dict[str, Cell] = field(default_factory=dict)  # indicator code -> cell
    spending: dict[tuple[str, str], Cell] = field(default_factory=dict)  # (sub-programme, source) -> cell
    row_totals: dict[str, Cell] = field(default_factory=dict)  # sub-programme -> "Tổng cộng" cell
    notes: Cell | None = None
    missing: list[Missing] = field(default_factory=list)
    unreadable: str | None = None  # why the file could not be opened at all
    programme: Programme | None = None  # the programme the tables were read against


def file_info(path: Path, inputs: Path) -> FileInfo:
    data = path.read_bytes()
    stat = path.stat()
    try:
        name = path.relative_to(inputs).as_posix()
    except ValueError:
        name = path.name
    return FileInfo(path=path, name=name, sha256=hashlib.sha256(data).hexdigest(), size=stat.st_size,
                    modified=datetime.fromtimestamp(stat.st_mtime, UTC))


def list_inputs(inputs: Path) -> list[Path]:
    """Workbooks under the inputs folder (recursively), skipping temporary and hidden files."""
    return sorted(p for p in inputs.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES
                  and not p.name.startswith((".", "~$")))


def _zip_guard(path: Path) -> str | None:
    if not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as z:
        infos = z.infolist()
    unpacked = sum(i.file_size for i in infos)
    packed = max(1, sum(i.compress_size for i in infos))
    if unpacked > MAX_UNPACKED_BYTES or unpacked / packed > MAX_RATIO:
        return f"unpacks to {unpacked} bytes (ratio {unpacked // packed}:1)"
    return None


class Grid:
    """One sheet's values, addressable as Excel shows them (1-based rows and columns)."""

    def __init__(self, name: str, rows: list[list[object]]):
        self.name = name
        self.rows = rows
        self._texts: list[tuple[int, int, str]] | None = None

    def cell(self, row: int, col: int) -> Cell:
        try:
            value = self.rows[row - 1][col - 1]
        except IndexError:
            value = None
        return Cell(self.name, row, col, value)

    def texts(self) -> list[tuple[int, int, str]]:
        """(row, col, folded text) of every non-blank text cell, computed once per sheet."""
        if self._texts is None:
            self._texts = [(r, c, fold(v)) for r, values in enumerate(self.rows, start=1)
                           for c, v in enumerate(values, start=1) if isinstance(v, str) and v.strip()]
        return self._texts

    def find(self, predicate, start_row: int = 1) -> tuple[int, int] | None:
        for r, c, text in self.texts():
            if r >= start_row and predicate(text):
                return r, c
        return None

    def right_of(self, row: int, col: int, span: int = 6) -> Cell:
        """The first non-blank cell right of (row, col), or the blank cell just right of it."""
        for c in range(col + 1, col + 1 + span):
            cell = self.cell(row, c)
            if not cell.blank:
                return cell
        return self.cell(row, col + 2)


def load_grids(path: Path) -> list[Grid]:
    wb = CalamineWorkbook.from_path(str(path))
    return [Grid(name, wb.get_sheet_by_name(name).to_python(skip_empty_area=False))
            for name in wb.sheet_names]


_FIELDS = {
    "unit": wbk.LABEL_UNIT,
    "period": wbk.LABEL_PERIOD,
    "date": wbk.LABEL_DATE,
    "preparer": wbk.LABEL_PREPARER,
    "phone": wbk.LABEL_PHONE,
}


def _starts(prefix: str):
    key = fold(prefix)
    return lambda text: text.startswith(key)


def read_report(info: FileInfo, programmes: list[Programme]) -> RawReport:
    """Open the file and find the report's parts by their labels.

    The tables are read against the programme whose years contain the report's period (the latest
    programme when the period cannot be read).
    """
    raw = RawReport(file=info, programme=programmes[-1])
    try:
        if reason := _zip_guard(info.path):
            raw.unreadable = f"zip bomb: {reason}"
            return raw
        grids = load_grids(info.path)
    except (CalamineError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raw.unreadable = f"{type(exc).__name__}: {exc}"
        return raw
    grid = _report_sheet(grids)
    raw.sheet = grid.name
    _read_fields(grid, raw)
    programme = raw.programme = _programme_of(raw, programmes)
    _read_table_a(grid, raw, programme)
    _read_table_b(grid, raw, programme)
    _read_notes(grid, raw)
    return raw


def _programme_of(raw: RawReport, programmes: list[Programme]) -> Programme:
    cell = raw.fields.get("period")
    try:
        year = parse_period_text(str(cell.value)).first[0] if cell is not None else None
    except PeriodError:
        year = None
    for p in programmes:
        if year is not None and p.first_year <= year <= p.last_year:
            return p
    return programmes[-1]


def _report_sheet(grids: list[Grid]) -> Grid:
    """The sheet holding the report: the template's name, else the first with the unit label."""
    for g in grids:
        if g.name == wbk.SHEET:
            return g
    for g in grids:
        if g.find(_starts(wbk.LABEL_UNIT)):
            return g
    return grids[0] if grids else Grid(wbk.SHEET, [])


def _read_fields(grid: Grid, raw: RawReport) -> None:
    first_label_row = None
    for key, label in _FIELDS.items():
        pos = grid.find(_starts(label))
        if pos is None:
            raw.missing.append(Missing(key, grid.name, ""))
            continue
        raw.fields[key] = grid.right_of(*pos)
        first_label_row = min(first_label_row or pos[0], pos[0])
    # The period under the title, above the header fields, is checked against the "Kỳ báo cáo" field.
    for r, c, _text in grid.texts():
        if first_label_row is not None and r >= first_label_row:
            break
        try:
            parse_period_text(str(grid.cell(r, c).value))
        except PeriodError:
            continue
        raw.title_period = grid.cell(r, c)
        break


def _header_columns(grid: Grid, row: int) -> dict[str, int]:
    values = enumerate(grid.rows[row - 1], start=1)
    return {fold(str(v)): c for c, v in values if isinstance(v, str) and v.strip()}


def _read_table_a(grid: Grid, raw: RawReport, programme: Programme) -> None:
    head = grid.find(_starts(wbk.HEAD_A[:10]))
    if head is None:
        raw.missing.append(Missing("table_a", grid.name, ""))
        return
    header = grid.find(lambda t: t == fold(wbk.COL_CODE), start_row=head[0])
    cols = _header_columns(grid, header[0]) if header else {}
    value_col = cols.get(fold(wbk.COL_RESULT))
    if header is None or value_col is None:
        raw.missing.append(Missing("table_a", grid.name, f"{grid.name}!A{head[0] + 1}"))
        return
    end = grid.find(_starts(wbk.HEAD_B[:10]), start_row=header[0]) or (len(grid.rows) + 1, 0)
    code_col = header[1]
    for r in range(header[0] + 1, end[0]):
        code = str(grid.cell(r, code_col).value or "").strip()
        if code in programme.indicators:
            raw.results.setdefault(code, grid.cell(r, value_col))
    for code in programme.indicators:
        if code not in raw.results:
            raw.missing.append(Missing(f"row:{code}", grid.name, ""))


def _read_table_b(grid: Grid, raw: RawReport, programme: Programme) -> None:
    head = grid.find(_starts(wbk.HEAD_B[:10]))
    if head is None:
        raw.missing.append(Missing("table_b", grid.name, ""))
        return
    header = grid.find(lambda t: t == fold(wbk.COL_CODE), start_row=head[0])
    if header is None:
        raw.missing.append(Missing("table_b", grid.name, f"{grid.name}!A{head[0] + 1}"))
        return
    cols = _header_columns(grid, header[0])
    src_cols: dict[str, int] = {}
    for src in programme.source_codes:
        if (c := cols.get(fold(src))) is None:
            raw.missing.append(Missing(f"source:{src}", grid.name, f"{grid.name}!{header[0]}:{header[0]}"))
        else:
            src_cols[src] = c
    total_col = cols.get(fold(wbk.COL_TOTAL))
    end = grid.find(_starts(wbk.HEAD_C[:10]), start_row=header[0]) or (len(grid.rows) + 1, 0)
    subprogrammes = {sp.code for sp in programme.subprogrammes}
    for r in range(header[0] + 1, end[0]):
        code = str(grid.cell(r, header[1]).value or "").strip()
        if code not in subprogrammes:
            continue
        for src, c in src_cols.items():
            raw.spending.setdefault((code, src), grid.cell(r, c))
        if total_col:
            raw.row_totals.setdefault(code, grid.cell(r, total_col))
    for sp in subprogrammes:
        if src_cols and (sp, next(iter(src_cols))) not in raw.spending:
            raw.missing.append(Missing(f"row:{sp}", grid.name, ""))


def _read_notes(grid: Grid, raw: RawReport) -> None:
    head = grid.find(_starts(wbk.HEAD_C[:10]))
    if head is None:
        return
    for r in range(head[0] + 1, min(head[0] + 6, len(grid.rows) + 1)):
        for c in range(1, len(grid.rows[r - 1]) + 1):
            cell = grid.cell(r, c)
            if not cell.blank:
                raw.notes = cell
                return
