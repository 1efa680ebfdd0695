"""When reports run: cron schedules per report kind, derived from the deadline rule, and the period a run
scheduled at a given time reports on. Configured in one place: config/reporting.yaml."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import islice
from zoneinfo import ZoneInfo

from cronsim import CronSim

from pipeline.completeness import ReportingRules
from pipeline.periods import Kind, Period, last_completed, parse_period
from pipeline.programme import Programme

FLOWS = {
    Kind.MONTH: "monthly_report",
    Kind.QUARTER: "quarterly_report",
    Kind.YEAR: "annual_report",
    Kind.SPAN: "programme_report",
}
KEYS = {Kind.MONTH: "monthly", Kind.QUARTER: "quarterly", Kind.YEAR: "annual", Kind.SPAN: "programme"}


@dataclass(frozen=True)
class ReportSchedule:
    kind: Kind
    flow: str  # the flow's name
    cron: str
    timezone: str


def default_day(rules: ReportingRules) -> int:
    """Day of the month a periodic report runs: a few days after the deadline of the period just ended."""
    if rules.deadline_rule == "cutoff_14th":
        return min(28, 14 + rules.deadline_days + 3)
    return min(28, rules.deadline_days + 5)


def schedules(rules: ReportingRules) -> list[ReportSchedule]:
    """The report schedules: defaults from the deadline rule, each replaceable in config/reporting.yaml."""
    day = default_day(rules)
    defaults = {
        Kind.MONTH: f"0 7 {day} * *",  # e.g. the 15th at 07:00 for a 10-day deadline
        Kind.QUARTER: f"0 8 {day} 1,4,7,10 *",
        Kind.YEAR: f"0 9 {min(28, day + 5)} 1 *",
        Kind.SPAN: f"0 10 {min(28, day + 10)} 1 *",  # the cumulative programme report, once a year
    }
    return [
        ReportSchedule(kind, FLOWS[kind], rules.schedules.get(KEYS[kind], cron), rules.timezone)
        for kind, cron in defaults.items()
    ]


def next_runs(schedule: ReportSchedule, after: datetime, count: int = 3) -> list[datetime]:
    """The next `count` run times after `after` (aware datetimes in the schedule's time zone)."""
    start = (
        after.astimezone(ZoneInfo(schedule.timezone))
        if after.tzinfo
        else after.replace(tzinfo=ZoneInfo(schedule.timezone))
    )
    return list(islice(CronSim(schedule.cron, start), count))


def period_for(kind: Kind, scheduled: date, programmes: list[Programme], clamp: bool = True) -> Period | None:
    """The period a run on `scheduled` reports on: the last completed one of its kind, or the whole latest
    programme for the programme report. Outside every programme: with `clamp` (a run started by hand) the
    nearest programme end; without it (a scheduled run) None - nothing to report, rather than re-issuing the
    programme's last report every month for ever."""
    if kind is Kind.SPAN:
        return parse_period(programmes[-1].code)
    candidate = last_completed(kind, scheduled)
    inside = any(p.first_year <= candidate.first[0] and candidate.last[0] <= p.last_year for p in programmes)
    if inside:
        return candidate
    if not clamp or candidate.last[0] < programmes[0].first_year:
        return None
    return last_completed(kind, date(programmes[-1].last_year + 1, 1, 1))
