"""The roll-up rule and completeness: properties on generated submissions (hypothesis), and cases worked
out by hand (levels, a unit created mid-programme, a unit that ceased, reconciliation notes)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.aggregating import aggregate
from pipeline.completeness import ReportingRules, completeness, deadline
from pipeline.paths import packaged_config
from pipeline.periods import Period, month, parse_period, quarter, year
from pipeline.report.sentences import coverage_note
from pipeline.rollup import current_versions, figures, figures_by_unit, month_index, select_counted
from pipeline.units import UnitRegistry, load_units

UNITS = ["bu-dang", "loc-ninh", "dong-xoai"]
PERIODS = (
    [month(y, m) for y in (2012, 2013) for m in range(1, 13)]
    + [quarter(y, q) for y in (2012, 2013) for q in range(1, 5)]
    + [parse_period(f"{y}-{k}") for y in (2012, 2013) for k in ("H1", "H2", "9M")]
    + [year(2012), year(2013)]
)


def _frames(reports: list[tuple[str, Period, int, int]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(unit, period, days after the period's end it arrived, value of P1.2) -> ledger-shaped frames."""
    subs, vals = [], []
    for i, (unit, p, delay, value) in enumerate(reports, start=1):
        received = datetime.combine(p.end + timedelta(days=delay), datetime.min.time())
        subs.append(
            {
                "id": i,
                "sha256": f"{i:064d}",
                "file_name": f"f{i}.xlsx",
                "status": "accepted",
                "programme": "2011-2015",
                "unit_code": unit,
                "period_code": p.code,
                "period_first": f"{p.first[0]}-{p.first[1]:02d}",
                "period_last": f"{p.last[0]}-{p.last[1]:02d}",
                "received_at": received.isoformat(),
                "file_date": received.isoformat(),
                "notes": "",
            }
        )
        vals.append(
            {
                "submission_id": i,
                "kind": "indicator",
                "code": "P1.2",
                "source": "",
                "milli": value * 1000,
                "cell": "BaoCao!E17",
            }
        )
        vals.append(
            {
                "submission_id": i,
                "kind": "budget",
                "code": "P1",
                "source": "KCQG",
                "milli": value * 500,
                "cell": "BaoCao!D47",
            }
        )
    return pd.DataFrame(subs), pd.DataFrame(vals, columns=["submission_id", "kind", "code", "source", "milli", "cell"])


reports = st.lists(
    st.tuples(st.sampled_from(UNITS), st.sampled_from(PERIODS), st.integers(0, 60), st.integers(0, 50)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(reports)
def test_no_month_counted_twice(rs) -> None:
    subs, _ = _frames(rs)
    for window in (year(2012), parse_period("2012-2013"), quarter(2013, 2)):
        counted = select_counted(current_versions(subs), window)
        for _unit, rows in counted.groupby("unit_code"):
            months = [m for r in rows.itertuples() for m in range(r.m0, r.m1 + 1)]
            assert len(months) == len(set(months))
            assert all(month_index(window.first) <= m <= month_index(window.last) for m in months)


@settings(max_examples=40, deadline=None)
@given(reports)
def test_province_total_is_the_sum_of_units(programme, rs) -> None:
    subs, vals = _frames(rs)
    report = aggregate(subs, vals, programme, load_units(packaged_config()), parse_period("2012"))
    p12 = next(i for i in report.indicators if i.code == "P1.2")
    assert p12.in_period == sum((u.results["P1.2"] for u in report.by_unit), Decimal(0))
    assert report.budget_totals.in_period_total == sum((u.spending_total for u in report.by_unit), Decimal(0))


@settings(max_examples=40, deadline=None)
@given(reports)
def test_figures_by_unit_are_each_units_figures(programme, rs) -> None:
    """One pass over all units gives what `figures` gives for each unit alone (flows and a level, C1)."""
    subs, vals = _frames(rs)
    levels = vals[vals["kind"] == "indicator"].assign(code="C1", milli=lambda v: v["milli"] * 3 + v["submission_id"])
    vals = pd.concat([vals, levels], ignore_index=True)
    for window in (year(2012), parse_period("2012-2013"), quarter(2013, 2)):
        counted = select_counted(current_versions(subs), window)
        by_unit = figures_by_unit(vals, counted, programme)
        assert set(by_unit) == set(counted["unit_code"])
        for unit in UNITS:
            assert by_unit.get(unit, {}) == figures(vals, counted[counted["unit_code"] == unit], programme)


@settings(max_examples=40, deadline=None)
@given(reports)
def test_programme_figure_is_the_sum_over_its_disjoint_years(programme, rs) -> None:
    subs, vals = _frames(rs)
    current = current_versions(subs)
    whole = figures(vals, select_counted(current, parse_period("2011-2015")), programme)
    by_year = [figures(vals, select_counted(current, year(y)), programme) for y in range(2011, 2016)]
    for key in {("indicator", "P1.2", ""), ("budget", "P1", "KCQG")}:
        assert whole.get(key, 0) == sum((f.get(key, Decimal(0)) for f in by_year), Decimal(0))


@settings(max_examples=40, deadline=None)
@given(reports, st.tuples(st.sampled_from(UNITS), st.sampled_from(PERIODS), st.integers(0, 60), st.integers(0, 50)))
def test_adding_a_report_never_lowers_completeness(rs, extra) -> None:
    units = [u for u in load_units(packaged_config()).units if u.code in UNITS]
    for window in (year(2012), quarter(2013, 3), parse_period("2012-2013")):
        before = completeness(units, select_counted(current_versions(_frames(rs)[0]), window), window, ReportingRules())
        after = completeness(
            units, select_counted(current_versions(_frames([*rs, extra])[0]), window), window, ReportingRules()
        )
        assert after.received >= before.received
        for b, a in zip(before.rows, after.rows, strict=True):
            assert a.months_covered >= b.months_covered


# --- worked by hand --------------------------------------------------------------------------------------


def _level_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    subs, vals = _frames(
        [("bu-dang", month(2012, 7), 2, 1), ("bu-dang", month(2012, 8), 2, 1), ("loc-ninh", month(2012, 7), 2, 1)]
    )
    levels = [(1, "C1", 500), (2, "C1", 520), (3, "C1", 300), (1, "C3", 1000), (2, "C3", 1100), (3, "C3", 700)]
    extra = pd.DataFrame(
        [
            {"submission_id": i, "kind": "indicator", "code": c, "source": "", "milli": v * 1000, "cell": "BaoCao!E60"}
            for i, c, v in levels
        ]
    )
    return subs, pd.concat([vals, extra], ignore_index=True)


def test_level_indicator_is_the_latest_value_not_a_sum(programme) -> None:
    subs, vals = _level_frames()
    report = aggregate(subs, vals, programme, load_units(packaged_config()), quarter(2012, 3))
    context = {c.code: c for c in report.context}
    # establishments (a level): Bù Đăng's latest (August: 520) + Lộc Ninh's latest (July: 300)
    assert context["C1"].value == 520 + 300
    # production value (a flow): every month adds up
    assert context["C3"].value == 1000 + 1100 + 700
    assert (context["C1"].units_reporting, context["C1"].units_expected) == (2, 10)
    bu_dang = next(u for u in report.by_unit if u.unit_code == "bu-dang")
    assert bu_dang.results["C1"] == 520 and bu_dang.results["C3"] == 2100


def test_quarter_revising_its_months_gives_a_reconciliation_note(programme) -> None:
    subs, vals = _frames(
        [("bu-dang", month(2012, 7), 2, 3), ("bu-dang", month(2012, 8), 2, 4), ("bu-dang", quarter(2012, 3), 5, 9)]
    )
    report = aggregate(subs, vals, programme, load_units(packaged_config()), quarter(2012, 3))
    assert next(i for i in report.indicators if i.code == "P1.2").in_period == 9  # the quarter counts
    [note] = report.reconciliations
    assert (note.unit_code, note.period_code, note.finer_months, note.months) == ("bu-dang", "2012-Q3", 2, 3)
    diffs = {(d.kind, d.code): (d.finer_total, d.coarser, d.change) for d in note.differences}
    assert diffs[("indicator", "P1.2")] == (3 + 4, 9, 2)
    assert diffs[("budget", "P1")] == (Decimal("3.5"), Decimal("4.5"), 1)  # 0.5 x value, triệu đồng
    status = next(u for u in report.units if u.unit_code == "bu-dang")
    assert (status.months_covered, status.months_expected) == (3, 3)


def test_missing_and_late_months_by_hand(programme) -> None:
    # Lộc Ninh: July on time (2 days), August 20 days late, September missing; deadline = 10 days.
    subs, vals = _frames([("loc-ninh", month(2012, 7), 2, 1), ("loc-ninh", month(2012, 8), 20, 1)])
    report = aggregate(subs, vals, programme, load_units(packaged_config()), quarter(2012, 3))
    ln = next(u for u in report.units if u.unit_code == "loc-ninh")
    assert (ln.months_expected, ln.months_covered, ln.months_on_time, ln.months_late) == (3, 2, 1, 1)
    assert ln.missing_months == ("2012-09",) and ln.late_files == ("f2.xlsx",)
    c = report.completeness
    assert (c.expected, c.received, c.on_time) == (11 * 3, 2, 1)  # 10 districts + the provincial centre
    assert len(c.missing_units) == 10 and "huyện Lộc Ninh (2/3 tháng)" in coverage_note(report)


def test_deadline_rules() -> None:
    assert deadline(month(2012, 3), ReportingRules(deadline_days=10)) == date(2012, 4, 10)
    assert deadline(quarter(2012, 3), ReportingRules(deadline_days=5)) == date(2012, 10, 5)
    assert deadline(month(2020, 3), ReportingRules(deadline_rule="cutoff_14th", deadline_days=1)) == date(2020, 3, 15)


def test_unit_split_and_unit_that_ceased(programme) -> None:
    """Phú Riềng is created on 01/07/2015 out of Bù Gia Mập; a unit that ceases mid-year is expected only
    for the months it existed."""
    units = load_units(packaged_config())
    report = aggregate(
        *_frames([("bu-gia-map", year(2015), 5, 10), ("phu-rieng", parse_period("2015-H2"), 5, 4)]),
        programme,
        units,
        year(2015),
    )
    by_code = {u.unit_code: u for u in report.units}
    assert (by_code["phu-rieng"].months_expected, by_code["phu-rieng"].months_covered) == (6, 6)
    assert (by_code["bu-gia-map"].months_expected, by_code["bu-gia-map"].months_covered) == (12, 12)

    ceased = UnitRegistry.model_validate(
        {
            "province": "Bình Phước",
            "units": [
                {**units.by_code["bu-dang"].model_dump(), "valid_to": date(2013, 4, 30)},
                units.by_code["loc-ninh"].model_dump(),
            ],
        }
    )
    report = aggregate(
        *_frames(
            [("bu-dang", month(2013, 3), 2, 5), ("bu-dang", month(2013, 4), 2, 6), ("loc-ninh", year(2013), 5, 7)]
        ),
        programme,
        ceased,
        year(2013),
    )
    by_code = {u.unit_code: u for u in report.units}
    assert (by_code["bu-dang"].months_expected, by_code["bu-dang"].months_covered) == (4, 2)
    assert by_code["bu-dang"].missing_months == ("2013-01", "2013-02")
    assert next(i for i in report.indicators if i.code == "P1.2").in_period == 5 + 6 + 7
    assert [
        u.unit_code for u in aggregate(*_frames([("loc-ninh", year(2014), 5, 1)]), programme, ceased, year(2014)).units
    ] == ["loc-ninh"]


def _at(reports: list[tuple[str, Period, int, int]], days: dict[int, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`_frames` with the received time of report i (1-based) moved to `days[i]` days after 01/01/2012."""
    subs, vals = _frames(reports)
    for i, d in days.items():
        subs.loc[subs["id"] == i, "received_at"] = (datetime(2012, 1, 1) + timedelta(days=d)).isoformat()
    return subs, vals


def _counted_periods(subs: pd.DataFrame, window: Period) -> set[str]:
    return set(select_counted(current_versions(subs), window)["period_code"])


def test_tie_between_sets_goes_to_the_later_mean_received_time(programme) -> None:
    """README: among sets covering the same months with as many reports, the set received most recently on
    average. {H1, H2} and {9M, Q4} both cover 2012 with two reports. H2 is the single latest report, but
    {9M, Q4} was received later on average (days after 01/01/2012: H1 184, H2 465 -> mean 324,5;
    9M 293, Q4 385 -> mean 339), so {9M, Q4} counts."""
    rs = [
        ("bu-dang", parse_period("2012-H1"), 0, 1),
        ("bu-dang", parse_period("2012-H2"), 0, 2),
        ("bu-dang", parse_period("2012-9M"), 0, 4),
        ("bu-dang", quarter(2012, 4), 0, 8),
    ]
    subs, vals = _at(rs, {1: 184, 2: 465, 3: 293, 4: 385})
    assert _counted_periods(subs, year(2012)) == {"2012-9M", "2012-Q4"}
    assert (
        figures(vals, select_counted(current_versions(subs), year(2012)), programme)[("indicator", "P1.2", "")] == 4 + 8
    )
    # H2 later still (565: mean 374,5 > 339): now {H1, H2} counts
    subs, vals = _at(rs, {1: 184, 2: 565, 3: 293, 4: 385})
    assert _counted_periods(subs, year(2012)) == {"2012-H1", "2012-H2"}


def test_a_correction_after_the_deadline_makes_its_months_late(programme) -> None:
    """README: the version that counts decides both the figures and timeliness. March 2012 sent 5 days after
    the month (on time, deadline 10 days), corrected 25 days after: the correction's figure counts and
    March is late."""
    subs, vals = _frames([("loc-ninh", month(2012, 3), 5, 1), ("loc-ninh", month(2012, 3), 25, 7)])
    report = aggregate(
        subs, vals, programme, load_units(packaged_config()), month(2012, 3), ReportingRules(deadline_days=10)
    )
    assert next(i for i in report.indicators if i.code == "P1.2").in_period == 7
    ln = next(u for u in report.units if u.unit_code == "loc-ninh")
    assert (ln.months_covered, ln.months_on_time, ln.months_late) == (1, 0, 1) and ln.late_files == ("f2.xlsx",)


def test_a_level_comes_from_the_last_counted_report_that_gives_it(programme) -> None:
    """README: a level is the value of the counted report that ends last among those that give a value.
    Bù Đăng gives C1 = 500 in July and nothing for C1 in August: its C1 for the quarter is 500, not blank."""
    subs, vals = _frames([("bu-dang", month(2012, 7), 2, 1), ("bu-dang", month(2012, 8), 2, 1)])
    extra = pd.DataFrame(
        [{"submission_id": 1, "kind": "indicator", "code": "C1", "source": "", "milli": 500_000, "cell": "BaoCao!E60"}]
    )
    vals = pd.concat([vals, extra], ignore_index=True)
    report = aggregate(subs, vals, programme, load_units(packaged_config()), quarter(2012, 3))
    assert {c.code: c.value for c in report.context}["C1"] == 500


def _with_level(subs_vals: tuple[pd.DataFrame, pd.DataFrame], levels: dict[int, int]) -> tuple[pd.DataFrame, ...]:
    """Add C1 (a level) = levels[i] to report i."""
    subs, vals = subs_vals
    extra = pd.DataFrame(
        [
            {
                "submission_id": i,
                "kind": "indicator",
                "code": "C1",
                "source": "",
                "milli": v * 1000,
                "cell": "BaoCao!E60",
            }
            for i, v in levels.items()
        ]
    )
    return subs, pd.concat([vals, extra], ignore_index=True)


def test_a_quarter_changing_a_level_is_reconciled_against_its_last_month(programme) -> None:
    """README: reconciliation covers levels too - the quarter's C1 against the value of the last month that gives
    it (August 520, not July + August)."""
    from pipeline.report.sentences import reconciliation_notes

    subs, vals = _with_level(
        _frames(
            [("bu-dang", month(2012, 7), 2, 3), ("bu-dang", month(2012, 8), 2, 4), ("bu-dang", quarter(2012, 3), 5, 7)]
        ),
        {1: 500, 2: 520, 3: 530},
    )
    report = aggregate(subs, vals, programme, load_units(packaged_config()), quarter(2012, 3))
    [note] = report.reconciliations
    diffs = {d.code: (d.finer_total, d.coarser, d.change, d.level) for d in note.differences}
    assert diffs == {"C1": (520, 530, 10, True)}  # P1.2: 3 + 4 = 7, unchanged; budget 3,5 = 3,5
    [text] = reconciliation_notes(report)
    assert "C1" in text and "từ 520 (số cuối kỳ của báo cáo được thay thế kết thúc sau cùng) thành 530" in text


def test_a_report_reaching_into_the_period_from_before_is_named(programme) -> None:
    """README: a 9-month report counts in the cumulative figure to the end of Q3, not in Q3's own figure; the
    report says so. Bù Đăng: Q1 = 1, Q2 = 2, July = 3, 9 months = 10 (one report for nine months beats three
    for seven). Q3 shows 3; cumulative to Q3 is 10; cumulative to Q2 was 1 + 2 = 3, and 3 + 3 != 10."""
    from pipeline.report.sentences import straddling_note

    subs, vals = _frames(
        [
            ("bu-dang", quarter(2012, 1), 2, 1),
            ("bu-dang", quarter(2012, 2), 2, 2),
            ("bu-dang", month(2012, 7), 2, 3),
            ("bu-dang", parse_period("2012-9M"), 5, 10),
        ]
    )
    units = load_units(packaged_config())
    q3 = aggregate(subs, vals, programme, units, quarter(2012, 3))
    q2 = aggregate(subs, vals, programme, units, quarter(2012, 2))
    p12 = {p: next(i for i in r.indicators if i.code == "P1.2") for p, r in (("q2", q2), ("q3", q3))}
    assert (p12["q3"].in_period, p12["q3"].cumulative, p12["q2"].cumulative) == (3, 10, 3)
    assert [(s.unit_code, s.period_code, s.file_name) for s in q3.straddling] == [("bu-dang", "2012-9M", "f4.xlsx")]
    note = straddling_note(q3)
    assert "kỳ này: huyện Bù Đăng, 9 tháng năm 2012 (tệp f4.xlsx). Báo cáo này" in note
    assert "không nằm trọn trong kỳ" in note
    assert q2.straddling == () and straddling_note(q2) == ""
