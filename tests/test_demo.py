"""The demo data: deterministic, realistic (missing months, late files, quarterly reports, two bad files)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline import demo, intake, ledger
from pipeline.aggregating import aggregate
from pipeline.completeness import ReportingRules
from pipeline.periods import Kind, parse_period, year
from pipeline.programme import Programme
from pipeline.units import UnitRegistry
from pipeline.validating import Status

YEAR = year(2012)


def _run(folder: Path, programme: Programme, units: UnitRegistry, programmes):
    files = demo.generate(folder / "inputs", programme, units, seed=demo.SEED, years=(2012,))
    db = folder / "ledger.sqlite"
    with ledger.open_ledger(db) as conn:
        pending = intake.find_pending(folder / "inputs", conn, folder / "archive")
        reports = intake.process(pending.new, programmes, units)
        ledger.store(conn, reports)
        frames = ledger.submissions_frame(conn), ledger.values_frame(conn), ledger.problems_frame(conn)
    return files, reports, frames


def _content(reports) -> dict[str, tuple]:
    """What was read from each file: status, unit, period, every value with its cell, and the receipt day."""
    return {
        r.file.name: (
            r.status,
            r.unit.code if r.unit else None,
            r.period.code if r.period else None,
            r.file.modified,
            sorted((v.kind, v.code, v.source, v.amount, v.cell) for v in r.values),
            [(p.code, p.cell) for p in r.problems],
        )
        for r in reports
    }


@pytest.fixture(scope="module")
def run(tmp_path_factory, programme, units, programmes):
    return _run(tmp_path_factory.mktemp("demo"), programme, units, programmes)


def test_deterministic(run, tmp_path, programme, units, programmes) -> None:
    files, reports, _ = run
    again_files, again, _ = _run(tmp_path, programme, units, programmes)
    assert [(f.path.relative_to(f.path.parents[2]), f.unit, f.period, f.received) for f in files] == [
        (f.path.relative_to(f.path.parents[2]), f.unit, f.period, f.received) for f in again_files
    ]
    content = _content(reports)
    assert content == _content(again)
    assert sum(len(values) for _, _, _, _, values, _ in content.values()) > 10 * len(content)  # not vacuous


def test_every_file_is_read(run) -> None:
    files, reports, (subs, _, _) = run
    assert len(reports) == len(files) == len(subs)
    assert all(f.path.parts[-3] == "2012" for f in files)


def test_has_missing_months(run, units) -> None:
    files, reports, _ = run
    accepted = {(r.unit.code, m) for r in reports if r.status is not Status.REJECTED for m in r.period.months()}
    expected = {(u.code, m) for u in units.expected(YEAR) for m in YEAR.months()}
    missing = expected - accepted
    assert missing
    assert len(missing) < len(expected) / 10  # a few, not many


def test_has_late_files(run, programme, units) -> None:
    files, _, (subs, vals, probs) = run
    late = [f for f in files if f.received > parse_period(f.period).end + timedelta(days=10)]
    assert late
    c = aggregate(subs, vals, programme, units, YEAR, ReportingRules(deadline_days=10), problems=probs)
    counted_late = {name for u in c.units for name in u.late_files}
    assert counted_late and counted_late <= {str(f.path.relative_to(f.path.parents[2])) for f in late}


def test_has_quarterly_reports(run) -> None:
    _, reports, _ = run
    quarterly = [r for r in reports if r.period is not None and r.period.kind is Kind.QUARTER]
    assert quarterly
    assert all(r.status is Status.ACCEPTED for r in quarterly)


def test_has_the_two_bad_files(run, programme, units) -> None:
    _, reports, (subs, vals, probs) = run
    rejected = sorted((r.file.name, [p.code for p in r.errors]) for r in reports if r.status is Status.REJECTED)
    assert rejected == [
        ("2012/bu-dop/bao-cao-bu-dop-2012-05-loi-so-am.xlsx", ["NEGATIVE"]),
        ("2012/loc-ninh/bao-cao-loc-ninh-2012-08-loi-chu.xlsx", ["NOT_A_NUMBER"]),
    ]
    corrected = [r for r in reports if r.file.name.endswith("-da-sua.xlsx")]
    assert [(r.status, r.unit.code, r.period.code) for r in corrected] == [(Status.ACCEPTED, "bu-dop", "2012-05")]
    c = aggregate(subs, vals, programme, units, YEAR, problems=probs)
    assert [r.file_name for r in c.rejected] == ["2012/loc-ninh/bao-cao-loc-ninh-2012-08-loi-chu.xlsx"]


def test_totals_in_the_order_of_magnitude_of_targets(run, programme, units) -> None:
    _, _, (subs, vals, probs) = run
    c = aggregate(subs, vals, programme, units, YEAR, problems=probs)
    share = Decimal(1) / programme.years  # one year of five
    achieved, target = sum(i.in_period for i in c.indicators), sum(i.target for i in c.indicators)
    assert target * share / 3 < achieved < target * share * 3
    for i in c.indicators:
        assert i.in_period <= i.target, i.code
    for b in c.budget:
        assert b.budget_total * share / 10 < b.in_period_total < b.budget_total * share * 10, b.subprogramme
        for src, spent in b.in_period.items():
            assert spent == 0 or b.budget[src] > 0  # no spending from a source the sub-programme has no budget in
    t = c.budget_totals
    assert t.budget_total * share / 3 < t.in_period_total < t.budget_total * share * 3
    assert len(c.reporting_units) == 11


def test_template_headers_follow_the_unit_type(tmp_path) -> None:
    """Quarters in Roman capitals; a huyện's report comes from its Phòng Kinh tế và Hạ tầng, a thị xã's from its
    Phòng Kinh tế (domain notes), the provincial centre under its own name."""
    from openpyxl import load_workbook

    from pipeline.paths import config_folder
    from pipeline.periods import parse_period
    from pipeline.programme import load_programmes
    from pipeline.units import load_units
    from pipeline.workbook import SHEET, write_template

    config = config_folder()
    programme, units = load_programmes(config)[0], load_units(config)
    q3 = parse_period("2012-Q3")
    expected = {"bu-dang": "PHÒNG KINH TẾ VÀ HẠ TẦNG", "dong-xoai": "PHÒNG KINH TẾ", "binh-long": "PHÒNG KINH TẾ"}
    for code, office in expected.items():
        ws = load_workbook(write_template(programme, units.by_code[code], q3, tmp_path / f"{code}.xlsx"))[SHEET]
        assert (ws["A2"].value, ws["A5"].value) == (office, "Quý III năm 2012")
    centre = next(u for u in units.units if u.level == "province")
    ws = load_workbook(write_template(programme, centre, q3, tmp_path / "centre.xlsx"))[SHEET]
    assert ws["A2"].value == centre.name.upper()
