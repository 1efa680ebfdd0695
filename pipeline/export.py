"""Export: every value behind a period's figures, in long form, and the figures themselves, as CSV.

So anyone can check a report against its sources: each value carries its file, sheet!cell and whether
this version counts (in the period, and cumulatively).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.aggregating import Consolidated
from pipeline.files import atomic_output
from pipeline.ledger import from_milli
from pipeline.periods import Period
from pipeline.programme import Programme
from pipeline.rollup import current_versions, select_counted


def provenance(subs: pd.DataFrame, vals: pd.DataFrame, programme: Programme, period: Period,
               cumulative_period: Period) -> pd.DataFrame:
    """Accepted values of every report inside the cumulative window, superseded versions included."""
    ok = subs[(subs["status"] != "rejected") & (subs["programme"] == programme.code)]
    lo = f"{cumulative_period.first[0]}-{cumulative_period.first[1]:02d}"
    hi = f"{cumulative_period.last[0]}-{cumulative_period.last[1]:02d}"
    ok = ok[(ok["period_first"] >= lo) & (ok["period_last"] <= hi)]
    current = current_versions(subs[subs["programme"] == programme.code])
    in_period = set(select_counted(current, period)["id"])
    cumulative = set(select_counted(current, cumulative_period)["id"])
    frame = vals.merge(ok, left_on="submission_id", right_on="id")
    out = pd.DataFrame({
        "unit": frame["unit_code"],
        "period_reported": frame["period_code"],
        "kind": frame["kind"],
        "code": frame["code"],
        "source": frame["source"],
        "value": [str(from_milli(m)) for m in frame["milli"]],
        "file": frame["file_name"],
        "sha256": frame["sha256"],
        "cell": frame["cell"],
        "received_at": frame["received_at"],
        "counts_in_period": frame["submission_id"].isin(in_period),
        "counts_cumulative": frame["submission_id"].isin(cumulative),
    })
    return out.sort_values(["unit", "period_reported", "file", "kind", "code", "source"]).reset_index(drop=True)


def figures(report: Consolidated) -> pd.DataFrame:
    """The aggregated figures of a consolidated report, one row per figure."""
    rows = []
    for i in report.indicators:
        rows.append({"kind": "indicator", "code": i.code, "source": "", "in_period": str(i.in_period),
                     "cumulative": str(i.cumulative), "target": str(i.target),
                     "reports": " ".join(str(r) for r in i.reports)})
    for c in report.context:
        rows.append({"kind": "context", "code": c.code, "source": "", "in_period": "" if c.value is None else
                     str(c.value), "cumulative": "", "target": "", "reports": ""})
    for b in report.budget:
        for src in report.programme.source_codes:
            rows.append({"kind": "budget", "code": b.subprogramme, "source": src, "in_period": str(b.in_period[src]),
                         "cumulative": str(b.cumulative[src]), "target": str(b.budget[src]), "reports": ""})
    return pd.DataFrame(rows)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may read as the start of a formula


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Atomic CSV write, UTF-8 with BOM so Excel shows Vietnamese correctly. Text from inputs (file names)
    that a spreadsheet would take for a formula ("=…", "+…", "-…", "@…", as the Excel writer treats them) is
    written with a leading apostrophe; numbers stay numbers."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or str(safe[column].dtype) in ("string", "str"):
            safe[column] = [f"'{v}" if isinstance(v, str) and v[:1] in FORMULA_START else v for v in safe[column]]
    with atomic_output(path) as tmp:
        safe.to_csv(tmp, index=False, encoding="utf-8-sig")
    return path


def write_exports(report: Consolidated, values: pd.DataFrame, folder: Path) -> list[Path]:
    """The period's CSV files in `folder`: every value behind the figures (`values`, from provenance) and the
    figures themselves ("2013-gia-tri.csv", "2013-so-lieu.csv")."""
    code = report.period.code
    return [write_csv(values, folder / f"{code}-gia-tri.csv"),
            write_csv(figures(report), folder / f"{code}-so-lieu.csv")]
