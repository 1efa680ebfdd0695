"""Vietnamese number and date format (1.260; 20,56; ngày 05 tháng 01 năm 2013), via Babel."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal

if TYPE_CHECKING:
    from pipeline.programme import Programme

LOCALE = "vi_VN"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # the province's clock: receipt days, deadlines, report dates


def number(value: Decimal | int | float | None, decimals: int | None = None, empty: str = "-") -> str:
    """1260 -> "1.260"; 20.56 -> "20,56". Shows every stored decimal unless `decimals` is given."""
    if value is None:
        return empty
    return _number(str(value), decimals)


@lru_cache(maxsize=65536)  # reports and receipts repeat the same figures: Babel formats each once
def _number(text: str, decimals: int | None) -> str:
    value = Decimal(text)
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


def local_day(moment: datetime | str, zone: ZoneInfo = LOCAL_TZ) -> date:
    """The calendar day of an instant on the province's clock (a file dropped at 00:30 on the 11th in Bình
    Phước arrived on the 11th, though it was the 10th in UTC)."""
    return local_time(moment, zone).date()


def spreadsheet_time(stamp: object) -> datetime:
    """A ledger time (ISO, UTC when it names no zone) on the province's clock, without its zone and to the
    second, as a spreadsheet holds it (the export's tables and the Excel report's data sheet)."""
    moment = datetime.fromisoformat(str(stamp))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ).replace(tzinfo=None, microsecond=0)


def local_time(moment: datetime | str, zone: ZoneInfo = LOCAL_TZ) -> datetime:
    """An instant on the province's clock (a naive time is taken as already local)."""
    moment = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return moment.astimezone(zone) if moment.tzinfo else moment


def day_and_time(moment: datetime | str, zone: ZoneInfo = LOCAL_TZ) -> str:
    """ "08/07/2012 lúc 14:32": the day and the minute of an instant on the province's clock."""
    local = local_time(moment, zone)
    return f"{short_date(local.date())} lúc {local:%H:%M}"


def code_and_name(programme: Programme | None, code: str) -> str:
    """An indicator or sub-programme by code and name, as officers read it: "P1.2 – Lao động được đào tạo
    mới". Only the code if the programme lacks it."""
    if programme is None:
        return code
    found = programme.indicators.get(code) or next((g for g in programme.groups if g.code == code), None)
    return f"{code} – {found.name}" if found is not None else code


def today() -> date:
    return datetime.now(LOCAL_TZ).date()
