"""The report stage: every recipient's PDF, HTML preview and Excel workbook of one consolidated report.

What is the same for every recipient is made once per run and shared: the aggregated figures (the report),
the provenance frame (pipeline.export.provenance, also written as CSV), the charts, sentences and table rows
(build.common), WeasyPrint's fonts and the parsed stylesheet (html.PdfWriter). Each recipient's copy is
built once as a Document (build.build_document) and handed to the engines: its page is rendered from the
template once (the HTML preview is that page, and the PDF is laid out from it), and its workbook is written.

`publish_reports` is the stage as a run does it: the period's whole set - every recipient's files and the CSV
export - built aside and published as `reports/<period>/` in one step (pipeline.publish).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline import export, publish
from pipeline.aggregating import Consolidated
from pipeline.recipients import RecipientBook
from pipeline.report import build, excel, html
from pipeline.report.numbering import report_basename


def render_all(
    report: Consolidated,
    book: RecipientBook,
    folder: Path,
    number: int | None = None,
    values: pd.DataFrame | None = None,
) -> list[Path]:
    """Write every recipient's PDF, Excel workbook and HTML preview under `folder`; return their paths.

    `number` is the document's number ("Số: 05/BC-SCT", None leaves it blank); `values` is the provenance
    frame (pipeline.export.provenance) for the Excel data sheet of recipients with `data_sheet`."""
    shared = build.common(report)
    pdf = html.PdfWriter()
    out: list[Path] = []
    for recipient in book.recipients:
        base = folder / report_basename(report, recipient)
        doc = build.build_document(report, recipient, book.issuer, book.titles, number, shared, values)
        page = html.render_html(doc)
        out.append(pdf.write(page, base.with_suffix(".pdf")))
        out.append(excel.write_workbook(doc, base.with_suffix(".xlsx")))
        out.append(html.write_page(page, base.with_suffix(".html")))
    return out


def publish_reports(
    report: Consolidated,
    book: RecipientBook,
    reports: Path,
    number: int | None,
    values: pd.DataFrame,
    problems: pd.DataFrame | None = None,
    run_id: str | None = None,
) -> list[Path]:
    """Render every recipient's files and write the period's export (pipeline.export.write_exports: `values`,
    the figures and `problems`, from export.period_problems) into a staging folder, then publish them together
    as `reports/<period>/`; return their published paths."""
    link = reports / report.period.code
    with publish.publishing(reports, report.period.code, run_id) as staging:
        written = render_all(report, book, staging, number, values) + export.write_exports(
            report, values, staging, problems
        )
    return [link / p.name for p in written]
