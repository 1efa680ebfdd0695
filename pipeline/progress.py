"""Progress against plan, funding by year and source, and the growth of production value.

Pace: for each indicator and budget line, cumulative achievement as a share of the 5-year target, next to
the share expected by now: the annual plans (kế hoạch năm) in the programme file where it has them, else an
even spread of the target over the programme's months. A line more than `pace_margin` behind is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from pipeline.periods import Period
from pipeline.programme import Programme
from pipeline.rollup import month_index

ZERO = Decimal(0)


@dataclass(frozen=True)
class Pace:
    kind: str  # "indicator" or "budget"
    code: str
    name: str
    unit: str
    achieved: Decimal  # cumulative since the programme began
    target: Decimal  # the 5-year target or budget
    expected_share: Decimal  # share of the target expected by the end of the period
    basis: str  # "kế hoạch năm" or "chia đều theo thời gian"
    margin: Decimal

    @property
    def share(self) -> Decimal | None:
        return self.achieved / self.target if self.target else None

    @property
    def gap(self) -> Decimal | None:
        """Achieved share minus expected share (negative: behind)."""
        return None if self.share is None else self.share - self.expected_share

    @property
    def behind(self) -> bool:
        return self.gap is not None and self.gap < -self.margin


def elapsed_share(programme: Programme, period: Period) -> Decimal:
    """The share of the programme's months that have passed by the end of `period`."""
    done = month_index(period.last) - month_index((programme.first_year, 1)) + 1
    total = programme.years * 12
    return Decimal(max(0, min(done, total))) / total


def expected_share(programme: Programme, code: str, target: Decimal, period: Period) -> tuple[Decimal, str]:
    """The share of `target` expected by the end of `period`, and on what basis."""
    plans = {y: p[code] for y, p in programme.annual_plans.items() if code in p}
    if not plans or not target:
        return elapsed_share(programme, period), "chia đều theo thời gian"
    y, m = period.last
    planned = sum((v for year, v in plans.items() if year < y), ZERO) + plans.get(y, ZERO) * m / 12
    return planned / target, "kế hoạch năm"


def pace(
    programme: Programme, period: Period, achieved: dict[tuple[str, str, str], Decimal], margin: Decimal
) -> tuple[Pace, ...]:
    """Pace of every indicator and of every sub-programme's spending."""
    out = []
    for code, ind in programme.targeted.items():
        share, basis = expected_share(programme, code, ind.target, period)
        out.append(
            Pace(
                "indicator",
                code,
                ind.name,
                ind.unit,
                achieved.get(("indicator", code, ""), ZERO),
                ind.target,
                share,
                basis,
                margin,
            )
        )
    for sp in programme.subprogrammes:
        spent = sum((achieved.get(("budget", sp.code, s), ZERO) for s in programme.source_codes), ZERO)
        share, basis = expected_share(programme, sp.code, sp.budget.total, period)
        out.append(Pace("budget", sp.code, sp.name, programme.money_unit, spent, sp.budget.total, share, basis, margin))
    return tuple(out)


@dataclass(frozen=True)
class FundingYear:
    year: int
    months: int  # months of the year included (the requested period may end mid-year)
    by_source: dict[str, Decimal]
    priority: Decimal  # spent by units in the priority areas

    @property
    def total(self) -> Decimal:
        return sum(self.by_source.values(), ZERO)


@dataclass(frozen=True)
class Funding:
    years: tuple[FundingYear, ...]
    budget: dict[str, Decimal]
    average_per_year: Decimal

    @property
    def cumulative(self) -> dict[str, Decimal]:
        keys = self.budget.keys()
        return {s: sum((y.by_source.get(s, ZERO) for y in self.years), ZERO) for s in keys}

    @property
    def cumulative_total(self) -> Decimal:
        return sum(self.cumulative.values(), ZERO)

    @property
    def priority_share(self) -> Decimal | None:
        total = self.cumulative_total
        return sum((y.priority for y in self.years), ZERO) / total if total else None


@dataclass(frozen=True)
class GrowthYear:
    year: int
    value: Decimal
    units_reporting: int
    units_expected: int
    growth: Decimal | None  # on the previous year (None for the first year or without it)

    @property
    def complete(self) -> bool:
        return self.units_reporting == self.units_expected
