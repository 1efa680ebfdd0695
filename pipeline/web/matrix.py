"""The completeness matrix: units x periods (months, quarters or years), each cell on time / late / partly
received / sent but rejected / missing / not yet due, with DHIS2's rates per period and per unit. Built on
pipeline.completeness and pipeline.rollup exactly as the report's appendix (pipeline.aggregating) is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd

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
    refused = unreplaced_rejections(subs)
    columns, cells = [], {u.code: [] for u in units}
    for p in periods:
        lo, hi = _index(p.first), _index(p.last)
        counted = select_counted(current[(current["m0"] >= lo) & (current["m1"] <= hi)], p)
        rejected: dict[str, tuple[str, ...]] = {}
        for unit, m0, m1, name in refused:
            if m0 is None or (lo <= m0 and m1 <= hi):
                rejected[unit] = (*rejected.get(unit, ()), name)
        c = completeness(units, counted, p, rules, rejected)
        due = deadline(p, rules)
        columns.append(c)
        for u, s in zip(units, c.rows, strict=True):
            cells[u.code].append(MatrixCell(p, state_of(s, due, today), due, s))
    rows = tuple(MatrixRow(u, tuple(cells[u.code])) for u in units)
    return Matrix(tuple(periods), rows, tuple(columns))


def unreplaced_rejections(subs: pd.DataFrame) -> list[tuple[str, int | None, int | None, str]]:
    """(unit, first month, last month, file name) of each rejected file of a known unit not since replaced by an
    accepted file for the same unit and period or under the same name: the rule of the report's appendix
    (pipeline.aggregating), worked out once for every period (months None: no readable period, every period)."""
    rejected = subs[(subs["status"] == "rejected") & subs["unit_code"].notna()]
    if rejected.empty:
        return []
    ok = subs[subs["status"] != "rejected"]
    later_by_slot = ok.groupby(["unit_code", "period_code"])["received_at"].max().to_dict()
    later_by_name = ok.groupby("file_name")["received_at"].max().to_dict()
    out = []
    for r in rejected.itertuples():
        replaced = max(later_by_slot.get((r.unit_code, r.period_code), ""), later_by_name.get(r.file_name, ""))
        if replaced >= r.received_at or not r.unit_code:
            continue
        known = isinstance(r.period_first, str)
        m0 = _index(_ym(r.period_first)) if known else None
        m1 = _index(_ym(r.period_last)) if known else None
        out.append((r.unit_code, m0, m1, r.file_name))
    return out


def _ym(text: str) -> tuple[int, int]:
    y, m = text.split("-")
    return int(y), int(m)


def _index(ym: tuple[int, int]) -> int:
    return ym[0] * 12 + ym[1] - 1
