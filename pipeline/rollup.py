"""The roll-up rule, implemented once (README, "How figures are added up").

For one unit and a window of months: take the current version of each accepted report whose period lies
inside the window; among them choose the set that covers the most months without covering any month twice,
and among equal coverage the one with the fewest reports (so a quarter counts instead of its months: it is
the revised figure), then the most recently received. Months nobody reported stay missing, never zero.
Flows are summed over the chosen reports; a level is the value of the chosen report that ends last.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pandas as pd

from pipeline.ledger import from_milli
from pipeline.periods import Period
from pipeline.programme import Programme
from pipeline.received import order_versions


def month_index(ym: str | tuple[int, int]) -> int:
    """'2012-03' or (2012, 3) -> a month number that sorts and subtracts."""
    y, m = (int(x) for x in ym.split("-")) if isinstance(ym, str) else ym
    return y * 12 + m - 1


def current_versions(subs: pd.DataFrame) -> pd.DataFrame:
    """Accepted submissions, keeping for each unit and period only the version that counts: the last by
    pipeline.received.version_key (received time, then the file's own date, then sha256)."""
    ok = order_versions(subs[subs["status"] != "rejected"])
    return ok.drop_duplicates(["unit_code", "period_code"], keep="last")


def _best_cover(rows: list[tuple[int, int, int, float, int]]) -> list[int]:
    """Rows (m0, m1, index, received, id) -> the indexes of the best non-overlapping choice.

    Weighted interval scheduling over months. The objective is compared in order - months covered (more),
    reports (fewer), received time (later, summed), id (summed) - and each part adds up over disjoint
    stretches of time, so the choice for a year is the same whether the window is that year or the programme.
    """
    rows = sorted(rows, key=lambda r: (r[1], r[0]))
    ends = [r[1] for r in rows]
    best: list[tuple[tuple[int, int, float, int], list[int]]] = [((0, 0, 0.0, 0), [])]
    for i, (m0, m1, index, received, ident) in enumerate(rows):
        j = bisect_left(ends, m0, hi=i)  # rows[:j] end before this one starts
        (cov, neg_count, recency, ids), chosen = best[j]
        take = ((cov + m1 - m0 + 1, neg_count - 1, recency + received, ids + ident), [*chosen, index])
        best.append(max(best[i], take, key=lambda b: b[0]))
    return best[-1][1]


def month_indexes(codes: pd.Series) -> pd.Series:
    """month_index of every 'YYYY-MM' in `codes` (each distinct code converted once)."""
    return codes.map({code: month_index(code) for code in codes.unique()})


def with_months(current: pd.DataFrame) -> pd.DataFrame:
    """`current` with the month numbers m0 and m1 of each report's first and last month."""
    if {"m0", "m1"} <= set(current.columns):
        return current
    return current.assign(m0=month_indexes(current["period_first"]), m1=month_indexes(current["period_last"]))


def select_counted(current: pd.DataFrame, window: Period) -> pd.DataFrame:
    """The reports that count for `window`, per unit, by the rule above (columns m0, m1, n added)."""
    lo, hi = month_index(window.first), month_index(window.last)
    frame = with_months(current)
    frame = frame[(frame["m0"] >= lo) & (frame["m1"] <= hi)]
    frame = frame.assign(n=frame["m1"] - frame["m0"] + 1)
    by_unit: dict[str, list[tuple[int, int, int, float, int]]] = {}  # in row order, as a groupby would give them
    columns = (frame["unit_code"], frame["m0"], frame["m1"], frame.index, frame["received_at"], frame["id"])
    for unit, m0, m1, index, received, ident in zip(*columns, strict=True):
        if isinstance(unit, str):
            by_unit.setdefault(unit, []).append((m0, m1, index, datetime.fromisoformat(received).timestamp(), ident))
    keep: list[int] = []
    for unit in sorted(by_unit):
        keep += _best_cover(by_unit[unit])
    return frame.loc[sorted(keep)]


Key = tuple[str, str, str]  # (kind, code, source): ("indicator", "P1.2", "") or ("budget", "P1", "KCQG")
_VALUE_COLUMNS = ["submission_id", "kind", "code", "source", "milli"]


def _sums(vals: pd.DataFrame, counted: pd.DataFrame, programme: Programme, by: list[str]) -> pd.Series:
    """milli summed by `by` + (kind, code, source) over the counted reports (the rule of `figures`)."""
    chosen = vals[_VALUE_COLUMNS].merge(counted[["id", "unit_code", "m1"]], left_on="submission_id", right_on="id")
    levels = {c for c, i in programme.indicators.items() if i.kind == "level"}
    is_level = (chosen["kind"] == "indicator") & chosen["code"].isin(levels)
    keys = [*by, "kind", "code", "source"]
    flows = chosen[~is_level].groupby(keys)["milli"].sum()
    last = chosen[is_level].sort_values("m1").groupby(["unit_code", "code"]).tail(1)
    return pd.concat([flows, last.groupby(keys)["milli"].sum()])


def figures(vals: pd.DataFrame, counted: pd.DataFrame, programme: Programme) -> dict[Key, Decimal]:
    """(kind, code, source) -> value over the counted reports: flows summed; levels from each unit's last
    report that has the value, then summed over units."""
    return {key: from_milli(total) for key, total in _sums(vals, counted, programme, []).items()}


def figures_by_unit(vals: pd.DataFrame, counted: pd.DataFrame, programme: Programme) -> dict[str, dict[Key, Decimal]]:
    """unit code -> `figures` over that unit's counted reports alone, for every unit in one pass."""
    out: dict[str, dict[Key, Decimal]] = {}
    for (unit, *key), total in _sums(vals, counted, programme, ["unit_code"]).items():
        out.setdefault(unit, {})[tuple(key)] = from_milli(total)
    return out


def contributors(vals: pd.DataFrame, counted: pd.DataFrame) -> dict[tuple[str, str, str], tuple[int, ...]]:
    """(kind, code, source) -> the ids of the counted reports that carry a value for it."""
    chosen = vals[vals["submission_id"].isin(counted["id"])]
    return {key: tuple(sorted(set(ids))) for key, ids in chosen.groupby(["kind", "code", "source"])["submission_id"]}


@dataclass(frozen=True)
class Difference:
    kind: str
    code: str
    source: str
    finer_total: Decimal  # what the finer reports add up to (a level: the last one's value)
    coarser: Decimal  # what the coarser report says (and what counts)
    level: bool = False

    @property
    def change(self) -> Decimal:
        return self.coarser - self.finer_total


@dataclass(frozen=True)
class Reconciliation:
    """A coarser report (a quarter …) counted instead of finer ones (its months), and how they differ."""

    unit_code: str
    period_code: str
    file_name: str
    finer_files: tuple[str, ...]
    finer_months: int  # months of the coarser period the finer reports cover
    months: int
    differences: tuple[Difference, ...]


def reconciliations(
    current: pd.DataFrame, counted: pd.DataFrame, vals: pd.DataFrame, programme: Programme
) -> list[Reconciliation]:
    """For every counted report that replaces finer current reports inside it, what differs: flows against the
    finer reports' sum, levels against the value of the finer report that ends last and gives it (a level the
    coarser report leaves blank is not compared: the figure then comes from the reports before)."""
    out = []
    levels = {c for c, i in programme.indicators.items() if i.kind == "level"}
    coarser = counted[counted["n"] > 1]
    if coarser.empty:
        return out
    frame = with_months(current)
    frame = frame[frame["unit_code"].isin(set(coarser["unit_code"]))]
    by_unit = {unit: rows for unit, rows in frame.groupby("unit_code")}
    found = []
    for row in coarser.itertuples():
        rows = by_unit[row.unit_code]
        finer = rows[(rows["m0"] >= row.m0) & (rows["m1"] <= row.m1) & (rows["id"] != row.id)]
        if not finer.empty:
            found.append((row, finer))
    ids = {row.id for row, _ in found} | {i for _, finer in found for i in finer["id"]}
    values = vals.loc[vals["submission_id"].isin(ids), _VALUE_COLUMNS]
    by_id = {i: rows for i, rows in values.groupby("submission_id")}
    none = values.iloc[:0]
    keys = ["kind", "code", "source"]
    for row, finer in found:
        covered = {m for f in finer.itertuples() for m in range(f.m0, f.m1 + 1)}
        mine = by_id.get(row.id, none)
        theirs = pd.concat([by_id.get(f.id, none).assign(m1=f.m1) for f in finer.itertuples()])
        is_level = (theirs["kind"] == "indicator") & theirs["code"].isin(levels)
        summed = theirs[~is_level].groupby(keys)["milli"].sum()
        last = theirs[is_level].sort_values("m1").groupby(keys)["milli"].last()
        theirs = pd.concat([summed, last])
        ours = mine.set_index(keys)["milli"]
        diffs = []
        for key in sorted(set(ours.index) | set(theirs.index)):
            if key[0] == "indicator" and key[1] in levels and key not in ours.index:
                continue
            a, b = int(theirs.get(key, 0)), int(ours.get(key, 0))
            if a != b:
                diffs.append(Difference(*key, from_milli(a), from_milli(b), key[1] in levels and key[0] == "indicator"))
        out.append(
            Reconciliation(
                row.unit_code,
                row.period_code,
                row.file_name,
                tuple(finer["file_name"]),
                len(covered),
                int(row.n),
                tuple(diffs),
            )
        )
    return out


def straddling(counted_cumulative: pd.DataFrame, window: Period) -> pd.DataFrame:
    """The reports counted in the cumulative figure that reach into `window` from before it (a 9-month report
    seen from its third quarter): they count in the cumulative figure but not in the window's, so the
    cumulative figure before the window plus the window's figure differs from the cumulative figure."""
    lo, hi = month_index(window.first), month_index(window.last)
    frame = with_months(counted_cumulative)
    return frame[(frame["m0"] < lo) & (frame["m1"] >= lo) & (frame["m1"] <= hi)]
