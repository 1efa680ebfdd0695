"""Aggregate accepted submissions into the consolidated report for a requested period.

Which reports count is pipeline.rollup's rule; completeness is pipeline.completeness; pace, funding by year
and growth are pipeline.progress. This module assembles them into one `Consolidated` record that feeds the
PDF, Excel, HTML and CSV outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd

from pipeline.completeness import Completeness, ReportingRules, UnitStatus, completeness
from pipeline.formatting import today as local_today
from pipeline.periods import Kind, Period, through
from pipeline.programme import Programme
from pipeline.progress import Funding, FundingYear, GrowthYear, Pace, pace
from pipeline.rollup import (
    Reconciliation,
    contributors,
    current_versions,
    figures,
    figures_by_unit,
    reconciliations,
    select_counted,
    straddling,
    with_months,
)
from pipeline.text import printable
from pipeline.units import UnitRegistry

ZERO = Decimal(0)


@dataclass(frozen=True)
class IndicatorRow:
    subprogramme: str
    code: str
    name: str
    unit: str
    in_period: Decimal
    cumulative: Decimal
    target: Decimal
    reports: tuple[int, ...] = ()  # ledger ids of the counted reports behind the period's figure

    @property
    def share(self) -> Decimal | None:
        """Cumulative achievement as a fraction of the programme target."""
        return self.cumulative / self.target if self.target else None


@dataclass(frozen=True)
class BudgetRow:
    subprogramme: str
    name: str
    in_period: dict[str, Decimal]
    cumulative: dict[str, Decimal]
    budget: dict[str, Decimal]

    @property
    def in_period_total(self) -> Decimal:
        return sum(self.in_period.values(), ZERO)

    @property
    def cumulative_total(self) -> Decimal:
        return sum(self.cumulative.values(), ZERO)

    @property
    def budget_total(self) -> Decimal:
        return sum(self.budget.values(), ZERO)

    @property
    def share(self) -> Decimal | None:
        return self.cumulative_total / self.budget_total if self.budget_total else None


@dataclass(frozen=True)
class UnitRow:
    """One unit's results in the period (by indicator) and its spending in the period (by source)."""

    unit_code: str
    unit_name: str
    results: dict[str, Decimal]
    spending: dict[str, Decimal]

    @property
    def spending_total(self) -> Decimal:
        return sum(self.spending.values(), ZERO)


@dataclass(frozen=True)
class Note:
    """Section C of a unit's report: difficulties and proposals, attributed to the unit."""

    unit_name: str
    period_code: str
    text: str


@dataclass(frozen=True)
class ContextRow:
    """A context indicator (establishments, workers, production value) for the period."""

    code: str
    name: str
    unit: str
    kind: str  # "flow" or "level"
    value: Decimal | None  # None: no unit reported it
    units_reporting: int
    units_expected: int


@dataclass(frozen=True)
class RejectedFile:
    file_name: str
    problems: int
    first_problem: str
    unit_code: str | None = None  # None when the file named no known unit


@dataclass(frozen=True)
class Straddler:
    """A report counted in the cumulative figure that also covers months before the period (rollup.straddling)."""

    unit_code: str
    period_code: str
    file_name: str


@dataclass(frozen=True)
class Consolidated:
    programme: Programme
    period: Period
    cumulative_period: Period
    indicators: tuple[IndicatorRow, ...]
    budget: tuple[BudgetRow, ...]
    units: tuple[UnitStatus, ...]
    by_unit: tuple[UnitRow, ...]
    notes: tuple[Note, ...] = ()
    rejected: tuple[RejectedFile, ...] = ()
    generated_on: date = field(default_factory=local_today)
    completeness: Completeness | None = None
    reconciliations: tuple[Reconciliation, ...] = ()
    pace: tuple[Pace, ...] = ()
    funding: Funding | None = None
    context: tuple[ContextRow, ...] = ()
    growth: tuple[GrowthYear, ...] = ()
    straddling: tuple[Straddler, ...] = ()

    @property
    def behind_pace(self) -> list[Pace]:
        return [p for p in self.pace if p.behind]

    @property
    def budget_totals(self) -> BudgetRow:
        """The totals row over all sub-programmes."""
        src = self.programme.source_codes
        return BudgetRow(
            subprogramme="",
            name="Tổng cộng",
            in_period={s: sum((b.in_period[s] for b in self.budget), ZERO) for s in src},
            cumulative={s: sum((b.cumulative[s] for b in self.budget), ZERO) for s in src},
            budget={s: sum((b.budget[s] for b in self.budget), ZERO) for s in src},
        )

    @property
    def reporting_units(self) -> list[UnitStatus]:
        return [u for u in self.units if u.reported]

    @property
    def missing_units(self) -> list[UnitStatus]:
        """Units that had to report and sent nothing (none of it rejected)."""
        return [u for u in self.units if u.months_expected and not u.reported and not u.rejected_files]

    @property
    def rejected_units(self) -> list[UnitStatus]:
        """Units that had to report, sent something, and have nothing counted because all of it was rejected."""
        return [u for u in self.units if u.months_expected and u.sent_but_rejected]


# --- computation -------------------------------------------------------------------------------------


def aggregate(
    subs: pd.DataFrame,
    vals: pd.DataFrame,
    programme: Programme,
    units: UnitRegistry,
    period: Period,
    rules: ReportingRules | None = None,
    today: date | None = None,
    problems: pd.DataFrame | None = None,
) -> Consolidated:
    """The consolidated report for `period` (and cumulatively since the programme began)."""
    rules = rules or ReportingRules()
    cumulative_period = through(programme.first_year, period)
    current = with_months(current_versions(subs[subs["programme"] == programme.code]))
    in_period = select_counted(current, period)
    cumulative = select_counted(current, cumulative_period)
    now, total = figures(vals, in_period, programme), figures(vals, cumulative, programme)
    behind = contributors(vals, in_period)
    sources = programme.source_codes

    indicators = tuple(
        IndicatorRow(
            sp.code,
            i.code,
            i.name,
            i.unit,
            now.get(("indicator", i.code, ""), ZERO),
            total.get(("indicator", i.code, ""), ZERO),
            i.target,
            behind.get(("indicator", i.code, ""), ()),
        )
        for sp in programme.subprogrammes
        for i in sp.indicators
    )
    budget = tuple(
        BudgetRow(
            sp.code,
            sp.name,
            {s: now.get(("budget", sp.code, s), ZERO) for s in sources},
            {s: total.get(("budget", sp.code, s), ZERO) for s in sources},
            dict(sp.budget.by_source),
        )
        for sp in programme.subprogrammes
    )
    expected = units.expected(period)
    rejected = _rejected(subs, problems, period)
    status = completeness(expected, in_period, period, rules, rejected_by_unit(rejected))
    rows = []
    per_unit = figures_by_unit(vals, in_period, programme)
    for unit in expected:
        mine = per_unit.get(unit.code, {})
        rows.append(
            UnitRow(
                unit.code,
                unit.full_name(period.end),
                {i: mine.get(("indicator", i, ""), ZERO) for i in programme.indicators},
                {s: sum((v for (k, _, src), v in mine.items() if k == "budget" and src == s), ZERO) for s in sources},
            )
        )
    names = {u.code: u.full_name(period.end) for u in units.units}
    notes = tuple(
        Note(names.get(r.unit_code, r.unit_code), r.period_code, r.notes)
        for r in in_period.sort_values(["unit_code", "period_first"]).itertuples()
        if r.notes
    )
    years = _years(current, vals, programme, period)
    carriers = _carriers(vals, programme)
    return Consolidated(
        programme,
        period,
        cumulative_period,
        indicators,
        budget,
        status.rows,
        tuple(rows),
        notes,
        rejected,
        today or local_today(),
        status,
        tuple(reconciliations(current, in_period, vals, programme)),
        pace(programme, period, total, rules.pace_margin),
        _funding(years, vals, programme, units),
        _context(programme, units, carriers, in_period, now, period),
        _growth(years, carriers, programme, units, period),
        tuple(
            Straddler(r.unit_code, r.period_code, r.file_name)
            for r in straddling(cumulative, period).sort_values(["unit_code", "period_first"]).itertuples()
        ),
    )


@dataclass(frozen=True)
class _Year:
    """One calendar year of the programme up to the period's end: its window, counted reports and figures."""

    year: int
    window: Period
    counted: pd.DataFrame
    figures: dict[tuple[str, str, str], Decimal]


def _year_window(year: int, period: Period) -> Period:
    """The calendar year, cut at the end of `period` when it ends within that year."""
    return Period((year, 1), min((year, 12), period.last), Kind.SPAN)


def _years(current: pd.DataFrame, vals: pd.DataFrame, programme: Programme, period: Period) -> list[_Year]:
    """Each year from the programme's first to the period's (funding by year and growth share them)."""
    out = []
    for y in range(programme.first_year, min(period.last[0], programme.last_year) + 1):
        window = _year_window(y, period)
        counted = select_counted(current, window)
        out.append(_Year(y, window, counted, figures(vals, counted, programme)))
    return out


def _funding(years: list[_Year], vals: pd.DataFrame, programme: Programme, units: UnitRegistry) -> Funding:
    priority = {u.code for u in units.units if u.priority}
    out = []
    for y in years:
        by_source = {
            s: sum((v for (k, _, src), v in y.figures.items() if k == "budget" and src == s), ZERO)
            for s in programme.source_codes
        }
        in_priority = figures(vals, y.counted[y.counted["unit_code"].isin(priority)], programme)
        out.append(
            FundingYear(
                y.year,
                len(y.window),
                by_source,
                sum((v for (k, _, _), v in in_priority.items() if k == "budget"), ZERO),
            )
        )
    average = programme.average_per_year or programme.budget.total / programme.years
    return Funding(tuple(out), dict(programme.budget.by_source), average)


def _carriers(vals: pd.DataFrame, programme: Programme) -> dict[str, set[int]]:
    """Context and growth indicator code -> the ids of the reports that carry a value for it."""
    codes = {i.code for i in programme.context.indicators} if programme.context else set()
    codes |= {programme.growth.indicator} if programme.growth else set()
    rows = vals.loc[(vals["kind"] == "indicator") & vals["code"].isin(codes), ["code", "submission_id"]]
    found = {code: set(ids) for code, ids in rows.groupby("code")["submission_id"]}
    return {code: found.get(code, set()) for code in codes}


def _context(
    programme: Programme,
    units: UnitRegistry,
    carriers: dict[str, set[int]],
    counted: pd.DataFrame,
    now: dict[tuple[str, str, str], Decimal],
    period: Period,
) -> tuple[ContextRow, ...]:
    if programme.context is None:
        return ()
    expected = [u for u in units.expected(period) if u.level != "province"]
    out = []
    for ind in programme.context.indicators:
        value = now.get(("indicator", ind.code, ""))
        reporting = _units_with(carriers[ind.code], counted)
        out.append(ContextRow(ind.code, ind.name, ind.unit, ind.kind, value, len(reporting), len(expected)))
    return tuple(out)


def _units_with(ids: set[int], counted: pd.DataFrame) -> set[str]:
    """Units whose counted reports are among `ids` (the reports carrying a value for an indicator)."""
    return set(counted.loc[counted["id"].isin(ids), "unit_code"])


def _growth(
    years: list[_Year], carriers: dict[str, set[int]], programme: Programme, units: UnitRegistry, period: Period
) -> tuple[GrowthYear, ...]:
    """The growth objective's indicator (production value) per full year, and its growth on the year before."""
    if programme.growth is None:
        return ()
    code = programme.growth.indicator
    out: list[GrowthYear] = []
    for y in years:
        if (y.year, 12) > period.last:
            break  # only whole years are compared
        value = y.figures.get(("indicator", code, ""), ZERO)
        expected = [u for u in units.expected(y.window) if u.level != "province"]
        previous = out[-1].value if out else None
        growth = value / previous - 1 if previous else None
        out.append(GrowthYear(y.year, value, len(_units_with(carriers[code], y.counted)), len(expected), growth))
    return tuple(out)


def _rejected(subs: pd.DataFrame, problems: pd.DataFrame | None, period: Period) -> tuple[RejectedFile, ...]:
    """Rejected files of this period (or of no readable period) not since replaced by an accepted version.

    A later accepted file for the same unit and period, or under the same file name, replaces it.
    """
    rejected = subs[subs["status"] == "rejected"]
    if rejected.empty:
        return ()
    ok = subs[subs["status"] != "rejected"]
    # only the slots and names of rejected files can replace one (grouping every accepted file is costly)
    ok = ok[ok["file_name"].isin(set(rejected["file_name"])) | ok["unit_code"].isin(set(rejected["unit_code"]))]
    later_by_slot = ok.groupby(["unit_code", "period_code"])["received_at"].max().to_dict()
    later_by_name = ok.groupby("file_name")["received_at"].max().to_dict()
    if problems is not None:
        problems = problems[problems["submission_id"].isin(set(rejected["id"]))]
    first_problem = {} if problems is None else problems.groupby("submission_id")["message"].first().to_dict()
    counts = {} if problems is None else problems.groupby("submission_id").size().to_dict()
    out = []
    for r in rejected.itertuples():
        if isinstance(r.period_first, str) and not (
            period.first <= _ym(r.period_first) and _ym(r.period_last) <= period.last
        ):
            continue
        replaced = max(later_by_slot.get((r.unit_code, r.period_code), ""), later_by_name.get(r.file_name, ""))
        if replaced >= r.received_at:
            continue
        unit = r.unit_code if isinstance(r.unit_code, str) and r.unit_code else None
        out.append(RejectedFile(r.file_name, int(counts.get(r.id, 0)), str(first_problem.get(r.id, "")), unit))
    return tuple(out)


def rejected_by_unit(rejected: tuple[RejectedFile, ...]) -> dict[str, tuple[str, ...]]:
    """unit code -> its rejected files (each "name: first problem") not since replaced."""
    out: dict[str, tuple[str, ...]] = {}
    for r in rejected:
        if r.unit_code:
            why = (
                f"{printable(r.file_name, 80)}: {printable(r.first_problem, 160)}"
                if r.first_problem
                else printable(r.file_name, 80)
            )
            out[r.unit_code] = (*out.get(r.unit_code, ()), why)
    return out


def _ym(text: str) -> tuple[int, int]:
    y, m = text.split("-")
    return int(y), int(m)
