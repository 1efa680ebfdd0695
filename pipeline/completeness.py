"""Reporting completeness, as DHIS2 reports it: expected, received, on time, late and missing reports.

Units report monthly, so for a period each unit that existed is expected to cover each of its months.
A month is received when a counted report (pipeline.rollup) covers it, and on time when that report
arrived by its deadline. Deadline rules are configuration (config/reporting.yaml).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import pandas as pd
from pydantic import BaseModel, ConfigDict

from pipeline.configfile import load_model
from pipeline.formatting import local_day
from pipeline.periods import Period, month, parse_period
from pipeline.rollup import month_index
from pipeline.units import Unit


class ReportingRules(BaseModel):
    """config/reporting.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    # days_after_period_end: calendar periods, due `deadline_days` after the period's last day (2011-2015).
    # cutoff_14th: NĐ 09/2019 - data up to the 14th of the period's last month, due `deadline_days` after it.
    deadline_rule: Literal["days_after_period_end", "cutoff_14th"] = "days_after_period_end"
    deadline_days: int = 10
    pace_margin: Decimal = Decimal("0.10")  # flag a line more than 10 percentage points behind its pace
    # Operations (pipeline/schedules.py): the time zone of the schedules, cron overrides by report kind
    # (monthly, quarterly, annual, programme), how often the inputs folder is polled, and how long a file must
    # be left unchanged before it is read (a file still being copied is not read half-way).
    timezone: str = "Asia/Ho_Chi_Minh"
    schedules: dict[str, str] = {}
    intake_poll_seconds: int = 30
    settle_seconds: int = 5


def load_rules(config_dir: Path) -> ReportingRules:
    """The reporting rules of a configuration folder (reporting.yaml); a malformed file is a ConfigError."""
    return load_model(config_dir / "reporting.yaml", ReportingRules)


def deadline(period: Period, rules: ReportingRules) -> date:
    """The last day a report for `period` is on time."""
    y, m = period.last
    if rules.deadline_rule == "cutoff_14th":
        return date(y, m, 14) + timedelta(days=rules.deadline_days)
    return date(y, m, calendar.monthrange(y, m)[1]) + timedelta(days=rules.deadline_days)


@dataclass(frozen=True)
class UnitStatus:
    """How one unit reported for the period."""

    unit_code: str
    unit_name: str
    priority: bool
    months_expected: int  # months the unit had to report (it may have existed for part of the period only)
    months_covered: int  # months covered by a counted report
    months_on_time: int
    missing_months: tuple[str, ...]  # period codes of the months nobody reported
    files: tuple[str, ...]  # the counted reports
    last_received: datetime | None
    late_files: tuple[str, ...] = ()
    rejected_files: tuple[str, ...] = ()  # sent for the period but rejected, not since replaced ("name: why")

    @property
    def reported(self) -> bool:
        return self.months_covered > 0

    @property
    def sent_but_rejected(self) -> bool:
        """Nothing counts for the period, but the unit did send something (rejected): not the same as silent."""
        return not self.months_covered and bool(self.rejected_files)

    @property
    def months_late(self) -> int:
        return self.months_covered - self.months_on_time

    @property
    def coverage(self) -> str:
        """ "2/3 tháng" """
        return f"{self.months_covered}/{self.months_expected} tháng"


@dataclass(frozen=True)
class Completeness:
    period_code: str
    rows: tuple[UnitStatus, ...]

    @property
    def expected(self) -> int:
        return sum(r.months_expected for r in self.rows)

    @property
    def received(self) -> int:
        return sum(r.months_covered for r in self.rows)

    @property
    def on_time(self) -> int:
        return sum(r.months_on_time for r in self.rows)

    @property
    def late(self) -> int:
        return self.received - self.on_time

    @property
    def rate(self) -> Decimal | None:
        return Decimal(self.received) / self.expected if self.expected else None

    @property
    def on_time_rate(self) -> Decimal | None:
        return Decimal(self.on_time) / self.expected if self.expected else None

    @property
    def missing_units(self) -> list[UnitStatus]:
        """Units that sent nothing for the period (a unit whose files were all rejected is not among them)."""
        return [r for r in self.rows if r.months_expected and not r.months_covered and not r.rejected_files]

    @property
    def rejected_units(self) -> list[UnitStatus]:
        """Units with nothing counted because what they sent was rejected."""
        return [r for r in self.rows if r.months_expected and r.sent_but_rejected]

    @property
    def partial_units(self) -> list[UnitStatus]:
        return [r for r in self.rows if 0 < r.months_covered < r.months_expected]

    @property
    def late_units(self) -> list[UnitStatus]:
        return [r for r in self.rows if r.late_files]


def months_existed(unit: Unit, period: Period) -> list[tuple[int, int]]:
    """The months of `period` during which the unit existed (for at least part of the month)."""
    return [
        (y, m)
        for y, m in period.months()
        if unit.valid_from <= month(y, m).end and (unit.valid_to is None or unit.valid_to >= date(y, m, 1))
    ]


def completeness(
    units: list[Unit],
    counted: pd.DataFrame,
    period: Period,
    rules: ReportingRules,
    rejected: dict[str, tuple[str, ...]] | None = None,
) -> Completeness:
    """Completeness of `period` for the expected `units`, from the reports that count for it; `rejected` names
    each unit's rejected files (not since replaced), so that sent-but-rejected is told from nothing received."""
    rejected = rejected or {}
    rows = []
    by_unit: dict[str, list] = {}  # each unit's counted reports in month order, grouped in one pass
    columns = ["unit_code", "m0", "m1", "period_code", "received_at", "file_name"]
    for r in counted.sort_values("m0", kind="stable")[columns].itertuples(index=False):
        by_unit.setdefault(r.unit_code, []).append(r)
    zone = ZoneInfo(rules.timezone)
    for unit in units:
        expected = {month_index(ym) for ym in months_existed(unit, period)}
        received: set[int] = set()
        on_time: set[int] = set()
        mine = by_unit.get(unit.code, [])
        late_files = []
        for r in mine:
            months = set(range(r.m0, r.m1 + 1)) & expected
            received |= months
            arrived = local_day(r.received_at, zone)
            if arrived <= deadline(parse_period(r.period_code), rules):
                on_time |= months
            else:
                late_files.append(r.file_name)
        missing = tuple(f"{i // 12}-{i % 12 + 1:02d}" for i in sorted(expected - received))
        last = max((datetime.fromisoformat(r.received_at) for r in mine), default=None)
        rows.append(
            UnitStatus(
                unit.code,
                unit.full_name(period.end),
                unit.priority,
                len(expected),
                len(received),
                len(on_time),
                missing,
                tuple(r.file_name for r in mine),
                last,
                tuple(late_files),
                rejected.get(unit.code, ()),
            )
        )
    return Completeness(period.code, tuple(rows))
