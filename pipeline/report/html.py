"""The HTML/PDF engine (Jinja2 + WeasyPrint): the report as a self-contained HTML page and its PDF.

The template is ``templates/report.html.j2``; it inlines ``templates/report.css`` so the HTML preview stands
alone. One page per recipient: the preview is written as rendered, and the PDF is laid out from the same page
(``PdfWriter``, which parses the stylesheet once for all the pages of a run and keeps one font configuration).
Everything that came from inputs is escaped (autoescape on; the SVG charts escape their text themselves), and
WeasyPrint may only load ``data:`` URLs and files inside the templates folder (``SafeFetcher``); the report
itself loads nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from pipeline.aggregating import Consolidated
from pipeline.files import atomic_output
from pipeline.formatting import long_date, number, percent, short_date
from pipeline.paths import TEMPLATES_DIR
from pipeline.periods import next_period
from pipeline.recipients import Issuer, Recipient, Titles
from pipeline.report.numbering import ROMAN, appendix_numbers, attachment_line, cite, excel_file_sheet, excel_pointer
from pipeline.report.sentences import (
    FLAG,
    behind_lines,
    completeness_summary,
    coverage_note,
    funding_note,
    funding_summary,
    growth_objective,
    keep_percent,
    month_list,
    national_summary,
    note_text,
    pace_legend,
    reconciliation_heading,
    reconciliation_notes,
    reconciliation_summary,
    reporting_left_out,
    reporting_sentences,
    result_sections,
    results_summary,
    signed,
    straddling_note,
    unit_remark,
)
from pipeline.report.tables import (
    budget_total_expected,
    by_unit_layout,
    by_unit_tables,
    by_unit_totals,
    completeness_of,
    funding_svg,
    growth_below,
    indicator_groups,
    national_rows,
    pace_index,
    period_title,
    progress_svg,
    reporting_rows,
    share_of,
    shown_notes,
    task_groups,
    unit_column_groups,
    unit_summary,
    year_label,
)
from pipeline.text import nfc

TEMPLATE = "report.html.j2"


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


def _day(value: date | datetime | None) -> str:
    return short_date(value.date() if isinstance(value, datetime) else value)


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=number,
        pct=percent,
        day=_day,
        long_date=long_date,
        months=month_list,
        signed=signed,
        keep=keep_percent,
        sentence=lambda text: text[:1].upper() + text[1:],
        note=note_text,
    )
    return env


def shared_context(report: Consolidated) -> dict[str, object]:
    """What every recipient's copy shows alike - the charts (SVG), the sentences, the tables' rows: made once
    per report and given to render_html for each recipient."""
    units = report.units
    notes, notes_left_out = shown_notes(report.notes, len({n.unit_name for n in report.notes}))
    changed = [r for r in report.reconciliations if r.differences]
    reconciliation_notes_, reconciliations_left_out = shown_notes(
        reconciliation_notes(report), len({r.unit_code for r in changed})
    )
    following = next_period(report.period, report.programme.last_year)
    return {
        "report": report,
        "programme": report.programme,
        "period": report.period,
        "next_period": following,
        "task_groups": task_groups(report),
        "results_summary": keep_percent(results_summary(report)),
        "progress_chart": Markup(progress_svg(report)),
        "funding_chart": Markup(funding_svg(report)),
        "funding_summary": funding_summary(report),
        "national_code": report.programme.national_source or "",
        "reporting_sentences": reporting_sentences(report),
        "groups": indicator_groups(report),
        "budget_totals": report.budget_totals,
        "reported_count": len(report.reporting_units),
        "late_count": sum(1 for u in units if u.late_files),
        **by_unit_totals(report),
        "notes": notes,
        "notes_left_out": notes_left_out,
        "flag": FLAG,
        "roman": ROMAN,
        "completeness": completeness_of(report),
        "completeness_summary": completeness_summary(report),
        "unit_remark": unit_remark,
        "reconciliation_heading": reconciliation_heading(report),
        "reconciliation_summary": reconciliation_summary(report, lead_in=True),
        "reconciliation_notes": reconciliation_notes_,
        "reconciliations_left_out": reconciliations_left_out,
        "straddling_note": straddling_note(report),
        "pace": pace_index(report),
        "pace_legend": pace_legend(report) if report.pace else "",
        "behind_indicators": behind_lines(report, "indicator"),
        "behind_budget": behind_lines(report, "budget"),
        "budget_total_expected": budget_total_expected(report),
        "funding": report.funding,
        "funding_note": funding_note(report),
        "year_label": year_label,
        "share_of": share_of,
        "period_title": period_title,
        "coverage_note": coverage_note(report),
        "context_partial": any(c.units_reporting < c.units_expected for c in report.context),
        "growth_objective": growth_objective(report),
        "growth_below": lambda g: growth_below(report, g),
    }


def render_html(
    report: Consolidated,
    recipient: Recipient,
    issuer: Issuer,
    titles: Titles,
    number: int | None = None,
    shared: dict[str, object] | None = None,
) -> str:
    """The report as a self-contained HTML page (NFC), for preview and for the PDF.

    `number` is the document's number ("Số: 05/BC-SCT"); None leaves it blank for the office to fill in.
    `shared` is shared_context(report), when it is already made (for another recipient)."""
    shared = shared_context(report) if shared is None else shared
    following = shared["next_period"]
    sections = [k for k in recipient.sections if k != "tasks" or (following is not None and shared["task_groups"])]
    layout = by_unit_layout(report, recipient)
    context = {
        **shared,
        "recipient": recipient,
        "issuer": issuer,
        "doc_number": issuer.document_number(number),
        "attachment": attachment_line(report, issuer, number),
        "sections": sections,
        "appendices": list(recipient.appendices),
        "appendix_no": appendix_numbers(recipient),
        "cite": lambda text, key: cite(text, recipient, key),
        "result_sections": result_sections(report, recipient),
        "national": national_rows(report) if recipient.kcqg_separate else [],
        "national_summary": national_summary(report) if recipient.kcqg_separate else "",
        "unit_layout": layout,
        "by_unit_tables": by_unit_tables(report.by_unit) if layout == "columns" else [],
        "unit_groups": unit_column_groups(report.programme) if layout == "rows" else [],
        "unit_summary": unit_summary(report) if layout == "summary" else [],
        "units_pointer": excel_pointer(report, recipient, "units") if "units" in recipient.appendices else "",
        "reporting_rows": reporting_rows(report, recipient),
        "reporting_left_out": reporting_left_out(report, recipient),
        "section_titles": titles.sections.model_dump(),
        "appendix_titles": titles.appendices.model_dump(),
        "notes_pointer": excel_file_sheet(report, recipient, "YKien"),
        "reconciliations_pointer": excel_file_sheet(report, recipient, "DieuChinh"),
    }
    return nfc(_environment().get_template(TEMPLATE).render(context))


class PdfWriter:
    """WeasyPrint set up once for every PDF of a run: one font configuration, and the report's stylesheet
    (the page's <style>, the same for every recipient) parsed once rather than once per document."""

    def __init__(self) -> None:
        self.fonts = FontConfiguration()
        self._sheets: dict[str, CSS] = {}

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
        doc = HTML(string=body, base_url=str(TEMPLATES_DIR), url_fetcher=SafeFetcher())
        with atomic_output(out_path) as tmp:
            doc.write_pdf(tmp, stylesheets=[sheet], font_config=self.fonts)
        return out_path


def _split_style(html: str) -> tuple[str, str]:
    """(the page without its first <style> element, that element's CSS): the template inlines report.css in
    the head, before anything that comes from inputs (which is escaped anyway)."""
    start = html.find("<style>")
    end = html.find("</style>", start)
    if start < 0 or end < 0:
        return html, ""
    return html[:start] + html[end + len("</style>") :], html[start + len("<style>") : end]


def render_pdf(
    report: Consolidated,
    recipient: Recipient,
    issuer: Issuer,
    titles: Titles,
    out_path: Path,
    number: int | None = None,
) -> Path:
    """Render the report to `out_path` (written atomically) and return that path."""
    return PdfWriter().write(render_html(report, recipient, issuer, titles, number), out_path)


def write_page(html: str, out_path: Path) -> Path:
    """Write a page render_html made (the PDF's own input) as the HTML preview, atomically; return its path."""
    with atomic_output(out_path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return out_path
