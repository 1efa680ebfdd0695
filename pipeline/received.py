"""When a file was received, and which version of a report counts: the rule, in one place (README, "Received
time and versions"). Used by the intake (receipts, the copy that is the submission), the roll-up and history.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd

from pipeline.formatting import local_day
from pipeline.periods import Period

SEEN = "seen"  # received when the intake first saw the file in the inputs folder
FILE_DATE = "file_date"  # received on the file's own modification date (a backlog loaded at once)
FUTURE = "future"  # backlog: the file's date is later than the time first seen, which is used instead
FILE_BEFORE_CLOSE = "file_early"  # backlog: the file's date is before its period's close, the time first seen used
SEEN_BEFORE_CLOSE = "seen_early"  # watched: first seen before its period's close (kept: it is when it came)

DEFAULT_RULE = "days_after_period_end"
VERSION_ORDER = ["received_at", "file_date", "sha256"]  # ascending: the last version of a unit and period counts


@dataclass(frozen=True)
class Received:
    at: datetime  # UTC
    basis: str  # SEEN or FILE_DATE
    flag: str = ""  # "", FUTURE, FILE_BEFORE_CLOSE or SEEN_BEFORE_CLOSE

    @property
    def iso(self) -> str:
        return iso(self.at)


def iso(moment: datetime) -> str:
    """How the ledger stores an instant: UTC, to the second (so text order is time order)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def close_day(period: Period, deadline_rule: str = DEFAULT_RULE) -> date:
    """The first day a report for `period` can be sent: its last day (calendar periods), or the 14th of its last
    month (NĐ 09/2019 cut-off, `cutoff_14th`)."""
    y, m = period.last
    return date(y, m, 14) if deadline_rule == "cutoff_14th" else date(y, m, calendar.monthrange(y, m)[1])


def received(first_seen: datetime | None, file_date: datetime, backlog: bool, close: date | None) -> Received:
    """The received time of a file.

    While the intake watches the folder, it is the time the intake first saw the file (`first_seen`); the
    file's own date is information only. A backlog loaded at once (the ledger's first ingest: the demo, a
    migration) was not watched arriving, so the file's own date is used - unless that date is later than
    `first_seen` (FUTURE) or falls before the period's `close` day (BEFORE_CLOSE): neither can be a sending
    date, so the time first seen is used and the receipt says why. A time first seen before `close` is kept
    (it is when the file came) but flagged BEFORE_CLOSE. `first_seen` None (a file read directly, outside an
    intake) means now.
    """
    seen = first_seen or datetime.now(UTC)

    def early(moment: datetime) -> bool:
        return close is not None and local_day(moment) < close

    if not backlog:
        return Received(seen, SEEN, SEEN_BEFORE_CLOSE if early(seen) else "")
    if file_date > seen:
        return Received(seen, SEEN, FUTURE)
    if early(file_date):
        return Received(seen, SEEN, FILE_BEFORE_CLOSE)
    return Received(file_date, FILE_DATE)


def of(file, period: Period | None, deadline_rule: str = DEFAULT_RULE) -> Received:
    """`received` for a FileInfo whose report is for `period` (None: unknown)."""
    close = close_day(period, deadline_rule) if period is not None else None
    return received(file.first_seen, file.modified, file.backlog, close)


def version_key(received_at: str, file_date: str, sha256: str) -> tuple[str, str, str]:
    """Versions of one unit's report for one period, oldest first: by received time, ties by the file's own
    date, then by sha256 (arbitrary but fixed, whatever order the files were found in). The last counts."""
    return received_at, file_date, sha256


def order_versions(subs: pd.DataFrame) -> pd.DataFrame:
    """`subs` (ledger rows) in `version_key` order."""
    return subs.sort_values(VERSION_ORDER, kind="stable")


def copy_key(received_at: str, file_date: str, name: str) -> tuple[str, str, bytes]:
    """Byte-identical copies: the first by this key is the submission (received first, ties by the file's own
    date, then by name), whatever order they were found in, in one ingest or across ingests."""
    return received_at, file_date, name.encode("utf-8", "surrogateescape")
