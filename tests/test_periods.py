"""Period codes, Vietnamese titles, officers' spellings, and the month arithmetic."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest

from pipeline.periods import (
    Kind,
    PeriodError,
    last_completed,
    month,
    next_period,
    parse_period,
    parse_period_text,
    quarter,
    span,
    through,
    year,
)

CASES = [
    # code, title, kind, first month, number of months, last day
    ("2012-03", "tháng 3 năm 2012", Kind.MONTH, (2012, 3), 1, date(2012, 3, 31)),
    ("2012-Q3", "quý III năm 2012", Kind.QUARTER, (2012, 7), 3, date(2012, 9, 30)),
    ("2012-H1", "6 tháng đầu năm 2012", Kind.HALF, (2012, 1), 6, date(2012, 6, 30)),
    ("2012-9M", "9 tháng năm 2012", Kind.NINE_MONTHS, (2012, 1), 9, date(2012, 9, 30)),
    ("2012", "năm 2012", Kind.YEAR, (2012, 1), 12, date(2012, 12, 31)),
    ("2011-2015", "giai đoạn 2011-2015", Kind.SPAN, (2011, 1), 60, date(2015, 12, 31)),
]


@pytest.mark.parametrize(("code", "title", "kind", "first", "n", "end"), CASES)
def test_code_and_title(code, title, kind, first, n, end) -> None:
    p = parse_period(code)
    assert p.code == code == str(p)
    assert p.title == title
    assert p.kind is kind
    assert p.first == first
    assert len(p) == n
    assert p.start == date(*first, 1)
    assert p.end == end


@pytest.mark.parametrize(("code", "title"), [(c[0], c[1]) for c in CASES])
def test_title_reads_back(code: str, title: str) -> None:
    assert parse_period_text(title) == parse_period(code)
    assert parse_period_text(title.capitalize()) == parse_period(code)  # as written under the template's title


def test_other_titles() -> None:
    assert parse_period("2012-H2").title == "6 tháng cuối năm 2012"
    assert parse_period("2012-Q4").title == "quý IV năm 2012"
    assert parse_period("2012-12").title == "tháng 12 năm 2012"
    partial = through(2011, quarter(2012, 1))
    assert partial.code == "2011-01..2012-03"
    assert partial.title == "từ tháng 1 năm 2011 đến hết tháng 3 năm 2012"


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Tháng 03/2012", "2012-03"),
        ("tháng 3/2012", "2012-03"),
        ("Tháng 12 năm 2012", "2012-12"),
        ("Quý III/2012", "2012-Q3"),
        ("Quý 3 năm 2012", "2012-Q3"),
        ("QUÝ IV NĂM 2013", "2013-Q4"),
        ("Quý I / 2012", "2012-Q1"),
        ("6 tháng đầu năm 2012", "2012-H1"),
        ("6 tháng cuối năm 2012", "2012-H2"),
        ("9 tháng đầu năm 2012", "2012-9M"),
        ("Năm 2012", "2012"),
        ("Giai đoạn 2011 - 2015", "2011-2015"),
        ("2012-Q3", "2012-Q3"),
        ("  năm 2012.  ", "2012"),
        (unicodedata.normalize("NFD", "Quý III năm 2012"), "2012-Q3"),
    ],
)
def test_officer_spellings(text: str, code: str) -> None:
    assert parse_period_text(text) == parse_period(code)


@pytest.mark.parametrize(
    "code",
    [
        "2012-13",
        "2012-00",
        "2012-Q5",
        "2012-Q0",
        "2012-H3",
        "2015-2011",
        "12/2012",
        "2012-3",
        "",
        "  ",
        "abc",
        "2012-Q3-x",
        "Q3-2012",
    ],
)
def test_bad_codes_raise(code: str) -> None:
    with pytest.raises(PeriodError, match="not a period"):
        parse_period(code)


@pytest.mark.parametrize(
    "text",
    ["tháng 13 năm 2012", "Tháng 0/2012", "quý V năm 2012", "quý 5/2012", "hôm qua", "tháng ba năm 2012", "", "năm 12"],
)
def test_bad_texts_raise(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period_text(text)


def test_month_out_of_range_raises() -> None:
    for m in (0, 13):
        with pytest.raises(PeriodError):
            month(2012, m)


def test_months() -> None:
    assert quarter(2012, 3).months() == [(2012, 7), (2012, 8), (2012, 9)]
    assert month(2012, 2).months() == [(2012, 2)]
    assert parse_period("2012-H2").months() == [(2012, m) for m in range(7, 13)]
    whole = span(2011, 2015).months()
    assert whole == [(y, m) for y in range(2011, 2016) for m in range(1, 13)]
    assert through(2011, quarter(2012, 1)).months() == [(2011, m) for m in range(1, 13)] + [
        (2012, 1),
        (2012, 2),
        (2012, 3),
    ]


def test_contains_and_overlaps() -> None:
    y, q3, mar = year(2012), quarter(2012, 3), month(2012, 3)
    assert y.contains(q3) and y.contains(mar) and y.contains(y)
    assert quarter(2012, 1).contains(mar)
    assert not q3.contains(mar)
    assert not q3.contains(y)
    assert not y.contains(month(2013, 1))
    assert span(2011, 2015).contains(y)
    assert not span(2011, 2015).contains(month(2016, 1))
    assert parse_period("2012-9M").contains(q3) and not parse_period("2012-9M").contains(quarter(2012, 4))
    assert y.overlaps(q3) and q3.overlaps(y)
    assert not q3.overlaps(mar)


@pytest.mark.parametrize(
    ("kind", "today", "code"),
    [
        (Kind.MONTH, date(2012, 1, 15), "2011-12"),
        (Kind.MONTH, date(2012, 3, 31), "2012-02"),
        (Kind.MONTH, date(2012, 3, 1), "2012-02"),
        (Kind.QUARTER, date(2012, 1, 1), "2011-Q4"),
        (Kind.QUARTER, date(2012, 3, 31), "2011-Q4"),
        (Kind.QUARTER, date(2012, 4, 1), "2012-Q1"),
        (Kind.QUARTER, date(2012, 12, 31), "2012-Q3"),
        (Kind.YEAR, date(2013, 1, 5), "2012"),
        (Kind.YEAR, date(2013, 12, 31), "2012"),
    ],
)
def test_last_completed(kind: Kind, today: date, code: str) -> None:
    p = last_completed(kind, today)
    assert p.code == code
    assert p.end < today


def test_last_completed_has_no_rule_for_halves() -> None:
    with pytest.raises(PeriodError):
        last_completed(Kind.HALF, date(2012, 7, 1))


def test_ordering_and_equality() -> None:
    assert parse_period("2012-03") == month(2012, 3)
    assert parse_period("2012-q3") == quarter(2012, 3)
    assert len({month(2012, 3), parse_period("2012-03")}) == 1


def test_the_next_period_is_of_the_same_kind_and_within_the_programme() -> None:
    assert next_period(quarter(2012, 3), 2015) == quarter(2012, 4)
    assert next_period(quarter(2012, 4), 2015) == quarter(2013, 1)
    assert next_period(month(2012, 12), 2015) == month(2013, 1)
    assert next_period(year(2014), 2015) == year(2015)
    assert next_period(parse_period("2012-H1"), 2015) == parse_period("2012-H2")
    assert next_period(parse_period("2012-9M"), 2015) == quarter(2012, 4)
    assert next_period(year(2015), 2015) is None and next_period(quarter(2015, 4), 2015) is None
