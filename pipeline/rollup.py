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


def month_index(ym: str | tuple[int, int]) -> int:
    """'2012-03' or (2012, 3) -> a month number that sorts and subtracts."""
    y, m = (int(x) for x in ym.split("-")) if isinstance(ym, str) else ym
    return y * 12 + m - 1


def current_versions(subs: pd.DataFrame) -> pd.DataFrame:
    """Accepted submissions, keeping for each unit and period only the latest received version."""
    ok = subs[subs["status"] != "rejected"]
    ok = ok.sort_values(["received_at", "id"])
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


def select_counted(current: pd.DataFrame, window: Period) -> pd.DataFrame:
    """The reports that count for `window`, per unit, by the rule above (columns m0, m1, n added)."""
    lo, hi = month_index(window.first), month_index(window.last)
    frame = current.assign(m0=current["period_first"].map(month_index), m1=current["period_last"].map(month_index))
    frame = frame[(frame["m0"] >= lo) & (frame["m1"] <= hi)]
    frame = frame.assign(n=frame["m1"] - frame["m0"] + 1)
    keep: list[int] = []
    for _unit, rows in frame.groupby("unit_code", sort=True):
        received = [datetime.fromisoformat(r).timestamp() for r in rows["received_at"]]
        keep += _best_cover(list(zip(rows["m0"], rows["m1"], rows.index, received, rows["id"], strict=True)))
    return frame.loc[sorted(keep)]


def figures(vals: pd.DataFrame, counted: pd.DataFrame, programme: Programme) -> dict[tuple[str, str, str], Decimal]:
    """(kind, code, source) -> value over the counted reports: flows summed; levels from each unit's last
    report that has the value, then summed over units."""
    chosen = vals.merge(counted[["id", "unit_code", "m1"]], left_on="submission_id", right_on="id")
    levels = {c for c, i in programme.indicators.items() if i.kind == "level"}
    is_level = (chosen["kind"] == "indicator") & chosen["code"].isin(levels)
    flows = chosen[~is_level].groupby(["kind", "code", "source"])["milli"].sum()
    last = chosen[is_level].sort_values("m1").groupby(["unit_code", "code"]).tail(1)
    level_sums = last.groupby(["kind", "code", "source"])["milli"].sum()
    return {key: from_milli(total) for key, total in pd.concat([flows, level_sums]).items()}


def contributors(vals: pd.DataFrame, counted: pd.DataFrame) -> dict[tuple[str, str, str], tuple[int, ...]]:
    """(kind, code, source) -> the ids of the counted reports that carry a value for it."""
    chosen = vals[vals["submission_id"].isin(counted["id"])]
    return {key: tuple(sorted(set(ids))) for key, ids in chosen.groupby(["kind", "code", "source"])["submission_id"]}


@dataclass(frozen=True)
class Difference:
    kind: str
    code: str
    source: str
    finer_total: Decimal  # what the finer reports add up to
    coarser: Decimal  # what the coarser report says (and what counts)

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


def reconciliations(current: pd.DataFrame, counted: pd.DataFrame, vals: pd.DataFrame,
                    programme: Programme) -> list[Reconciliation]:
    """For every counted report that replaces finer current reports inside it, the flows that differ."""
    out = []
    flows = {c for c, i in programme.indicators.items() if i.kind == "flow"}
    frame = current.assign(m0=current["period_first"].map(month_index), m1=current["period_last"].map(month_index))
    for row in counted[counted["n"] > 1].itertuples():
        finer = frame[(frame["unit_code"] == row.unit_code) & (frame["m0"] >= row.m0) & (frame["m1"] <= row.m1)
                      & (frame["id"] != row.id)]
        if finer.empty:
            continue
        covered = {m for f in finer.itertuples() for m in range(f.m0, f.m1 + 1)}
        mine = vals[vals["submission_id"] == row.id]
        theirs = vals[vals["submission_id"].isin(finer["id"])]
        theirs = theirs.groupby(["kind", "code", "source"])["milli"].sum()
        ours = mine.set_index(["kind", "code", "source"])["milli"]
        diffs = []
        for key in sorted(set(ours.index) | set(theirs.index)):
            if key[0] == "indicator" and key[1] not in flows:
                continue
            a, b = int(theirs.get(key, 0)), int(ours.get(key, 0))
            if a != b:
                diffs.append(Difference(*key, from_milli(a), from_milli(b)))
        out.append(Reconciliation(row.unit_code, row.period_code, row.file_name, tuple(finer["file_name"]),
                                  len(covered), int(row.n), tuple(diffs)))
    return out
