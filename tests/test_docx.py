"""The Word engine: the .docx read back with python-docx (page, fonts, header, sections, tables, signer) and
converted by LibreOffice (`soffice --headless --convert-to pdf`) to compare its text with the PDF's figures."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from docx import Document as read_docx
from docx.enum.section import WD_ORIENT
from docx.shared import Mm
from pypdf import PdfReader
from render_samples import issuer, recipient, sample_report, titles

from pipeline.report.build import build_document
from pipeline.report.docx import write_docx
from pipeline.report.html import render_pdf
from pipeline.report.model import Chart, Table, shown

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """(document, .docx path, the PDF of the same document) for the province's copy of a sample quarter."""
    folder = tmp_path_factory.mktemp("docx")
    doc = build_document(sample_report(12), recipient("ubnd-tinh"), issuer(), titles(), 5)
    return doc, write_docx(doc, folder / "bao-cao.docx"), render_pdf(doc, folder / "bao-cao.pdf")


def _near(a, b) -> bool:
    return abs(int(a) - int(b)) <= Mm(0.5)


def test_a4_with_the_decree_margins_and_landscape_appendices_where_the_pdf_has_them(made) -> None:
    doc, path, _ = made
    sections = read_docx(path).sections
    body, appendices = sections[0], sections[1:]
    assert _near(body.page_width, Mm(210)) and _near(body.page_height, Mm(297))
    assert [_near(m, Mm(x)) for m, x in zip((body.top_margin, body.right_margin, body.bottom_margin, body.left_margin),
                                             (20, 15, 20, 30), strict=True)] == [True] * 4  # fmt: skip
    assert len(appendices) == len(doc.appendices)
    for section, appendix in zip(appendices, doc.appendices, strict=True):
        assert (section.orientation == WD_ORIENT.LANDSCAPE) == appendix.landscape
        assert _near(section.page_width, Mm(297 if appendix.landscape else 210))


def test_times_new_roman_13_to_14_and_the_documents_words_in_order(made) -> None:
    doc, path, _ = made
    word = read_docx(path)
    normal = word.styles["Normal"].font
    assert normal.name == "Times New Roman" and normal.size.pt == 13
    header = word.tables[0]
    assert [c.text.strip() for c in header.rows[0].cells] == [
        f"{doc.header.parent.upper()}\n{doc.header.issuer.upper()}",
        f"{doc.header.country}\n{doc.header.motto}",
    ]
    assert [c.text for c in header.rows[1].cells] == [doc.header.number, doc.header.place_date]
    texts = [p.text for p in word.paragraphs]
    order = [doc.kind, doc.title, doc.salutation, doc.opening.text, *(s.heading for s in doc.sections)]
    order += [doc.closing.text]
    at = [texts.index(t) for t in order]
    assert at == sorted(at)
    body_sizes = {r.font.size.pt for p in word.paragraphs if p.text in order for r in p.runs if r.font.size}
    assert body_sizes <= {13, 14}
    assert word.core_properties.title == doc.properties.title


def test_the_closing_names_the_recipients_of_copies_and_the_signer(made) -> None:
    doc, path, _ = made
    (closing,) = [t for t in read_docx(path).tables if t.cell(0, 0).text.startswith(doc.copies_heading)]
    copies, signer = closing.rows[0].cells
    assert copies.text.splitlines() == [doc.copies_heading, *doc.copies]
    lines = [x for x in signer.text.splitlines() if x.strip()]
    assert lines == [x for x in (doc.signer.authority, doc.signer.title, doc.signer.name) if x]


def test_every_table_of_the_appendices_holds_the_documents_figures(made) -> None:
    doc, path, _ = made
    header, *word_tables = read_docx(path).tables
    word_tables = [t for t in word_tables if not t.cell(0, 0).text.startswith(doc.copies_heading)]
    model_tables = [b for s in doc.sections for b in s.blocks if isinstance(b, Table)]
    model_tables += [b for a in doc.appendices for b in a.blocks if isinstance(b, Table)]
    assert len(word_tables) == len(model_tables)
    for table, model in zip(word_tables, model_tables, strict=True):
        assert len(table.rows) == len(model.head) + len(model.body)
        first_body = len(model.head)
        for row, mrow in zip(table.rows[first_body:], model.body, strict=True):
            seen = [c.text for c in row.cells]
            for c in mrow.cells:  # every figure of the row, as the PDF shows it, in the row's Word cells
                assert any(shown(c) in s for s in seen), (model.name, shown(c), seen)


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed: bash scripts/setup.sh")
def test_libreoffice_opens_it_and_its_text_has_the_pdfs_figures(made, tmp_path) -> None:
    doc, path, pdf = made
    profile = tmp_path / "profile"  # a profile of its own: no clash with another soffice running
    done = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", "pdf", "--outdir",
         str(tmp_path), str(path)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    converted = tmp_path / "bao-cao.pdf"
    assert done.returncode == 0 and converted.is_file(), done.stdout + done.stderr
    office = _words(" ".join(p.extract_text() for p in PdfReader(converted).pages))
    ours = _words(" ".join(p.extract_text() for p in PdfReader(pdf).pages))
    figures = set(re.findall(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d+ ?%|\d+,\d+", ours))
    charts = " ".join(b.svg for s in doc.sections for b in s.blocks if isinstance(b, Chart))
    in_charts = {f for f in figures if f in charts and f not in ours.replace(f, "", 1)}  # a picture in Word
    assert len(figures) > 50
    missing = sorted(f for f in figures - in_charts if f not in office)
    assert not missing, missing[:20]
    for text in (doc.title, doc.salutation, *(s.heading for s in doc.sections), doc.signer.title):
        assert _words(text) in office
