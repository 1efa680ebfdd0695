"""The Word engine (python-docx): a model.Document as an editable .docx the office finishes before signing.

Layout only, after NĐ 30/2020 (as the PDF): A4, margins 20/15/20/30 mm (landscape appendices 30/20/15/20),
Times New Roman 13-14 pt, the two-column header (cơ quan / quốc hiệu, số, địa danh và ngày), title, Kính gửi,
sections, the closing with Nơi nhận and the signature block, then each appendix in a section of its own,
landscape where the PDF has it. Page numbers are centred in the header from page 2. Charts are the SVGs
rasterised (CairoSVG). Every text is given to Word as text: nothing is markup.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from pipeline.files import atomic_output
from pipeline.report.model import FLAG, Appendix, Block, Cell, Chart, Document, Heading, Paragraph, Table, shown

FONT = "Times New Roman"
PORTRAIT = (Mm(210), Mm(297), (Mm(20), Mm(15), Mm(20), Mm(30)))  # width, height, (top, right, bottom, left)
LANDSCAPE = (Mm(297), Mm(210), (Mm(30), Mm(20), Mm(15), Mm(20)))
CENTER, JUSTIFY, RIGHT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.RIGHT
# Relative widths of table columns by role (model.Table.columns); "" shares what is left evenly.
WIDTHS = {
    "code": 1.3, "name": 5.0, "unit": 1.5, "num": 2.0, "cum": 2.0, "pct": 1.4, "money": 2.0, "year": 1.1,
    "count": 1.2, "how": 3.0, "stt": 0.8, "uname": 3.2, "bname": 3.2, "m": 1.0, "missing": 2.4, "date": 2.0,
    "remark": 4.0, "top": 1.4, "total": 2.0, "": 1.5,
}  # fmt: skip
TABLE_PT = {"by-unit": 8.5, "by-unit-rows": 8, "unit-summary": 9.5, "budget": 10, "units": 10.5}  # else 11


def write_docx(doc: Document, out_path: Path) -> Path:
    """Write the document as .docx to `out_path` (atomically) and return that path."""
    data = docx_bytes(doc)
    with atomic_output(out_path) as tmp:
        tmp.write_bytes(data)
    return out_path


def docx_bytes(doc: Document) -> bytes:
    d = new_docx()
    _styles(d)
    _properties(d, doc)
    first = d.sections[0]
    _page(first, PORTRAIT)
    first.different_first_page_header_footer = True
    _page_number(first)
    _header(d, doc)
    for s in doc.sections:
        _para(d, s.heading, bold=True, size=14, space_before=12, keep_next=True)
        _blocks(d, s.blocks, _width(first))
    _closing(d, doc)
    for a in doc.appendices:
        _appendix(d, a)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


# --- the parts --------------------------------------------------------------------------------------------------


def _header(d, doc: Document) -> None:
    h = doc.header
    t = d.add_table(rows=2, cols=2)
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    _col_widths(t, (Mm(60), Mm(105)))
    left, right = t.rows[0].cells
    _cell_para(left, h.parent.upper(), size=13, align=CENTER, first=True)
    _cell_para(left, h.issuer.upper(), size=13, bold=True, align=CENTER)
    _rule(_cell_para(left, "", size=4, align=CENTER), Mm(20), Mm(60))
    _cell_para(right, h.country, size=13, bold=True, align=CENTER, first=True)
    _cell_para(right, h.motto, size=14, bold=True, align=CENTER)
    _rule(_cell_para(right, "", size=4, align=CENTER), Mm(60), Mm(105))
    number, place = t.rows[1].cells
    _cell_para(number, h.number, size=13, align=CENTER, first=True, space_before=6)
    _cell_para(place, h.place_date, size=14, italic=True, align=CENTER, first=True, space_before=6)
    _para(d, doc.kind, bold=True, size=14, align=CENTER, space_before=16, space_after=0)
    _para(d, doc.title, bold=True, size=14, align=CENTER, space_after=0)
    _rule(_para(d, "", size=4, align=CENTER), Mm(40), _width(d.sections[0]))
    _para(d, doc.salutation, size=14, align=CENTER, space_before=6, space_after=12)
    _paragraph(d, doc.opening)


def _closing(d, doc: Document) -> None:
    _paragraph(d, doc.closing)
    t = d.add_table(rows=1, cols=2)
    _col_widths(t, (Mm(80), Mm(85)))
    cc, signer = t.rows[0].cells
    _cell_para(cc, doc.copies_heading, size=12, bold=True, italic=True, first=True)
    for line in doc.copies:
        _cell_para(cc, line, size=11)
    s = doc.signer
    first = True
    for line in (s.authority, s.title):
        if line:
            _cell_para(signer, line, size=14, bold=True, align=CENTER, first=first)
            first = False
    for _ in range(4):  # the place of the signature (and the seal)
        _cell_para(signer, "", size=14, first=first)
        first = False
    _cell_para(signer, s.name, size=14, bold=True, align=CENTER)


def _appendix(d, a: Appendix) -> None:
    section = d.add_section(WD_SECTION.NEW_PAGE)
    _page(section, LANDSCAPE if a.landscape else PORTRAIT)
    _para(d, a.label, bold=True, size=14, align=CENTER, space_after=0)
    _para(d, a.title, bold=True, size=14, align=CENTER, space_after=0)
    _para(d, a.period, bold=True, size=13, align=CENTER, space_after=0)
    _para(d, a.attachment, italic=True, size=13, align=CENTER, space_after=8)
    _blocks(d, a.blocks, _width(section))


def _blocks(d, blocks: tuple[Block, ...], width) -> None:
    for b in blocks:
        if isinstance(b, Paragraph):
            _paragraph(d, b)
        elif isinstance(b, Heading):
            _para(d, b.text, bold=True, size=14, space_before=8, keep_next=True)
        elif isinstance(b, Chart):
            _chart(d, b, width)
        elif isinstance(b, Table):
            _table(d, b, width)


_STYLES = {  # paragraph style -> (size, italic, align, first-line indent)
    "body": (14, False, JUSTIFY, True),
    "item": (14, False, JUSTIFY, True),
    "lead": (14, False, JUSTIFY, True),
    "task": (14, False, JUSTIFY, True),
    "note": (14, False, JUSTIFY, True),
    "reconciliation": (14, False, JUSTIFY, True),
    "legend": (11, True, JUSTIFY, False),
    "coverage": (11, True, JUSTIFY, False),
}


def _paragraph(d, p: Paragraph) -> None:
    size, italic, align, indent = _STYLES[p.style]
    para = d.add_paragraph()
    f = para.paragraph_format
    f.alignment, f.space_after = align, Pt(6 if size >= 13 else 3)
    if indent:
        f.first_line_indent = Mm(10)
    f.keep_with_next = p.style in ("lead", "task")
    for r in p.runs:
        run = para.add_run(r.text)
        run.font.size, run.italic = Pt(size), italic or r.italic or None
        run.bold = r.strong or p.style == "task" or None


def _chart(d, c: Chart, width) -> None:
    import cairosvg

    png = cairosvg.svg2png(bytestring=c.svg.encode("utf-8"), scale=2)
    para = d.add_paragraph()
    para.paragraph_format.alignment = CENTER
    para.paragraph_format.keep_with_next = True
    para.add_run().add_picture(io.BytesIO(png), width=int(width * 0.95))
    _para(d, c.caption, italic=True, size=12, align=CENTER)


def _table(d, t: Table, width) -> None:
    if t.title:
        _para(d, t.title, bold=True, size=13, keep_next=True, space_before=6)
    if t.unit:
        _para(d, t.unit, italic=True, size=11, align=RIGHT, keep_next=True, space_after=2)
    size = TABLE_PT.get(t.name, 11)
    rows = len(t.head) + len(t.body)
    table = d.add_table(rows=rows, cols=len(t.columns))
    table.style = d.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    weights = [WIDTHS.get(c, WIDTHS[""]) for c in t.columns]
    _col_widths(table, tuple(int(width * w / sum(weights)) for w in weights))
    grid = [r.cells for r in table.rows]  # once: python-docx's table.cell() walks the whole table each time
    taken: set[tuple[int, int]] = set()  # grid cells covered by a span from above or the left
    merges = []
    for i, row in enumerate((*t.head, *t.body)):
        head = i < len(t.head)
        if head:
            _repeat_header(table.rows[i])
        j = 0
        for c in row.cells:
            while (i, j) in taken:
                j += 1
            if j >= len(t.columns):
                break
            _table_cell(
                grid[i][j], c, size, head, bold=head or row.kind in ("group", "total"), italic=row.kind == "colno"
            )
            if c.span > 1 or c.rows > 1:
                merges.append((grid[i][j], grid[min(i + c.rows, rows) - 1][min(j + c.span, len(t.columns)) - 1]))
                taken |= {(a, b) for a in range(i, i + c.rows) for b in range(j, j + c.span)}
            j += c.span
    for first, last in merges:  # after the text is in: a merge keeps the first cell's paragraphs
        first.merge(last)
    _para(d, "", size=4)


def _table_cell(cell, c: Cell, size: float, head: bool, bold: bool, italic: bool) -> None:
    para = cell.paragraphs[0]
    numeric = c.kind in ("number", "share")
    para.paragraph_format.alignment = CENTER if head or c.kind in ("center", "code") else RIGHT if numeric else None
    para.paragraph_format.space_after = Pt(0)
    text = (FLAG + " " if c.flag else "") + shown(c)
    run = para.add_run(text)
    run.font.size, run.bold, run.italic = Pt(size), bold or None, italic or None
    if c.sup:
        sup = para.add_run(c.sup)
        sup.font.size, sup.font.superscript = Pt(size), True
    if c.note:
        run.add_break(WD_BREAK.LINE)
        note = para.add_run(c.note)
        note.font.size, note.italic = Pt(max(size - 1.5, 7)), True


# --- Word's plumbing ------------------------------------------------------------------------------------------


def _styles(d) -> None:
    normal = d.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(13)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.1


def _properties(d, doc: Document) -> None:
    p, core = doc.properties, d.core_properties
    core.title, core.author, core.subject, core.keywords = p.title, p.author, p.subject, p.keywords
    core.comments = p.recipient
    core.language = "vi-VN"


def _page(section, size) -> None:
    width, height, (top, right, bottom, left) = size
    section.orientation = WD_ORIENT.LANDSCAPE if width > height else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = width, height
    section.top_margin, section.right_margin, section.bottom_margin, section.left_margin = top, right, bottom, left
    section.header_distance = Mm(10)


def _width(section):
    return section.page_width - section.left_margin - section.right_margin


def _page_number(section) -> None:
    """A centred page number in the header of every page but the first."""
    para = section.header.paragraphs[0]
    para.paragraph_format.alignment = CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    para._p.append(field)


def _para(d, text: str, *, size: float, bold=False, italic=False, align=None, space_before=0, space_after=6,
          keep_next=False):  # fmt: skip
    para = d.add_paragraph()
    _format(para, text, size, bold, italic, align, space_before, space_after, keep_next)
    return para


def _cell_para(cell, text: str, *, size: float, bold=False, italic=False, align=None, first=False, space_before=0):
    para = cell.paragraphs[0] if first else cell.add_paragraph()
    _format(para, text, size, bold, italic, align, space_before, 0, False)
    return para


def _format(para, text, size, bold, italic, align, space_before, space_after, keep_next) -> None:
    f = para.paragraph_format
    f.alignment, f.space_before, f.space_after, f.keep_with_next = align, Pt(space_before), Pt(space_after), keep_next
    run = para.add_run(text)
    run.font.size, run.bold, run.italic = Pt(size), bold or None, italic or None


def _rule(para, length, room) -> None:
    """A centred horizontal line `length` long under the text above (the paragraph's top border)."""
    side = max(int((room - length) / 2), 0)
    para.paragraph_format.left_indent = para.paragraph_format.right_indent = side
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for k, v in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(k), v)
    borders.append(top)
    para._p.get_or_add_pPr().insert_element_before(borders, *_AFTER_PBDR)  # Word wants the schema's order


_AFTER_PBDR = (
    "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct",
    "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
    "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
    "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)  # fmt: skip


def _col_widths(table, widths) -> None:
    """Column widths in the table's grid (what LibreOffice lays out by) and in every cell (what Word does)."""
    table.autofit = False
    for col, w in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=False):
        col.w = w
    for row in table.rows:
        for cell, w in zip(row.cells, widths, strict=False):
            cell.width = w


def _repeat_header(row) -> None:
    """The row is repeated at the top of each page the table runs onto."""
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)
