"""History: every version a unit sent for a period, which one counts, and why (Vietnamese, for people)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from pipeline.formatting import short_date
from pipeline.periods import Period, parse_period
from pipeline.rollup import current_versions, month_index, select_counted


@dataclass(frozen=True)
class Version:
    file_name: str
    sha256: str
    period_code: str
    received: datetime
    status: str
    counts: bool
    why: str
    also_seen_as: tuple[str, ...] = ()


def _day(iso: str) -> str:
    return short_date(datetime.fromisoformat(iso).date())


def history(subs: pd.DataFrame, sightings: pd.DataFrame, problems: pd.DataFrame, unit_code: str,
            period: Period) -> list[Version]:
    """Every submission of `unit_code` whose period overlaps `period`, oldest first, explained."""
    mine = subs[subs["unit_code"] == unit_code].copy()
    mine = mine[mine["period_first"].notna()]
    mine = mine[[period.overlaps(parse_period(c)) for c in mine["period_code"]]] if len(mine) else mine
    current = current_versions(subs[subs["unit_code"] == unit_code])
    counted = select_counted(current, period)
    counted_ids = set(counted["id"])
    first_problem = problems.groupby("submission_id")["message"].first().to_dict() if len(problems) else {}
    out = []
    for r in mine.sort_values(["received_at", "id"]).itertuples():
        p = parse_period(r.period_code)
        newer = current[(current["period_code"] == r.period_code)]
        if r.status == "rejected":
            counts, why = False, f"bị từ chối: {first_problem.get(r.id, '')}"
        elif len(newer) and newer.iloc[0]["id"] != r.id:
            n = newer.iloc[0]
            counts, why = False, f"đã được thay bằng {n['file_name']} (nhận ngày {_day(n['received_at'])})"
        elif not period.contains(p):
            counts, why = False, f"kỳ {p.title} rộng hơn {period.title}; được tính trong báo cáo các kỳ chứa nó"
        elif r.id in counted_ids:
            counts, why = True, "được tính: bản mới nhất của đơn vị cho kỳ này"
        else:
            wider = counted[(counted["m0"] <= month_index(p.first)) & (counted["m1"] >= month_index(p.last))]
            w = wider.iloc[0] if len(wider) else None
            counts = False
            why = (f"không tính: báo cáo {w['file_name']} ({parse_period(w['period_code']).title}) đã bao gồm "
                   "các tháng này và là số liệu điều chỉnh" if w is not None else "không tính")
        seen = sightings[(sightings["sha256"] == r.sha256) & (sightings["path"] != r.file_name)]
        out.append(Version(r.file_name, r.sha256, r.period_code, datetime.fromisoformat(r.received_at), r.status,
                           counts, why, tuple(sorted(set(seen["path"])))))
    return out


def history_text(unit_name: str, period: Period, versions: list[Version]) -> str:
    """The history as plain text for the terminal."""
    lines = [f"Lịch sử báo cáo của {unit_name}, {period.title}:"]
    if not versions:
        lines.append("  (chưa nhận được báo cáo nào)")
    for n, v in enumerate(versions, start=1):
        mark = "✔" if v.counts else "·"
        lines.append(f"{n:>3}. {mark} {v.file_name}  kỳ {v.period_code}  nhận {short_date(v.received.date())}  "
                     f"sha256 {v.sha256[:12]}")
        lines.append(f"       {v.why}")
        if v.also_seen_as:
            lines.append(f"       cùng nội dung, cũng nhận dưới tên: {', '.join(v.also_seen_as)}")
    return "\n".join(lines)
