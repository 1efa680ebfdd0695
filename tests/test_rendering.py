"""Rendering: real PDFs for both recipients, escaping, the URL fetcher, fonts and atomic writes."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import weasyprint
from pypdf import PdfReader
from render_samples import (
    BEHIND,
    html_of,
    issuer,
    many_units_report,
    pdf_of,
    recipient,
    sample_report,
    unit_result,
    unit_spending,
    xlsx_of,
)
from weasyprint import HTML

from pipeline.aggregating import Note, UnitStatus
from pipeline.formatting import number, percent
from pipeline.paths import TEMPLATES_DIR
from pipeline.recipients import Recipient
from pipeline.report.html import BlockedURLError, SafeFetcher
from pipeline.report.numbering import report_basename
from pipeline.report.sentences import month_list, named, reporting_left_out, reporting_sentences
from pipeline.report.tables import (
    NOTES_MAX,
    UNIT_COLUMNS_MAX,
    by_unit_layout,
    by_unit_tables,
    reporting_rows,
    shown_notes,
    unit_column_groups,
)


def _text(pdf: Path) -> str:
    raw = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw))


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("pdf")
    report = sample_report()
    return {
        code: pdf_of(
            report,
            recipient(code),
            out / f"{report_basename(report, recipient(code))}.pdf",
            number=5,
        )
        for code in ("ubnd-tinh", "bo-cong-thuong")
    }


def _pages(pdf: Path) -> list[str]:
    return [re.sub(r"\s+", " ", unicodedata.normalize("NFC", p.extract_text())) for p in PdfReader(pdf).pages]


def _appendix(text: str, no: str) -> str:
    """The text of appendix `no` ("01") of a report's text."""
    part = text.split(f"Phụ lục {no} ", 2)[-1]
    return re.split(r"Phụ lục \d\d ", part)[0]


def test_basename() -> None:
    assert report_basename(sample_report(), recipient("ubnd-tinh")) == "bao-cao-2012-Q3-ubnd-tinh"
    assert report_basename(sample_report(), recipient("bo-cong-thuong")) == "bao-cao-2012-Q3-bo-cong-thuong"


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_pdf_header_title_salutation_and_signature(pdfs: dict[str, Path], code: str) -> None:
    """The layout of NĐ 30/2020: header lines in order, number and date, title, "Kính gửi", closing."""
    first = _pages(pdfs[code])[0]
    head = [
        "UBND TỈNH BÌNH PHƯỚC",
        "SỞ CÔNG THƯƠNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: 05/BC-SCT",
        "Bình Phước, ngày 05 tháng 10 năm 2012",
        "BÁO CÁO",
        "Tình hình thực hiện Chương trình khuyến công quý III năm 2012",
        recipient(code).salutation,
        "I. KẾT QUẢ THỰC HIỆN CÁC NỘI DUNG CỦA CHƯƠNG TRÌNH",
    ]
    where = [first.index(line) for line in head]
    assert where == sorted(where), where
    text = _text(pdfs[code])
    signer = recipient(code).signer or issuer().signer
    assert not signer.name  # the packaged configuration names no one: a blank line, never a placeholder
    closing = ["Nơi nhận:", *recipient(code).copy_lines, signer.authority, signer.title]
    where = [text.index(line) for line in closing]
    assert where == sorted(where) and where[-1] < text.index("Phụ lục 01 KẾT QUẢ"), where
    assert "- Như trên;" in text and "- Lưu: VT, QLCN." in text
    assert ("- UBND tỉnh (b/c);" in text) == (code == "bo-cong-thuong")


def test_document_number_blank_or_zero_padded(tmp_path: Path) -> None:
    html = html_of(sample_report(), recipient("ubnd-tinh"))
    assert "Số:\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/BC-SCT" in html  # left for the office to fill in
    assert "(Kèm theo Báo cáo số \u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/BC-SCT ngày 05 tháng 10 năm 2012" in html
    assert "Số: 05/BC-SCT" in html_of(sample_report(), recipient("ubnd-tinh"), number=5)
    assert "Số: 123/BC-SCT" in html_of(sample_report(), recipient("ubnd-tinh"), number=123)


def test_pdf_metadata(pdfs: dict[str, Path]) -> None:
    for code, pdf in pdfs.items():
        meta = PdfReader(pdf).metadata
        assert meta.title == "Báo cáo tình hình thực hiện Chương trình khuyến công quý III năm 2012"
        assert meta.author == "UBND TỈNH BÌNH PHƯỚC - SỞ CÔNG THƯƠNG"
        assert meta.subject == recipient(code).salutation


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_pdf_body_sections_in_sentences(pdfs: dict[str, Path], code: str) -> None:
    text = _text(pdfs[code])
    sections = [
        "I. KẾT QUẢ THỰC HIỆN CÁC NỘI DUNG CỦA CHƯƠNG TRÌNH",
        "II. KINH PHÍ THỰC HIỆN",
        "III. TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ",
        "IV. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ",
        "V. NHIỆM VỤ QUÝ IV NĂM 2012",
    ]
    where = [text.index(s) for s in sections]
    assert where == sorted(where)
    # I: one sentence per indicator and per sub-programme's funding, from the figures
    who = " (Bù Đăng 30, Đồng Xoài 15)" if code == "ubnd-tinh" else ""
    for sentence in [
        f"- Đào tạo mới 45 lao động{who}; lũy kế 120/300 lao động, đạt 40,0 % kế hoạch giai đoạn.",
        "- Bộ giáo trình dạy nghề được biên soạn: trong kỳ chưa thực hiện; lũy kế 0/4 bộ, đạt 0,0 % kế hoạch giai "
        "đoạn, chậm tiến độ (tiến độ yêu cầu 35,0 %).",
        "- Kinh phí thực hiện: trong kỳ 35,56 triệu đồng (KCQG 20,56; KCĐP 15); lũy kế 200,5/1.260 triệu đồng, đạt "
        "15,9 % kế hoạch giai đoạn, chậm tiến độ (tiến độ yêu cầu 35,0 %).",
        "trong đó 19 chỉ tiêu đạt tiến độ yêu cầu và 3 chỉ tiêu chậm tiến độ (P1.1, P3.1, P4.1) (chi tiết tại Phụ "
        "lục 01).",
        # II: funding by source
        "Kinh phí thực hiện trong kỳ là 35,56 triệu đồng, gồm: Kinh phí khuyến công quốc gia (KCQG) 20,56 triệu "
        "đồng, Kinh phí khuyến công địa phương (KCĐP) 15 triệu đồng.",
        "kinh phí thực hiện là 7.130,5/20.560 triệu đồng, đạt 34,7 % kế hoạch giai đoạn; theo nguồn: KCQG "
        "2.730,5/8.130 triệu đồng (33,6 %); KCĐP 3.160/9.130 triệu đồng (34,6 %); Khác 1.240/3.300 triệu đồng "
        "(37,6 %) (chi tiết tại Phụ lục 02).",
        # III: how the units reported, by name
        "3/4 đơn vị đã báo cáo.",
        "Các đơn vị chưa báo cáo: Lộc Ninh.",
        "Các đơn vị báo cáo chưa đủ số tháng: Bù Đăng (thiếu 8/2012).",
        "Các đơn vị nộp báo cáo trễ hạn: Bù Đăng (bu-dang-2012-07.xlsx).",
        "Có 2 tệp bị từ chối, xem biên nhận.",
        # IV: section C of the units' reports, attributed
        "- Bù Đăng (quý III năm 2012): Kinh phí đối ứng của địa phương còn thiếu; đề nghị bổ sung.",
        "- Đồng Xoài (tháng 9 năm 2012): Đề nghị tổ chức thêm lớp đào tạo nghề mây tre đan.",
        # V: the programme's tasks
        "tập trung các chỉ tiêu chậm tiến độ (P1.1, P3.1, P4.1):",
        "- Hỗ trợ xây dựng các mô hình trình diễn kỹ thuật;",
    ]:
        assert sentence in text, sentence


def test_national_funds_set_apart_for_the_ministry(pdfs: dict[str, Path]) -> None:
    bo, ubnd = _text(pdfs["bo-cong-thuong"]), _text(pdfs["ubnd-tinh"])
    sentence = (
        "Kinh phí khuyến công quốc gia (KCQG) của Chương trình giai đoạn là 8.130 triệu đồng. Trong kỳ đã "
        "sử dụng 20,56 triệu đồng (P1 20,56 triệu đồng); lũy kế từ đầu Chương trình 2.730,5 triệu đồng, đạt "
        "33,6 % kế hoạch giai đoạn và chiếm 38,3 % tổng kinh phí đã thực hiện (chi tiết tại Phụ lục 03)."
    )
    assert sentence in bo and "Sử dụng kinh phí khuyến công quốc gia" not in ubnd
    appendix = _appendix(bo, "03")
    assert appendix.startswith("SỬ DỤNG KINH PHÍ KHUYẾN CÔNG QUỐC GIA THEO CHƯƠNG TRÌNH")
    report = sample_report()
    for b in report.budget:  # every sub-programme's line: budget, in the period, cumulative
        line = (
            f"{b.subprogramme} {b.name} {number(b.budget['KCQG'])} {number(b.in_period['KCQG'])} "
            f"{number(b.cumulative['KCQG'])}"
        )
        assert line in appendix, line
    assert "P1 Đào tạo nghề, truyền nghề và phát triển nghề 630 20,56 120,5 19,1 % 60,1 %" in appendix
    assert "Tổng cộng 8.130 20,56 2.730,5 33,6 % 38,3 %" in appendix


def test_unit_detail_only_for_ubnd(pdfs: dict[str, Path]) -> None:
    ubnd, bo = _text(pdfs["ubnd-tinh"]), _text(pdfs["bo-cong-thuong"])
    assert "Phụ lục 03 KẾT QUẢ THỰC HIỆN THEO ĐƠN VỊ" in ubnd and "Tổng kinh phí" in ubnd
    assert "KẾT QUẢ THỰC HIỆN THEO ĐƠN VỊ" not in bo and "Tổng kinh phí" not in bo
    assert "Phụ lục 04 TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ" in ubnd and "Phụ lục 04 TÌNH HÌNH BÁO CÁO" in bo
    assert "Phụ lục 05" not in ubnd + bo
    # both get the completeness table by unit; only the province's copy has the receipt dates (compact for the Bộ)
    for text in (ubnd, bo):
        assert "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp 3 3 3 0" in text
    assert "Ngày nhận gần nhất" in ubnd and "Ngày nhận gần nhất" not in bo
    # who did what, in the sentences, only for the province
    assert "(Bù Đăng 30, Đồng Xoài 15)" in ubnd and "Bù Đăng 30" not in bo


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_appendix_01_every_indicator_row(pdfs: dict[str, Path], code: str) -> None:
    appendix = _appendix(_text(pdfs[code]), "01")
    assert appendix.startswith(
        "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU CỦA CHƯƠNG TRÌNH KHUYẾN CÔNG Quý III năm 2012 "
        "(Kèm theo Báo cáo số 05/BC-SCT ngày 05 tháng 10 năm 2012 của Sở Công Thương)"
    )
    report = sample_report()
    for sp in report.programme.subprogrammes:
        assert f"{sp.code} {sp.name}" in appendix
    for r in report.indicators:
        flag = "▼ " if r.code in BEHIND else ""
        line = (
            f"{r.code} {r.name} {r.unit} {number(r.in_period)} {number(r.cumulative)} {number(r.target)} "
            f"{flag}{percent(r.share)} 35,0 %"
        )
        assert line in appendix, line
    assert "Cộng: 22 chỉ tiêu, 19 chỉ tiêu đạt tiến độ yêu cầu, 3 chỉ tiêu chậm tiến độ" in appendix


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_appendix_02_funding_by_subprogramme_and_source(pdfs: dict[str, Path], code: str) -> None:
    appendix = _appendix(_text(pdfs[code]), "02")
    assert appendix.startswith("KINH PHÍ THỰC HIỆN THEO CHƯƠNG TRÌNH VÀ NGUỒN VỐN")
    report = sample_report()
    src = report.programme.source_codes
    for b in (*report.budget, report.budget_totals):
        figures = [
            b.budget_total,
            *(b.budget[s] for s in src),
            b.in_period_total,
            *(b.in_period[s] for s in src),
            b.cumulative_total,
            *(b.cumulative[s] for s in src),
        ]
        line = f"{b.name} " + " ".join(number(v) for v in figures)
        assert line in appendix, line
    assert "Tổng cộng 20.560 8.130 9.130 3.300 35,56 20,56 15 0 7.130,5 2.730,5 3.160 1.240 34,7 % 35,0 %" in appendix
    # B: by year and source, with the totals
    assert "Năm KCQG KCĐP Khác Cộng So với bình quân 4.112 triệu đồng/năm Trong đó: địa bàn ưu tiên" in appendix
    assert "2011 1.500 1.800 700 4.000 97,3 % 1.200" in appendix
    assert "2012 (đến tháng 9) 1.230,5 1.360 540 3.130,5 76,1 % 950" in appendix
    assert "Lũy kế 2.730,5 3.160 1.240 7.130,5 2.150" in appendix
    assert "Kế hoạch giai đoạn 8.130 9.130 3.300 20.560" in appendix
    assert "Tỷ lệ lũy kế so với kế hoạch 33,6 % 34,6 % 37,6 % 34,7 %" in appendix


def test_appendix_03_results_by_unit(pdfs: dict[str, Path]) -> None:
    appendix = _appendix(_text(pdfs["ubnd-tinh"]), "03")
    report = sample_report()
    assert "Bù Đăng Đồng Xoài Trung tâm Khuyến công và Tư vấn phát triển công nghiệp Cộng" in appendix
    for sp in report.programme.subprogrammes:
        for ind in sp.indicators:
            values = [u.results[ind.code] for u in report.by_unit]
            line = f"{ind.code} {ind.name} {ind.unit} " + " ".join(number(v) for v in [*values, sum(values)])
            assert line in appendix, line
    assert "Tổng kinh phí triệu đồng 10,28 10,28 0 20,56" in appendix


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_pdf_completeness_and_coverage(pdfs: dict[str, Path], code: str) -> None:
    text = _text(pdfs[code])
    # totals: 12 unit-months expected, 8 received (66,7 %), 7 on time (58,3 %), 1 late (8,3 %)
    assert "Đã nhận báo cáo cho 8/12 tháng-đơn vị (66,7 %), trong đó 7/12 tháng-đơn vị đúng hạn (58,3 %)" in text
    assert "Cộng Tỷ lệ so với số tháng phải báo cáo 12 8 66,7 % 7 58,3 % 1 8,3 %" in text
    assert "1 đơn vị chưa báo cáo, 1 đơn vị báo cáo chưa đủ số tháng (chi tiết tại Phụ lục 04)." in text
    assert re.search(r"Bù Đăng ?\(\*\) 3 2 1 1 8/2012 ", text)  # August missing
    assert re.search(r"Lộc Ninh ?\(\*\) 3 0 0 0 7-9/2012 ", text)
    assert "thiếu 1 tháng; trễ hạn" in text and "chưa báo cáo" in text
    # the coverage note, under the summary of section I and under the results appendix
    note = "Số liệu tổng hợp từ 8/12 tháng-đơn vị đã báo cáo; chưa đủ: Bù Đăng (2/3 tháng), Lộc Ninh (0/3 tháng)."
    assert text.index(note) < text.index("1. Đào tạo nghề, truyền nghề và phát triển nghề")
    assert note in _appendix(text, "01")


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_pdf_reconciliation_notes(pdfs: dict[str, Path], code: str) -> None:
    text = _text(pdfs[code])
    assert "Điều chỉnh theo báo cáo quý" in text
    assert (
        "Có 2 báo cáo quý được tính thay cho các báo cáo đã gửi trước trong cùng kỳ; 1 báo cáo khớp đúng với "
        "tổng các tháng, 1 báo cáo có điều chỉnh như sau:"
    ) in text
    # the funding chart may be drawn between the lines of the note (it is a float-free figure)
    text = re.sub(r"ĐVT: triệu đồng 0 1\.000 .*?hưởng, …\) (\d+ )?", "", text)
    assert (
        "Đồng Xoài, quý III năm 2012: báo cáo quý (dong-xoai-2012-Q3.xlsx) được tính thay cho 1 báo cáo đã gửi "
        "trước (1/3 tháng), điều chỉnh kinh phí P1 (Đào tạo nghề, truyền nghề và phát triển nghề) nguồn KCQG từ 9 "
        "(tổng các tháng) thành 20,1 triệu đồng (+11,1); P1.2 (Lao động được đào tạo mới) từ 4 (tổng các tháng) "
        "thành 10 người (+6); kinh phí P4 (Phát triển sản phẩm công nghiệp nông thôn tiêu biểu) nguồn Khác từ 0 "
        "(tổng các tháng) thành 15 triệu đồng (+15)."
    ) in text
    assert "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp, quý III" not in text  # matched: not listed


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_pdf_pace_flags(pdfs: dict[str, Path], code: str) -> None:
    text = _text(pdfs[code])
    assert "Tỷ lệ đạt Tiến độ yêu cầu" in text
    # P1.1 (0 of 4), P3.1 (2 of 15) and P4.1 (0 of 1) are behind the 35 % expected; P1.2 (40 %) is not
    assert "P1.1 Bộ giáo trình dạy nghề được biên soạn bộ 0 0 4 ▼ 0,0 % 35,0 %" in text
    assert "P4.1 Hội chợ triển lãm do tỉnh tổ chức hội chợ 0 0 1 ▼ 0,0 % 35,0 %" in text
    assert "P1.2 Lao động được đào tạo mới người 45 120 300 40,0 % 35,0 %" in text
    assert re.search(
        r"P1 Đào tạo nghề, truyền nghề và phát triển nghề 1.260 630 630 0 35,56 20,56 15 0 200,5 "
        r"120,5 80 0 ▼ 15,9 % ?35,0 %",
        text,
    )
    assert "(21/60 tháng = 35,0 %). ▼ Chậm tiến độ: tỷ lệ đạt thấp hơn tiến độ yêu cầu trên 10 điểm phần trăm." in text
    assert "Các chương trình chậm tiến độ giải ngân (1):" in text
    assert (
        "P1 Đào tạo nghề, truyền nghề và phát triển nghề: đã thực hiện 200,5/1.260 triệu đồng, đạt 15,9 %, "
        "tiến độ yêu cầu 35,0 % (chậm 19,1 điểm phần trăm)."
    ) in text
    # in the chart: the three indicators behind, flagged next to their bar
    assert "P3.1 Mô hình trình diễn kỹ thuật được xây dựng ▼ 13,3 %" in text


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_pdf_context_and_growth(pdfs: dict[str, Path], code: str) -> None:
    text = _text(pdfs[code])
    assert "8. Chỉ tiêu chung về công nghiệp nông thôn" in text
    assert "C1 Cơ sở sản xuất công nghiệp nông thôn đang hoạt động cơ sở 1.250 tại thời điểm cuối kỳ 2/3" in text
    assert "C3 Giá trị sản xuất công nghiệp nông thôn triệu đồng 312.450,5 cộng trong kỳ 3/3" in text
    assert "(mục tiêu tăng bình quân 15-20 %/năm)" in text
    assert "2011 1.150.000 - 10/10" in text
    assert "2012 1.288.000 ▼ 12,0 % 10/10" in text  # below 15 %: marked
    assert "2013 1.520.000 18,0 % 10/10" in text
    assert "▼ Thấp hơn mục tiêu tăng 15 %/năm." in text


def test_wide_appendices_are_landscape(pdfs: dict[str, Path]) -> None:
    def orientations(pdf: Path) -> list[bool]:
        return [p.mediabox.width > p.mediabox.height for p in PdfReader(pdf).pages]

    for code, pdf in pdfs.items():
        pages, texts = orientations(pdf), _pages(pdf)
        assert not pages[0] and not pages[-1]  # the body and the last appendix (reporting) are portrait
        for i, text in enumerate(texts):
            if "KINH PHÍ THỰC HIỆN THEO CHƯƠNG TRÌNH VÀ NGUỒN VỐN" in text:
                assert pages[i], (code, i)
            if "Phụ lục 01 KẾT QUẢ" in text or "Phụ lục 04 TÌNH HÌNH" in text:
                assert not pages[i], (code, i)
    ubnd_pages = [
        t
        for t, wide in zip(_pages(pdfs["ubnd-tinh"]), orientations(pdfs["ubnd-tinh"]), strict=True)
        if "KẾT QUẢ THỰC HIỆN THEO ĐƠN VỊ" in t
    ]
    assert ubnd_pages


def test_table_headers_repeat_on_every_page(pdfs: dict[str, Path]) -> None:
    """Phụ lục 01 runs over two pages: its header row is printed on both."""
    pages = [t for t in _pages(pdfs["ubnd-tinh"]) if "P5.3 Chuyên mục" in t or "P1.1 Bộ giáo trình" in t]
    results = [t for t in pages if "Mục tiêu giai đoạn Tỷ lệ đạt Tiến độ yêu cầu" in t]
    assert len(results) >= 2


def test_page_numbers_from_page_two(pdfs: dict[str, Path]) -> None:
    for pdf in pdfs.values():
        pages = [p.extract_text() for p in PdfReader(pdf).pages]
        assert len(pages) >= 2
        assert not re.search(r"(^|\n)1(\n|$)", pages[0])
        for n, text in enumerate(pages[1:], start=2):
            assert re.search(rf"(^|\n){n}(\n|$)", text), n


def _fonts(pdf: Path) -> list[str]:
    listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in listing.splitlines()[2:] if line.strip()]


def test_pdf_embeds_only_a_times_compatible_serif(pdfs: dict[str, Path]) -> None:
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    for pdf in pdfs.values():
        fonts = _fonts(pdf)
        assert fonts
        for font in fonts:
            assert "Liberation-Serif" in font or "TimesNewRoman" in font, font


VOWELS = "aăâeêioôơuưy"
TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng


def vietnamese_letters() -> list[str]:
    """The 134 accented Vietnamese letters: ă â ê ô ơ ư đ and the 12 vowels with each of 5 tones, both cases."""
    lower = ["ă", "â", "ê", "ô", "ơ", "ư", "đ"]
    lower += [unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES]
    return lower + [c.upper() for c in lower]


def test_every_vietnamese_letter_has_a_glyph(tmp_path: Path) -> None:
    letters = vietnamese_letters()
    assert len(letters) == len(set(letters)) == 134
    text = " ".join(letters)
    report = sample_report(notes=(Note("Bù Đăng", "2012-Q3", text),))
    pdf = pdf_of(report, recipient("bo-cong-thuong"), tmp_path / "chu.pdf")
    if shutil.which("pdffonts") is not None:
        for font in _fonts(pdf):
            assert "Liberation-Serif" in font or "TimesNewRoman" in font, font
    extracted = _text(pdf)
    assert text in extracted  # every letter came back: none was drawn as a missing glyph (.notdef)
    if shutil.which("pdftotext") is not None:
        plain = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, check=True)
        out = unicodedata.normalize("NFC", plain.stdout.decode())
        assert all(c in out for c in letters)


def test_charts_are_vector_graphics(pdfs: dict[str, Path]) -> None:
    for pdf in pdfs.values():
        reader = PdfReader(pdf)
        for page in reader.pages:
            xobjects = page["/Resources"].get("/XObject") or {}
            for ref in xobjects.values():
                assert ref.get_object().get("/Subtype") != "/Image"
        text = _text(pdf)
        assert "Biểu đồ 1. Tỷ lệ thực hiện lũy kế so với mục tiêu giai đoạn (đến hết tháng 9 năm 2012)" in text
        assert "Biểu đồ 2. Kinh phí thực hiện theo năm và nguồn vốn" in text
        assert "Bình quân kế hoạch: 4.112 triệu đồng/năm" in text  # a chart label, drawn as text
        assert "KCQG: Kinh phí khuyến công quốc gia" in text


HOSTILE = (
    '<b>đậm</b> <script>alert(1)</script> =HYPERLINK("http://example.com/x","bấm") '
    '<img src="file:///etc/passwd"> <img src="http://example.com/p.png">'
)


def test_officer_text_is_printed_as_text_and_nothing_is_fetched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An officer's section C holding HTML, a formula and file:// and http:// images: shown as typed, in the PDF,
    the HTML and the Excel workbook; the renderer asks for nothing."""
    from openpyxl import load_workbook

    seen: list[str] = []
    original = SafeFetcher.fetch

    def recording(self, url, headers=None):  # type: ignore[no-untyped-def]
        seen.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(SafeFetcher, "fetch", recording)
    report = sample_report(notes=(Note("Bù Đăng", "2012-Q3", HOSTILE),))
    for code in ("ubnd-tinh", "bo-cong-thuong"):
        pdf = pdf_of(report, recipient(code), tmp_path / f"{code}.pdf")
        assert HOSTILE in _text(pdf)
        html = html_of(report, recipient(code))
        assert "<script>" not in html and "<b>đậm" not in html and "<img" not in html
        assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
        assert "=HYPERLINK(&#34;http://example.com/x&#34;,&#34;bấm&#34;)" in html
        book = xlsx_of(report, recipient(code), tmp_path / f"{code}.xlsx")
        cell = load_workbook(book)["YKien"]["D4"]
        assert cell.value == HOSTILE and cell.data_type == "s"
        formula = Note("Bù Đăng", "2012-Q3", '=HYPERLINK("http://example.com/x","bấm")')
        book = xlsx_of(sample_report(notes=(formula,)), recipient(code), tmp_path / "f.xlsx")
        cell = load_workbook(book)["YKien"]["D4"]
        assert cell.value == formula.text and cell.data_type == "s"
    assert seen == []


def test_html_escapes_input_text() -> None:
    report = sample_report(
        notes=(
            Note("<b>Bù Đăng</b>", "2012-Q3", '<script>alert("x")</script> & <img src="http://example.com/x.png">'),
        ),
    )
    html = html_of(report, recipient("ubnd-tinh"))
    assert "<script>" not in html and "<b>Bù Đăng</b>" not in html and 'src="http://example.com' not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;img" in html
    assert "&lt;b&gt;Bù Đăng&lt;/b&gt; (quý III năm 2012):" in html


def test_html_escapes_unit_names_and_file_names() -> None:
    report = sample_report()
    units = (replace(report.units[0], unit_name="<i>Bù Đăng</i>"), *report.units[1:])
    recs = (replace(report.reconciliations[0], file_name='<img src="http://example.com/x.png">.xlsx'),)
    html = html_of(sample_report(units=units, reconciliations=recs), recipient("bo-cong-thuong"))
    assert "<i>Bù Đăng</i>" not in html and "&lt;i&gt;Bù Đăng&lt;/i&gt;" in html
    assert 'src="http://example.com' not in html and "(&lt;img src=&#34;http://example.com/x.png&#34;&gt;.xlsx)" in html


def test_html_is_nfc_and_self_contained() -> None:
    decomposed = unicodedata.normalize("NFD", "Đề nghị hỗ trợ thêm kinh phí")
    report = sample_report(notes=(Note("Bù Đăng", "2012-Q3", decomposed),))
    html = html_of(report, recipient("ubnd-tinh"))
    assert unicodedata.is_normalized("NFC", html)
    assert "Đề nghị hỗ trợ thêm kinh phí" in html
    assert "@page" in html and "<link" not in html  # the stylesheet is inlined


def test_zero_shows_0_and_missing_share_shows_dash() -> None:
    report = sample_report()
    no_target = replace(report.indicators[0], target=Decimal(0))
    pace = tuple(p for p in report.pace if p.code != "P1.1")
    report = replace(report, indicators=(no_target, *report.indicators[1:]), pace=pace)
    html = html_of(report, recipient("bo-cong-thuong"))
    row = re.search(r"<td class=\"code\">P1\.1</td>.*?</tr>", html, re.S)
    assert row
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(0))
    assert cells == ["0", "0", "0", "-", "-"]


def test_no_notes_and_no_rejections() -> None:
    units = (UnitStatus("bu-dang", "Bù Đăng", True, 3, 3, 3, (), ("a.xlsx",), None),)
    report = sample_report(notes=(), rejected=(), units=units)
    html = html_of(report, recipient("bo-cong-thuong"))
    assert "Không có ý kiến." in html
    assert "bị từ chối" not in html
    assert "Tất cả các đơn vị đã báo cáo." in html


def test_by_unit_tables_are_balanced() -> None:
    assert by_unit_tables([]) == []
    units = sample_report(unit_count=11).by_unit  # 10 units report
    assert [len(t.units) for t in by_unit_tables(units)] == [10]
    assert [len(t.units) for t in by_unit_tables(units, size=4)] == [4, 3, 3]
    assert [u for t in by_unit_tables(units, size=4) for u in t.units] == list(units)
    assert [t.with_total for t in by_unit_tables(units, size=4)] == [False, False, True]


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.com/x.png",
        "https://example.com/x.css",
        "ftp://example.com/x",
        (TEMPLATES_DIR / "..").as_uri() + "/pyproject.toml",
        TEMPLATES_DIR.as_uri() + "/../pyproject.toml",
        TEMPLATES_DIR.as_uri() + "/%2e%2e/pyproject.toml",
        "file://evil.example.com" + (TEMPLATES_DIR / "report.css").as_posix(),
        TEMPLATES_DIR.as_uri() + "/missing.png",
    ],
)
def test_fetcher_blocks_everything_outside_templates(url: str) -> None:
    with pytest.raises(BlockedURLError):
        SafeFetcher().fetch(url)


def test_fetcher_allows_templates_and_data_urls() -> None:
    fetcher = SafeFetcher()
    css = fetcher.fetch((TEMPLATES_DIR / "report.css").as_uri())
    try:
        assert b"@page" in css.read()
    finally:
        css.close()
    data = fetcher.fetch("data:text/plain;charset=utf-8,xin%20ch%C3%A0o")
    assert data.read() == "xin chào".encode()


def test_weasyprint_uses_the_fetcher(tmp_path: Path) -> None:
    seen: list[str] = []

    class Recording(SafeFetcher):
        def fetch(self, url, headers=None):  # type: ignore[no-untyped-def]
            seen.append(url)
            return super().fetch(url, headers)

    html = '<img src="file:///etc/passwd"><img src="http://example.com/x.png"><p>ok</p>'
    HTML(string=html, base_url=str(TEMPLATES_DIR), url_fetcher=Recording()).write_pdf(tmp_path / "x.pdf")
    assert seen == ["file:///etc/passwd", "http://example.com/x.png"]
    assert (tmp_path / "x.pdf").stat().st_size > 0


def test_pdf_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "bao-cao.pdf"
    target.write_bytes(b"old")

    def broken(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("layout failed")

    monkeypatch.setattr(weasyprint.Document, "write_pdf", broken)
    with pytest.raises(RuntimeError):
        pdf_of(sample_report(), recipient("bo-cong-thuong"), target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["bao-cao.pdf"]


def test_empty_report_renders() -> None:
    report = sample_report(indicators=(), units=(), by_unit=(), notes=(), rejected=())
    html = html_of(report, recipient("ubnd-tinh"))
    assert "0/0 đơn vị đã báo cáo" in html
    assert "Không có số liệu." in html
    assert "Chưa có đơn vị nào báo cáo số liệu trong kỳ." in html
    assert "Không có đơn vị nào phải báo cáo trong kỳ" in html


def test_record_without_the_newer_parts_renders() -> None:
    """A record with no completeness, reconciliations, pace, funding, context or growth (older callers)."""
    report = sample_report(completeness=None, reconciliations=(), pace=(), funding=None, context=(), growth=())
    html = html_of(report, recipient("ubnd-tinh"))
    assert "Đã nhận báo cáo cho 8/12 tháng-đơn vị" in html  # made from the unit rows
    assert "Tiến độ yêu cầu:" not in html and "▼" not in html
    assert "Kinh phí theo năm và nguồn vốn" not in html and "Điều chỉnh theo báo cáo" not in html
    assert "Chỉ tiêu chung về công nghiệp nông thôn" not in html  # no section without its figures
    assert "<h2>III. TÌNH HÌNH BÁO CÁO CỦA CÁC ĐƠN VỊ</h2>" in html
    assert "<h2>IV. KHÓ KHĂN, VƯỚNG MẮC VÀ ĐỀ XUẤT, KIẾN NGHỊ</h2>" in html


def test_context_without_a_whole_year_of_growth() -> None:
    report = sample_report(growth=())
    html = html_of(report, recipient("bo-cong-thuong"))
    assert "<h3>8. Chỉ tiêu chung về công nghiệp nông thôn</h3>" in html
    assert "Chưa có năm trọn vẹn để tính mức tăng." in html


def test_reconciliations_that_all_match() -> None:
    matched = tuple(replace(r, differences=()) for r in sample_report().reconciliations)
    html = html_of(sample_report(reconciliations=matched), recipient("bo-cong-thuong"))
    assert (
        "Có 2 báo cáo quý được tính thay cho các báo cáo đã gửi trước trong cùng kỳ; số liệu của cả 2 báo cáo "
        "khớp đúng với tổng các tháng."
    ) in html
    assert "thành" not in html.split("Điều chỉnh theo báo cáo quý")[1].split("</h2>")[0]


def test_month_list() -> None:
    assert month_list(()) == ""
    assert month_list(("2012-08",)) == "8/2012"
    assert month_list(("2012-07", "2012-08", "2012-09", "2013-02")) == "7-9/2012; 2/2013"
    assert month_list(("2012-01", "2012-02", "2012-05")) == "1, 2, 5/2012"


def test_a_recipient_is_data() -> None:
    """A new recipient is an entry in recipients.yaml: its own sections, appendices, copies and signer."""
    from pydantic import ValidationError

    from pipeline.recipients import Recipient, Signer

    finance = Recipient(
        code="so-tai-chinh",
        name="Sở Tài chính",
        salutation="Kính gửi: Sở Tài chính",
        unit_detail=False,
        sections=("funding", "difficulties"),
        appendices=("funding",),
        copies=("Như trên", "Lưu: VT, KHTC"),
        signer=Signer(title="GIÁM ĐỐC", name="Trần Văn B"),
    )
    html = html_of(sample_report(), finance, number=7)
    assert "<h2>I. KINH PHÍ THỰC HIỆN</h2>" in html and "<h2>II. KHÓ KHĂN, VƯỚNG MẮC" in html
    assert "KẾT QUẢ THỰC HIỆN CÁC NỘI DUNG" not in html and "NHIỆM VỤ" not in html
    assert "Phụ lục 01</div>" in html and "Phụ lục 02" not in html and "(chi tiết tại Phụ lục 01)" in html
    assert "- Lưu: VT, KHTC." in html and "Trần Văn B" in html and "KT. GIÁM ĐỐC" not in html
    with pytest.raises(ValidationError):
        Recipient(code="x", name="x", salutation="x", unit_detail=False, appendices=("units",))
    with pytest.raises(ValidationError):
        Recipient(code="x", name="x", salutation="x", appendices=("kcqg",))


def test_no_tasks_section_after_the_programme_ends() -> None:
    from pipeline.periods import year

    report = sample_report(period=year(2015))
    assert "NHIỆM VỤ" not in html_of(report, recipient("ubnd-tinh"))


# --- many units (a national consolidation): readable, bounded, every figure right ----------------------------


def _limited(code: str, limit: int) -> Recipient:
    return Recipient.model_validate({**recipient(code).model_dump(), "max_units_listed": limit})


def _appendix_pages(pdf: Path, no: str) -> list[str]:
    """The text of each page of appendix `no`."""
    pages = _pages(pdf)
    start = next(i for i, t in enumerate(pages) if f"Phụ lục {no} " in t)
    end = next((i for i in range(start + 1, len(pages)) if re.search(r"Phụ lục \d\d ", pages[i])), len(pages))
    return pages[start:end]


def test_layout_of_the_units_appendix_follows_the_number_of_units() -> None:
    ubnd = recipient("ubnd-tinh")
    assert ubnd.max_units_listed == 100 and recipient("bo-cong-thuong").max_units_listed == 100
    assert by_unit_layout(many_units_report(UNIT_COLUMNS_MAX), ubnd) == "columns"  # a province: units side by side
    assert by_unit_layout(many_units_report(UNIT_COLUMNS_MAX + 1), ubnd) == "rows"
    assert by_unit_layout(many_units_report(100), ubnd) == "rows"
    assert by_unit_layout(many_units_report(101), ubnd) == "summary"
    assert by_unit_layout(many_units_report(101), recipient("bo-cong-thuong")) == ""  # no unit detail
    assert by_unit_layout(sample_report(by_unit=()), ubnd) == ""


def test_unit_column_groups_pack_subprogrammes_then_spending() -> None:
    prog = sample_report().programme
    groups = unit_column_groups(prog)
    assert [g.title for g in groups] == [
        "A. Kết quả thực hiện trong kỳ: chương trình P1 đến P3",
        "B. Kết quả thực hiện trong kỳ: chương trình P4 đến P7",
        "C. Kinh phí thực hiện trong kỳ (ĐVT: triệu đồng)",
    ]
    assert all(len(g.columns) <= 12 for g in groups)
    indicators = [i.code for sp in prog.subprogrammes for i in sp.indicators]
    assert [c.code for g in groups[:-1] for c in g.columns] == indicators  # each once, in programme order
    assert [c.code for c in groups[-1].columns] == ["KCQG", "KCĐP", "Khác", ""]
    assert [h for h, _ in groups[0].heads] == [f"{sp.code}. {sp.name}" for sp in prog.subprogrammes[:3]]
    assert all(sum(span for _, span in g.heads) == len(g.columns) for g in groups)
    narrow = unit_column_groups(prog, width=3)  # a sub-programme wider than a table is split
    assert [c.code for g in narrow[:-1] for c in g.columns] == indicators
    assert all(len(g.columns) <= 3 for g in narrow[:-1])


@pytest.fixture(scope="module")
def rows_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Path]:
    out = tmp_path_factory.mktemp("rows")
    return {n: pdf_of(many_units_report(n), recipient("ubnd-tinh"), out / f"{n}.pdf") for n in (25, 50, 75)}


def test_units_as_rows_every_unit_with_its_figures(rows_pdfs: dict[int, Path]) -> None:
    n = 75
    text = " ".join(_appendix_pages(rows_pdfs[n], "03"))
    codes = list(sample_report().programme.indicators)
    first, second = range(0, 10), range(10, 22)  # P1-P3, then P4-P7 (programme order)
    for i in range(1, n + 1):
        for part in (first, second):
            line = f"{i} huyện Số {i:04d} " + " ".join(number(unit_result(i, j)) for j in part)
            assert line in text, line
        money = unit_spending(i)
        line = f"{i} huyện Số {i:04d} " + " ".join(number(v) for v in (*money.values(), sum(money.values())))
        assert line in text, line
    for part in (first, second):  # the totals, computed here from the units' figures
        assert "Cộng " + " ".join(number(sum(unit_result(i, j) for i in range(1, n + 1))) for j in part) in text
    kcqg = sum(Decimal(i) / 10 for i in range(1, n + 1))
    kcdp = sum(Decimal(i % 5) for i in range(1, n + 1))
    assert f"Cộng {number(kcqg)} {number(kcdp)} 0 {number(kcqg + kcdp)}" in text
    assert codes[0] == "P1.1" and "P1.1 Bộ giáo trình dạy nghề được biên soạn (bộ)" in text


def test_units_as_rows_pages_grow_in_proportion_with_headers_repeated(rows_pdfs: dict[int, Path]) -> None:
    pages = {n: _appendix_pages(pdf, "03") for n, pdf in rows_pdfs.items()}
    counts = [len(pages[n]) for n in (25, 50, 75)]
    assert counts[0] < counts[1] < counts[2]
    assert abs((counts[2] - counts[1]) - (counts[1] - counts[0])) <= 1, counts  # linear in the units
    for text in pages[75]:
        assert "STT Đơn vị" in text  # the headings on every page
        assert len(re.findall(r"huyện Số \d{4}", text)) <= 35  # pages stay readable
    first = _pages(rows_pdfs[75]).index(pages[75][0])
    for p in PdfReader(rows_pdfs[75]).pages[first : first + len(pages[75])]:
        assert p.mediabox.width > p.mediabox.height  # landscape


def test_units_beyond_the_limit_are_summarised_with_exact_figures(tmp_path: Path) -> None:
    pdfs = {n: pdf_of(many_units_report(n), recipient("ubnd-tinh"), tmp_path / f"{n}.pdf") for n in (101, 400)}
    appendix = {n: _appendix_pages(pdf, "03") for n, pdf in pdfs.items()}
    assert len(appendix[101]) == len(appendix[400]) <= 3  # the same pages whatever the number of units
    text = " ".join(appendix[400])
    assert "Báo cáo tổng hợp từ 400 đơn vị, nhiều hơn 100 đơn vị" in text
    assert "sheet PhuLuc03 của tệp Excel kèm theo (bao-cao-2012-Q3-ubnd-tinh.xlsx)" in text
    # no unit rows: the largest contribution of each of the 26 figures, and the ten units named in the coverage line
    assert len(re.findall(r"huyện Số \d{4}", text)) <= 26 + 10
    prog = sample_report().programme
    for j, (code, ind) in enumerate(prog.indicators.items()):
        if code.startswith("C"):
            continue
        values = [unit_result(i, j) for i in range(1, 401)]
        top = max(values)
        leaders = [i for i, v in enumerate(values, start=1) if v == top]
        line = f"{code} {ind.name} {ind.unit} {number(sum(values))} {sum(1 for v in values if v)}/400 "
        if not top:
            line += "-"  # nobody did anything
        else:
            ties = f" (và {len(leaders) - 1} đơn vị khác cùng mức)" if len(leaders) > 1 else ""
            line += f"huyện Số {leaders[0]:04d}{ties} {number(top)}"
        assert line in text, line
    kcqg = [Decimal(i) / 10 for i in range(1, 401)]
    assert f"KCQG Kinh phí khuyến công quốc gia triệu đồng {number(sum(kcqg))} 400/400 huyện Số 0400 40" in text
    # the report's body stays the same length too: sentences name at most ten units
    assert len(PdfReader(pdfs[400]).pages) - len(_appendix_pages(pdfs[400], "04")) == len(
        PdfReader(pdfs[101]).pages
    ) - len(_appendix_pages(pdfs[101], "04"))


def test_reporting_appendix_beyond_the_limit_lists_the_units_that_need_attention(tmp_path: Path) -> None:
    pdf = pdf_of(many_units_report(50), _limited("bo-cong-thuong", 20), tmp_path / "r.pdf")
    text = " ".join(_appendix_pages(pdf, "04"))
    late = [i for i in range(1, 51) if i % 7 == 0]
    for i in late:  # numbered as in the full list
        assert f"{i} huyện Số {i:04d}{'(*)' if i % 3 == 0 else ''} 3 2 2 0 8/2012 thiếu 1 tháng" in text
    assert "huyện Số 0001" not in text and "huyện Số 0050" not in text
    assert f"Cộng Tỷ lệ so với số tháng phải báo cáo 150 {150 - len(late)}" in text  # over all 50 units
    assert f"bảng chỉ liệt kê {len(late)}/50 đơn vị chưa báo cáo đủ số tháng hoặc trễ hạn" in text
    assert f"{50 - len(late)} đơn vị còn lại đã báo cáo đủ số tháng và đúng hạn" in text
    assert "sheet PhuLuc04 của tệp Excel kèm theo (bao-cao-2012-Q3-bo-cong-thuong.xlsx)" in text
    # more units to list than the limit: the first ones, and how many more
    rows = reporting_rows(many_units_report(100), _limited("bo-cong-thuong", 5))
    left_out = reporting_left_out(many_units_report(100), _limited("bo-cong-thuong", 5))
    assert [no for no, _ in rows] == [7, 14, 21, 28, 35]
    assert "bảng chỉ liệt kê 5 đơn vị đầu tiên trong số 14/100 đơn vị" in left_out
    assert reporting_left_out(many_units_report(100), recipient("bo-cong-thuong")) == ""  # within the limit


def test_sentences_name_at_most_ten_units_and_the_parts_add_up() -> None:
    n = 40
    report = many_units_report(n, notes=35)
    html = html_of(report, recipient("ubnd-tinh"))
    values = [(i, unit_result(i, 0)) for i in range(1, n + 1)]  # P1.1
    largest = sorted((v for v in values if v[1]), key=lambda v: v[1], reverse=True)
    shown = ", ".join(f"huyện Số {i:04d} {number(v)}" for i, v in largest[:10])
    rest = sum(v for _, v in largest[10:])
    assert f"({shown} và {len(largest) - 10} đơn vị khác cộng {number(rest)})" in html
    assert sum(v for _, v in largest[:10]) + rest == report.indicators[0].in_period
    # the units short of months: ten named, then how many others
    partial = reporting_sentences(many_units_report(100))[2]
    assert partial.startswith("Các đơn vị báo cáo chưa đủ số tháng: huyện Số 0007 (thiếu 8/2012); ")
    assert partial.endswith("huyện Số 0070 (thiếu 8/2012) và 4 đơn vị khác.")
    # notes: thirty printed, the rest in the Excel workbook
    assert html.count('<p class="body note">') == 30
    assert "Ngoài ra còn 5 ý kiến khác; toàn bộ 35 ý kiến của các đơn vị tại sheet YKien của tệp Excel" in html
    # a province (at most 12 units) keeps every name and every note
    few = html_of(many_units_report(12, notes=12), recipient("ubnd-tinh"))
    assert few.count('<p class="body note">') == 12 and "đơn vị khác" not in few


def test_shown_notes() -> None:
    items = [f"ý kiến {i}" for i in range(50)]
    assert shown_notes(items, units=12) == (items, 0)  # a province: every note
    assert shown_notes(items, units=13) == (items[:NOTES_MAX], 50 - NOTES_MAX)
    assert shown_notes(items[:NOTES_MAX], units=400) == (items[:NOTES_MAX], 0)


def test_named() -> None:
    assert named([]) == "" and named(["a", "b"]) == "a, b"
    assert named([str(i) for i in range(12)], "; ") == "; ".join(str(i) for i in range(12))
    assert named([str(i) for i in range(13)]) == "0, 1, 2, 3, 4, 5, 6, 7, 8, 9 và 3 đơn vị khác"
    assert named([str(i) for i in range(40)], noun="tệp").endswith("9 và 30 tệp khác")


def test_officer_text_cannot_break_the_report(tmp_path: Path) -> None:
    """Eleven long notes, a 32 000-character word, control characters and a right-to-left override: the PDF
    stays a few pages, nothing runs off the page, and no control or bidi character reaches HTML or PDF."""
    long_note = ("Khó khăn về kinh phí đối ứng; đề nghị hỗ trợ thêm. " * 400).strip()
    word = "x" * 32_000
    notes = tuple(Note(f"Đơn vị {i}", "2012-09", long_note) for i in range(10)) + (
        Note("Bù Đăng", "2012-09", f"Từ dài {word}\x07\x1b[31m đỏ \u202e nơhC"),
    )
    report = replace(sample_report(), notes=notes)
    html = html_of(report, recipient("ubnd-tinh"))
    assert not any(c in html for c in "\x07\x1b\u202e")
    assert "(toàn văn trong tệp Excel, sheet YKien)" in html
    pdf = pdf_of(report, recipient("ubnd-tinh"), tmp_path / "r.pdf")
    pages = PdfReader(pdf).pages
    plain = pdf_of(sample_report(), recipient("ubnd-tinh"), tmp_path / "plain.pdf")
    assert len(pages) <= len(PdfReader(plain).pages) + 6  # 11 notes of at most NOTE_CHARS characters each
    text = "".join(p.extract_text() for p in pages)
    assert "\u202e" not in text and "\x07" not in text
    runs = [len(run) for line in text.splitlines() for run in re.findall(r"x{20,}", line)]
    assert runs and max(runs) < 150  # the long word is wrapped within the page's width, line by line
