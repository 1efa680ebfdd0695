"""Reporting periods: month, quarter, half-year, nine months, year, and a whole programme span.

Codes: ``2012-03``, ``2012-Q3``, ``2012-H1``, ``2012-9M``, ``2012``, ``2011-2015``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


class Kind(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"
    HALF = "half"
    NINE_MONTHS = "nine_months"
    YEAR = "year"
    SPAN = "span"


class PeriodError(ValueError):
    """A period code that cannot be understood."""


@dataclass(frozen=True, order=True)
class Period:
    """A run of whole months, [first, last], identified by kind and start."""

    first: tuple[int, int]  # (year, month)
    last: tuple[int, int]
    kind: Kind

    @property
    def code(self) -> str:
        (y, m), (y2, m2) = self.first, self.last
        match self.kind:
            case Kind.MONTH:
                return f"{y}-{m:02d}"
            case Kind.QUARTER:
                return f"{y}-Q{(m - 1) // 3 + 1}"
            case Kind.HALF:
                return f"{y}-H{(m - 1) // 6 + 1}"
            case Kind.NINE_MONTHS:
                return f"{y}-9M"
            case Kind.YEAR:
                return f"{y}"
            case _ if (m, m2) == (1, 12):
                return f"{y}-{y2}"
            case _:
                return f"{y}-{m:02d}..{y2}-{m2:02d}"

    @property
    def title(self) -> str:
        """Vietnamese title as used in administrative reports."""
        (y, m), (y2, _) = self.first, self.last
        match self.kind:
            case Kind.MONTH:
                return f"tháng {m} năm {y}"
            case Kind.QUARTER:
                return f"quý {ROMAN[(m - 1) // 3 + 1]} năm {y}"
            case Kind.HALF:
                return f"6 tháng đầu năm {y}" if m == 1 else f"6 tháng cuối năm {y}"
            case Kind.NINE_MONTHS:
                return f"9 tháng năm {y}"
            case Kind.YEAR:
                return f"năm {y}"
            case _ if (m, self.last[1]) == (1, 12):
                return f"giai đoạn {y}-{y2}"
            case _:
                return f"từ tháng {m} năm {y} đến hết tháng {self.last[1]} năm {y2}"

    @property
    def start(self) -> date:
        return date(self.first[0], self.first[1], 1)

    @property
    def end(self) -> date:
        y, m = self.last
        return date(y, m, calendar.monthrange(y, m)[1])

    def months(self) -> list[tuple[int, int]]:
        (y, m), out = self.first, []
        while (y, m) <= self.last:
            out.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def __len__(self) -> int:
        return len(self.months())

    def contains(self, other: Period) -> bool:
        return self.first <= other.first and other.last <= self.last

    def overlaps(self, other: Period) -> bool:
        return self.first <= other.last and other.first <= self.last

    def __str__(self) -> str:
        return self.code


def month(year: int, m: int) -> Period:
    if not 1 <= m <= 12:
        raise PeriodError(f"{m} is not a month (1-12)")
    return Period((year, m), (year, m), Kind.MONTH)


def quarter(year: int, q: int) -> Period:
    return Period((year, 3 * q - 2), (year, 3 * q), Kind.QUARTER)


def year(y: int) -> Period:
    return Period((y, 1), (y, 12), Kind.YEAR)


def span(first_year: int, last_year: int) -> Period:
    return Period((first_year, 1), (last_year, 12), Kind.SPAN)


def through(first_year: int, period: Period) -> Period:
    """From January of `first_year` to the end of `period` (the cumulative window)."""
    return Period((first_year, 1), period.last, Kind.SPAN)


_PATTERNS: list[tuple[re.Pattern[str], object]] = [
    (re.compile(r"^(\d{4})-(\d{2})$"), lambda y, m: month(y, m) if 1 <= m <= 12 else None),
    (re.compile(r"^(\d{4})-Q([1-4])$", re.I), quarter),
    (re.compile(r"^(\d{4})-H([12])$", re.I), lambda y, h: Period((y, 6 * h - 5), (y, 6 * h), Kind.HALF)),
    (re.compile(r"^(\d{4})-9M$", re.I), lambda y: Period((y, 1), (y, 9), Kind.NINE_MONTHS)),
    (re.compile(r"^(\d{4})$"), year),
    (re.compile(r"^(\d{4})-(\d{4})$"), lambda a, b: span(a, b) if a <= b else None),
]


def next_period(period: Period, last_year: int) -> Period | None:
    """The period after `period` of the same kind, if it starts in `last_year` or before."""
    y, m = period.last
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    if ny > last_year:
        return None
    match period.kind:
        case Kind.MONTH:
            return month(ny, nm)
        case Kind.QUARTER | Kind.NINE_MONTHS:
            return quarter(ny, (nm - 1) // 3 + 1)
        case Kind.HALF:
            return Period((ny, nm), (ny, nm + 5), Kind.HALF)
        case Kind.YEAR:
            return year(ny)
    return None


def parse_period(code: str) -> Period:
    """Parse a period code such as ``2012-Q3``; raise PeriodError if it is not one."""
    text = str(code).strip()
    for pattern, make in _PATTERNS:
        if found := pattern.match(text):
            period = make(*(int(g) for g in found.groups()))  # type: ignore[operator]
            if period is not None:
                return period
    raise PeriodError(
        f"'{code}' is not a period code (expected e.g. 2012-03, 2012-Q3, 2012-H1, 2012-9M, 2012, 2011-2015)"
    )


def last_completed(kind: Kind, today: date) -> Period:
    """The latest period of this kind that has ended before `today`."""
    y, m = today.year, today.month
    prev_y, prev_m = (y - 1, 12) if m == 1 else (y, m - 1)
    match kind:
        case Kind.MONTH:
            return month(prev_y, prev_m)
        case Kind.QUARTER:
            q = (m - 1) // 3  # quarters completed this year
            return quarter(y, q) if q else quarter(y - 1, 4)
        case Kind.YEAR:
            return year(y - 1)
    raise PeriodError(f"no 'last completed' rule for {kind}")


_ROMAN_TO_INT = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
_SEP = r"\s*(?:nam|/|-)\s*"
# Period phrases as officers write them (on accent-free, lower-case text), most specific first.
_PHRASES: list[tuple[str, object]] = [
    (rf"thang 0?(\d{{1,2}}){_SEP}(\d{{4}})", lambda m, y: month(int(y), int(m))),
    (rf"quy (iv|i{{1,3}}|[1-4]){_SEP}(\d{{4}})", lambda q, y: quarter(int(y), _ROMAN_TO_INT.get(q) or int(q))),
    (r"6 thang cuoi nam (\d{4})", lambda y: parse_period(f"{y}-H2")),
    (
        r"(3|6|9|12) thang (?:dau )?nam (\d{4})",
        lambda n, y: parse_period({"3": f"{y}-Q1", "6": f"{y}-H1", "9": f"{y}-9M", "12": y}[n]),
    ),
    (r"ca nam (\d{4})", lambda y: year(int(y))),
    (r"giai doan (\d{4})\s*-\s*(\d{4})", lambda a, b: span(int(a), int(b))),
    (r"nam (\d{4})", lambda y: year(int(y))),
]
_FULL = [(re.compile(f"^{p}$"), make) for p, make in _PHRASES]
_DATE = re.compile(r"ngay \d{1,2}\s*(?:thang|/)\s*\d{1,2}\s*(?:nam|/)\s*\d{4}")
_SEARCH = [(re.compile(rf"(?<![\w/]){p}(?![\w/])"), make) for p, make in _PHRASES]


def _make(make, groups) -> Period | None:
    try:
        return make(*groups)  # type: ignore[operator]
    except (ValueError, TypeError):
        return None


def parse_period_text(text: str) -> Period:
    """Parse a period as officers write it ("tháng 3 năm 2012", "Quý III/2012", "2012-Q3" …)."""
    from pipeline.text import fold

    key = fold(text)
    for pattern, make in _FULL:
        if found := pattern.match(key):
            if (period := _make(make, found.groups())) is not None:
                return period
            break
    try:
        return parse_period(str(text))
    except PeriodError:
        raise PeriodError(f"'{text}' is not a period") from None


def find_period_in_text(text: str) -> tuple[Period, str] | None:
    """The first period phrase inside a longer text ("BÁO CÁO … QUÝ III NĂM 2012"), with the phrase found."""
    from pipeline.text import fold

    key = _DATE.sub(" ", fold(text))  # "ngày 05 tháng 4 năm 2012" is a date, not a reporting period
    for pattern, make in _SEARCH:
        if found := pattern.search(key):
            period = _make(make, found.groups())
            return (period, found.group(0)) if period is not None else None  # "tháng 13 …" is no period
    return None


def period_in_cell(value: object, search: bool = False) -> Period:
    """The period a cell holds: its whole text ("Quý III/2012"), or with `search` (a title line) the first
    period phrase within it ("BÁO CÁO … QUÝ III NĂM 2012"). A date Excel made of "3/2012" is that month; a
    year typed as a number (2012) is that year. Raises PeriodError."""
    from pipeline.text import nfc

    if isinstance(value, datetime | date):
        return month(value.year, value.month)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = nfc(str(value))
    try:
        return parse_period_text(text)
    except PeriodError:
        if search and (found := find_period_in_text(text)):
            return found[0]
        raise
