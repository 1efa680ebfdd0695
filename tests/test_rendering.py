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
from pypdf import PdfReader
from render_samples import issuer, recipient, sample_report
from weasyprint import HTML

from pipeline.aggregating import Note, UnitStatus
from pipeline.paths import TEMPLATES_DIR
from pipeline.rendering import (
    BlockedURLError,
    SafeFetcher,
    by_unit_tables,
    month_list,
    render_html,
    render_pdf,
    report_basename,
)


def _text(pdf: Path) -> str:
    raw = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", raw))


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("pdf")
    report = sample_report()
    return {
        code: render_pdf(report, recipient(code), issuer(), out / f"{report_basename(report, recipient(code))}.pdf")
        for code in ("ubnd-tinh", "bo-cong-thuong")
    }


def test_basename() -> None:
    assert report_basename(sample_report(), recipient("ubnd-tinh")) == "bao-cao-2012-Q3-ubnd-tinh"
    assert report_basename(sample_report(), recipient("bo-cong-thuong")) == "bao-cao-2012-Q3-bo-cong-thuong"


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_pdf_has_vietnamese_labels_and_figures(pdfs: dict[str, Path], code: str) -> None:
    text = _text(pdfs[code])
    for expected in [
        "UBND TỈNH BÌNH PHƯỚC",
        "SỞ CÔNG THƯƠNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Bình Phước, ngày 05 tháng 10 năm 2012",
        "BÁO CÁO",
        "Tình hình thực hiện Chương trình khuyến công quý III năm 2012",
        recipient(code).salutation,
        "I. Kết quả thực hiện theo chỉ tiêu",
        "II. Kinh phí thực hiện",
        "ĐVT: triệu đồng",
        "IV. Tình hình báo cáo của các đơn vị",
        "Khó khăn, vướng mắc và đề xuất",
        "Lao động được đào tạo mới",
        "1.260",  # P1 budget
        "20,56",  # P1 KCQG spent in the quarter
        "20.560",  # programme budget total
        "35,56",  # P1 spent in the quarter, all sources
        "40,0 %",  # P1.2: 120 of 300
        "KCQG",
        "KCĐP",
        "Tổng cộng",
        "3/4 đơn vị đã báo cáo",
        "0/3 tháng",
        "trễ hạn",
        "Các đơn vị chưa báo cáo: Lộc Ninh.",
        "Có 2 tệp bị từ chối, xem biên nhận.",
        "Bù Đăng (2012-Q3): Kinh phí đối ứng của địa phương còn thiếu; đề nghị bổ sung.",
        "Nơi nhận:",
        "GIÁM ĐỐC",
    ]:
        assert expected in text, expected


def test_unit_detail_only_for_ubnd(pdfs: dict[str, Path]) -> None:
    ubnd, bo = _text(pdfs["ubnd-tinh"]), _text(pdfs["bo-cong-thuong"])
    assert "V. Kết quả theo đơn vị" in ubnd and "VI. Khó khăn, vướng mắc và đề xuất" in ubnd
    assert "Kết quả theo đơn vị" not in bo and "Tổng kinh phí" not in bo
    assert "V. Khó khăn, vướng mắc và đề xuất" in bo and "VI." not in bo
    # both get the completeness table by unit; only the province's copy has the receipt dates (compact for the Bộ)
    for text in (ubnd, bo):
        assert "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp 3 3 3 0" in text
    assert "Ngày nhận gần nhất" in ubnd and "Ngày nhận gần nhất" not in bo


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_pdf_completeness_and_coverage(pdfs: dict[str, Path], code: str) -> None:
    text = _text(pdfs[code])
    # totals: 12 unit-months expected, 8 received (66,7 %), 7 on time (58,3 %), 1 late (8,3 %)
    assert "Đã nhận báo cáo cho 8/12 tháng-đơn vị (66,7 %), trong đó 7/12 tháng-đơn vị đúng hạn (58,3 %)" in text
    assert "Cộng Tỷ lệ so với số tháng phải báo cáo 12 8 66,7 % 7 58,3 % 1 8,3 %" in text
    assert "1 đơn vị chưa báo cáo, 1 đơn vị báo cáo chưa đủ số tháng." in text
    assert re.search(r"Bù Đăng ?\(\*\) 3 2 1 1 8/2012 ", text)  # August missing
    assert re.search(r"Lộc Ninh ?\(\*\) 3 0 0 0 7-9/2012 ", text)
    assert "thiếu 1 tháng; trễ hạn" in text and "chưa báo cáo" in text
    # the coverage note, right under the results table (before the pace legend)
    note = "Số liệu tổng hợp từ 8/12 tháng-đơn vị đã báo cáo; chưa đủ: Bù Đăng (2/3 tháng), Lộc Ninh (0/3 tháng)."
    assert note in text and text.index(note) < text.index("Tiến độ yêu cầu: tỷ lệ mục tiêu giai đoạn")
    assert text.index("P7.2 Đoàn học tập kinh nghiệm") < text.index(note)


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_pdf_reconciliation_notes(pdfs: dict[str, Path], code: str) -> None:
    text = _text(pdfs[code])
    assert "Điều chỉnh theo báo cáo quý" in text
    assert ("Có 2 báo cáo quý được tính thay cho các báo cáo đã gửi trước trong cùng kỳ; 1 báo cáo khớp đúng với "
            "tổng các tháng, 1 báo cáo có điều chỉnh như sau:") in text
    assert ("Đồng Xoài, quý III năm 2012: báo cáo quý (dong-xoai-2012-Q3.xlsx) được tính thay cho 1 báo cáo đã gửi "
            "trước (1/3 tháng), điều chỉnh kinh phí P1 (Đào tạo nghề, truyền nghề và phát triển nghề) nguồn KCQG từ 9 "
            "(tổng các tháng) thành 20,1 triệu đồng (+11,1); P1.2 (Lao động được đào tạo mới) từ 4 (tổng các tháng) "
            "thành 10 người (+6); kinh phí P4 (Phát triển sản phẩm công nghiệp nông thôn tiêu biểu) nguồn Khác từ 0 "
            "(tổng các tháng) thành 15 triệu đồng (+15).") in text
    assert "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp, quý III" not in text  # matched: not listed


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_pdf_pace_flags(pdfs: dict[str, Path], code: str) -> None:
    text = _text(pdfs[code])
    assert "Tỷ lệ đạt Tiến độ yêu cầu" in text
    # P1.1 (0 of 4), P3.1 (2 of 15) and P4.1 (0 of 1) are behind the 35 % expected; P1.2 (40 %) is not
    assert "P1.1 Bộ giáo trình dạy nghề được biên soạn bộ 0 0 4 ▼ 0,0 % 35,0 %" in text
    assert "P4.1 Hội chợ triển lãm do tỉnh tổ chức hội chợ 0 0 1 ▼ 0,0 % 35,0 %" in text
    assert "P1.2 Lao động được đào tạo mới người 45 120 300 40,0 % 35,0 %" in text
    assert "P1 Đào tạo nghề, truyền nghề và phát triển nghề" in text and "1.260 ▼ 15,9 % 35,0 %" in text
    assert ("(21/60 tháng = 35,0 %). ▼ Chậm tiến độ: tỷ lệ đạt thấp hơn tiến độ yêu cầu trên 10 điểm phần trăm."
            in text)
    assert "Các chỉ tiêu chậm tiến độ (3):" in text and "Các nội dung chậm tiến độ giải ngân (1):" in text
    assert ("P3.1 Mô hình trình diễn kỹ thuật được xây dựng: lũy kế 2/15 mô hình, đạt 13,3 %, tiến độ yêu cầu "
            "35,0 % (chậm 21,7 điểm phần trăm).") in text
    assert ("P1 Đào tạo nghề, truyền nghề và phát triển nghề: đã thực hiện 200,5/1.260 triệu đồng, đạt 15,9 %, "
            "tiến độ yêu cầu 35,0 % (chậm 19,1 điểm phần trăm).") in text
    # 3 indicator rows + 1 budget row + the pace legend + its reminder under the budget + growth row and legend
    assert text.count("▼") == 3 + 1 + 1 + 1 + 1 + 1


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_pdf_funding_by_year(pdfs: dict[str, Path], code: str) -> None:
    text = _text(pdfs[code])
    assert "2. Kinh phí theo năm và nguồn vốn" in text
    assert "Năm KCQG KCĐP Khác Cộng So với bình quân 4.112 triệu đồng/năm" in text
    assert "2011 1.500 1.800 700 4.000 97,3 %" in text
    assert "2012 (đến tháng 9) 1.230,5 1.360 540 3.130,5 76,1 %" in text
    assert "Lũy kế 2.730,5 3.160 1.240 7.130,5" in text  # cumulative total 7.130,5 triệu đồng
    assert "Kế hoạch giai đoạn 8.130 9.130 3.300 20.560" in text
    assert "Tỷ lệ lũy kế so với kế hoạch 33,6 % 34,6 % 37,6 % 34,7 %" in text
    assert ("kinh phí thực hiện tại các địa bàn ưu tiên (Bù Đăng, Lộc Ninh) là 2.150 triệu đồng, chiếm 30,2 % "
            "tổng kinh phí đã thực hiện.") in text


@pytest.mark.parametrize("code", ["ubnd-tinh", "bo-cong-thuong"])
def test_pdf_context_and_growth(pdfs: dict[str, Path], code: str) -> None:
    text = _text(pdfs[code])
    assert "III. Chỉ tiêu chung về công nghiệp nông thôn" in text
    assert "C1 Cơ sở sản xuất công nghiệp nông thôn đang hoạt động cơ sở 1.250 tại thời điểm cuối kỳ 2/3" in text
    assert "C3 Giá trị sản xuất công nghiệp nông thôn triệu đồng 312.450,5 cộng trong kỳ 3/3" in text
    assert "(mục tiêu tăng bình quân 15-20 %/năm)" in text
    assert "2011 1.150.000 - 10/10" in text
    assert "2012 1.288.000 ▼ 12,0 % 10/10" in text  # below 15 %: marked
    assert "2013 1.520.000 18,0 % 10/10" in text
    assert "▼ Thấp hơn mục tiêu tăng 15 %/năm." in text


def test_by_unit_section_is_landscape(pdfs: dict[str, Path]) -> None:
    def orientations(pdf: Path) -> list[bool]:
        return [p.mediabox.width > p.mediabox.height for p in PdfReader(pdf).pages]

    ubnd = orientations(pdfs["ubnd-tinh"])
    assert not ubnd[0] and any(ubnd) and not ubnd[-1]  # back to portrait for section V
    assert not any(orientations(pdfs["bo-cong-thuong"]))


def test_page_numbers_from_page_two(pdfs: dict[str, Path]) -> None:
    pages = [p.extract_text() for p in PdfReader(pdfs["ubnd-tinh"]).pages]
    assert len(pages) >= 2
    assert re.search(r"(^|\n)2(\n|$)", pages[1])
    assert not re.search(r"(^|\n)1(\n|$)", pages[0])


def test_pdf_embeds_only_liberation_serif(pdfs: dict[str, Path]) -> None:
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed")
    for pdf in pdfs.values():
        listing = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        fonts = [line.split()[0] for line in listing.splitlines()[2:] if line.strip()]
        assert fonts
        for font in fonts:
            assert "Liberation-Serif" in font or "Times" in font, font


def test_html_escapes_input_text() -> None:
    report = sample_report(
        notes=(
            Note("<b>Bù Đăng</b>", "2012-Q3", '<script>alert("x")</script> & <img src="http://example.com/x.png">'),
        ),
    )
    html = render_html(report, recipient("ubnd-tinh"), issuer())
    assert "<script>" not in html and "<b>Bù Đăng</b>" not in html and 'src="http://example.com' not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;img" in html
    assert "&lt;b&gt;Bù Đăng&lt;/b&gt; (2012-Q3):" in html


def test_html_escapes_unit_names_and_file_names() -> None:
    report = sample_report()
    units = (replace(report.units[0], unit_name="<i>Bù Đăng</i>"), *report.units[1:])
    recs = (replace(report.reconciliations[0], file_name='<img src="http://example.com/x.png">.xlsx'),)
    html = render_html(sample_report(units=units, reconciliations=recs), recipient("bo-cong-thuong"), issuer())
    assert "<i>Bù Đăng</i>" not in html and "&lt;i&gt;Bù Đăng&lt;/i&gt;" in html
    assert 'src="http://example.com' not in html and "(&lt;img src=&#34;http://example.com/x.png&#34;&gt;.xlsx)" in html


def test_html_is_nfc_and_self_contained() -> None:
    decomposed = unicodedata.normalize("NFD", "Đề nghị hỗ trợ thêm kinh phí")
    report = sample_report(notes=(Note("Bù Đăng", "2012-Q3", decomposed),))
    html = render_html(report, recipient("ubnd-tinh"), issuer())
    assert unicodedata.is_normalized("NFC", html)
    assert "Đề nghị hỗ trợ thêm kinh phí" in html
    assert "@page" in html and "<link" not in html  # the stylesheet is inlined


def test_zero_shows_0_and_missing_share_shows_dash() -> None:
    report = sample_report()
    no_target = replace(report.indicators[0], target=Decimal(0))
    pace = tuple(p for p in report.pace if p.code != "P1.1")
    report = replace(report, indicators=(no_target, *report.indicators[1:]), pace=pace)
    html = render_html(report, recipient("bo-cong-thuong"), issuer())
    row = re.search(r"<td class=\"code\">P1\.1</td>.*?</tr>", html, re.S)
    assert row
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(0))
    assert cells == ["0", "0", "0", "-", "-"]


def test_no_notes_and_no_rejections() -> None:
    units = (UnitStatus("bu-dang", "Bù Đăng", True, 3, 3, 3, (), ("a.xlsx",), None),)
    report = sample_report(notes=(), rejected=(), units=units)
    html = render_html(report, recipient("bo-cong-thuong"), issuer())
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

    monkeypatch.setattr(HTML, "write_pdf", broken)
    with pytest.raises(RuntimeError):
        render_pdf(sample_report(), recipient("bo-cong-thuong"), issuer(), target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["bao-cao.pdf"]


def test_empty_report_renders() -> None:
    report = sample_report(indicators=(), units=(), by_unit=(), notes=(), rejected=())
    html = render_html(report, recipient("ubnd-tinh"), issuer())
    assert "0/0 đơn vị đã báo cáo" in html
    assert "Không có số liệu." in html
    assert "Chưa có đơn vị nào báo cáo số liệu trong kỳ." in html
    assert "Không có đơn vị nào phải báo cáo trong kỳ." in html


def test_record_without_the_newer_parts_renders() -> None:
    """A record with no completeness, reconciliations, pace, funding, context or growth (older callers)."""
    report = sample_report(completeness=None, reconciliations=(), pace=(), funding=None, context=(), growth=())
    html = render_html(report, recipient("ubnd-tinh"), issuer())
    assert "Đã nhận báo cáo cho 8/12 tháng-đơn vị" in html  # made from the unit rows
    assert "Tiến độ yêu cầu:" not in html and "▼" not in html
    assert "Kinh phí theo năm và nguồn vốn" not in html and "Điều chỉnh theo báo cáo" not in html
    assert "Chỉ tiêu chung về công nghiệp nông thôn" not in html  # no section without its figures
    assert "<h2>III. Tình hình báo cáo của các đơn vị</h2>" in html
    assert "<h2>V. Khó khăn, vướng mắc và đề xuất</h2>" in html


def test_context_without_a_whole_year_of_growth() -> None:
    report = sample_report(growth=())
    html = render_html(report, recipient("bo-cong-thuong"), issuer())
    assert "<h2>III. Chỉ tiêu chung về công nghiệp nông thôn</h2>" in html
    assert "Chưa có năm trọn vẹn để tính mức tăng." in html


def test_reconciliations_that_all_match() -> None:
    matched = tuple(replace(r, differences=()) for r in sample_report().reconciliations)
    html = render_html(sample_report(reconciliations=matched), recipient("bo-cong-thuong"), issuer())
    assert ("Có 2 báo cáo quý được tính thay cho các báo cáo đã gửi trước trong cùng kỳ; số liệu của cả 2 báo cáo "
            "khớp đúng với tổng các tháng.") in html
    assert "thành" not in html.split("Điều chỉnh theo báo cáo quý")[1].split("</h2>")[0]


def test_month_list() -> None:
    assert month_list(()) == ""
    assert month_list(("2012-08",)) == "8/2012"
    assert month_list(("2012-07", "2012-08", "2012-09", "2013-02")) == "7-9/2012; 2/2013"
    assert month_list(("2012-01", "2012-02", "2012-05")) == "1, 2, 5/2012"
