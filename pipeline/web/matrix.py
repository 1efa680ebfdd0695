"""The completeness matrix: units x periods (months, quarters or years), each cell on time / late / partly
received / sent but rejected / missing / not yet due, with DHIS2's rates per period and per unit. Built on
pipeline.completeness and pipeline.rollup exactly as the report's appendix (pipeline.aggregating) is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

from pipeline.aggregating import _rejected, rejected_by_unit
from pipeline.completeness import Completeness, ReportingRules, UnitStatus, completeness, deadline
from pipeline.periods import Kind, Period, month, quarter, year
from pipeline.rollup import current_versions, select_counted, with_months
from pipeline.units import Unit

STATES = {
    "on_time": "Đúng hạn",
    "late": "Muộn",
    "partial": "Thiếu tháng",
    "rejected": "Bị từ chối",
    "missing": "Chưa gửi",
    "not_due": "Chưa đến hạn",
    "none": "",
}
KINDS = {"thang": Kind.MONTH, "quy": Kind.QUARTER, "nam": Kind.YEAR}


@dataclass(frozen=True)
class MatrixCell:
    period: Period
    state: str  # a key of STATES
    deadline: date
    status: UnitStatus

    @property
    def label(self) -> str:
        return STATES[self.state]


@dataclass(frozen=True)
class MatrixRow:
    unit: Unit
    cells: tuple[MatrixCell, ...]

    @property
    def due(self) -> tuple[MatrixCell, ...]:
        """The cells that count in the unit's rate: periods past their deadline, or already reported."""
        return tuple(c for c in self.cells if c.state not in ("not_due", "none"))

    @property
    def expected(self) -> int:
        return sum(c.status.months_expected for c in self.due)

    @property
    def received(self) -> int:
        return sum(c.status.months_covered for c in self.due)

    @property
    def on_time(self) -> int:
        return sum(c.status.months_on_time for c in self.due)

    @property
    def rate(self) -> Decimal | None:
        return Decimal(self.received) / self.expected if self.expected else None


@dataclass(frozen=True)
class Matrix:
    periods: tuple[Period, ...]
    rows: tuple[MatrixRow, ...]
    columns: tuple[Completeness, ...]  # per period: expected, received, on time (in unit-months), rates


def periods_of(kind: Kind, first_year: int, last_year: int, today: date | None = None) -> list[Period]:
    """Every period of `kind` in the years (those starting after `today` left out)."""
    make = {
        Kind.MONTH: lambda y: [month(y, m) for m in range(1, 13)],
        Kind.QUARTER: lambda y: [quarter(y, q) for q in range(1, 5)],
        Kind.YEAR: lambda y: [year(y)],
    }[kind]
    out = [p for y in range(first_year, last_year + 1) for p in make(y)]
    return [p for p in out if today is None or p.start <= today]


def state_of(s: UnitStatus, due: date, today: date) -> str:
    if not s.months_expected:
        return "none"
    if s.months_covered == s.months_expected:
        return "on_time" if s.months_on_time == s.months_covered else "late"
    if s.months_covered:
        return "partial"
    if s.sent_but_rejected:
        return "rejected"
    return "not_due" if today <= due else "missing"


def build_matrix(
    subs: pd.DataFrame, units: list[Unit], periods: list[Period], rules: ReportingRules, today: date
) -> Matrix:
    """The matrix of `units` over `periods` from the ledger's submissions (pipeline.ledger.submissions_frame)."""
    current = with_months(current_versions(subs))
    rejected_subs = subs[subs["status"] == "rejected"]
    columns, cells = [], {u.code: [] for u in units}
    for p in periods:
        window = current[(current["m0"] >= _index(p.first)) & (current["m1"] <= _index(p.last))]
        counted = select_counted(window, p)
        rejected = rejected_by_unit(_rejected(subs, None, p)) if len(rejected_subs) else {}
        c = completeness(units, counted, p, rules, rejected)
        due = deadline(p, rules)
        columns.append(c)
        for u, s in zip(units, c.rows, strict=True):
            cells[u.code].append(MatrixCell(p, state_of(s, due, today), due, s))
    rows = tuple(MatrixRow(u, tuple(cells[u.code])) for u in units)
    return Matrix(tuple(periods), rows, tuple(columns))


def _index(ym: tuple[int, int]) -> int:
    return ym[0] * 12 + ym[1] - 1
