"""The HTML/PDF engine (Jinja2 + WeasyPrint): a model.Document as a self-contained HTML page and its PDF.

Layout only: every word comes from the Document (pipeline.report.build); the template
``templates/report.html.j2`` receives it as ``doc`` with the helpers below, which map its paragraph styles,
cell kinds and heading roles to ``templates/report.css`` (inlined, so the HTML preview stands alone). One page
per recipient: the preview is written as rendered, and the PDF is laid out from the same page (``PdfWriter``,
which parses the stylesheet once for all the pages of a run and keeps one font configuration). Everything
that came from inputs is escaped (autoescape on; the SVG charts escape their text themselves), and WeasyPrint
may only load ``data:`` URLs and files inside the templates folder (``SafeFetcher``); the report itself loads
nothing.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from html import escape
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from pipeline import signing
from pipeline.files import atomic_output
from pipeline.paths import TEMPLATES_DIR
from pipeline.report.model import FLAG, Chart, Document, Heading, Paragraph, Table, shown
from pipeline.text import nfc

TEMPLATE = "report.html.j2"
PARAGRAPH_CLASSES = {
    "body": "body",
    "item": "body item",
    "lead": "body keep-next",
    "task": "body keep-next task-head",
    "note": "body note",
    "reconciliation": "body reconciliation",
    "legend": "legend",
    "coverage": "coverage",
}
CELL_CLASSES = {"text": "", "code": "code", "center": "center", "number": "num", "share": "num"}
HEAD_CLASSES = {"": "", "group": "sp-head", "column": "col-head", "unit": "unit-name"}


class BlockedURLError(ValueError):
    """The report tried to load something other than a data: URL or a file in the templates folder."""


class SafeFetcher(URLFetcher):
    """URL fetcher that serves only ``data:`` URLs and files inside `root`; everything else raises."""

    def __init__(self, root: Path = TEMPLATES_DIR, **kwargs: object) -> None:
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False, **kwargs)
        self.root = Path(root).resolve()

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = self.allowed_path(url)
            if path is not None:
                return super().fetch(path.as_uri(), headers)
        raise BlockedURLError(f"refusing to load {url[:200]!r}: only data: URLs and files in {self.root}")

    def allowed_path(self, url: str) -> Path | None:
        """The local file a ``file:`` URL names, if it is an existing file inside `root`."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(parts.path)).resolve()
        return path if path.is_relative_to(self.root) and path.is_file() else None


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        flag=FLAG,
        show=shown,
        cls=lambda p: PARAGRAPH_CLASSES[p.style],
        cell_class=lambda c: CELL_CLASSES[c.kind],
        head_class=lambda c: HEAD_CLASSES[c.role],
    )
    env.tests.update(
        paragraph=lambda b: isinstance(b, Paragraph),
        heading=lambda b: isinstance(b, Heading),
        chart=lambda b: isinstance(b, Chart),
        table=lambda b: isinstance(b, Table),
    )
    return env


def render_html(doc: Document) -> str:
    """The document as a self-contained HTML page (NFC), for preview and for the PDF."""
    return nfc(_environment().get_template(TEMPLATE).render(doc=doc))


class PdfWriter:
    """WeasyPrint set up once for every PDF of a run: one font configuration, and the report's stylesheet
    (the page's <style>, the same for every recipient) parsed once rather than once per document."""

    def __init__(self, signing_key: signing.SigningKey | None = None, when: datetime | None = None) -> None:
        self.fonts = FontConfiguration()
        self._sheets: dict[str, CSS] = {}
        # With a key, every PDF is signed in its signature field (holder read from the certificate once).
        self.signing = (signing_key, signing.holder(signing_key), when or datetime.now()) if signing_key else None

    def write(self, html: str, out_path: Path) -> Path:
        """Render `html` (render_html's page) to `out_path` (written atomically) and return that path."""
        body, css = _split_style(html)
        sheet = self._sheets.get(css)
        if sheet is None:
            sheet = self._sheets[css] = CSS(
                string=css, base_url=str(TEMPLATES_DIR), url_fetcher=SafeFetcher(), font_config=self.fonts
            )
        # Given apart, the sheet is of the "user" origin rather than the "author" one: the same cascade here,
        # since the page has no other stylesheet and report.css uses no !important.
        page = HTML(string=body, base_url=str(TEMPLATES_DIR), url_fetcher=SafeFetcher())
        laid_out = page.render(stylesheets=[sheet], font_config=self.fonts)
        data = laid_out.write_pdf()
        place = signature_place(laid_out)
        if place is not None:  # the empty field the signer's own software signs into
            data = signing.with_field(data, place)
            if self.signing is not None:
                key, holder, when = self.signing
                data = signing.signed(data, key, self.stamp(holder, when))
        with atomic_output(out_path) as tmp:
            tmp.write_bytes(data)
        return out_path

    def stamp(self, holder: str, when: datetime) -> bytes:
        """The visible signature: who signed and when, sized to the signature field."""
        w, h = SIGNATURE_MM
        css = (
            f"@page {{ size: {w}mm {h}mm; margin: 0 }} body {{ margin: 1.5mm 2mm; font: 10pt 'Times New Roman', "
            "'Liberation Serif', serif; color: #b00000; border: 0.8pt solid #b00000; height: 19mm; }} p {{ margin: 0 }}"
        )
        text = f"<p>Ký số bởi: <b>{escape(holder)}</b></p><p>Thời gian: {when:%d/%m/%Y %H:%M}</p>"
        return HTML(string=f"<style>{css}</style>{text}").write_pdf(font_config=self.fonts)


SIGNATURE_ANCHOR = "chu-ky"  # the template's box under the signer's title
SIGNATURE_MM = (60, 24)  # its size (report.css .signature-box)


def signature_place(laid_out) -> signing.Place | None:
    """Where the template's signature box landed (page and box in PDF points), or None when it has none."""
    for index, page in enumerate(laid_out.pages):
        box = page.anchors.get(SIGNATURE_ANCHOR)
        if box is not None:
            x1, y1, x2, y2 = (v * 0.75 for v in box)  # CSS px -> PDF points; PDF's y runs upwards
            height = page.height * 0.75
            return signing.Place(index, (x1, height - y2, x2, height - y1))
    return None


def _split_style(html: str) -> tuple[str, str]:
    """(the page without its first <style> element, that element's CSS): the template inlines report.css in
    the head, before anything that comes from inputs (which is escaped anyway)."""
    start = html.find("<style>")
    end = html.find("</style>", start)
    if start < 0 or end < 0:
        return html, ""
    return html[:start] + html[end + len("</style>") :], html[start + len("<style>") : end]


def render_pdf(doc: Document, out_path: Path) -> Path:
    """Render the document to `out_path` (written atomically) and return that path."""
    return PdfWriter().write(render_html(doc), out_path)


def write_page(html: str, out_path: Path) -> Path:
    """Write a page render_html made (the PDF's own input) as the HTML preview, atomically; return its path."""
    with atomic_output(out_path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return out_path
