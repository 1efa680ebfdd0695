"""Reading: a workbook file -> its sheets' cells, as Excel shows them (python-calamine, one reader for
.xlsx, .xlsm, .xls and .ods; formulas read from their cached values; macros never run).

Before any reader touches a file, pipeline.guards checks it within bounded time and memory. Text is
normalised to NFC; text typed in legacy TCVN3/VNI fonts is converted to Unicode (pipeline.encodings),
each conversion recorded. Finding the report's parts in the cells is pipeline.layout's job.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from xml.etree import ElementTree

from openpyxl.utils import get_column_letter
from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from pipeline import encodings, guards
from pipeline.problems import FILE_UNREADABLE, PASSWORD_PROTECTED, Refused, refusal
from pipeline.text import fold, nfc

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


@dataclass(frozen=True)
class FileInfo:
    path: Path  # what is read: the archived copy (pipeline.archive), or the file itself
    name: str  # as shown to people: relative to the inputs folder
    sha256: str
    size: int
    modified: datetime  # the file's own modification time, UTC (pipeline.received decides the received time)
    source: Path | None = None  # the file in the inputs folder
    mtime_ns: int = 0  # its modification time when it was hashed
    first_seen: datetime | None = None  # when the intake first saw it (None: read directly, outside an intake)
    backlog: bool = True  # part of a backlog loaded at once: its own date may be its received time
    rel: str = ""  # its path relative to the inputs folder exactly as the file system spells it (receipt names)


@dataclass(frozen=True)
class Cell:
    sheet: str
    row: int  # 1-based, as Excel shows it
    col: int
    value: object

    @property
    def ref(self) -> str:
        """As Excel shows it: BaoCao!E12, or 'Báo cáo Q1'!E12 when the sheet name needs quoting."""
        return f"{sheet_ref(self.sheet)}!{get_column_letter(self.col)}{self.row}"

    @property
    def blank(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())


@lru_cache(maxsize=1024)
def sheet_ref(name: str) -> str:
    return name if re.fullmatch(r"[^\W\d]\w*", name) else "'" + name.replace("'", "''") + "'"


class Grid:
    """One sheet's values, addressable as Excel shows them (1-based rows and columns)."""

    def __init__(
        self,
        name: str,
        rows: list[list[object]],
        merged: Iterable[tuple[int, int, int, int]] = (),
        hidden: bool = False,
    ):
        self.name = name
        self.rows = rows
        self.hidden = hidden
        self.height = len(rows)
        self.width = max((len(r) for r in rows), default=0)
        self._texts: list[tuple[int, int, str]] | None = None
        self._merged_parent: dict[tuple[int, int], tuple[int, int]] = {}
        budget = max(self.height * self.width, 1)  # each cell has one parent: more is a hostile file
        for r0, c0, r1, c1 in sorted(set(merged)):  # 1-based, inclusive; clipped to the sheet
            r1, c1 = min(r1, self.height), min(c1, self.width)
            area = (r1 - r0 + 1) * (c1 - c0 + 1)
            if area <= 1 or area > 10_000 or area > budget:
                continue
            budget -= area
            for r in range(r0, r1 + 1):
                for c in range(c0, c1 + 1):
                    if (r, c) != (r0, c0):
                        self._merged_parent[r, c] = (r0, c0)

    def value(self, row: int, col: int) -> object:
        """The cell's value (None outside the sheet)."""
        if row < 1 or col < 1 or row > self.height:
            return None
        values = self.rows[row - 1]
        return values[col - 1] if col <= len(values) else None

    def cell(self, row: int, col: int) -> Cell:
        return Cell(self.name, row, col, self.value(row, col))

    def text(self, row: int, col: int) -> str:
        """The cell's text, folded (lower case, no diacritics); "" for numbers and blanks."""
        value = self.value(row, col)
        return fold(value) if isinstance(value, str) and value.strip() else ""

    def number(self, row: int, col: int) -> float | None:
        value = self.value(row, col)
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None

    def has_number(self, row: int) -> bool:
        """Whether any cell of the row holds a number."""
        values = self.rows[row - 1] if 1 <= row <= self.height else ()
        return any(isinstance(v, int | float) and not isinstance(v, bool) for v in values)

    def merged_text(self, row: int, col: int) -> str:
        """The folded text of the merged range this cell belongs to ("" if none)."""
        parent = self._merged_parent.get((row, col))
        return self.text(*parent) if parent else ""

    def row_text(self, row: int) -> str:
        """The first text of a row, folded."""
        return next((t for c in range(1, self.width + 1) if (t := self.text(row, c))), "")

    def texts(self) -> list[tuple[int, int, str]]:
        """(row, col, folded text) of every non-blank text cell, computed once per sheet."""
        if self._texts is None:
            self._texts = [
                (r, c, fold(v))
                for r, values in enumerate(self.rows, start=1)
                for c, v in enumerate(values, start=1)
                if isinstance(v, str) and v.strip()
            ]
        return self._texts

    def find(self, predicate: Callable[[str], bool], start_row: int = 1) -> tuple[int, int] | None:
        for r, c, text in self.texts():
            if r >= start_row and predicate(text):
                return r, c
        return None

    def right_of(self, row: int, col: int, span: int = 6) -> Cell:
        """The first non-blank cell right of (row, col), or the blank cell just right of it.

        A label that carries its value ("Đơn vị báo cáo: huyện Bù Đăng") is its own value cell.
        """
        value = self.cell(row, col).value
        if isinstance(value, str) and ":" in value and value.split(":", 1)[1].strip():
            return Cell(self.name, row, col, value.split(":", 1)[1].strip())
        for c in range(col + 1, col + 1 + span):
            if self._merged_parent.get((row, c)) == (row, col):
                continue  # still inside the label's own merged cell
            cell = self.cell(row, c)
            if not cell.blank:
                return cell
        return self.cell(row, col + 2)


@dataclass
class Workbook:
    """A file's sheets, plus what reading had to do to them."""

    path: Path
    kind: str  # "xlsx", "xls" or "ods"
    grids: list[Grid]
    converted: list[tuple[str, str, str, str]] = field(default_factory=list)  # ref, before, after, encoding
    data: bytes = b""  # the file's bytes, read once by pipeline.guards
    parts: dict[str, bytes] = field(default_factory=dict)  # xlsx: XML parts the guards inflated (by member name)

    def blank_causes(self, sheet: str, blanks: list[Cell]) -> dict[str, str]:
        """Why these cells read as empty when they are not: a formula with no cached value ("no value") or an
        error value ("#N/A" …), by sheet!cell reference. .xlsx/.xlsm and .xls (ods errors read as text)."""
        if not blanks or self.kind == "ods":
            return {}
        by_ref = {f"{get_column_letter(c.col)}{c.row}": c.ref for c in blanks}
        if self.kind == "xls":
            cells = [(c.row, c.col, f"{get_column_letter(c.col)}{c.row}") for c in blanks]
            return {by_ref[r]: v for r, v in _xls_errors(self.data, sheet, cells).items()}
        return {by_ref[r]: v for r, v in _xlsx_flags(self, sheet, set(by_ref)).items()}

    def part(self, name: str) -> bytes | None:
        """An xlsx member's inflated bytes: kept by the guards, else read from the (checked) bytes."""
        if name in self.parts:
            return self.parts[name]
        with zipfile.ZipFile(io.BytesIO(self.data)) as z:
            return z.read(name) if name in z.namelist() else None


def file_info(path: Path, inputs: Path) -> FileInfo:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    stat = path.stat()
    try:
        rel = path.relative_to(inputs).as_posix()
    except ValueError:
        rel = path.name
    return FileInfo(
        path=path,
        name=display_name(rel),
        sha256=digest.hexdigest(),
        size=stat.st_size,
        modified=datetime.fromtimestamp(stat.st_mtime, UTC),
        source=path,
        mtime_ns=stat.st_mtime_ns,
        rel=rel,
    )


def display_name(rel: str) -> str:
    """A file name as people are shown it and the ledger stores it: NFC, bytes that are not UTF-8 as \\xNN."""
    return nfc(storable(rel))


def storable(path: str) -> str:
    """A path as text can hold it: bytes that are not UTF-8 (a name left by unzipping a Windows zip, held by
    Python as surrogate escapes) written \\xNN; anything else exactly as the file system spells it."""
    if not path.isascii() and not valid_name(path):
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return path


def valid_name(rel: str) -> bool:
    """Whether the file system's spelling of a name is valid UTF-8."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def list_inputs(inputs: Path) -> list[Path]:
    """Workbooks under the inputs folder (recursively), skipping temporary and hidden files and links."""
    return sorted(
        p
        for p in inputs.rglob("*")
        if p.is_file() and not p.is_symlink() and p.suffix.lower() in SUFFIXES and not p.name.startswith((".", "~$"))
    )


def load_workbook(path: Path) -> Workbook:
    """Check the file, then read every worksheet; raise Refused with a reason an officer can act on. The
    file is read from disk once: the guards' bytes are what calamine parses."""
    checked = guards.check_file(path)
    if isinstance(checked, guards.Refusal):
        raise Refused(checked)
    try:  # by content, not by extension: an .xls renamed .xlsx is still read
        wb = CalamineWorkbook.from_filelike(io.BytesIO(checked.data))
        grids = []
        for meta in wb.sheets_metadata:
            if str(meta.typ).split(".")[-1] != "WorkSheet":
                continue
            sheet = wb.get_sheet_by_name(meta.name)
            rows = sheet.to_python(skip_empty_area=False, nrows=guards.MAX_ROWS)
            merged = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
            values = [[nfc(v) if type(v) is str and not v.isascii() else v for v in row] for row in rows]
            grids.append(Grid(nfc(meta.name), values, merged, hidden=str(meta.visible).split(".")[-1] != "Visible"))
    except PasswordError:
        raise Refused(refusal(PASSWORD_PROTECTED, PASSWORD_PROTECTED.message("reader"))) from None
    except (CalamineError, zipfile.BadZipFile, OSError, ValueError, KeyError) as exc:
        raise Refused(refusal(FILE_UNREADABLE, FILE_UNREADABLE.message("reader", error=type(exc).__name__))) from None
    book = Workbook(path, checked.kind, grids, data=checked.data, parts=checked.parts)
    _convert_legacy_text(book)
    return book


def _fonts_or_none(book: Workbook) -> dict[tuple[str, int, int], str] | None:
    """The legacy fonts of text cells; None when they cannot be read (a stylesheet openpyxl or xlrd refuses
    although calamine read the cells): then only text that unmistakably looks legacy is converted."""
    try:
        return _cell_fonts(book)
    except Exception:  # noqa: BLE001 - any failure of the font readers falls back to the text heuristic
        return None


# --- legacy fonts (TCVN3, VNI) ----------------------------------------------------------------------------

_LEGACY_FONT = re.compile(rb"\.vn|vni[- ]", re.IGNORECASE)
_LEGACY_FONT_UTF16 = re.compile(rb"\.\x00[vV]\x00[nN]\x00|[vV]\x00[nN]\x00[iI]\x00[- ]\x00")  # .xls FONT names
MAX_STYLES_BYTES = 4 * 1024 * 1024  # Excel's stylesheets are tens of KB


def _convert_legacy_text(book: Workbook) -> None:
    """Convert text typed in legacy fonts to Unicode, in place, recording each change."""
    fonts = _fonts_or_none(book)
    if fonts == {}:
        return  # the file uses no legacy font: nothing to convert
    for grid in book.grids:
        for r, row in enumerate(grid.rows, start=1):
            for c, value in enumerate(row, start=1):
                if not isinstance(value, str) or value.isascii():
                    continue
                font = fonts.get((grid.name, r, c)) if fonts is not None else None
                if fonts is not None:
                    after, used = encodings.to_unicode(value, font)
                else:  # no font information (.ods): only text that clearly looks legacy
                    used = encodings.looks_legacy(value)
                    after = (
                        encodings.to_unicode(value, ".VnTime" if used == "tcvn3" else "VNI-Times")[0] if used else value
                    )
                if used and after != value:
                    row[c - 1] = after
                    book.converted.append((Cell(grid.name, r, c, value).ref, value, after, used))
        grid._texts = None


def _cell_fonts(book: Workbook) -> dict[tuple[str, int, int], str] | None:
    """Legacy font names of text cells, by (sheet, row, col); {} if none is used; None if unknown (.ods)."""
    sizes = {g.name: (g.height, g.width) for g in book.grids}  # never read past what calamine read
    if book.kind == "xlsx":
        styles = book.part("xl/styles.xml") or b""
        if not _LEGACY_FONT.search(styles):
            return {}
        if len(styles) > MAX_STYLES_BYTES:
            return None  # no real stylesheet is this large: judge by the text alone
        import openpyxl  # a full style read only for the rare file that uses a legacy font

        with io.BytesIO(book.data) as fh:
            wb = openpyxl.load_workbook(fh, read_only=True, data_only=True)
            try:
                return {
                    (nfc(ws.title), cell.row, cell.column): cell.font.name
                    for ws in wb.worksheets
                    for row in ws.iter_rows(
                        max_row=sizes.get(nfc(ws.title), (0, 0))[0] or 1,
                        max_col=sizes.get(nfc(ws.title), (0, 0))[1] or 1,
                    )
                    for cell in row
                    if isinstance(cell.value, str)
                    and cell.font is not None
                    and encodings.encoding_for_font(cell.font.name)
                }
            finally:
                wb.close()
    if book.kind == "xls":
        if not _LEGACY_FONT.search(book.data) and not _LEGACY_FONT_UTF16.search(book.data):
            return {}  # no FONT record names a legacy font: xlrd's formatting read is not needed
        import xlrd

        wb = xlrd.open_workbook(file_contents=book.data, formatting_info=True, on_demand=True, ragged_rows=True)
        fonts = {}
        for sheet in wb.sheets():
            height, width = sizes.get(nfc(sheet.name), (0, 0))
            for r in range(min(sheet.nrows, height)):
                for c in range(min(sheet.row_len(r), width)):
                    cell = sheet.cell(r, c)
                    if cell.ctype == xlrd.XL_CELL_TEXT:
                        name = wb.font_list[wb.xf_list[cell.xf_index].font_index].name
                        if encodings.encoding_for_font(name):
                            fonts[nfc(sheet.name), r + 1, c + 1] = name
        wb.release_resources()
        return fonts
    return None


# --- formulas without a cached value, and error cells (#N/A, #DIV/0! …) ---------------------------------

_NS = {
    "m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
}
_ATTR = re.compile(rb"""\b(r|t)\s*=\s*["']([^"']*)["']""")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


_LOOK_BACK = 1024  # a cell's "<c" is this close before its r="…" (Excel writes short start tags)
_BODY_MAX = 256 * 1024  # a cell's content (formula, value, inline text) is shorter than this
_MAX_TRIES = 100  # occurrences of one quoted reference looked at (others are in text, not in a tag)


def _cell_start(data: bytes, pos: int, low: int = 0) -> int:
    """Where the <c …> element containing byte `pos` starts (-1 if none at or after `low`)."""
    start = data.rfind(b"<c", low, pos)
    while start >= 0 and data[start + 2 : start + 3] not in (b" ", b">", b"\t", b"\n", b"\r"):
        start = data.rfind(b"<c", low, start)  # "<col …>" is not a cell
    return start


def _xlsx_flags(book: Workbook, sheet: str, refs: set[str]) -> dict[str, str]:
    """For these cell references ("E17"): "no value" for a formula with no cached value, or the error
    shown ("#N/A", "#DIV/0!" …) for an error cell. calamine reads both as empty. Each cell is found by its
    quoted reference, so the work is bounded by the cells asked about, not by the sheet's formulas."""
    part = _sheet_part(book, sheet)
    data = book.part(part) if part is not None else None  # bounded: the guards checked the unpacked sizes
    if data is None:
        return {}
    out: dict[str, str] = {}
    for ref in refs:
        if (flag := _flag_of(data, ref.encode())) is not None:
            out[ref] = flag
    return out


def _flag_of(data: bytes, ref: bytes) -> str | None:
    """The flag of the first <c> element whose r attribute is `ref`, or None."""
    for quote in (b'"', b"'"):
        needle = quote + ref + quote
        pos, tries = data.find(needle), 0
        while pos >= 0 and tries < _MAX_TRIES:
            tries += 1
            start = _cell_start(data, pos, max(0, pos - _LOOK_BACK))
            inside = start >= 0 and data.find(b">", start, pos) < 0  # no tag ends between "<c" and the reference
            head_end = data.find(b">", pos, pos + _LOOK_BACK) if inside else -1
            if head_end > pos:  # the quoted reference lies in this cell's start tag
                attrs = dict(_ATTR.findall(data[start:head_end]))
                if attrs.get(b"r") == ref:
                    return _cell_flag(data, head_end, attrs)
            pos = data.find(needle, pos + 1)
    return None


def _cell_flag(data: bytes, head_end: int, attrs: dict[bytes, bytes]) -> str | None:
    if data[head_end - 1 : head_end] == b"/":
        return None  # <c … />: nothing in it
    end = data.find(b"</c>", head_end, head_end + _BODY_MAX)
    body = data[head_end : end if end >= 0 else head_end + _BODY_MAX]
    value = _VALUE.search(body)
    if attrs.get(b"t") == b"e":
        return value.group(1).decode(errors="replace") if value else "#ERROR"
    if _FORMULA.search(body) and not (value and value.group(1).strip()):
        return "no value"
    return None


def _xls_errors(data: bytes, sheet: str, cells: list[tuple[int, int, str]]) -> dict[str, str]:
    import xlrd

    wb = xlrd.open_workbook(file_contents=data, on_demand=True)
    try:
        ws = next((wb.sheet_by_name(n) for n in wb.sheet_names() if nfc(n) == sheet), None)
        out = {}
        for row, col, ref in cells if ws is not None else []:
            if row <= ws.nrows and col <= ws.ncols and ws.cell_type(row - 1, col - 1) == xlrd.XL_CELL_ERROR:
                out[ref] = xlrd.error_text_from_code.get(ws.cell_value(row - 1, col - 1), "#ERROR")
        return out
    finally:
        wb.release_resources()


def _sheet_part(book: Workbook, sheet: str) -> str | None:
    workbook, relations = book.part("xl/workbook.xml"), book.part("xl/_rels/workbook.xml.rels")
    if workbook is None or relations is None:
        return None
    try:  # quick-xml (calamine) accepts what ElementTree may not (unbound prefixes, repeated attributes)
        wb = ElementTree.fromstring(workbook)
        rels = ElementTree.fromstring(relations)
    except ElementTree.ParseError:
        return None
    targets = {r.get("Id"): r.get("Target") for r in rels}
    for s in wb.iterfind("m:sheets/m:sheet", _NS):
        if nfc(s.get("name", "")) == sheet:
            target = targets.get(s.get(f"{{{_NS['r']}}}id"), "")
            return target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    return None
