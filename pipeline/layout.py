"""Finding a report's parts in its sheets by their labels, never by fixed cells.

Works for the official template, templates officers changed (rows or columns inserted, header moved, sheet
renamed, extra sheets, merged or hidden rows, totals rows) and the province's traditional free layout: a
table with a "Nội dung" column of activity names and number columns ("Kế hoạch", "Thực hiện", "Lũy kế" …),
matched to indicators by name and synonyms (programme file). Nothing is judged here: `RawReport` holds the
cells as read, and lists what was not found or not understood.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pipeline import workbook as wbk
from pipeline.matching import DECIDED, Match, Matcher, matcher_for
from pipeline.periods import PeriodError, find_period_in_text, period_in_cell
from pipeline.problems import FILE_UNREADABLE, Problem, Refused, refusal
from pipeline.programme import Programme
from pipeline.reading import Cell, FileInfo, Grid, Workbook, load_workbook, sheet_ref
from pipeline.text import fold, match_key, nfc
from pipeline.units import UnitRegistry, find_unit_in_text

NAME_HEADERS = (
    "chi tieu",
    "noi dung",
    "ten chi tieu",
    "hoat dong",
    "chuong trinh",
    "noi dung hoat dong",
    "noi dung chuong trinh",
    "ten hoat dong",
    "danh muc",
)
CODE_HEADERS = ("ma so", "ma", "ma chi tieu", "ma so chi tieu")
RESULT_EXACT = fold(wbk.COL_RESULT)
RESULT_WORDS = ("thuc hien", "ket qua", "so luong", "trong ky")
NOT_RESULT = (
    "luy ke",
    "ke hoach",
    "ty le",
    "%",
    "so sanh",
    "cung ky",
    "nam truoc",
    "uoc",
    "muc tieu",
    "ghi chu",
    "don vi",
    "dvt",
    "kinh phi",
    "so voi",
)
NOTES_WORDS = ("kho khan", "de xuat", "kien nghi", "vuong mac")
STOP_WORDS = ("noi nhan", "nguoi lap", "thu truong", "chu tich", "giam doc", "truong phong", "ky ten")


@dataclass(frozen=True)
class Missing:
    """A part of the report that was not found: what it is, and where it was looked for."""

    part: str  # "unit", "period", "table_a", "table_b", "row:P1.2", "source:KCQG"
    sheet: str
    cell: str  # where it was expected, "" if nowhere in particular


@dataclass(frozen=True)
class Unmatched:
    """A row whose activity name matches no indicator: listed on the receipt, never silently dropped."""

    name: Cell
    value: Cell | None
    candidates: tuple[tuple[str, float], ...] = ()  # the best indicators by score, when none was clearly ahead
    unit: str = ""  # the row's ĐVT


@dataclass(frozen=True)
class LabelRow:
    """A row of a free-layout table as the matcher saw it: kept in the ledger (pipeline.labels lists the
    unmatched ones across files; a decision re-reads the files holding its label)."""

    label: str
    unit: str
    cell: str  # the value's cell ('' if none)
    code: str  # the indicator taken ('' if none)
    basis: str  # why: the matcher's words, a decision, or "ignored"
    candidates: str  # "P1.2 4,1; P1.3 2,0"


@dataclass
class RawReport:
    file: FileInfo
    sheet: str = ""
    layout: str = "template"  # or "free": the province's traditional layout
    fields: dict[str, Cell] = field(default_factory=dict)  # unit, period, date, preparer, phone
    title_period: Cell | None = None
    results: dict[str, Cell] = field(default_factory=dict)  # indicator code -> cell
    spending: dict[tuple[str, str], Cell] = field(default_factory=dict)  # (sub-programme, source) -> cell
    row_totals: dict[str, Cell] = field(default_factory=dict)  # sub-programme -> its "Tổng cộng" cell
    column_totals: dict[str, Cell] = field(default_factory=dict)  # source -> the "Tổng cộng" row's cell
    notes: list[Cell] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    unknown_codes: list[tuple[Cell, str]] = field(default_factory=list)  # code cell, indicator read by name
    group_values: list[tuple[Cell, Cell]] = field(default_factory=list)  # a group or totals row with a number
    other_sheets: list[str] = field(default_factory=list)  # other sheets that look like reports (not read)
    title_unit: Cell | None = None  # a unit named in the title lines, checked against "Đơn vị báo cáo"
    period_in_title: bool = False  # no "Kỳ báo cáo" label: the period is read from a title line
    duplicates: list[tuple[str, Cell, Cell]] = field(default_factory=list)  # code, first, second
    column_choice: tuple[Cell, str] | None = None  # the result column, when several could be
    missing: list[Missing] = field(default_factory=list)
    blank_causes: dict[str, str] = field(default_factory=dict)  # ref -> "no value" (formula) or "#N/A" …
    converted: list[tuple[str, str, str, str]] = field(default_factory=list)  # ref, before, after, encoding
    refusal: Problem | None = None  # why the file could not be read at all (then nothing else was read)
    programme: Programme | None = None  # the programme the tables were read against
    why: dict[str, str] = field(default_factory=dict)  # indicator code -> why its row was taken (free layout)
    label_rows: list[LabelRow] = field(default_factory=list)  # free layout: every named row with a value


# --- the header band of a table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    row: int  # first header row
    last: int  # last header row (sub-headers)
    name_col: int
    code_col: int | None
    labels: dict[int, str]  # column -> folded label (parent and sub-header joined)


@lru_cache(maxsize=32)
def _starter(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"^(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")(?!\w)")


def _starts(text: str, words: tuple[str, ...]) -> bool:
    """`text` begins with one of `words`, as whole words ("kho khan, vuong mac" begins with "kho khan")."""
    return _starter(words).match(text) is not None


_NAME_START, _NOTES_START, _STOP_START = _starter(NAME_HEADERS), _starter(NOTES_WORDS), _starter(STOP_WORDS)


def _header_at(grid: Grid, row: int, name_col: int) -> Header:
    last = row
    nxt = row + 1
    below = [grid.text(nxt, c) for c in range(1, grid.width + 1)]
    if any(below) and not grid.has_number(nxt) and not grid.text(nxt, name_col):
        last = nxt  # a sub-header row ("Tháng 3 | Lũy kế" under a merged "Thực hiện")
    labels: dict[int, str] = {}
    for c in range(1, grid.width + 1):
        parts: list[str] = []
        for r in range(row, last + 1):
            text = grid.text(r, c) or grid.merged_text(r, c)
            if text and text not in parts:
                parts.append(text)
        if parts:
            labels[c] = " ".join(parts)
    code_col = next((c for c, t in labels.items() if t in CODE_HEADERS), None)
    return Header(row, last, name_col, code_col, labels)


HEADER_MARKS = ("stt", "so tt", "dvt", "don vi tinh", "ma so", "ghi chu", "thuc hien", "ke hoach", "luy ke")


def _is_name_header(grid: Grid, r: int, text: str) -> bool:
    """ "Chỉ tiêu", "Nội dung" … heading a column; a longer text starting so only in a row of other headers."""
    if _NAME_START.match(text) is None:
        return False
    if re.sub(r"\s*\(.*\)$|[:.]$", "", text) in NAME_HEADERS:
        return True
    return sum(_starts(grid.text(r, c), HEADER_MARKS) for c in range(1, grid.width + 1)) >= 2


def _headers(grid: Grid) -> list[Header]:
    seen_rows: set[int] = set()
    out = []
    for r, c, text in grid.texts():
        if r in seen_rows or not _is_name_header(grid, r, text):
            continue
        seen_rows.add(r)
        out.append(_header_at(grid, r, c))
    return out


def _has_words(text: str, words: tuple[str, ...]) -> bool:
    """Any of `words` in `text` as whole words ("uoc" is not in "duoc")."""
    return _word_finder(words).search(text) is not None


@lru_cache(maxsize=32)
def _word_finder(words: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")


def _result_column(header: Header) -> tuple[int | None, bool]:
    """The column holding the period's result, and whether the choice was ambiguous."""
    exact = [
        c
        for c, t in header.labels.items()
        if t == RESULT_EXACT or (t.startswith(RESULT_EXACT) and not _has_words(t, NOT_RESULT))
    ]
    if len(exact) == 1:
        return exact[0], False
    candidates = exact or [
        c
        for c, t in header.labels.items()
        if c != header.name_col and _has_words(t, RESULT_WORDS) and not _has_words(t, NOT_RESULT)
    ]
    if len(candidates) > 1:
        precise = [c for c in candidates if any(w in header.labels[c] for w in ("trong ky", "thang", "quy"))]
        if len(precise) == 1:
            return precise[0], False
    return (candidates[0], len(candidates) > 1) if candidates else (None, False)


def _source_columns(header: Header, programme: Programme) -> dict[str, int]:
    keys = programme.source_keys
    found: dict[str, int] = {}
    for c, label in header.labels.items():
        for key, code in keys.items():
            if (label == key or label.endswith(" " + key)) and code not in found:
                found[code] = c
    return found


# --- reading a report --------------------------------------------------------------------------------------


def read_report(info: FileInfo, programmes: list[Programme], units: UnitRegistry) -> RawReport:
    """Read a file (pipeline.reading) and find its report; an unreadable file yields a RawReport saying why.
    `units` are the ones validation uses (a unit named in a title line is looked for among them)."""
    try:
        book = load_workbook(info.path)
        return find_report(book, info, programmes, units)
    except Refused as exc:
        return RawReport(file=info, programme=programmes[-1], refusal=exc.problem.of_file(info.name))
    except Exception as exc:  # noqa: BLE001 - a file no rule foresaw is refused; it never stops the others
        problem = refusal(FILE_UNREADABLE, FILE_UNREADABLE.message(error=type(exc).__name__))
        return RawReport(file=info, programme=programmes[-1], refusal=problem.of_file(info.name))


def find_report(book: Workbook, info: FileInfo, programmes: list[Programme], units: UnitRegistry) -> RawReport:
    """Find the report in a workbook read by pipeline.reading."""
    raw = RawReport(file=info, programme=programmes[-1], converted=list(book.converted))
    grid = _report_sheet(book.grids, programmes[-1])
    raw.sheet = grid.name
    headers = _headers(grid)
    first_table_row = min((h.row for h in headers), default=grid.height + 1)
    raw.layout = "template" if grid.find(lambda t: t.startswith(fold(wbk.HEAD_A[:18]))) else "free"
    _read_fields(grid, raw, first_table_row, units)
    programme = raw.programme = _programme_of(raw, programmes)
    # every header row starts a table (or continues one, when a long table repeats its header)
    sources = {h.row: _source_columns(h, programme) for h in headers}
    results = [h for h in headers if _result_column(h)[0] is not None and len(sources[h.row]) < 2]
    spending = [h for h in headers if len(sources[h.row]) >= 2]
    stops = sorted({h.row for h in headers} | set(_heading_rows(grid)))
    if not results:
        raw.missing.append(Missing("table_a", grid.name, _below_heading(grid, wbk.HEAD_A)))
    for h in results:
        _read_results(grid, raw, programme, h, _end(h, stops, grid))
    if raw.layout == "template" and results:
        raw.missing += [
            Missing(f"row:{code}", grid.name, "") for code in programme.indicators if code not in raw.results
        ]
    if not spending:
        raw.missing.append(Missing("table_b", grid.name, _below_heading(grid, wbk.HEAD_B)))
    for h in spending:
        _read_spending(grid, raw, programme, h, _end(h, stops, grid), sources[h.row])
    _read_notes(grid, raw)
    raw.other_sheets = [g.name for g in book.grids if g is not grid and _report_score(g) >= 4]
    raw.blank_causes = book.blank_causes(
        grid.name, [c for c in (*raw.results.values(), *raw.spending.values()) if c.blank]
    )
    return raw


def _below_heading(grid: Grid, heading: str) -> str:
    """Where a table's header was expected: the row under its heading, if the heading is there."""
    pos = grid.find(lambda t: t.startswith(fold(heading[:16])))
    return f"{sheet_ref(grid.name)}!A{pos[0] + 1}" if pos else ""


def _report_score(g: Grid) -> int:
    """How much a sheet looks like a report: the unit label, table headers (2 points each)."""
    return 2 * bool(g.find(lambda t: t.startswith(fold(wbk.LABEL_UNIT)))) + 2 * len(_headers(g)[:2])


def _report_sheet(grids: list[Grid], programme: Programme) -> Grid:
    """The sheet holding the report: the most report-like one (labels, tables), first on ties."""

    def score(g: Grid) -> int:
        return (3 if g.name == wbk.SHEET else 0) + _report_score(g) + (0 if g.hidden else 1)

    if len(grids) == 1:
        return grids[0]
    return max(grids, key=score) if grids else Grid(wbk.SHEET, [])


_FIELDS = {
    "unit": wbk.LABEL_UNIT,
    "period": wbk.LABEL_PERIOD,
    "date": wbk.LABEL_DATE,
    "preparer": wbk.LABEL_PREPARER,
    "phone": wbk.LABEL_PHONE,
}
_FIELD_SYNONYMS = {
    "unit": ("don vi bao cao",),
    "period": ("ky bao cao",),
    "date": ("ngay bao cao", "ngay lap"),
    "preparer": ("nguoi lap bieu", "nguoi lap", "can bo lap"),
    "phone": ("dien thoai", "so dien thoai", "dt"),
}


_FIELD_OF = {word: key for key, words in _FIELD_SYNONYMS.items() for word in words}


def _field_labels(grid: Grid) -> dict[str, tuple[int, int]]:
    """Each field's label cell: the first text that is the label, alone or followed by ":" and its value."""
    found: dict[str, tuple[int, int]] = {}
    for r, c, text in grid.texts():
        key = _FIELD_OF.get(text) or _FIELD_OF.get(text.split(":", 1)[0]) if ":" in text else _FIELD_OF.get(text)
        if key is not None and key not in found:
            found[key] = (r, c)
    return {key: found[key] for key in _FIELDS if key in found}


def _read_fields(grid: Grid, raw: RawReport, first_table_row: int, units: UnitRegistry) -> None:
    label_rows = []
    for key, pos in _field_labels(grid).items():
        raw.fields[key] = grid.right_of(*pos)
        label_rows.append(pos[0])
    top = min([first_table_row, *label_rows])
    # Title lines above the tables: a period phrase (checked against "Kỳ báo cáo"), the unit if not labelled.
    for r, c, text in grid.texts():
        if r >= top:
            break
        if raw.title_period is None and _names_period(text):
            raw.title_period = grid.cell(r, c)
        if raw.title_unit is None and find_unit_in_text(units, text) is not None:
            raw.title_unit = grid.cell(r, c)
    if "unit" not in raw.fields and raw.title_unit is not None:
        raw.fields["unit"], raw.title_unit = raw.title_unit, None
    if "period" not in raw.fields and raw.title_period is not None:
        raw.fields["period"], raw.title_period, raw.period_in_title = raw.title_period, None, True
    for key in ("unit", "period"):
        if key not in raw.fields:
            raw.missing.append(Missing(key, grid.name, ""))


@lru_cache(maxsize=4096)  # title lines repeat from one period to the next
def _names_period(text: str) -> bool:
    """A period phrase in a title line ("giai đoạn 2011-2015" names the programme, not the period)."""
    found = find_period_in_text(text)
    return found is not None and found[0].kind != "span"


def _programme_of(raw: RawReport, programmes: list[Programme]) -> Programme:
    """The programme whose years contain the report's period (the latest one if the period is unreadable)."""
    cell = raw.fields.get("period")
    try:
        year = period_in_cell(cell.value, search=True).first[0] if cell is not None else None
    except PeriodError:
        year = None
    for p in programmes:
        if year is not None and p.first_year <= year <= p.last_year:
            return p
    return programmes[-1]


SECTION = re.compile(r"^(?:[b-e]|[ivx]+)\.\s*(?:kinh phi|kho khan|de xuat|kien nghi|phuong huong|nhiem vu)")
_TABLE_END = re.compile("|".join(f"(?:{p.pattern})" for p in (SECTION, _NOTES_START, _STOP_START)))


def _heading_rows(grid: Grid) -> list[int]:
    """Rows that end a table: a section heading (B. KINH PHÍ, C. KHÓ KHĂN …, difficulties, the signature
    block), never a row that carries a number (a sub-item "b. Đào tạo nâng cao tay nghề | 15" is data)."""
    rows = []
    for r, _c, text in grid.texts():
        if _TABLE_END.match(text) and not grid.has_number(r):
            rows.append(r)
    return rows


def _end(header: Header, stops: list[int], grid: Grid) -> int:
    """Last row of the table that starts under `header`."""
    later = [r for r in stops if r > header.last]
    end = (min(later) - 1) if later else grid.height
    return end


def _is_total(text: str) -> bool:
    """A totals row or column: "Tổng cộng", "Cộng", "Tổng số" (on the text with its accents: "Công tác …"
    is not a total)."""
    return _TOTAL.match(nfc(text).strip().lower()) is not None


_TOTAL = re.compile(r"^(?:tổng cộng|tổng số|tổng|cộng)(?!\w)")


def _classify(grid: Grid, r: int, header: Header, programme: Programme) -> tuple[str, str, Cell | None]:
    """("indicator" | "subprogramme" | "total" | "blank" | "unmatched", code, name cell) of a body row."""
    index = programme.name_keys
    if header.code_col is not None:
        code = str(grid.value(r, header.code_col) or "").strip()
        if code in programme.indicators:
            return "indicator", code, grid.cell(r, header.name_col)
        if code in programme.group_codes:
            return "subprogramme", code, grid.cell(r, header.name_col)
    text = grid.text(r, header.name_col)
    if not text:
        return "blank", "", None
    name = grid.cell(r, header.name_col)
    if _is_total(str(name.value)):
        return "total", "", name
    kind, code = index.get(match_key(text), ("unmatched", ""))
    return kind, code, name


def _unknown_code(grid: Grid, r: int, header: Header) -> Cell | None:
    """The code cell of a row whose code is not a programme code (the row was then matched by its name)."""
    if header.code_col is None:
        return None
    cell = grid.cell(r, header.code_col)
    return None if cell.blank or isinstance(cell.value, int | float) else cell


def _read_results(grid: Grid, raw: RawReport, programme: Programme, header: Header, end: int) -> None:
    col, ambiguous = _result_column(header)
    if col is None:
        return  # not a table of results (find_report passes only headers that have a result column)
    if ambiguous:
        raw.column_choice = (grid.cell(header.row, col), header.labels[col])
    scorer = _scorer(raw, programme)
    reader = _FreeRows(grid, header, scorer) if scorer is not None else None
    scored: dict[str, list[tuple[Cell, Cell, Match, str]]] = {}  # code -> rows the scorer put there
    for r in range(header.last + 1, end + 1):
        kind, code, name = _classify(grid, r, header, programme)
        value = grid.cell(r, col)
        match: Match | None = None
        if reader is not None:
            kind, code, match = reader.row(r, kind, code, name)
        if kind == "indicator" and match is not None and not match.why.startswith(DECIDED):
            scored.setdefault(code, []).append((name or grid.cell(r, header.name_col), value, match, reader.unit(r)))
            continue
        if kind == "indicator":
            if (odd := _unknown_code(grid, r, header)) is not None and str(odd.value).strip() != code:
                raw.unknown_codes.append((odd, code))
            if code not in raw.results or raw.results[code].blank:
                raw.results[code] = value  # a blank first row yields to a filled second one
                if match is not None:  # a decision; a row named exactly as the indicator needs no why
                    raw.why[code] = match.why
            elif not value.blank:
                raw.duplicates.append((code, raw.results[code], value))
            if reader is not None and name is not None and not value.blank:
                raw.label_rows.append(
                    LabelRow(str(name.value), reader.unit(r), value.ref, code, raw.why.get(code, EXACT), "")
                )
        elif kind == "ignored":
            if reader is not None and name is not None and not value.blank:
                raw.label_rows.append(LabelRow(str(name.value), reader.unit(r), value.ref, "", match.why, ""))
        elif kind == "unmatched" or (kind == "blank" and not value.blank):
            cands = match.candidates if match is not None else ()
            unit = reader.unit(r) if reader is not None else ""
            raw.unmatched.append(
                Unmatched(name or grid.cell(r, header.name_col), None if value.blank else value, cands, unit)
            )
            if reader is not None and name is not None and not value.blank:
                raw.label_rows.append(LabelRow(str(name.value), unit, value.ref, "", "", _cands(cands)))
        elif kind == "subprogramme" and not value.blank and name is not None:
            raw.group_values.append((name, value))
    for code, rows in scored.items():
        _take_scored(raw, code, rows)


EXACT = "tên chỉ tiêu"  # why of a row named exactly as an indicator (or one of its synonyms)


def _cands(cands: tuple[tuple[str, float], ...]) -> str:
    return "; ".join(f"{c} {str(s).replace('.', ',')}" for c, s in cands)


def _take_scored(raw: RawReport, code: str, rows: list[tuple[Cell, Cell, Match, str]]) -> None:
    """Rows the scorer put on `code`: taken if it is the only one with a value and no row named the indicator
    exactly; otherwise none is taken (two rows on one indicator: which is it?) and each is listed unmatched."""
    filled = [row for row in rows if not row[1].blank]
    taken_already = code in raw.results and not raw.results[code].blank
    if len(filled) <= 1 and not taken_already:
        name, value, match, unit = filled[0] if filled else rows[0]
        if code not in raw.results:
            raw.results[code] = value
            raw.why[code] = match.why
        if not value.blank:
            raw.label_rows.append(LabelRow(str(name.value), unit, value.ref, code, match.why, _cands(match.candidates)))
        return
    for name, value, match, unit in filled:
        cands = ((code, match.candidates[0][1] if match.candidates else 0.0),)
        raw.unmatched.append(Unmatched(name, value, cands, unit))
        raw.label_rows.append(LabelRow(str(name.value), unit, value.ref, "", "", _cands(cands)))


def _scorer(raw: RawReport, programme: Programme) -> Matcher | None:
    """The scoring matcher, for free-layout reports when the configuration has a vocabulary (labels.yaml)."""
    if raw.layout != "free" or programme.vocabulary is None:
        return None
    return matcher_for(programme, programme.vocabulary)


_ROMAN = re.compile(r"^[ivx]+$")
_ROMAN_NAME = re.compile(r"^[ivx]+[.)/]\s")
_ARABIC_NAME = re.compile(r"^\d+[.)/]\s")
UNIT_HEADERS = ("dvt", "don vi tinh", "don vi")
STT_HEADERS = ("stt", "so tt", "tt", "so thu tu")
_PAREN_UNIT = re.compile(r"\(([^()]{1,20})\)\s*$")


class _FreeRows:
    """Reading the rows of a free-layout table: section headings, ĐVT, decisions, the scorer."""

    def __init__(self, grid: Grid, header: Header, scorer: Matcher) -> None:
        self.grid, self.header, self.scorer = grid, header, scorer
        labels = header.labels
        self.unit_col = next((c for c, t in labels.items() if t in UNIT_HEADERS or t.startswith("dvt")), None)
        self.stt_col = next((c for c, t in labels.items() if t in STT_HEADERS and c != header.name_col), None)
        self.section, self.section_label = "", ""
        self.decisions = scorer.vocabulary.decided

    def unit(self, r: int) -> str:
        if self.unit_col is not None:
            return nfc(str(self.grid.value(r, self.unit_col) or "")).strip()
        found = _PAREN_UNIT.search(nfc(str(self.grid.value(r, self.header.name_col) or "")))
        if found and self.scorer.is_unit(found.group(1)):
            return found.group(1).strip()
        return ""

    def row(self, r: int, kind: str, code: str, name: Cell | None) -> tuple[str, str, Match | None]:
        """(kind, code, match) of a body row: "indicator", "subprogramme", "ignored", "unmatched" …"""
        if name is None or kind in ("total", "blank"):
            return kind, code, None
        label = str(name.value)
        decided = self.decisions.get(match_key(label))
        if decided is not None:
            if decided.indicator:
                return "indicator", decided.indicator, Match(decided.indicator, decided.why)
            return "ignored", "", Match("", decided.why, ignored=True)
        if kind == "subprogramme":
            self.section, self.section_label = code, label
            return kind, code, None
        if kind == "indicator":
            return kind, code, None
        unit = self.unit(r)
        if self._is_heading(r, label, unit):
            group, _best, _second = self.scorer.group(label)
            self.section, self.section_label = group, label.strip()
            return ("subprogramme", group, None) if group else ("unmatched", "", None)
        match = self.scorer.match(label, unit, self.section, self.section_label)
        if match.code:
            return "indicator", match.code, match
        return "unmatched", "", match

    def _is_heading(self, r: int, label: str, unit: str) -> bool:
        """A section heading: no ĐVT, and numbered I., II. … (in its name or its STT cell), or written in
        capitals, or numbered "1." in its name with an empty STT cell."""
        if unit:
            return False
        folded = fold(label)
        stt = str(self.grid.value(r, self.stt_col) or "").strip().lower() if self.stt_col else ""
        letters = [ch for ch in nfc(label) if ch.isalpha()]
        upper = len(letters) > 3 and all(ch.isupper() for ch in letters)
        if _ROMAN_NAME.match(folded) or (stt and _ROMAN.match(stt)) or upper:
            return True
        return bool(_ARABIC_NAME.match(folded)) and not stt and self.stt_col is not None


def _read_spending(
    grid: Grid, raw: RawReport, programme: Programme, header: Header, end: int, src_cols: dict[str, int]
) -> None:
    for src in programme.source_codes:
        if src not in src_cols:
            where = f"{sheet_ref(grid.name)}!{header.row}:{header.last}"
            raw.missing.append(Missing(f"source:{src}", grid.name, where))
    total_col = next(
        (
            c
            for c, t in header.labels.items()
            if _starts(t, ("tong cong", "tong so", "cong")) and c not in src_cols.values()
        ),
        None,
    )
    scorer = _scorer(raw, programme)
    budget_lines = frozenset(sp.code for sp in programme.subprogrammes)
    for r in range(header.last + 1, end + 1):
        kind, code, name = _classify(grid, r, header, programme)
        if (
            kind == "unmatched"
            and scorer is not None
            and name is not None
            and not scorer.is_not_indicator(str(name.value))
        ):
            code = scorer.group(str(name.value), budget_lines)[0]  # a budget line in the officer's words
            kind = "subprogramme" if code else kind
        if kind == "subprogramme" and code not in {sp.code for sp in programme.subprogrammes}:
            kind = "unmatched"  # a context group has no budget line
        if kind == "subprogramme":
            for src, c in src_cols.items():
                cell = grid.cell(r, c)
                if (code, src) not in raw.spending or raw.spending[code, src].blank:
                    raw.spending[code, src] = cell
                elif not cell.blank:
                    raw.duplicates.append((f"{code} ({src})", raw.spending[code, src], cell))
            if total_col:
                raw.row_totals.setdefault(code, grid.cell(r, total_col))
        elif kind == "total":
            for src, c in src_cols.items():
                raw.column_totals.setdefault(src, grid.cell(r, c))
        elif kind in ("unmatched", "indicator") or (
            kind == "blank" and any(not grid.cell(r, c).blank for c in src_cols.values())
        ):
            values = [grid.cell(r, c) for c in src_cols.values() if not grid.cell(r, c).blank]
            raw.unmatched.append(Unmatched(name or grid.cell(r, header.name_col), values[0] if values else None))
    if raw.layout == "template" and src_cols:
        for sp in programme.subprogrammes:
            if (sp.code, next(iter(src_cols))) not in raw.spending:
                raw.missing.append(Missing(f"row:{sp.code}", grid.name, ""))


_NOTES_HEAD = re.compile(r"^c\.\s")


def _read_notes(grid: Grid, raw: RawReport) -> None:
    """Section C: the text under the "difficulties and proposals" heading, up to the signature block."""
    head = grid.find(lambda t: _NOTES_HEAD.match(t) is not None or _NOTES_START.match(t) is not None)
    if head is None:
        return
    for r in range(head[0] + 1, min(head[0] + 12, grid.height + 1)):
        if _starts(grid.row_text(r), STOP_WORDS) or re.match(r"^[d-e]\.\s", grid.row_text(r)):
            return
        raw.notes += [
            grid.cell(r, c) for c, v in enumerate(grid.rows[r - 1], start=1) if isinstance(v, str) and v.strip()
        ]
