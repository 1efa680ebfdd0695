"""Vietnamese number and date format (1.260; 20,56; ngày 05 tháng 01 năm 2013), via Babel."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal

LOCALE = "vi_VN"


def number(value: Decimal | int | float | None, decimals: int | None = None, empty: str = "-") -> str:
    """1260 -> "1.260"; 20.56 -> "20,56". Shows every stored decimal unless `decimals` is given."""
    if value is None:
        return empty
    value = Decimal(str(value))
    if decimals is None:
        pattern = "#,##0.###"
    else:
        value = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE, decimal_quantization=False)


def percent(value: Decimal | None, decimals: int = 1) -> str:
    """A share given as a fraction (0.6) -> "60,0 %"."""
    if value is None:
        return "-"
    return f"{number(value * 100, decimals)} %"


def long_date(day: date) -> str:
    """ "ngày 05 tháng 01 năm 2013" (days below 10 and months 1-2 zero-padded, NĐ 30/2020)."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def short_date(day: date | None) -> str:
    return "-" if day is None else day.strftime("%d/%m/%Y")
