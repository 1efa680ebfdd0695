"""The report stage: every recipient's PDF, HTML preview and Excel workbook of one consolidated report.

What is the same for every recipient is made once per run and shared: the aggregated figures (the report),
the provenance frame (pipeline.export.provenance, also written as CSV), the charts, sentences and table rows
(rendering.shared_context), WeasyPrint's fonts and the parsed stylesheet (rendering.PdfWriter). Each
recipient's page is rendered from the template once: the HTML preview is that page, and the PDF is laid
out from it.

`publish_reports` is the stage as a run does it: the period's whole set - every recipient's files and the CSV
export - built aside and published as `reports/<period>/` in one step (pipeline.publish).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline import excel_report, export, publish, rendering
from pipeline.aggregating import Consolidated
from pipeline.recipients import RecipientBook


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
    shared = rendering.shared_context(report)
    pdf = rendering.PdfWriter()
    out: list[Path] = []
    for recipient in book.recipients:
        base = folder / rendering.report_basename(report, recipient)
        page = rendering.render_html(report, recipient, book.issuer, number, shared)
        out.append(pdf.write(page, base.with_suffix(".pdf")))
        out.append(
            excel_report.write_excel_report(report, recipient, book.issuer, base.with_suffix(".xlsx"), number, values)
        )
        out.append(rendering.write_page(page, base.with_suffix(".html")))
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
