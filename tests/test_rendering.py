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
        "III. Tình hình báo cáo của các đơn vị",
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
    assert "IV. Kết quả theo đơn vị" in ubnd and "V. Khó khăn, vướng mắc và đề xuất" in ubnd
    assert "Kết quả theo đơn vị" not in bo and "Tổng kinh phí" not in bo
    assert "IV. Khó khăn, vướng mắc và đề xuất" in bo


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
    report = replace(report, indicators=(no_target, *report.indicators[1:]))
    html = render_html(report, recipient("bo-cong-thuong"), issuer())
    row = re.search(r"<td class=\"code\">P1\.1</td>.*?</tr>", html, re.S)
    assert row
    cells = re.findall(r'<td class="num">([^<]*)</td>', row.group(0))
    assert cells == ["0", "0", "0", "-"]


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
