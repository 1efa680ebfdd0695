"""Aggregation over small real ledgers: expected figures are computed here from what the workbooks were given."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import frames

from pipeline.aggregating import Consolidated, aggregate
from pipeline.completeness import ReportingRules
from pipeline.periods import Period, month, parse_period, quarter, through
from pipeline.workbook import Filling

Q1 = quarter(2012, 1)


def filling(k: int) -> Filling:
    """A distinct, varied filling (k = 1, 2, …) with a few indicators and two funding sources."""
    return Filling(
        results={"P1.2": k, "P4.3": k + 2, "P5.1": 10 * k + 1},
        spending={
            "P1": {"KCQG": Decimal(k) + Decimal("0.1"), "KCĐP": Decimal("2.25")},
            "P4": {"Khác": Decimal(k) * Decimal("1.5")},
        },
    )


def totals(fillings: list[Filling]) -> tuple[Counter, Counter]:
    """Expected indicator and (sub-programme, source) totals over the given fillings."""
    results, spending = Counter(), Counter()
    for f in fillings:
        for code, v in f.results.items():
            results[code] += Decimal(str(v))
        for sp, by_src in f.spending.items():
            for src, v in by_src.items():
                spending[sp, src] += Decimal(str(v))
    return results, spending


class Ledger:
    """A test ledger: write workbooks, ingest them, aggregate."""

    def __init__(self, tmp_path: Path, make_workbook, ingest, programme, units):
        self.tmp, self.make, self.ingest = tmp_path, make_workbook, ingest
        self.programme, self.units = programme, units
        self.db = tmp_path / "ledger.sqlite"

    def add(
        self,
        unit: str,
        period: str | Period,
        f: Filling,
        received: date | datetime | None = None,
        name: str | None = None,
    ) -> Path:
        p = parse_period(period) if isinstance(period, str) else period
        received = received or p.end + (date(2012, 1, 3) - date(2012, 1, 1))  # two days after the period ends
        path = self.make(self.tmp, unit, p, f, received=received, name=name)
        self.ingest(self.tmp / "inputs", self.db)
        return path

    def aggregate(self, period: Period, deadline_days: int = 10) -> Consolidated:
        subs, vals, probs = frames(self.db)
        return aggregate(
            subs,
            vals,
            self.programme,
            self.units,
            period,
            ReportingRules(deadline_days=deadline_days),
            today=date(2013, 1, 1),
            problems=probs,
        )


@pytest.fixture
def book(tmp_path, make_workbook, ingest, programme, units) -> Ledger:
    return Ledger(tmp_path, make_workbook, ingest, programme, units)


def assert_figures(c: Consolidated, in_period: list[Filling], cumulative: list[Filling] | None = None) -> None:
    """Every indicator and budget line of `c` equals the sums over the fillings that should count."""
    for which, fills in (("in_period", in_period), ("cumulative", in_period if cumulative is None else cumulative)):
        results, spending = totals(fills)
        assert {i.code: getattr(i, which) for i in c.indicators} == {
            code: results.get(code, Decimal(0)) for code in c.programme.targeted
        }, which
        assert {(b.subprogramme, s): v for b in c.budget for s, v in getattr(b, which).items()} == {
            (sp.code, s): spending.get((sp.code, s), Decimal(0))
            for sp in c.programme.subprogrammes
            for s in c.programme.source_codes
        }, which


def status(c: Consolidated, unit: str):
    return next(u for u in c.units if u.unit_code == unit)


def test_months_only(book: Ledger) -> None:
    fills = {(u, m): filling(10 * i + m) for i, u in enumerate(["bu-dang", "loc-ninh"]) for m in (1, 2, 3)}
    for (u, m), f in fills.items():
        book.add(u, month(2012, m), f)
    c = book.aggregate(Q1)
    assert_figures(c, list(fills.values()))
    feb = book.aggregate(month(2012, 2))
    assert_figures(
        feb, [fills["bu-dang", 2], fills["loc-ninh", 2]], [f for (_, m), f in fills.items() if m <= 2]
    )  # cumulative: January and February
    for u in ("bu-dang", "loc-ninh"):
        s = status(c, u)
        assert (s.months_expected, s.months_covered, len(s.files), s.late_files) == (3, 3, 3, ())
        row = next(r for r in c.by_unit if r.unit_code == u)
        results, spending = totals([fills[u, m] for m in (1, 2, 3)])
        assert row.results["P1.2"] == results["P1.2"]
        assert row.spending == {
            s: sum((v for (_, src), v in spending.items() if src == s), Decimal(0)) for s in book.programme.source_codes
        }
        assert row.spending_total == sum(spending.values())


def test_quarterly_report_counts_instead_of_its_months(book: Ledger) -> None:
    months = {m: filling(m) for m in (1, 2, 3)}
    for m, f in months.items():
        book.add("bu-dang", month(2012, m), f)
    q = filling(7)
    q_path = book.add("bu-dang", Q1, q)
    others = {m: filling(20 + m) for m in (1, 2, 3)}
    for m, f in others.items():
        book.add("loc-ninh", month(2012, m), f)
    c = book.aggregate(Q1)
    assert_figures(c, [q, *others.values()])
    s = status(c, "bu-dang")
    assert (s.months_expected, s.months_covered, s.files) == (3, 3, (q_path.name,))
    # a single month is a window the quarter does not fit in: the month report counts there
    assert_figures(book.aggregate(month(2012, 2)), [months[2], others[2]], [months[1], months[2], others[1], others[2]])
    # a year counts the quarter once, plus nothing else for those months
    assert_figures(book.aggregate(parse_period("2012")), [q, *others.values()])


def test_missing_month(book: Ledger) -> None:
    jan, mar = filling(1), filling(3)
    book.add("loc-ninh", month(2012, 1), jan)
    book.add("loc-ninh", month(2012, 3), mar)
    c = book.aggregate(Q1)
    s = status(c, "loc-ninh")
    assert (s.months_covered, s.months_expected) == (2, 3)
    assert s.reported
    assert_figures(c, [jan, mar])


def test_late_report(book: Ledger) -> None:
    late = book.add("bu-dang", month(2012, 1), filling(1), received=date(2012, 2, 20))
    book.add("loc-ninh", month(2012, 1), filling(2), received=date(2012, 2, 10))  # the last day on time
    book.add("bu-dop", month(2012, 1), filling(3), received=date(2012, 2, 11))
    c = book.aggregate(Q1)  # deadline: period end + 10 days
    assert status(c, "bu-dang").late_files == (late.name,)
    assert status(c, "loc-ninh").late_files == ()
    assert status(c, "bu-dop").late_files == ("bao-cao-bu-dop-2012-01.xlsx",)
    assert status(c, "bu-dang").last_received.date() == date(2012, 2, 20)
    relaxed = book.aggregate(Q1, deadline_days=20)
    assert all(u.late_files == () for u in relaxed.units)
    assert_figures(c, [filling(1), filling(2), filling(3)])  # late reports still count


def test_newer_file_supersedes_older(book: Ledger) -> None:
    old, new = filling(1), filling(5)
    book.add("bu-dang", month(2012, 2), old, received=date(2012, 3, 2), name="bc-bu-dang-t2.xlsx")
    newer = book.add("bu-dang", month(2012, 2), new, received=date(2012, 3, 6), name="bc-bu-dang-t2-sua.xlsx")
    c = book.aggregate(Q1)
    assert_figures(c, [new])
    assert status(c, "bu-dang").files == (newer.name,)
    subs, vals, _ = frames(book.db)
    assert sorted(subs["file_name"]) == ["bc-bu-dang-t2-sua.xlsx", "bc-bu-dang-t2.xlsx"]  # the old one is kept
    assert vals["submission_id"].nunique() == 2


def test_supersession_follows_receipt_time_not_ingestion_order(book: Ledger) -> None:
    late_copy, fresh = filling(1), filling(5)
    book.add("bu-dang", month(2012, 2), fresh, received=date(2012, 3, 6), name="a.xlsx")
    book.add("bu-dang", month(2012, 2), late_copy, received=date(2012, 3, 2), name="b.xlsx")  # found later, older
    assert_figures(book.aggregate(Q1), [fresh])


def test_cumulative_since_programme_start(book: Ledger) -> None:
    f = {p: filling(k) for k, p in enumerate(["2011-11", "2011-12", "2012-01", "2012-02", "2012-04"], start=1)}
    for p, fill in f.items():
        book.add("bu-dang", p, fill)
    c = book.aggregate(Q1)
    assert c.cumulative_period == through(2011, Q1)
    assert_figures(c, [f["2012-01"], f["2012-02"]], [f["2011-11"], f["2011-12"], f["2012-01"], f["2012-02"]])
    row = next(i for i in c.indicators if i.code == "P1.2")
    assert row.share == row.cumulative / 300
    c = book.aggregate(parse_period("2012-Q2"))
    assert_figures(c, [f["2012-04"]], list(f.values()))


def test_budget_by_source_against_programme_budget(book: Ledger, programme) -> None:
    fills = [filling(1), filling(2)]
    book.add("bu-dang", month(2012, 1), fills[0])
    book.add("ttkc", Q1, fills[1])
    c = book.aggregate(Q1)
    p1 = next(b for b in c.budget if b.subprogramme == "P1")
    assert p1.budget == {"KCQG": 630, "KCĐP": 630, "Khác": 0}  # seed, Điều 4
    assert p1.budget_total == 1260
    _, spending = totals(fills)
    assert p1.in_period == {"KCQG": spending["P1", "KCQG"], "KCĐP": spending["P1", "KCĐP"], "Khác": 0}
    assert p1.share == p1.cumulative_total / 1260
    for b in c.budget:
        assert b.budget == next(sp.budget.by_source for sp in programme.subprogrammes if sp.code == b.subprogramme)
    t = c.budget_totals
    assert t.budget == {"KCQG": 8130, "KCĐP": 9130, "Khác": 3300} and t.budget_total == 20560
    assert t.in_period_total == sum(spending.values())
    assert t.in_period == {
        s: sum((v for (_, src), v in spending.items() if src == s), Decimal(0)) for s in programme.source_codes
    }


def test_missing_units_listed(book: Ledger, units) -> None:
    book.add("bu-dang", month(2012, 1), filling(1))
    book.add("ttkc", Q1, filling(2))
    c = book.aggregate(Q1)
    expected = [u.code for u in units.units if u.exists_during(Q1)]
    assert [u.unit_code for u in c.units] == expected and len(expected) == 11
    assert "phu-rieng" not in expected
    assert [u.unit_code for u in c.reporting_units] == ["bu-dang", "ttkc"]
    assert [u.unit_code for u in c.missing_units] == [x for x in expected if x not in ("bu-dang", "ttkc")]
    assert all(u.months_covered == 0 and u.files == () for u in c.missing_units)
    assert {u.unit_code for u in c.missing_units if u.priority} == {"bu-dop", "bu-gia-map", "loc-ninh", "hon-quan"}
    later = book.aggregate(parse_period("2015-Q4"))
    assert "phu-rieng" in [u.unit_code for u in later.missing_units]


def test_rejected_file_does_not_count_until_corrected(book: Ledger) -> None:
    bad = Filling(results={"P1.2": -4, "P4.3": 5}, spending={"P1": {"KCQG": 3}})
    bad_path = book.add("bu-dang", month(2012, 1), bad, received=date(2012, 2, 2), name="bc-loi.xlsx")
    good = filling(2)
    book.add("loc-ninh", month(2012, 1), good)
    other = book.add("bu-dop", month(2012, 5), Filling(results={"P1.2": "khoảng 3"}))  # rejected
    c = book.aggregate(Q1)
    assert_figures(c, [good])  # nothing of the rejected file counts, not even its valid cells
    assert [r.file_name for r in c.rejected] == [bad_path.name]
    assert c.rejected[0].problems == 1 and "số âm" in c.rejected[0].first_problem
    assert status(c, "bu-dang").months_covered == 0
    assert [r.file_name for r in book.aggregate(parse_period("2012")).rejected] == [bad_path.name, other.name]

    fixed = Filling(results={"P1.2": 4, "P4.3": 5}, spending={"P1": {"KCQG": 3}})
    book.add("bu-dang", month(2012, 1), fixed, received=date(2012, 2, 4), name="bc-da-sua.xlsx")
    c = book.aggregate(Q1)
    assert c.rejected == ()
    assert_figures(c, [good, fixed])


def test_empty_ledger(book: Ledger) -> None:
    book.ingest(book.tmp, book.db)  # nothing to read
    c = book.aggregate(Q1)
    assert all(i.in_period == 0 and i.cumulative == 0 for i in c.indicators)
    assert len(c.missing_units) == 11 and c.rejected == () and c.notes == ()


def test_notes_are_attributed(book: Ledger) -> None:
    f = filling(1)
    f.notes = "Đề nghị hỗ trợ thêm kinh phí."
    book.add("bu-dang", month(2012, 2), f)
    [note] = book.aggregate(Q1).notes
    assert (note.unit_name, note.period_code, note.text) == ("huyện Bù Đăng", "2012-02", f.notes)


def test_unit_created_mid_year_reports_for_the_year(book: Ledger) -> None:
    """Phú Riềng (from 01/07/2015) may send a 2015 annual report; it is expected for 6 months only."""
    f = filling(5)
    book.add("phu-rieng", parse_period("2015"), f)
    c = book.aggregate(parse_period("2015"))
    s = status(c, "phu-rieng")
    assert (s.months_expected, s.months_covered) == (6, 6)
    assert_figures(c, [f])
    assert "phu-rieng" not in [u.unit_code for u in book.aggregate(parse_period("2015-H1")).units]


def test_a_unit_whose_only_file_was_rejected_is_not_shown_as_silent(book: Ledger, tmp_path) -> None:
    """Bù Đăng sent a rejected file (a negative number), Lộc Ninh a good one, the others nothing: Bù Đăng is
    'sent but rejected' with its file and reason, in the completeness, the report's sentences, its remark, the
    Excel sheet and the run artifact - not 'chưa báo cáo' like the units that sent nothing."""
    from openpyxl import load_workbook

    from pipeline.artifacts import report_markdown
    from pipeline.paths import config_folder
    from pipeline.recipients import load_recipients
    from pipeline.report.build import build_document
    from pipeline.report.excel import write_workbook
    from pipeline.report.sentences import reporting_sentences, unit_remark

    march = month(2012, 3)
    book.add("bu-dang", march, Filling(results={"P1.2": -3}), name="bu dang\u202e thang 3.xlsx")
    book.add("loc-ninh", march, filling(1))
    c = book.aggregate(march)
    by_code = {u.unit_code: u for u in c.units}
    assert [u.unit_code for u in c.rejected_units] == ["bu-dang"]
    assert "bu-dang" not in {u.unit_code for u in c.missing_units}
    assert {u.unit_code for u in c.missing_units} == {u.unit_code for u in c.units} - {"bu-dang", "loc-ninh"}
    remark = unit_remark(by_code["bu-dang"])
    assert remark.startswith("đã gửi nhưng bị từ chối (bu dang thang 3.xlsx: ")  # the override gone
    assert "\u202e" not in remark
    assert unit_remark(by_code["dong-xoai"]) == "chưa báo cáo"
    text = " ".join(reporting_sentences(c))
    assert "Các đơn vị đã gửi báo cáo nhưng báo cáo bị từ chối" in text and "huyện Bù Đăng" in text
    missing_sentence = next(s for s in reporting_sentences(c) if s.startswith("Các đơn vị chưa báo cáo"))
    assert "Bù Đăng" not in missing_sentence
    assert "Đơn vị đã gửi nhưng báo cáo bị từ chối: huyện Bù Đăng" in report_markdown(c, [])
    book_ = load_recipients(config_folder())
    doc = build_document(c, book_.recipients[0], book_.issuer, book_.titles)
    path = write_workbook(doc, tmp_path / "r.xlsx")
    cells = [str(cell.value) for row in load_workbook(path)["DonVi"].iter_rows() for cell in row if cell.value]
    assert any(v.startswith("đã gửi nhưng bị từ chối") for v in cells)


def test_a_rejected_resend_does_not_displace_the_accepted_version(book: Ledger) -> None:
    """README: a rejected re-send does not displace the earlier accepted version; the unit is neither
    'sent but rejected' nor missing, and its figures are the accepted version's."""
    good = filling(3)
    book.add("bu-dang", month(2012, 2), good, received=date(2012, 3, 3), name="bu-dang-t2.xlsx")
    bad = Filling(results={"P1.2": -9, "P4.3": 1})
    book.add("bu-dang", month(2012, 2), bad, received=date(2012, 3, 6), name="bu-dang-t2-sua.xlsx")
    c = book.aggregate(Q1)
    assert_figures(c, [good])
    s = status(c, "bu-dang")
    assert (s.months_covered, s.months_on_time) == (1, 1)
    assert "bu-dang" not in {u.unit_code for u in c.rejected_units} | {u.unit_code for u in c.missing_units}
