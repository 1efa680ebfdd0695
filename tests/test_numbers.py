"""Numbers as officers type them: the rules of pipeline.numbers, case by case."""

from __future__ import annotations

from decimal import Decimal

import pytest

from pipeline.numbers import NotANumber, read_number


@pytest.mark.parametrize(
    ("typed", "amount", "ambiguous"),
    [
        (12, "12", False),
        (12.0, "12", False),
        (0.1, "0.1", False),
        (12.5, "12.5", False),
        (0.30000000000000004, "0.3", False),
        ("0.500", "0.500", False),
        ("0,5", "0.5", False),
        ("12", "12", False),
        ("1.260", "1260", True),
        ("1,260", "1.260", True),
        ("1.260,5", "1260.5", False),
        ("1,260.5", "1260.5", False),
        ("1.260.000", "1260000", False),
        ("1,260,000.25", "1260000.25", False),
        ("12,5", "12.5", False),
        ("12.5", "12.5", False),
        ("1 260", "1260", False),
        ("1\u00a0260,5", "1260.5", False),
        ("12 người", "12", False),
        ("3 cơ sở", "3", False),
        ("12người", "12", False),
        ("  7  ", "7", False),
        ("-3", "-3", False),
        ("(5)", "-5", False),
        ("0", "0", False),
    ],
)
def test_read(typed, amount, ambiguous) -> None:
    reading = read_number(typed)
    assert reading.amount == Decimal(amount) and str(reading.amount) == amount
    assert (reading.ambiguous is not None) == ambiguous
    if ambiguous:
        assert f"«{typed}»" in reading.ambiguous


@pytest.mark.parametrize("typed", [None, "", "   ", "-", "–", "—", "x", "X"])
def test_nothing_reported(typed) -> None:
    assert read_number(typed).amount is None


@pytest.mark.parametrize(
    "typed",
    ["khoảng 3", "abc", "1.26.0", "1.2.3", "12 5", "1,2,3", "3-4", "1.260,5,5", True, "12,5.3.1", "=SUM(A1:A3)"],
)
def test_not_a_number(typed) -> None:
    with pytest.raises(NotANumber):
        read_number(typed)


def test_unit_text_kept_for_checking() -> None:
    assert read_number("12 người").unit_text == "người"
    assert read_number("3,5 triệu đồng").unit_text == "triệu đồng"
