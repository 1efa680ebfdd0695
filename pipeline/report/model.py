"""The report as a typed document: everything one recipient's copy says, in its order, built once
(pipeline.report.build) and laid out by the engines (HTML/PDF, Excel, DOCX) without going back to the
consolidated record.

Text is final (NFC, sentences written, Vietnamese number format inside sentences); table figures are Cells
holding their value (Decimal, int or None) and how it reads (a number, a share), so each engine formats them its
own way. Names of styles and column roles (Paragraph.style, Table.columns, Row.kind) say what a thing is, not how
it looks; each engine maps them to its own layout. A DOCX engine needs nothing else: header, title, Kính gửi,
sections, charts (SVG), Nơi nhận, signer and the appendices with their tables and orientation are all here;
the Excel workbook's sheets (model.Sheet) too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pipeline.formatting import number, percent

FLAG = "\u25bc"  # ▼ marks a line behind pace or a year below the growth objective (legible in black and white)

# text: as is; code: a code ("P1.2"); center: short text, centred; number: a figure ("1.260"; None reads "-");
# share: a fraction shown as a percentage ("36,7 %"; None reads "-").
CellKind = Literal["text", "code", "center", "number", "share"]
# Paragraphs: body (the report's prose), item (a dashed item of a list), lead (a line introducing what follows,
# kept with it), task (a numbered heading of the tasks), note (a unit's note: its first emphasised run says
# whose), reconciliation (a reconciliation's note), legend (a smaller line under a table or chart), coverage
# (what the figures rest on).
ParagraphStyle = Literal["body", "item", "lead", "task", "note", "reconciliation", "legend", "coverage"]
# Rows: "" (a line of figures), group (a heading row: a sub-programme), total (a totals row, bold), behind (a
# line behind pace or below the objective, flagged), colno (the column numbers "(1) (2) …" under the headings).
RowKind = Literal["", "group", "total", "behind", "colno"]


@dataclass(frozen=True)
class Run:
    """A piece of a paragraph's text; `strong` pieces are emphasised (a note's "huyện Bù Đăng (quý III):")."""

    text: str
    strong: bool = False
    italic: bool = False  # the office's own emphasis (pipeline.assessment)


@dataclass(frozen=True)
class Paragraph:
    runs: tuple[Run, ...]
    style: ParagraphStyle = "body"

    @property
    def text(self) -> str:
        return "".join(r.text for r in self.runs)


def paragraph(text: str, style: ParagraphStyle = "body") -> Paragraph:
    """A paragraph of one plain run."""
    return Paragraph((Run(text),), style)


@dataclass(frozen=True)
class Heading:
    """A heading inside a section ("1. Đào tạo nghề …"); sections' own headings are Section.heading."""

    text: str


@dataclass(frozen=True)
class Chart:
    """A chart as a standalone SVG (its text escaped), and its caption ("Biểu đồ 1. …")."""

    svg: str
    caption: str


@dataclass(frozen=True)
class Cell:
    value: str | Decimal | int | None = None
    kind: CellKind = "text"
    flag: bool = False  # FLAG before the value
    sup: str = ""  # a mark after the value, raised ("(*)")
    note: str = ""  # a second, smaller line: a heading's "(quý III năm 2012)", a total's rate "93,9 %"
    span: int = 1  # columns it covers
    rows: int = 1  # rows it covers (headings)
    role: str = ""  # headings: "group" (over several columns), "column" (one column's name), "unit" (a unit's)


def shown(c: Cell) -> str:
    """A cell's value as every engine shows it: figures in Vietnamese format ("1.260", "36,7 %", "-" when none)."""
    if c.kind == "number":
        return number(c.value)  # type: ignore[arg-type]
    if c.kind == "share":
        return percent(c.value)  # type: ignore[arg-type]
    return "" if c.value is None else str(c.value)


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    kind: RowKind = ""


@dataclass(frozen=True)
class Table:
    """A table: its heading rows and body rows, its columns' roles (code, name, unit, num, cum, pct, money, year,
    count, how, stt, uname, bname, m, missing, date, remark, top, total; "" for an even share of what is left),
    and what goes above it: a part title ("A. Kinh phí theo chương trình và nguồn vốn") and the unit line."""

    name: str  # what the table is: indicators, budget, funding, by-unit, by-unit-rows, unit-summary, national,
    # units (reporting), context, growth
    columns: tuple[str, ...]
    head: tuple[Row, ...]
    body: tuple[Row, ...]
    title: str = ""
    unit: str = ""  # "ĐVT: triệu đồng"
    compact: bool = False  # fewer columns than its full form (appendix reporting without unit detail)
    keep_together: bool = False  # the part title and the table start on the same page


Block = Paragraph | Heading | Chart | Table


@dataclass(frozen=True)
class Section:
    """A body section: its key (recipients.yaml), its heading ("II. KINH PHÍ THỰC HIỆN") and what it says."""

    key: str
    heading: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True)
class Appendix:
    """An appendix ("Phụ lục 01"), on a landscape page when wide."""

    key: str
    number: str  # "01"
    title: str  # "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA CHƯƠNG TRÌNH KHUYẾN CÔNG"
    period: str  # "Quý III năm 2012"
    attachment: str  # "(Kèm theo Báo cáo số 05/BC-SCT ngày … của Sở Công Thương)"
    landscape: bool
    blocks: tuple[Block, ...]

    @property
    def label(self) -> str:
        return f"Phụ lục {self.number}"


@dataclass(frozen=True)
class Header:
    """The two-column header of NĐ 30/2020: issuing body and national motto, number and place-date."""

    parent: str  # "UBND TỈNH BÌNH PHƯỚC"
    issuer: str  # "SỞ CÔNG THƯƠNG"
    country: str  # "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    motto: str  # "Độc lập - Tự do - Hạnh phúc"
    number: str  # "Số: 05/BC-SCT" (a blank to fill in by hand when the run has no number)
    place_date: str  # "Bình Phước, ngày 05 tháng 01 năm 2013"


@dataclass(frozen=True)
class Signer:
    authority: str  # "KT. GIÁM ĐỐC" ("" when the head signs)
    title: str  # "PHÓ GIÁM ĐỐC"
    name: str  # may be empty


@dataclass(frozen=True)
class Properties:
    """The document's metadata (PDF/HTML/DOCX properties)."""

    title: str
    author: str
    subject: str
    keywords: str
    created: date
    recipient: str  # "Ủy ban nhân dân tỉnh Bình Phước"


# --- the workbook -------------------------------------------------------------------------------------------

TITLE_ROW, SUBTITLE_ROW, HEADER_ROW, FIRST_DATA_ROW = 1, 2, 3, 4  # every sheet: title, subtitle, headings, data
Value = str | Decimal | int | float | date | datetime | None


@dataclass(frozen=True, slots=True)
class SheetCell:
    """A cell of a sheet: a number stays a number, a share a fraction (shown as a percentage), text stays text
    (never a formula); None is an empty cell in the table's box."""

    value: Value
    share: bool = False
    bold: bool = False
    kind: str = ""  # "" (by its value), "header", "title", "subtitle" (a line outside the table), "year",
    # "datetime" (a date with its time of day)


@dataclass(frozen=True)
class Sheet:
    """A worksheet: title (row 1), subtitle (row 2), headings (row 3), and its cells from row 4 on."""

    name: str  # "PhuLuc01", "TienDo" …
    title: str
    subtitle: str
    headers: tuple[str, ...]
    widths: tuple[float, ...]  # column widths, in characters
    cells: tuple[tuple[int, int, SheetCell], ...]  # (row, column) numbered from 1 as in Excel
    landscape: bool = False
    freeze: str = "A4"  # the first cell below and right of the frozen panes
    header_height: float = 45
    row_heights: tuple[tuple[int, float], ...] = ()  # heading rows further down (a second table)
    autofilter: bool = False  # a filter on the headings over every data row


@dataclass(frozen=True)
class Document:
    properties: Properties
    header: Header
    kind: str  # "BÁO CÁO"
    title: str  # "Tình hình thực hiện Chương trình khuyến công quý III năm 2012"
    salutation: str  # "Kính gửi: Ủy ban nhân dân tỉnh Bình Phước"
    opening: Paragraph
    sections: tuple[Section, ...]
    closing: Paragraph  # "Trên đây là báo cáo … kính báo cáo …./."
    copies_heading: str  # "Nơi nhận:"
    copies: tuple[str, ...]  # "- Như trên;" … "- Lưu: VT, QLCN."
    signer: Signer
    appendices: tuple[Appendix, ...]
    sheets: tuple[Sheet, ...] = ()  # the Excel workbook's (the appendices' and more: every unit, every value)
