"""The report stage: every recipient's PDF, HTML preview, Excel workbook and Word file of one consolidated report.

What is the same for every recipient is made once per run and shared: the aggregated figures (the report),
the provenance frame (pipeline.export.provenance, also written as CSV), the charts, sentences and table rows
(build.common), WeasyPrint's fonts and the parsed stylesheet (html.PdfWriter). Each recipient's copy is
built once as a Document (build.build_document) and handed to the engines: its page is rendered from the
template once (the HTML preview is that page, and the PDF is laid out from it); its workbook and Word file are
written from the same Document.

`publish_reports` is the stage as a run does it: the period's whole set - every recipient's files and the CSV
export - built aside and published as `reports/<period>/` in one step (pipeline.publish).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from pipeline import export, publish
from pipeline.aggregating import Consolidated
from pipeline.assessment import Assessment
from pipeline.recipients import RecipientBook
from pipeline.report import build, docx, excel, html
from pipeline.report.numbering import report_basename
from pipeline.signing import SigningKey


def render_all(
    report: Consolidated,
    book: RecipientBook,
    folder: Path,
    number: int | None = None,
    values: pd.DataFrame | None = None,
    own: Assessment | None = None,
    key: SigningKey | None = None,
) -> list[Path]:
    """Write every recipient's PDF, Excel workbook, HTML preview and Word file under `folder`; return their paths.

    `number` is the document's number ("Số: 05/BC-SCT", None leaves it blank); `values` is the provenance
    frame (pipeline.export.provenance) for the Excel data sheet of recipients with `data_sheet`; `own` the office's
    own text for the period (pipeline.assessment); with `key`, every PDF is signed in its signature field."""
    shared = build.common(report)
    pdf = html.PdfWriter(key)
    out: list[Path] = []
    for recipient in book.recipients:
        base = folder / report_basename(report, recipient)
        doc = build.build_document(report, recipient, book.issuer, book.titles, number, shared, values, own)
        page = html.render_html(doc)
        out.append(pdf.write(page, base.with_suffix(".pdf")))
        out.append(excel.write_workbook(doc, base.with_suffix(".xlsx")))
        out.append(html.write_page(page, base.with_suffix(".html")))
        out.append(docx.write_docx(doc, base.with_suffix(".docx")))
    return out


def publish_reports(
    report: Consolidated,
    book: RecipientBook,
    reports: Path,
    number: int | None,
    values: pd.DataFrame,
    problems: pd.DataFrame | None = None,
    run_id: str | None = None,
    own: Assessment | None = None,
    key: SigningKey | None = None,
) -> list[Path]:
    """Render every recipient's files and write the period's export (pipeline.export.write_exports: `values`,
    the figures and `problems`, from export.period_problems) into a staging folder, then publish them together
    as `reports/<period>/`; return their published paths."""
    link = reports / report.period.code
    with publish.publishing(reports, report.period.code, run_id) as staging:
        written = render_all(report, book, staging, number, values, own, key) + export.write_exports(
            report, values, staging, problems
        )
    return [link / p.name for p in written]


def signing_key(book: RecipientBook, config_dir: Path, environ: Mapping[str, str]) -> SigningKey | None:
    """The certificate the run signs its PDFs with (issuer.signing in recipients.yaml: a PKCS#12 file relative
    to the configuration folder, its passphrase in the environment variable it names), or None."""
    signing = book.issuer.signing
    if signing is None:
        return None
    return SigningKey(config_dir / signing.pkcs12, environ.get(signing.passphrase_env))


def unfinished(book: RecipientBook, own: Assessment | None) -> list[str]:
    """What the office has still to write before signing, for the run summary (Vietnamese, one line each)."""
    out = []
    unsigned = book.unsigned()
    if unsigned:
        out.append(
            "Chưa có tên người ký (recipients.yaml: issuer.signer.name, hoặc --signer) trong bản gửi: "
            + ", ".join(unsigned)
        )
    if own is None:
        out.append("Chưa có phần đánh giá của Sở (assessments/<kỳ>.md): báo cáo không có mục Đánh giá chung.")
    return out
