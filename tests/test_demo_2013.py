"""The demo's annual report for 2013 shows what issue 4 asks: completeness, reconciliation notes, pace flags.

The demo data contain those cases on purpose (quarterly reports revising their months, lines behind pace);
the demo is generated for 2011-2013 exactly as the full demo generates those years.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline import demo, intake, ledger
from pipeline.aggregating import aggregate
from pipeline.paths import packaged_config
from pipeline.periods import year


@pytest.fixture(scope="module")
def report_2013(tmp_path_factory):
    from pipeline.programme import load_programmes
    from pipeline.units import load_units

    programmes, units = load_programmes(packaged_config()), load_units(packaged_config())
    folder: Path = tmp_path_factory.mktemp("demo2013")
    demo.generate(folder / "inputs", programmes[0], units, years=(2011, 2012, 2013))
    with ledger.open_ledger(folder / "ledger.sqlite") as conn:
        pending = intake.find_pending(folder / "inputs", conn, folder / "archive")
        ledger.store(conn, intake.process(pending.new, programmes, units))
        subs, vals, probs = ledger.submissions_frame(conn), ledger.values_frame(conn), ledger.problems_frame(conn)
    return aggregate(subs, vals, programmes[0], units, year(2013), problems=probs)


def test_completeness_table(report_2013) -> None:
    c = report_2013.completeness
    assert c.expected == 11 * 12  # ten districts and the provincial centre, twelve months each
    assert 0 < c.on_time < c.received < c.expected  # some months late, some missing
    assert c.late_units and c.partial_units


def test_at_least_one_reconciliation_note(report_2013) -> None:
    notes = [r for r in report_2013.reconciliations if r.differences]
    assert notes
    for r in notes:  # a quarter replacing its months, and the figure that counts is the quarter's
        assert r.months == 3 and r.period_code.startswith("2013-Q")
        assert all(d.change == d.coarser - d.finer_total != 0 for d in r.differences)


def test_at_least_one_pace_flag(report_2013) -> None:
    behind = report_2013.behind_pace
    assert behind
    for p in behind:
        assert p.share is not None and p.share < p.expected_share - p.margin
    assert any(p.kind == "budget" and p.code == "P6" for p in behind)  # the slow infrastructure programme


def test_the_rendered_2013_report_shows_them(report_2013, tmp_path) -> None:
    from pypdf import PdfReader

    from pipeline.formatting import number
    from pipeline.recipients import load_recipients
    from pipeline.report.build import build_document
    from pipeline.report.html import render_pdf

    book = load_recipients(packaged_config())
    for recipient in book.recipients:
        pdf = render_pdf(
            build_document(report_2013, recipient, book.issuer, book.titles), tmp_path / f"{recipient.code}.pdf"
        )
        text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages)
        c = report_2013.completeness
        assert f"{c.received}/{c.expected}" in text  # the completeness table and summary
        assert "Điều chỉnh theo báo cáo quý" in text
        for note in (r for r in report_2013.reconciliations if r.differences):
            d = note.differences[0]
            assert f"từ {number(d.finer_total)} (tổng các tháng) thành {number(d.coarser)}" in text
        assert "Chậm tiến độ" in text or "chậm tiến độ" in text
        assert all(p.name.split(",")[0][:20] in text for p in report_2013.behind_pace[:3])
