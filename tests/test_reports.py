"""The report stage (pipeline.reports.render_all) on a real ledger: every recipient's PDF, Excel workbook and HTML
preview, the preview being the very page the PDF is laid out from, and the Excel data sheet holding exactly the
provenance values."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest
from conftest import frames
from openpyxl import load_workbook
from pypdf import PdfReader

from pipeline.aggregating import aggregate
from pipeline.completeness import load_rules
from pipeline.export import provenance
from pipeline.paths import packaged_config
from pipeline.periods import month, quarter
from pipeline.recipients import load_recipients
from pipeline.report.build import build_document
from pipeline.report.html import render_html
from pipeline.report.model import FIRST_DATA_ROW, HEADER_ROW
from pipeline.report.numbering import report_basename
from pipeline.report.tables import unit_names
from pipeline.reports import render_all
from pipeline.workbook import Filling

Q1 = quarter(2012, 1)
HOSTILE = "=HYPERLINK(1)+bu-dang-2012-02.xlsx"  # an officer's file name that a spreadsheet would run


def filling(k: int) -> Filling:
    return Filling(
        results={"P1.2": k, "P4.3": 2 * k + 1},
        spending={"P1": {"KCQG": Decimal(k) + Decimal("0.25")}, "P5": {"KCĐP": 3 * k, "Khác": 1}},
    )


@pytest.fixture
def stage(tmp_path, make_workbook, ingest, programme, units):
    """A quarter's report rendered by render_all from a real ledger: (report, provenance, paths)."""
    for unit, period, f, received, name in [
        ("bu-dang", month(2011, 12), filling(1), date(2012, 1, 3), None),
        ("bu-dang", month(2012, 1), filling(2), date(2012, 2, 2), "bu-dang-t1.xlsx"),
        ("bu-dang", month(2012, 1), filling(3), date(2012, 2, 6), "bu-dang-t1-sua.xlsx"),  # supersedes
        ("bu-dang", month(2012, 2), filling(4), date(2012, 3, 2), HOSTILE),
        ("loc-ninh", month(2012, 1), filling(5), date(2012, 2, 2), None),
        ("loc-ninh", Q1, filling(7), date(2012, 4, 2), None),  # counts instead of its month
    ]:
        make_workbook(tmp_path, unit, period, f, received=received, name=name)
    ingest(tmp_path / "inputs", tmp_path / "ledger.sqlite")
    subs, vals, probs = frames(tmp_path / "ledger.sqlite")
    report = aggregate(subs, vals, programme, units, Q1, load_rules(packaged_config()), problems=probs)
    values = provenance(subs, vals, programme, Q1, report.cumulative_period)
    return report, values, render_all(report, load_recipients(packaged_config()), tmp_path / "reports", 5, values)


def _on_the_provinces_clock(stamp: str) -> datetime:
    """The ledger's UTC time as the province reads it (UTC+7), as the export shows it."""
    moment = pd.Timestamp(stamp)
    moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment
    return moment.tz_convert("Asia/Ho_Chi_Minh").to_pydatetime().replace(tzinfo=None, microsecond=0)


def test_every_recipient_gets_pdf_excel_html_and_word(stage) -> None:
    report, _, paths = stage
    book = load_recipients(packaged_config())
    assert [p.name for p in paths] == [
        f"{report_basename(report, r)}{ext}" for r in book.recipients for ext in (".pdf", ".xlsx", ".html", ".docx")
    ]
    for recipient in book.recipients:
        pdf, _, html, _ = (p for p in paths if p.stem == report_basename(report, recipient))
        page = render_html(build_document(report, recipient, book.issuer, book.titles, 5))
        assert html.read_text(encoding="utf-8") == page  # the preview is the page the PDF is laid out from
        text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(pdf).pages)
        assert "Số: 05/BC-SCT" in text and recipient.salutation in text
        assert "<style>" in page  # the preview stands alone, with its stylesheet


def test_excel_data_sheet_holds_exactly_the_provenance_values(stage) -> None:
    report, values, paths = stage
    assert len(values) > 20 and HOSTILE in set(values["file"])
    names = unit_names(report)
    kinds = {"indicator": "chỉ tiêu", "budget": "kinh phí"}
    expected = [
        (
            i,
            v.unit,
            names[v.unit],
            v.period_reported,
            kinds[v.kind],
            v.code,
            v.source or None,
            Decimal(v.value),
            v.file,
            v.cell,
            v.sha256,
            _on_the_provinces_clock(v.received_at),
            "có" if v.counts_in_period else "không",
            "có" if v.counts_cumulative else "không",
        )
        for i, v in enumerate(values.itertuples(index=False), start=1)
    ]
    book = load_recipients(packaged_config())
    for recipient in book.recipients:
        workbook = next(p for p in paths if p.name == f"{report_basename(report, recipient)}.xlsx")
        wb = load_workbook(workbook)
        if not recipient.data_sheet:
            assert "DuLieu" not in wb.sheetnames, recipient.code
            continue
        ws = wb["DuLieu"]
        rows = list(ws.iter_rows(min_row=FIRST_DATA_ROW, values_only=True))
        got = [(*row[:7], Decimal(str(row[7])), *row[8:]) for row in rows]
        assert got == expected, recipient.code
        hostile = next(r for r in range(FIRST_DATA_ROW, ws.max_row + 1) if ws.cell(r, 9).value == HOSTILE)
        assert ws.cell(hostile, 9).data_type == "s" and ws.cell(hostile, 9).quotePrefix  # text, never a formula
        assert ws.auto_filter.ref == f"A{HEADER_ROW}:N{FIRST_DATA_ROW + len(values) - 1}"
    assert any(r.data_sheet for r in book.recipients)
