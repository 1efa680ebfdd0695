"""Aggregate accepted submissions into the consolidated figures for a requested period.

Roll-up rule (README, "How figures are added up"): for each unit, take the current version of each of
its accepted reports whose period lies inside the window; choose reports coarsest first (a quarter before
its months), skipping any that would count a month already counted. Months nobody reported stay missing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import yaml

from pipeline.ledger import from_milli
from pipeline.periods import Period, through
from pipeline.programme import Programme
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
class UnitStatus:
    unit_code: str
    unit_name: str
    priority: bool
    months_expected: int
    months_covered: int
    files: tuple[str, ...]
    last_received: datetime | None
    late_files: tuple[str, ...] = ()

    @property
    def reported(self) -> bool:
        return self.months_covered > 0


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
class RejectedFile:
    file_name: str
    problems: int
    first_problem: str


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
    generated_on: date = field(default_factory=date.today)

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
        return [u for u in self.units if not u.reported]


# --- computation -------------------------------------------------------------------------------------

def _month_index(ym: str) -> int:
    y, m = ym.split("-")
    return int(y) * 12 + int(m) - 1


def current_versions(subs: pd.DataFrame) -> pd.DataFrame:
    """Accepted submissions, keeping for each unit and period only the latest received version."""
    ok = subs[subs["status"] != "rejected"].copy()
    ok = ok.sort_values(["received_at", "id"])
    return ok.drop_duplicates(["unit_code", "period_code"], keep="last")


def select_counted(current: pd.DataFrame, window: Period) -> pd.DataFrame:
    """The reports that count for `window`: inside it, coarsest first, never counting a month twice."""
    lo, hi = window.first[0] * 12 + window.first[1] - 1, window.last[0] * 12 + window.last[1] - 1
    frame = current.assign(m0=current["period_first"].map(_month_index),
                           m1=current["period_last"].map(_month_index))
    frame = frame[(frame["m0"] >= lo) & (frame["m1"] <= hi)]
    frame = frame.assign(n=frame["m1"] - frame["m0"] + 1)
    frame = frame.sort_values(["unit_code", "n", "received_at", "id"], ascending=[True, False, False, False])
    keep: list[int] = []
    covered: dict[str, set[int]] = {}
    for row in frame.itertuples():
        months = set(range(row.m0, row.m1 + 1))
        taken = covered.setdefault(row.unit_code, set())
        if not months & taken:
            taken |= months
            keep.append(row.Index)
    return frame.loc[keep]


def _sums(vals: pd.DataFrame, ids: pd.Series) -> dict[tuple[str, str, str], Decimal]:
    chosen = vals[vals["submission_id"].isin(ids)]
    grouped = chosen.groupby(["kind", "code", "source"])["milli"].sum()
    return {key: from_milli(total) for key, total in grouped.items()}


def aggregate(subs: pd.DataFrame, vals: pd.DataFrame, programme: Programme, units: UnitRegistry,
              period: Period, deadline_days: int = 10, today: date | None = None,
              problems: pd.DataFrame | None = None) -> Consolidated:
    """The consolidated figures for `period` (and cumulatively since the programme began)."""
    cumulative_period = through(programme.first_year, period)
    current = current_versions(subs)
    current = current[current["programme"] == programme.code]
    in_period = select_counted(current, period)
    cumulative = select_counted(current, cumulative_period)
    now, total = _sums(vals, in_period["id"]), _sums(vals, cumulative["id"])
    sources = programme.source_codes

    indicators = tuple(
        IndicatorRow(sp.code, i.code, i.name, i.unit, now.get(("indicator", i.code, ""), ZERO),
                     total.get(("indicator", i.code, ""), ZERO), i.target)
        for sp in programme.subprogrammes for i in sp.indicators
    )
    budget = tuple(
        BudgetRow(sp.code, sp.name,
                  {s: now.get(("budget", sp.code, s), ZERO) for s in sources},
                  {s: total.get(("budget", sp.code, s), ZERO) for s in sources},
                  dict(sp.budget.by_source))
        for sp in programme.subprogrammes
    )
    expected = units.expected(period)
    statuses, rows = [], []
    for unit in expected:
        mine = in_period[in_period["unit_code"] == unit.code]
        existed = {y * 12 + m - 1 for y, m in period.months()
                   if unit.valid_from <= date(y, m, 28) and (unit.valid_to is None or unit.valid_to >= date(y, m, 1))}
        covered = {i for r in mine.itertuples() for i in range(r.m0, r.m1 + 1)} & existed
        late = [r.file_name for r in mine.itertuples() if _is_late(r, deadline_days)]
        received = [datetime.fromisoformat(x) for x in mine["received_at"]]
        statuses.append(UnitStatus(unit.code, unit.full_name(period.end), unit.priority, len(existed),
                                   len(covered), tuple(mine["file_name"]),
                                   max(received) if received else None, tuple(late)))
        sums = _sums(vals, mine["id"])
        rows.append(UnitRow(unit.code, unit.full_name(period.end),
                            {i: sums.get(("indicator", i, ""), ZERO) for i in programme.indicators},
                            {s: sum((v for (k, _, src), v in sums.items() if k == "budget" and src == s), ZERO)
                             for s in sources}))
    names = {u.code: u.full_name(period.end) for u in units.units}
    notes = tuple(Note(names.get(r.unit_code, r.unit_code), r.period_code, r.notes)
                  for r in in_period.sort_values(["unit_code", "period_first"]).itertuples() if r.notes)
    return Consolidated(programme, period, cumulative_period, indicators, budget, tuple(statuses), tuple(rows),
                        notes, _rejected(subs, problems, period), today or date.today())


def _is_late(row, deadline_days: int) -> bool:
    y, m = (int(x) for x in row.period_last.split("-"))
    period_end = date(y, m, calendar.monthrange(y, m)[1])
    return datetime.fromisoformat(row.received_at).date() > period_end + timedelta(days=deadline_days)


def _rejected(subs: pd.DataFrame, problems: pd.DataFrame | None, period: Period) -> tuple[RejectedFile, ...]:
    """Rejected files of this period (or of no readable period) not since replaced by an accepted version.

    A later accepted file for the same unit and period, or under the same file name, replaces it.
    """
    ok = subs[subs["status"] != "rejected"]
    later_by_slot = ok.groupby(["unit_code", "period_code"])["received_at"].max().to_dict()
    later_by_name = ok.groupby("file_name")["received_at"].max().to_dict()
    first_problem = {} if problems is None else problems.groupby("submission_id")["message"].first().to_dict()
    counts = {} if problems is None else problems.groupby("submission_id").size().to_dict()
    out = []
    for r in subs[subs["status"] == "rejected"].itertuples():
        if isinstance(r.period_first, str) and not (period.first <= _ym(r.period_first)
                                                   and _ym(r.period_last) <= period.last):
            continue
        replaced = max(later_by_slot.get((r.unit_code, r.period_code), ""), later_by_name.get(r.file_name, ""))
        if replaced >= r.received_at:
            continue
        out.append(RejectedFile(r.file_name, int(counts.get(r.id, 0)), str(first_problem.get(r.id, ""))))
    return tuple(out)


def _ym(text: str) -> tuple[int, int]:
    y, m = text.split("-")
    return int(y), int(m)


def load_deadline_days(config_dir: Path) -> int:
    data = yaml.safe_load((config_dir / "reporting.yaml").read_text(encoding="utf-8"))
    return int(data["deadline_days"])
