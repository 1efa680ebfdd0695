"""History: every version a unit sent for a period, which one counts, and why (Vietnamese, for people)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from pipeline.formatting import local_day, short_date
from pipeline.periods import Period, parse_period
from pipeline.received import order_versions
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
    return short_date(local_day(iso))


def history(
    subs: pd.DataFrame, sightings: pd.DataFrame, problems: pd.DataFrame, unit_code: str, period: Period
) -> list[Version]:
    """Every submission of `unit_code` whose period overlaps `period` (and its files whose period could not
    be read), oldest first, explained."""
    mine = subs[subs["unit_code"] == unit_code]
    keep = [not isinstance(c, str) or period.overlaps(parse_period(c)) for c in mine["period_code"]]
    mine = mine[keep] if len(mine) else mine
    current = current_versions(subs[subs["unit_code"] == unit_code])
    counted = select_counted(current, period)
    errors = problems[problems["severity"] == "error"]
    first_error = errors.groupby("submission_id")["message"].first().to_dict() if len(errors) else {}
    out = []
    for r in order_versions(mine).itertuples():
        out.append(_version(r, sightings, *_why(r, period, current, counted, first_error)))
    return out


def _why(
    r, period: Period, current: pd.DataFrame, counted: pd.DataFrame, first_error: dict[int, str]
) -> tuple[bool, str]:
    """Whether this submission counts for `period`, and why (Vietnamese)."""
    if r.status == "rejected" or not isinstance(r.period_code, str):
        return False, f"bị từ chối: {first_error.get(r.id, '')}"
    p = parse_period(r.period_code)
    newer = current[current["period_code"] == r.period_code]
    if len(newer) and newer.iloc[0]["id"] != r.id:
        n = newer.iloc[0]
        return False, f"đã được thay bằng {n['file_name']} (nhận ngày {_day(n['received_at'])})"
    if not period.contains(p):
        return False, f"kỳ {p.title} rộng hơn {period.title}; được tính trong báo cáo các kỳ chứa nó"
    if r.id in set(counted["id"]):
        return True, "được tính: bản mới nhất của đơn vị cho kỳ này"
    wider = counted[(counted["m0"] <= month_index(p.first)) & (counted["m1"] >= month_index(p.last))]
    if len(wider):
        w = wider.iloc[0]
        return False, (
            f"không tính: báo cáo {w['file_name']} ({parse_period(w['period_code']).title}) đã bao gồm "
            "các tháng này và là số liệu điều chỉnh"
        )
    return False, "không tính: các tháng này đã được tính từ các báo cáo khác của đơn vị"


def _version(r, sightings: pd.DataFrame, counts: bool, why: str) -> Version:
    seen = sightings[(sightings["sha256"] == r.sha256) & (sightings["path"] != r.file_name)]
    return Version(
        r.file_name,
        r.sha256,
        r.period_code if isinstance(r.period_code, str) else "",
        datetime.fromisoformat(r.received_at),
        r.status,
        counts,
        why,
        tuple(sorted(set(seen["path"]))),
    )


def history_text(unit_name: str, period: Period, versions: list[Version]) -> str:
    """The history as plain text for the terminal."""
    lines = [f"Lịch sử báo cáo của {unit_name}, {period.title}:"]
    if not versions:
        lines.append("  (chưa nhận được báo cáo nào)")
    for n, v in enumerate(versions, start=1):
        mark = "✔" if v.counts else "·"
        day = short_date(local_day(v.received))
        lines.append(f"{n:>3}. {mark} {v.file_name}  kỳ {v.period_code or '?'}  nhận {day}  sha256 {v.sha256[:12]}")
        lines.append(f"       {v.why}")
        if v.also_seen_as:
            lines.append(f"       cùng nội dung, cũng nhận dưới tên: {', '.join(v.also_seen_as)}")
    return "\n".join(lines)
