"""Builds the reading corpus: small workbooks as districts send them, and what reading each must yield.

Usage: .venv/bin/python tests/data/corpus/make_corpus.py   (from the project root)

Writes every file into tests/data/corpus/files/ (the folder is emptied first) and
tests/data/corpus/expected.yaml, which tests/test_corpus.py checks the reader against. The expectations come
from how each file is built here: every value is written into a cell this script chose, and recorded there
with what it must read as; every problem is planted on purpose and recorded with its cell. Nothing in this
script runs the project's reader. Bases come from the project's own template writer
(pipeline.workbook.build_workbook), changed with openpyxl; free layouts are written by hand; .xls with xlwt,
.ods with pandas/odfpy. Output is deterministic: fixed document dates, fixed zip timestamps.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENPYXL_LXML", "False")  # byte-identical files with or without lxml (see tests/conftest.py)

import importlib.util
import io
import re
import shutil
import struct
import sys
import unicodedata
import zipfile
import zlib
from copy import copy
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import xlwt
import yaml
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

ROOT = Path(__file__).resolve().parents[3]
for folder in (ROOT, ROOT / "tests" / "data"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from legacy_text import legacy_font  # noqa: E402

from pipeline.paths import packaged_config  # noqa: E402
from pipeline.periods import parse_period  # noqa: E402
from pipeline.programme import load_programmes  # noqa: E402
from pipeline.units import load_units  # noqa: E402
from pipeline.workbook import Filling, build_workbook  # noqa: E402

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
EXPECTED = HERE / "expected.yaml"
FIXED = datetime(2012, 4, 5, 8, 30, 0)  # document properties of every workbook
ZIP_TIME = (2012, 4, 5, 8, 30, 0)  # timestamp of every zip member

PROGRAMME = next(p for p in load_programmes(packaged_config()) if p.first_year == 2011)
UNITS = load_units(packaged_config())
SOURCES = ("KCQG", "KCĐP", "Khác")
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

ERROR, WARNING = "error", "warning"


def _hostile_module():
    """tests/data/hostile/make_hostile.py, for its hand-made OLE2 writer and its entity prolog."""
    spec = importlib.util.spec_from_file_location("make_hostile", HERE.parent / "hostile" / "make_hostile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------ expectations


def sheet_ref(name: str) -> str:
    """A sheet name as Excel writes it in a reference: quoted unless it is a plain word."""
    return name if re.fullmatch(r"[^\W\d]\w*", name) else "'" + name.replace("'", "''") + "'"


@dataclass
class Case:
    file: str
    description: str
    covers: list[str]
    unit: str | None
    period: str | None
    values: list[list[str]] = field(default_factory=list)
    problems: list[list[str]] = field(default_factory=list)
    xfail: str | None = None

    def value(self, kind: str, code: str, source: str, amount: str, cell: str) -> None:
        self.values.append([kind, code, source, amount, cell])

    def problem(self, code: str, severity: str, cell: str) -> None:
        self.problems.append([code, severity, cell])

    @property
    def status(self) -> str:
        severities = {p[1] for p in self.problems}
        return "rejected" if ERROR in severities else "accepted_with_warnings" if severities else "accepted"

    def as_dict(self) -> dict:
        out = {
            "file": self.file,
            "description": self.description,
            "covers": sorted(self.covers),
            "status": self.status,
            "unit": self.unit,
            "period": self.period,
            "values": sorted(self.values, key=lambda v: (v[0] != "indicator", v[1], v[2], v[4])),
            "problems": sorted(self.problems, key=lambda p: (p[2], p[0])),
        }
        if self.xfail:
            out["xfail"] = self.xfail
        return out


CASES: list[Case] = []


def case(file: str, description: str, covers: list[str], unit: str | None, period: str | None) -> Case:
    c = Case(file, description, covers, unit, period)
    CASES.append(c)
    return c


# ---------------------------------------------------------------------------------------------- writing


def write_zip(path: Path, members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    """A zip with fixed timestamps, keeping each member's order and compression (ods: stored mimetype)."""
    with zipfile.ZipFile(path, "w") as z:
        for info, data in members:
            name = info.filename if isinstance(info, zipfile.ZipInfo) else info
            stored = isinstance(info, zipfile.ZipInfo) and info.compress_type == zipfile.ZIP_STORED
            out = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            out.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            out.external_attr = 0o644 << 16
            out.create_system = 3
            z.writestr(out, data, compresslevel=9 if not stored else None)
    return path


def members_of(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return [(i, z.read(i.filename)) for i in z.infolist()]


_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:)")


def xlsx_bytes(wb: Workbook) -> bytes:
    wb.properties.created = wb.properties.modified = FIXED
    wb.properties.creator = "khuyencong corpus"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def xlsx_members(wb: Workbook, patch: dict[str, object] | None = None) -> list[tuple[zipfile.ZipInfo | str, bytes]]:
    """The members of `wb` saved, with fixed dates; `patch` replaces members (bytes, or a function of the old
    bytes) or adds them."""
    members: list[tuple[zipfile.ZipInfo | str, bytes]] = []
    for info, data in members_of(xlsx_bytes(wb)):
        if info.filename == "docProps/core.xml":
            data = _CORE_DATES.sub(rb"\g<1>2012-04-05T08:30:00Z\g<3>", data)
        new = (patch or {}).get(info.filename)
        if callable(new):
            data = new(data)
        elif new is not None:
            data = new
        members.append((info, data))
    names = {i.filename for i, _ in members if isinstance(i, zipfile.ZipInfo)}
    members += [
        (extra, data) for extra, data in (patch or {}).items() if extra not in names and isinstance(data, bytes)
    ]
    return members


def save_xlsx(wb: Workbook, name: str, patch: dict[str, object] | None = None) -> Path:
    return write_zip(FILES / name, xlsx_members(wb, patch))


def set_cached(sheet_xml: bytes, cached: dict[str, str]) -> bytes:
    """Give formula cells a cached value, as Excel does when it saves: <c r="E17"><f>…</f><v>12</v></c>."""
    for ref, value in cached.items():
        pattern = re.compile(rb'(<c r="' + ref.encode() + rb'"[^>]*>)(<f>[^<]*</f>)<v\s*/>')
        sheet_xml, n = pattern.subn(rb"\g<1>\g<2><v>" + value.encode() + rb"</v>", sheet_xml)
        assert n == 1, f"no formula cell {ref}"
    return sheet_xml


# ------------------------------------------------------------------------------------------- templates


def default_filling(period: str, **kw) -> Filling:
    p = parse_period(period)
    end = p.end
    day = date(end.year + (end.month == 12), end.month % 12 + 1, 5)
    return Filling(
        report_date=day,
        preparer="Nguyễn Văn An",
        phone="0271 3812345",
        notes="Kinh phí khuyến công địa phương phân bổ chậm.",
        **kw,
    )


class Template:
    """The official workbook (pipeline.workbook), changed the way officers change it; knows its own cells."""

    def __init__(self, unit: str = "bu-dang", period: str = "2012-03", **filling):
        self.wb = build_workbook(
            PROGRAMME, UNITS.by_code[unit], parse_period(period), default_filling(period, **filling)
        )
        self.ws: Worksheet = self.wb.active

    # --- where things are (scanning this script's own openpyxl sheet) ---
    def ref(self, coordinate: str) -> str:
        return f"{sheet_ref(self.ws.title)}!{coordinate}"

    def _header(self, label: str) -> tuple[int, int]:
        for row in self.ws.iter_rows():
            for c in row:
                if c.value == label:
                    return c.row, c.column
        raise KeyError(label)

    def _code_col(self, header_row: int) -> int:
        return next(c.column for c in self.ws[header_row] if c.value == "Mã số")

    def _row(self, header_row: int, code: str) -> int:
        col = self._code_col(header_row)
        for r in range(header_row + 1, self.ws.max_row + 1):
            if self.ws.cell(r, col).value == code:
                return r
        raise KeyError(code)

    def result_cell(self, code: str) -> str:
        head, col = self._header("Thực hiện trong kỳ")
        return f"{get_column_letter(col)}{self._row(head, code)}"

    def budget_cell(self, sp: str, source: str) -> str:
        head, col = self._header(source)
        return f"{get_column_letter(col)}{self._row(head, sp)}"

    def total_cell(self, sp: str) -> str:
        head, _ = self._header("KCQG")
        col = next(c.column for c in self.ws[head] if c.value == "Tổng cộng")
        return f"{get_column_letter(col)}{self._row(head, sp)}"

    def label_value_cell(self, label: str) -> str:
        """The input cell right of a header label ("Đơn vị báo cáo:")."""
        r, c = self._header(label)
        return next(
            self.ws.cell(r, col).coordinate for col in range(c + 1, c + 8) if self.ws.cell(r, col).value is not None
        )

    # --- writing values, with what each must read as ---
    def result(self, c: Case, code: str, value: object, reads_as: str | None) -> str:
        cell = self.result_cell(code)
        self.ws[cell] = value
        if reads_as is not None:
            c.value("indicator", code, "", reads_as, self.ref(cell))
        return self.ref(cell)

    def budget(self, c: Case, sp: str, source: str, value: object, reads_as: str | None) -> str:
        cell = self.budget_cell(sp, source)
        self.ws[cell] = value
        if reads_as is not None:
            c.value("budget", sp, source, reads_as, self.ref(cell))
        return self.ref(cell)

    def standard(self, c: Case) -> None:
        """A few results and spending lines, all plain numbers."""
        self.result(c, "P1.2", 12, "12")
        self.result(c, "P1.3", 3, "3")
        self.result(c, "P2.1", 0, "0")
        self.result(c, "P4.3", 4, "4")
        self.result(c, "P5.1", 34, "34")
        self.budget(c, "P1", "KCQG", 10.5, "10.5")
        self.budget(c, "P1", "KCĐP", 2, "2")
        self.budget(c, "P4", "KCĐP", 120, "120")
        self.budget(c, "P4", "Khác", 0.25, "0.25")

    # --- structural changes (merged ranges follow, unlike openpyxl's own insert_*) ---
    def insert_rows(self, idx: int, amount: int = 1) -> None:
        ranges = [r.coord for r in self.ws.merged_cells.ranges]
        for coord in ranges:
            self.ws.unmerge_cells(coord)
        heights = {r: d.height for r, d in self.ws.row_dimensions.items() if d.height}
        self.ws.insert_rows(idx, amount)
        for r in list(self.ws.row_dimensions):
            self.ws.row_dimensions[r].height = None
        for r, h in heights.items():
            self.ws.row_dimensions[r + amount if r >= idx else r].height = h
        for coord in ranges:
            r0, r1 = _rows(coord)
            self.ws.merge_cells(
                _shift_rows(coord, amount) if r0 >= idx else _grow_rows(coord, amount) if r1 >= idx else coord
            )
        self.ws.data_validations.dataValidation = []

    def insert_cols(self, idx: int, amount: int = 1) -> None:
        ranges = [r for r in self.ws.merged_cells.ranges]
        coords = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in ranges]
        for r in ranges:
            self.ws.unmerge_cells(r.coord)
        self.ws.insert_cols(idx, amount)
        for r0, c0, r1, c1 in coords:
            if c0 >= idx:
                c0, c1 = c0 + amount, c1 + amount
            elif c1 >= idx:
                c1 += amount
            self.ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)
        self.ws.data_validations.dataValidation = []

    def values(self) -> dict[tuple[int, int], object]:
        """Every non-empty cell value (formulas left out: they have no value until a spreadsheet computes them)."""
        out = {}
        for row in self.ws.iter_rows():
            for c in row:
                if c.value is not None and not (isinstance(c.value, str) and c.value.startswith("=")):
                    out[c.row, c.column] = c.value
        return out

    def save(self, name: str, patch: dict[str, object] | None = None) -> Path:
        return save_xlsx(self.wb, name, patch)


def _rows(coord: str) -> tuple[int, int]:
    nums = [int(n) for n in re.findall(r"\d+", coord)]
    return nums[0], nums[-1]


def _shift_rows(coord: str, amount: int) -> str:
    return re.sub(r"\d+", lambda m: str(int(m.group()) + amount), coord)


def _grow_rows(coord: str, amount: int) -> str:
    a, b = coord.split(":")
    return f"{a}:{_shift_rows(b, amount)}"


# ---------------------------------------------------------------------------------------- legacy text


def to_legacy(t: Template, family: str) -> str:
    """Retype every text cell of the sheet in a legacy font; return the first cell whose text changed."""
    first = None
    for row in t.ws.iter_rows():
        for c in row:
            if isinstance(c.value, str) and not c.value.startswith("="):
                typed, font = legacy_font(c.value, family)
                f = copy(c.font)
                c.font = Font(name=font, size=f.size, bold=f.bold, italic=f.italic)
                if typed != c.value and first is None:
                    first = c.coordinate
                c.value = typed
    assert first is not None
    return t.ref(first)


# ------------------------------------------------------------------------------------------ other formats


def write_xls(
    name: str,
    sheet: str,
    cells: dict[tuple[int, int], object],
    merged: list[tuple[int, int, int, int]] = (),
    fonts: dict[tuple[int, int], str] | None = None,
) -> Path:
    """An .xls (BIFF8) with these cell values (1-based); text in Times New Roman unless `fonts` names another."""
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet(sheet)
    plain = xlwt.easyxf("font: name Times New Roman")
    date_style = xlwt.easyxf("font: name Times New Roman", num_format_str="dd/mm/yyyy")
    font_styles = {f: xlwt.easyxf(f"font: name {f}") for f in set((fonts or {}).values())}
    inside = {(r, c) for r0, c0, r1, c1 in merged for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}

    def style(r: int, c: int) -> xlwt.XFStyle:
        value = cells.get((r, c))
        if isinstance(value, datetime | date):
            return date_style
        return font_styles.get((fonts or {}).get((r, c)), plain)

    for r0, c0, r1, c1 in merged:
        value = cells.get((r0, c0), "")
        ws.write_merge(r0 - 1, r1 - 1, c0 - 1, c1 - 1, value, style(r0, c0))
    for (r, c), value in sorted(cells.items()):
        if (r, c) not in inside:
            ws.write(r - 1, c - 1, value, style(r, c))
    buf = io.BytesIO()
    book.save(buf)
    path = FILES / name
    path.write_bytes(buf.getvalue())
    return path


_ODS_DATES = re.compile(rb"<meta:(creation-date|date)>[^<]*</meta:|<dc:date>[^<]*</dc:date>")


def write_ods(name: str, sheet: str, cells: dict[tuple[int, int], object]) -> Path:
    """An .ods (pandas + odfpy) with these cell values (1-based); dates written as text dd/mm/yyyy."""
    height = max(r for r, _ in cells)
    width = max(c for _, c in cells)
    rows = [[None] * width for _ in range(height)]
    for (r, c), value in cells.items():
        rows[r - 1][c - 1] = value.strftime("%d/%m/%Y") if isinstance(value, datetime | date) else value
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="odf") as writer:
        pd.DataFrame(rows, dtype=object).to_excel(writer, sheet_name=sheet, header=False, index=False)
    members = []
    for info, data in members_of(buf.getvalue()):
        if info.filename == "meta.xml":
            data = re.sub(
                rb"<meta:creation-date>[^<]*</meta:creation-date>",
                b"<meta:creation-date>2012-04-05T08:30:00</meta:creation-date>",
                data,
            )
            data = re.sub(rb"<dc:date>[^<]*</dc:date>", b"<dc:date>2012-04-05T08:30:00</dc:date>", data)
        members.append((info, data))
    return write_zip(FILES / name, members)


# ============================================================================================ the corpus


def formats() -> None:
    c = case(
        "template-clean.xlsx",
        "The official template, filled with plain numbers: the baseline.",
        ["xlsx", "template", "clean"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.standard(c)
    t.save(c.file)

    c = case(
        "template-macro.xlsm",
        "The template saved as a macro-enabled workbook (.xlsm, macro content type, "
        "a VBA project part): read like .xlsx, nothing run.",
        ["xlsm"],
        "loc-ninh",
        "2012-Q1",
    )
    t = Template("loc-ninh", "2012-Q1")
    t.standard(c)
    vba = _hostile_module().cfb({"VBA": b'Attribute VB_Name = "Module1"\r\nSub Auto_Open()\r\nEnd Sub\r\n'})

    def content_types(data: bytes) -> bytes:
        data = data.replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )
        return data.replace(
            b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'
        )

    def rels(data: bytes) -> bytes:
        return data.replace(
            b"</Relationships>",
            b'<Relationship Id="rIdVBA1" Type="http://schemas.microsoft.com/'
            b'office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>',
        )

    t.save(c.file, {"[Content_Types].xml": content_types, "xl/_rels/workbook.xml.rels": rels, "xl/vbaProject.bin": vba})

    c = case(
        "template-excel97.xls",
        "The template's cells written as Excel 97-2003 (.xls, xlwt), merged header cells kept; totals left empty.",
        ["xls"],
        "chon-thanh",
        "2012-04",
    )
    t = Template("chon-thanh", "2012-04")
    t.standard(c)
    merged = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in t.ws.merged_cells.ranges]
    write_xls(c.file, "BaoCao", t.values(), merged)

    c = case(
        "template-libreoffice.ods",
        "The template's cells written as OpenDocument (.ods, pandas/odfpy); no styles, no merges, the date as text.",
        ["ods"],
        "dong-phu",
        "2012-05",
    )
    t = Template("dong-phu", "2012-05")
    t.standard(c)
    write_ods(c.file, "BaoCao", t.values())


def modified_templates() -> None:
    c = case(
        "modified-rows-above.xlsx",
        "Four rows inserted above everything (form number, a note): every cell moves down by four.",
        ["rows-inserted"],
        "bu-dop",
        "2012-03",
    )
    t = Template("bu-dop")
    t.insert_rows(1, 4)
    t.ws["A1"] = "Mẫu số 01/BC-KC"
    t.ws["A2"] = "(Ban hành kèm theo công văn của Sở Công Thương)"
    t.standard(c)
    t.save(c.file)

    c = case(
        "modified-column-inserted.xlsx",
        'A "Ghi chú" column inserted left of "Mã số" (column B) with '
        "notes in it: codes, results and sources move one column right.",
        ["column-inserted"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.insert_cols(2)
    head_a, _ = t._header("Thực hiện trong kỳ")
    head_b, _ = t._header("KCQG")
    t.ws.cell(head_a, 2, "Ghi chú")
    t.ws.cell(head_b, 2, "Ghi chú")
    t.ws.cell(t._row(head_a, "P1.2"), 2, "Lớp may công nghiệp")
    t.standard(c)
    t.save(c.file)

    c = case(
        "modified-header-moved.xlsx",
        'Header fields moved down (a "Kính gửi" block and blank rows '
        "between the title and the fields), and more blank rows before table A.",
        ["header-moved"],
        "hon-quan",
        "2012-03",
    )
    t = Template("hon-quan")
    t.insert_rows(6, 5)
    t.ws["A7"] = "Kính gửi: Sở Công Thương"
    head_a = t._header("A. KẾT QUẢ THỰC HIỆN TRONG KỲ")[0]
    t.insert_rows(head_a, 3)
    t.standard(c)
    t.save(c.file)

    c = case(
        "modified-sheet-renamed.xlsx",
        "The report sheet renamed \"Báo cáo T3\": every reference is quoted ('Báo cáo T3'!E17).",
        ["sheet-renamed"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.ws.title = "Báo cáo T3"
    t.standard(c)
    t.save(c.file)

    c = case(
        "modified-extra-sheets.xlsx",
        'Two sheets before the report ("Hướng dẫn" with instructions, '
        '"Danh mục chỉ tiêu" with the indicator list and targets); the report sheet is third.',
        ["extra-sheets"],
        "phuoc-long",
        "2012-03",
    )
    t = Template("phuoc-long")
    guide = t.wb.create_sheet("Hướng dẫn", 0)
    guide["A1"] = "HƯỚNG DẪN LẬP BÁO CÁO"
    guide["A3"] = "1. Ghi đơn vị báo cáo và kỳ báo cáo ở sheet BaoCao."
    guide["A4"] = "2. Nhập kết quả vào cột «Thực hiện trong kỳ», để trống nếu không có."
    ref = t.wb.create_sheet("Danh mục chỉ tiêu", 1)
    ref.append(["Mã số", "Chỉ tiêu", "Đơn vị tính", "Mục tiêu 2011-2015"])
    for sp in PROGRAMME.subprogrammes:
        for ind in sp.indicators:
            ref.append([ind.code, ind.name, ind.unit, ind.target])
    t.wb.active = 2
    t.standard(c)
    t.save(c.file)

    c = case(
        "modified-merged-header.xlsx",
        "Merged cells in the header: each field label merged over A:B, and "
        "table A's header cells merged over two rows.",
        ["merged-header"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    for label in ("Đơn vị báo cáo:", "Kỳ báo cáo:", "Ngày báo cáo:", "Người lập biểu:", "Điện thoại:"):
        r, _ = t._header(label)
        t.ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
    head_a, _ = t._header("Thực hiện trong kỳ")
    t.insert_rows(head_a + 1)
    for col in range(1, 7):
        t.ws.merge_cells(start_row=head_a, start_column=col, end_row=head_a + 1, end_column=col)
    t.standard(c)
    t.save(c.file)

    c = case(
        "modified-blank-hidden-rows.xlsx",
        "Blank rows inside table A, a hidden blank row, and a hidden "
        "row that still holds a result (read: the value is in the file).",
        ["blank-rows", "hidden-rows"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    head_a, _ = t._header("Thực hiện trong kỳ")
    t.insert_rows(t._row(head_a, "P2"))  # blank row between P1.4 and the P2 heading
    t.insert_rows(t._row(head_a, "P3"), 2)  # two blank rows before P3, the second hidden
    t.ws.row_dimensions[t._row(head_a, "P3") - 1].hidden = True
    t.standard(c)
    t.result(c, "P2.2", 1, "1")
    t.ws.row_dimensions[t._row(head_a, "P2.2")].hidden = True
    t.save(c.file)

    c = case(
        "totals-match.xlsx",
        "Table B's formulas replaced by typed totals that add up (each row's "
        '"Tổng cộng" and the "Tổng cộng" row): no problem.',
        ["totals-match"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.standard(c)
    _type_totals(t, {("P1", "KCQG"): 10.5, ("P1", "KCĐP"): 2, ("P4", "KCĐP"): 120, ("P4", "Khác"): 0.25})
    t.save(c.file)

    c = case(
        "totals-mismatch.xlsx",
        'Table B: P4\'s typed "Tổng cộng" (130) is not the sum of its sources '
        "(120,25): TOTAL_MISMATCH warning on that cell; other totals are formulas.",
        ["totals-mismatch"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.standard(c)
    cell = t.total_cell("P4")
    t.ws[cell] = 130
    c.problem("TOTAL_MISMATCH", WARNING, t.ref(cell))
    t.save(c.file)


def _type_totals(t: Template, spending: dict[tuple[str, str], float]) -> None:
    """Replace every total formula of table B by the typed number it computes."""
    for sp in PROGRAMME.subprogrammes:
        t.ws[t.total_cell(sp.code)] = sum(v for (s, _), v in spending.items() if s == sp.code)
    head, _ = t._header("KCQG")
    total_row = next(r for r in range(head + 1, t.ws.max_row + 1) if t.ws.cell(r, 3).value == "Tổng cộng")
    for k, src in enumerate(SOURCES):
        t.ws.cell(total_row, 4 + k, sum(v for (_, s), v in spending.items() if s == src))
    t.ws.cell(total_row, 7, sum(spending.values()))


def numbers() -> None:
    c = case(
        "numbers-as-text.xlsx",
        'Numbers typed as text: "12 người", "3 cơ sở", "-", "", "x", '
        '"X" in results; "1.260,5", "1,260.5", "12,5" and "1.260" (ambiguous) in money.',
        [
            "number-with-unit",
            "dash",
            "empty-string",
            "x",
            "money-comma-decimal",
            "money-dot-decimal",
            "ambiguous-number",
        ],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.result(c, "P1.2", "12 người", "12")
    t.result(c, "P1.3", "-", None)
    t.result(c, "P1.4", "", None)
    t.result(c, "P2.1", "x", None)
    t.result(c, "P2.2", "X", None)
    t.result(c, "P4.3", "3 cơ sở", "3")
    t.budget(c, "P1", "KCQG", "1.260,5", "1260.5")
    t.budget(c, "P1", "KCĐP", "1,260.5", "1260.5")
    t.budget(c, "P3", "Khác", "12,5", "12.5")
    ref = t.budget(c, "P4", "KCĐP", "1.260", "1260")
    c.problem("AMBIGUOUS_NUMBER", WARNING, ref)
    t.save(c.file)

    c = case(
        "number-not-a-number.xlsx",
        '"khoảng 3" typed as a result: NOT_A_NUMBER error; the other values are still read.',
        ["not-a-number"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.standard(c)
    c.problem("NOT_A_NUMBER", ERROR, t.result(c, "P1.4", "khoảng 3", None))
    t.save(c.file)

    c = case(
        "number-not-whole.xlsx",
        "A fractional count (2,5 người): NOT_WHOLE error, the value is not kept.",
        ["not-whole"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.standard(c)
    c.problem("NOT_WHOLE", ERROR, t.result(c, "P1.4", 2.5, None))
    t.save(c.file)

    c = case(
        "number-negative.xlsx",
        "A negative result (-3): NEGATIVE error, the value is not kept.",
        ["negative"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.standard(c)
    c.problem("NEGATIVE", ERROR, t.result(c, "P1.4", -3, None))
    t.save(c.file)

    c = case(
        "number-above-target.xlsx",
        "5 bộ giáo trình in one month, above the 5-year target of 4: ABOVE_TARGET warning, the value is kept.",
        ["above-target"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.standard(c)
    c.problem("ABOVE_TARGET", WARNING, t.result(c, "P1.1", 5, "5"))
    t.save(c.file)

    c = case(
        "number-province-only.xlsx",
        "A district (Bù Đăng) reporting 2 bulletins (P5.2, run by the "
        "provincial centre only): PROVINCE_ONLY warning, the value is kept.",
        ["province-only"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.standard(c)
    c.problem("PROVINCE_ONLY", WARNING, t.result(c, "P5.2", 2, "2"))
    t.save(c.file)


def units_and_periods() -> None:
    spellings = [
        (
            "unit-ubnd-month-slash.xlsx",
            "UBND huyện Bù Đăng",
            "Tháng 03/2012",
            "bu-dang",
            "2012-03",
            ["unit-ubnd", "period-month-slash"],
        ),
        (
            "unit-abbrev-quarter-roman.xlsx",
            "H. Bù Đăng",
            "Quý III/2012",
            "bu-dang",
            "2012-Q3",
            ["unit-abbrev", "period-quarter-roman"],
        ),
        (
            "unit-ascii-quarter-words.xlsx",
            "Bu Dang",
            "Quý 3 năm 2012",
            "bu-dang",
            "2012-Q3",
            ["unit-ascii", "period-quarter-words"],
        ),
        (
            "unit-tx-half-year.xlsx",
            "TX Đồng Xoài",
            "6 tháng đầu năm 2012",
            "dong-xoai",
            "2012-H1",
            ["unit-tx", "period-half"],
        ),
        ("unit-huyen-year.xlsx", "Huyện Lộc Ninh", "Năm 2012", "loc-ninh", "2012", ["unit-huyen", "period-year"]),
    ]
    for name, unit_text, period_text, unit, period, covers in spellings:
        c = case(
            name,
            f'Unit written "{unit_text}", period "{period_text}" (the title line says the same '
            "period in the template's words).",
            covers,
            unit,
            period,
        )
        t = Template(unit, period, unit_text=unit_text, period_text=period_text)
        t.standard(c)
        t.save(c.file)

    c = case(
        "unit-not-in-period.xlsx",
        "Huyện Phú Riềng (created 2015) reporting for March 2012: "
        "UNIT_NOT_IN_PERIOD error on the unit cell; values are still read.",
        ["unit-not-in-period"],
        "phu-rieng",
        "2012-03",
    )
    t = Template(unit_text="UBND huyện Phú Riềng")
    t.ws["A1"] = "UBND HUYỆN PHÚ RIỀNG"
    t.standard(c)
    c.problem("UNIT_NOT_IN_PERIOD", ERROR, t.ref(t.label_value_cell("Đơn vị báo cáo:")))
    t.save(c.file)


def encodings() -> None:
    c = case(
        "legacy-tcvn3.xlsx",
        "Every text typed in TCVN3: .VnTime for mixed case (labels, names, unit), "
        ".VnTimeH for capitals (title, headings): read as Unicode, one LEGACY_TEXT warning at the first "
        "converted cell.",
        ["tcvn3-xlsx", "tcvn3-vntimeh"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.standard(c)
    c.problem("LEGACY_TEXT", WARNING, to_legacy(t, "tcvn3"))
    assert t.ws["A4"].font.name == ".VnTimeH"
    t.save(c.file)

    c = case(
        "legacy-vni.xlsx",
        "Every text typed in VNI-Times (two bytes per accented letter): read as "
        "Unicode, one LEGACY_TEXT warning at the first converted cell.",
        ["vni-xlsx"],
        "dong-xoai",
        "2012-03",
    )
    t = Template("dong-xoai")
    t.standard(c)
    c.problem("LEGACY_TEXT", WARNING, to_legacy(t, "vni"))
    t.save(c.file)

    c = case(
        "legacy-tcvn3.xls",
        "An .xls whose text is TCVN3 (xlwt font names .VnTime, .VnTimeH for capitals), "
        "merged header cells kept: read as Unicode, one LEGACY_TEXT warning at the first converted cell.",
        ["tcvn3-xls", "xls"],
        "bu-gia-map",
        "2012-03",
    )
    t = Template("bu-gia-map")
    t.standard(c)
    cells = t.values()
    fonts = {}
    first = None
    for (r, col), value in sorted(cells.items()):
        if isinstance(value, str):
            cells[r, col], fonts[r, col] = legacy_font(value, "tcvn3")
            if cells[r, col] != value and first is None:
                first = f"BaoCao!{get_column_letter(col)}{r}"
    assert first is not None and fonts[4, 1] == ".VnTimeH"
    merged = [(r.min_row, r.min_col, r.max_row, r.max_col) for r in t.ws.merged_cells.ranges]
    write_xls(c.file, "BaoCao", cells, merged, fonts)
    c.problem("LEGACY_TEXT", WARNING, first)

    c = case(
        "unicode-nfd.xlsx",
        "Every text in decomposed Unicode (NFD, tổ hợp): labels, names, unit, "
        "period, notes; read as if NFC, no problem.",
        ["nfd"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.standard(c)
    for row in t.ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.value = unicodedata.normalize("NFD", cell.value)
    t.save(c.file)

    c = case(
        "unicode-nfd-sheet-name.xlsx",
        'The report sheet named "Báo cáo" in NFD (as some Mac software '
        "writes it), text NFC, one result a formula with no cached value: references are given in NFC "
        "('Báo cáo'!E17) and the formula is reported (FORMULA_NO_VALUE).",
        ["nfd-sheet-name"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.standard(c)
    formula = t.result_cell("P1.4")
    t.ws[formula] = "=10+2"
    c.problem("FORMULA_NO_VALUE", ERROR, f"'Báo cáo'!{formula}")
    for v in c.values:  # recorded with the name as Excel shows it, in NFC
        v[4] = v[4].replace("BaoCao!", "'Báo cáo'!")
    t.ws.title = unicodedata.normalize("NFD", "Báo cáo")
    t.save(c.file)


# --------------------------------------------------------------------------------------- free layouts


def _free_sheet(title: str) -> tuple[Workbook, Worksheet]:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for col, width in zip("ABCDEFG", (6, 60, 12, 12, 12, 14, 14), strict=False):
        ws.column_dimensions[col].width = width
    return wb, ws


def _traditional(c: Case, date_line_on_top: bool) -> None:
    """The province's traditional report (a): unit and period only in the title lines, no table B."""
    wb, ws = _free_sheet("Sheet1")
    place_date = "Bù Đốp, ngày 05 tháng 4 năm 2012"
    ws["A1"] = "UBND HUYỆN BÙ ĐỐP"
    ws["D1"] = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    ws["A2"] = "PHÒNG KINH TẾ VÀ HẠ TẦNG"
    ws["D2"] = "Độc lập - Tự do - Hạnh phúc"
    ws["A3"] = "Số: 15/BC-KTHT"
    if date_line_on_top:
        ws["D3"] = place_date
    ws["A5"] = "BÁO CÁO"
    ws["A6"] = "Kết quả thực hiện công tác khuyến công quý I năm 2012"
    ws.append([])
    ws.append(["STT", "Nội dung", "ĐVT", "Kế hoạch", "Thực hiện", "Ghi chú"])  # row 8
    rows = [
        ("I", "Đào tạo nghề, truyền nghề và phát triển nghề", None, None, None, None, None),
        (1, "Đào tạo mới cho lao động", "người", 60, 35, None, ("P1.2", "35")),
        (2, "Đào tạo nâng cao tay nghề", "người", 40, 20, "2 lớp", ("P1.3", "20")),
        ("II", "Phát triển sản phẩm công nghiệp nông thôn tiêu biểu", None, None, None, None, None),
        (3, "Tham gia hội chợ triển lãm", "hội chợ", 2, 1, "Hội chợ Bình Dương", ("P4.2", "1")),
        (4, "Hỗ trợ cơ sở tham gia hội chợ triển lãm", "cơ sở", 10, 6, None, ("P4.3", "6")),
        ("III", "Tư vấn, cung cấp thông tin", None, None, None, None, None),
        (5, "Số cơ sở được tư vấn", "cơ sở", 20, 12.0, None, ("P5.1", "12")),
    ]
    for stt, name, unit, plan, done, note, expect in rows:
        ws.append([stt, name, unit, plan, done, note])
        if expect:
            c.value("indicator", expect[0], "", expect[1], f"Sheet1!E{ws.max_row}")
    ws.append([])
    ws.append(["Khó khăn, vướng mắc"])
    ws.append(["- Kinh phí khuyến công địa phương phân bổ chậm, cơ sở ít tham gia."])
    ws.append([])
    if not date_line_on_top:
        ws.append([None, None, None, None, place_date])
    ws.append([None, "Người lập", None, None, "TRƯỞNG PHÒNG"])
    ws.append([None, "Trần Thị Bình", None, None, "Lê Văn Cường"])
    c.problem("TABLE_MISSING", WARNING, "Sheet1")
    save_xlsx(wb, c.file)


def free_layouts() -> None:
    c = case(
        "free-traditional.xlsx",
        "The province's traditional layout: STT | Nội dung | ĐVT | Kế hoạch | "
        "Thực hiện | Ghi chú, activities named by synonyms, unit and period (quý I năm 2012) only in the title "
        'lines, "Khó khăn, vướng mắc" at the end, the place and date line above the signatures; no table '
        "B (TABLE_MISSING warning on the sheet).",
        ["free-layout"],
        "bu-dop",
        "2012-Q1",
    )
    _traditional(c, date_line_on_top=False)

    c = case(
        "free-traditional-date-line.xlsx",
        "The same traditional report with the place and date line where "
        'NĐ 30 puts it, top right under the motto ("Bù Đốp, ngày 05 tháng 4 năm 2012"), above the title '
        "\"... quý I năm 2012\": the period is the title's quarter, not the date's month.",
        ["free-layout", "free-place-date-line"],
        "bu-dop",
        "2012-Q1",
    )
    _traditional(c, date_line_on_top=True)

    c = case(
        "free-two-row-header.xlsx",
        'Traditional layout with a two-row header: "Thực hiện" merged over '
        '"Tháng 3" | "Lũy kế"; the month\'s column is read, the cumulative one is not.',
        ["free-two-row-header", "free-layout"],
        "phuoc-long",
        "2012-03",
    )
    wb, ws = _free_sheet("Sheet1")
    ws["A1"] = "UBND THỊ XÃ PHƯỚC LONG"
    ws["A2"] = "PHÒNG KINH TẾ"
    ws["A4"] = "BÁO CÁO KẾT QUẢ CÔNG TÁC KHUYẾN CÔNG THÁNG 3 NĂM 2012"
    ws["A6"], ws["B6"], ws["C6"], ws["D6"], ws["F6"] = "STT", "Nội dung", "ĐVT", "Thực hiện", "Ghi chú"
    ws["D7"], ws["E7"] = "Tháng 3", "Lũy kế"
    for col in "ABCF":
        ws.merge_cells(f"{col}6:{col}7")
    ws.merge_cells("D6:E6")
    rows = [
        (1, "Đào tạo mới", "người", 15, 40, None, "P1.2"),
        (2, "Nghệ nhân, thợ giỏi", "người", 2, 2, None, "P1.4"),
        (3, "Tổ chức hội thảo", "hội thảo", 1, 1, None, "P2.2"),
        (4, "Xây dựng mô hình trình diễn kỹ thuật", "mô hình", 0, 1, "Mô hình sấy hạt điều", "P3.1"),
        (5, "Hỗ trợ ứng dụng máy móc thiết bị hiện đại vào sản xuất", "cơ sở", 3, 5, None, "P3.2"),
    ]
    for stt, name, unit, month_value, cumulative, note, code in rows:
        ws.append([stt, name, unit, month_value, cumulative, note])
        c.value("indicator", code, "", str(month_value), f"Sheet1!D{ws.max_row}")
    c.problem("TABLE_MISSING", WARNING, "Sheet1")
    save_xlsx(wb, c.file)

    c = case(
        "free-unmatched-rows.xlsx",
        "Traditional layout with rows that match no indicator (UNMATCHED_ROW "
        'warning on each name cell, with or without a value) and a "Tổng cộng" row (never counted).',
        ["free-unmatched", "free-total-row", "free-layout"],
        "dong-phu",
        "2012-03",
    )
    wb, ws = _free_sheet("TH")
    ws["A1"] = "UBND HUYỆN ĐỒNG PHÚ"
    ws["A3"] = "BÁO CÁO TÌNH HÌNH THỰC HIỆN KHUYẾN CÔNG"
    ws["A4"] = "Tháng 3 năm 2012"
    ws.append([])
    ws.append(["TT", "Nội dung hoạt động", "Đơn vị tính", "Thực hiện trong tháng", "Ghi chú"])  # row 6
    rows = [
        (1, "Đào tạo nghề cho lao động mới", "người", 20, "P1.2"),
        (2, "Hỗ trợ xây dựng trang thông tin điện tử cho cơ sở", "cơ sở", 2, None),
        (3, "Số cơ sở được tư vấn", "cơ sở", 5, "P5.1"),
        (4, "Kiểm tra an toàn lò hơi", "lượt", None, None),
        (5, "Hỗ trợ thành lập hiệp hội ngành nghề", "hiệp hội", 1, "P6.1"),
        (None, "Tổng cộng", None, 28, "total"),
    ]
    for stt, name, unit, value, code in rows:
        ws.append([stt, name, unit, value])
        if code == "total":
            continue
        if code:
            c.value("indicator", code, "", str(value), f"TH!D{ws.max_row}")
        else:
            c.problem("UNMATCHED_ROW", WARNING, f"TH!B{ws.max_row}")
    c.problem("TABLE_MISSING", WARNING, "TH")
    save_xlsx(wb, c.file)


# ------------------------------------------------------------------------------ formulas and duplicates


def formulas() -> None:
    c = case(
        "formula-no-cached-value.xlsx",
        "A result typed as a formula (=10+2) in a file never opened in "
        "Excel (no cached value): FORMULA_NO_VALUE error on that cell.",
        ["formula-no-value"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.standard(c)
    c.problem("FORMULA_NO_VALUE", ERROR, t.result(c, "P1.4", "=10+2", None))
    t.save(c.file)

    c = case(
        "formula-cached-value.xlsx",
        "Formulas with cached values, as Excel saves them: a result (=10+2, "
        "cached 12) read as 12, and table B's total formulas cached with the right sums (no problem).",
        ["formula-cached"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.standard(c)
    cell = t.result_cell("P1.4")
    t.result(c, "P1.4", "=10+2", "12")
    spending = {("P1", "KCQG"): "10.5", ("P1", "KCĐP"): "2", ("P4", "KCĐP"): "120", ("P4", "Khác"): "0.25"}
    cached = {cell: "12", t.total_cell("P1"): "12.5", t.total_cell("P4"): "120.25"}
    for sp in ("P2", "P3", "P5", "P6", "P7"):
        cached[t.total_cell(sp)] = "0"
    total_row = int(re.sub(r"\D", "", t.total_cell("P7"))) + 1
    cached.update({f"D{total_row}": "10.5", f"E{total_row}": "122", f"F{total_row}": "0.25", f"G{total_row}": "132.75"})
    assert all(t.ws[ref].value.startswith("=") for ref in cached)
    assert spending  # the sums above are those of Template.standard
    t.save(c.file, {"xl/worksheets/sheet1.xml": lambda data: set_cached(data, cached)})

    c = case(
        "duplicate-row.xlsx",
        "Indicator P1.2's row copied below P1.3 with another number: DUPLICATE_ROW "
        "error on the second cell; the first is the value read.",
        ["duplicate-row"],
        "bu-dang",
        "2012-03",
    )
    t = Template()
    t.standard(c)
    head_a, col = t._header("Thực hiện trong kỳ")
    first = t._row(head_a, "P1.2")
    at = t._row(head_a, "P1.3") + 1
    t.insert_rows(at)
    for k in range(1, 7):
        t.ws.cell(at, k, t.ws.cell(first, k).value)
    t.ws.cell(at, col, 7)
    c.problem("DUPLICATE_ROW", ERROR, t.ref(f"{get_column_letter(col)}{at}"))
    # rows below moved: re-record what standard() wrote further down
    c.values.clear()
    for code, value in (("P1.2", "12"), ("P1.3", "3"), ("P2.1", "0"), ("P4.3", "4"), ("P5.1", "34")):
        c.value("indicator", code, "", value, t.ref(t.result_cell(code)))
    for (sp, src), value in (
        (("P1", "KCQG"), "10.5"),
        (("P1", "KCĐP"), "2"),
        (("P4", "KCĐP"), "120"),
        (("P4", "Khác"), "0.25"),
    ):
        c.value("budget", sp, src, value, t.ref(t.budget_cell(sp, src)))
    t.save(c.file)


# ------------------------------------------------------------------------------------------- hostile


def _with_sheet(members: list, sheet: bytes) -> list:
    return [(i, sheet if getattr(i, "filename", i) == "xl/worksheets/sheet1.xml" else d) for i, d in members]


def hostile() -> None:
    hostile_mod = _hostile_module()

    def refused(name: str, description: str, tag: str, code: str, data: bytes | None = None) -> Case:
        c = case(name, description, [tag, "hostile"], None, None)
        c.problem(code, ERROR, "")
        if data is not None:
            (FILES / name).write_bytes(data)
        return c

    refused("hostile-empty.xlsx", "An empty file (0 bytes) named .xlsx.", "hostile-empty", "FILE_EMPTY", b"")

    whole = xlsx_members(Template().wb)
    write_zip(FILES / "whole.tmp", whole)
    data = (FILES / "whole.tmp").read_bytes()
    (FILES / "whole.tmp").unlink()
    refused(
        "hostile-truncated.xlsx",
        "A workbook cut in half (an interrupted download): no central directory.",
        "hostile-truncated",
        "ZIP_DAMAGED",
        data[: len(data) // 2],
    )

    csv = (
        "STT,Mã số,Chỉ tiêu,Đơn vị tính,Thực hiện\n1,P1.2,Lao động được đào tạo mới,người,12\n"
        "2,P1.3,Lao động được đào tạo nâng cao tay nghề,người,3\n"
    )
    refused("hostile-csv.xlsx", "A CSV export renamed .xlsx.", "hostile-csv", "NOT_A_WORKBOOK", csv.encode())

    html = (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Báo cáo</title></head><body><table>'
        "<tr><td>Đơn vị báo cáo:</td><td>huyện Bù Đăng</td></tr><tr><td>P1.2</td><td>12</td></tr>"
        "</table></body></html>\n"
    )
    refused(
        "hostile-html.xlsx",
        "An HTML table saved by web software with an .xlsx name.",
        "hostile-html",
        "NOT_A_WORKBOOK",
        html.encode(),
    )

    # zip bomb: the sheet inflates to 52 MiB (over the 50 MiB bound) from about 50 KB on disk
    sheet = b"".join(
        [f'<worksheet xmlns="{MAIN_NS}"><sheetData>'.encode(), b" " * (52 * 1024 * 1024), b"</sheetData></worksheet>"]
    )
    write_zip(FILES / "hostile-zip-bomb.xlsx", _with_sheet(whole, sheet))
    refused(
        "hostile-zip-bomb.xlsx", "A zip bomb: the sheet unpacks to 52 MiB (~1000:1).", "hostile-zip-bomb", "ZIP_BOMB"
    )

    laughs = (
        hostile_mod.LAUGHS
        + f'<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
        f"<is><t>&lol9;</t></is></c></row></sheetData></worksheet>".encode()
    )
    write_zip(FILES / "hostile-xml-entities.xlsx", _with_sheet(whole, laughs))
    refused(
        "hostile-xml-entities.xlsx",
        "XML entity expansion (billion laughs) in the sheet XML.",
        "hostile-xml-entities",
        "XML_ENTITIES",
    )

    info = struct.pack("<HHI", 4, 4, 0x40) + b"<encryption/>"
    package = struct.pack("<Q", 4000) + bytes(zlib.crc32(i.to_bytes(2, "little")) & 0xFF for i in range(4000))
    refused(
        "hostile-password.xlsx",
        "A workbook with a password to open (OLE2 EncryptionInfo/EncryptedPackage).",
        "hostile-password",
        "PASSWORD_PROTECTED",
        hostile_mod.cfb({"EncryptionInfo": info, "EncryptedPackage": package}),
    )

    def million(data: bytes) -> bytes:
        data = re.sub(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:G1000000"/>', data)
        return data.replace(
            b"</sheetData>", b'<row r="1000000"><c r="A1000000" t="inlineStr"><is><t> </t></is></c></row></sheetData>'
        )

    t = Template()
    c = refused(
        "hostile-million-rows.xlsx",
        "A good report whose sheet runs to row 1 000 000 (a space typed at the bottom): too many rows.",
        "hostile-million-rows",
        "TOO_MANY_ROWS",
    )
    t.save(c.file, {"xl/worksheets/sheet1.xml": million})

    name = unicodedata.normalize("NFD", "Bù Đăng – báo cáo 'quý I' #1 100% (bản cuối).xlsx")
    c = case(
        name,
        "A good report under an odd file name: spaces, NFD Vietnamese, quotes, #, %, parentheses.",
        ["odd-file-name"],
        "bu-dang",
        "2012-Q1",
    )
    t = Template("bu-dang", "2012-Q1")
    t.standard(c)
    t.save(name)


class _Dumper(yaml.SafeDumper):
    """Lists of scalars (a value, a problem, the tags) on one line each."""


def _list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(not isinstance(x, list | dict) for x in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(list, _list)


def main(folder: Path = HERE) -> list[Case]:
    """(Re)write folder/files/ and folder/expected.yaml; return the cases."""
    global FILES, EXPECTED
    FILES, EXPECTED = folder / "files", folder / "expected.yaml"
    CASES.clear()
    if FILES.exists():
        shutil.rmtree(FILES)
    FILES.mkdir(parents=True)
    formats()
    modified_templates()
    numbers()
    units_and_periods()
    encodings()
    free_layouts()
    formulas()
    hostile()
    names = [c.file for c in CASES]
    assert len(names) == len(set(names)), "file names must be unique"
    on_disk = sorted(p.name for p in FILES.iterdir())
    assert on_disk == sorted(names), set(on_disk) ^ set(names)
    for p in FILES.iterdir():
        assert p.stat().st_size < 100_000, (p.name, p.stat().st_size)
    doc = {
        "about": "Generated by make_corpus.py: what reading each file in files/ must yield. Values are "
        "[kind, code, source, amount, cell]; problems are [code, severity, cell].",
        "files": [c.as_dict() for c in CASES],
    }
    EXPECTED.write_text(
        yaml.dump(doc, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8"
    )
    return list(CASES)


if __name__ == "__main__":
    cases = main()
    print(f"{len(cases)} files in {FILES.relative_to(ROOT)}, expectations in {EXPECTED.relative_to(ROOT)}")
