"""What the office adds before signing, in every output: its own assessment at its places, a real signer (never a
placeholder), and the PDF's signature field - empty, or signed with the province's certificate."""

from __future__ import annotations

import io

import pytest
from docx import Document as read_docx
from openpyxl import load_workbook
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from render_samples import sample_report, titles
from test_signing import HOLDER, throwaway_certificate

from pipeline import assessment, signing
from pipeline.paths import packaged_config
from pipeline.recipients import load_recipients
from pipeline.report.build import build_document
from pipeline.report.docx import docx_bytes
from pipeline.report.excel import write_workbook
from pipeline.report.html import PdfWriter, render_html
from pipeline.reports import unfinished

OWN = """## Đánh giá chung
Các đơn vị đã **cơ bản** hoàn thành kế hoạch quý; riêng <script>alert(1)</script> chưa đạt.

## Tồn tại, hạn chế và nguyên nhân
- Kinh phí về chậm so với kế hoạch.

## Kiến nghị
1. Đề nghị UBND tỉnh bổ sung 1.260 triệu đồng.

## Nhiệm vụ
Tập trung hoàn thành các đề án chuyển tiếp.
"""


def _words(text: str) -> str:
    return " ".join(text.split())


def _pdf_text(data: bytes) -> str:
    return _words(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))


@pytest.fixture(scope="module")
def book():
    return load_recipients(packaged_config())


def _doc(book, own=None, code: str = "ubnd-tinh"):
    to = next(r for r in book.recipients if r.code == code)
    return build_document(sample_report(4), to, book.issuer, book.titles, 5, assessment=own)


def _pdf(doc, tmp_path, key=None) -> bytes:
    path = PdfWriter(key).write(render_html(doc), tmp_path / "bao-cao.pdf")
    return path.read_bytes()


def test_the_offices_parts_stand_at_their_places_in_the_pdf_html_and_word(book, tmp_path) -> None:
    doc = _doc(book, assessment.parse(OWN))
    headings = [s.heading for s in doc.sections]
    assert headings[:2] == [f"I. {titles().section('results')}", "II. ĐÁNH GIÁ CHUNG"]  # after section I
    text = _pdf_text(_pdf(doc, tmp_path))
    order = [
        "I. KẾT QUẢ THỰC HIỆN",
        "II. ĐÁNH GIÁ CHUNG",
        "1. Kết quả đạt được",
        "Các đơn vị đã cơ bản hoàn thành kế hoạch quý; riêng <script>alert(1)<",  # shown as typed, not run
        "2. Tồn tại, hạn chế và nguyên nhân",
        "- Kinh phí về chậm so với kế hoạch.",
        "III. KINH PHÍ THỰC HIỆN",
        "KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ",
        "1. Đề nghị UBND tỉnh bổ sung 1.260 triệu đồng.",
        "NHIỆM VỤ",
        "Tập trung hoàn thành các đề án chuyển tiếp.",
        "Trên đây là báo cáo",
    ]
    at = [text.index(x) for x in order]
    assert at == sorted(at), at
    page = render_html(doc)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>" not in page  # escaped, as text
    assert '<span class="who">cơ bản</span>' in page  # the office's bold
    word = [p.text for p in read_docx(io.BytesIO(docx_bytes(doc))).paragraphs]
    own = [
        "II. ĐÁNH GIÁ CHUNG",
        "1. Kết quả đạt được",
        "Các đơn vị đã cơ bản hoàn thành kế hoạch quý; riêng <script>alert(1)</script> chưa đạt.",
        "2. Tồn tại, hạn chế và nguyên nhân",
        "- Kinh phí về chậm so với kế hoạch.",
        "1. Đề nghị UBND tỉnh bổ sung 1.260 triệu đồng.",
        "Tập trung hoàn thành các đề án chuyển tiếp.",
    ]
    at = [word.index(x) for x in own]
    assert at == sorted(at) and word.index(headings[2]) < at[-2] < word.index(headings[-1]) < at[-1]


def test_the_offices_parts_are_in_the_excel_workbook_too(book, tmp_path) -> None:
    path = write_workbook(_doc(book, assessment.parse(OWN)), tmp_path / "bao-cao.xlsx")
    rows = [r[:2] for r in load_workbook(path)["DanhGia"].iter_rows(min_row=4, values_only=True)]
    assert rows == [
        ("Đánh giá chung", "Các đơn vị đã cơ bản hoàn thành kế hoạch quý; riêng <script>alert(1)</script> chưa đạt."),
        ("Tồn tại, hạn chế và nguyên nhân", "- Kinh phí về chậm so với kế hoạch."),
        ("Kiến nghị", "1. Đề nghị UBND tỉnh bổ sung 1.260 triệu đồng."),
        ("Nhiệm vụ", "Tập trung hoàn thành các đề án chuyển tiếp."),
    ]


def test_without_the_offices_text_the_report_is_whole_and_the_summary_says_so(book, tmp_path) -> None:
    doc = _doc(book)
    assert "assessment" not in [s.key for s in doc.sections]
    assert "DanhGia" not in [sheet.name for sheet in doc.sheets]
    assert "ĐÁNH GIÁ CHUNG" not in _pdf_text(_pdf(doc, tmp_path))
    said = unfinished(book, None)
    assert any("assessments/<kỳ>.md" in line for line in said)
    assert not any("assessments" in line for line in unfinished(book, assessment.parse(OWN)))


def test_the_signer_comes_from_the_configuration_or_the_run_never_a_placeholder(book, tmp_path) -> None:
    assert book.unsigned() == [r.code for r in book.recipients]  # the packaged configuration names no one
    assert any("--signer" in line for line in unfinished(book, None))
    text = _pdf_text(_pdf(_doc(book), tmp_path))
    assert "Nguyễn Văn A " not in text + " " and "PHÓ GIÁM ĐỐC" in text
    named = book.signed_by("  Trần   Văn Bình ")
    assert named.unsigned() == [] and not any("--signer" in line for line in unfinished(named, None))
    for code in ("ubnd-tinh", "bo-cong-thuong"):
        doc = _doc(named, code=code)
        assert (doc.signer.authority, doc.signer.title, doc.signer.name) == (
            "KT. GIÁM ĐỐC",
            "PHÓ GIÁM ĐỐC",
            "Trần Văn Bình",
        )
        text = _pdf_text(_pdf(doc, tmp_path))
        assert text.index("KT. GIÁM ĐỐC PHÓ GIÁM ĐỐC") < text.index("Trần Văn Bình") < text.index("Phụ lục 01 KẾT QUẢ")


def test_every_pdf_carries_an_empty_signature_field_inside_the_signature_block(book, tmp_path) -> None:
    data = _pdf(_doc(book.signed_by("Trần Văn Bình")), tmp_path)
    reader = PdfReader(io.BytesIO(data))
    (field,) = [f.get_object() for f in reader.trailer["/Root"]["/AcroForm"]["/Fields"]]
    assert field["/FT"] == "/Sig" and "/V" not in field
    (page,) = [i for i, p in enumerate(reader.pages) if "/Annots" in p]
    words = reader.pages[page].extract_text()
    assert "PHÓ GIÁM ĐỐC" in words and "Trần Văn Bình" in words  # the page of the signature block
    x1, y1, x2, y2 = (float(v) for v in field["/Rect"])
    width = float(reader.pages[page].mediabox.width)
    assert x1 > width / 2 and round((x2 - x1) / 72 * 25.4) == 60  # in the right-hand column, 60 mm wide


def test_with_the_provinces_certificate_the_run_signs_each_pdf_in_its_field(book, tmp_path) -> None:
    key, pem = throwaway_certificate(tmp_path)
    data = _pdf(_doc(book.signed_by("Trần Văn Bình")), tmp_path, key)
    (sig,) = PdfFileReader(io.BytesIO(data)).embedded_signatures
    status = validate_pdf_signature(sig, ValidationContext(trust_roots=[load_cert_from_pemder(str(pem))]))
    assert status.bottom_line and sig.field_name == signing.FIELD
    assert status.signing_cert.subject.native["common_name"] == HOLDER
    assert "Trần Văn Bình" in _pdf_text(data)


def test_a_signing_certificate_named_in_the_configuration_is_found_beside_it(book, tmp_path) -> None:
    from pipeline.recipients import Signing
    from pipeline.reports import signing_key

    assert signing_key(book, tmp_path, {}) is None
    issuer = book.issuer.model_copy(update={"signing": Signing(pkcs12="ky-so/giam-doc.p12")})
    signed = book.model_copy(update={"issuer": issuer})
    key = signing_key(signed, tmp_path, {"KHUYENCONG_SIGNING_PASSPHRASE": "bí mật"})
    assert key == signing.SigningKey(tmp_path / "ky-so" / "giam-doc.p12", "bí mật")
    with pytest.raises(signing.SigningError, match="does not exist"):
        signing.holder(key)
