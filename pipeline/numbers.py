"""Numbers as officers type them, read by one set of rules (README, "How numbers are read").

A cell is either a number (taken as Excel stores it) or text, read as follows:
- blank, "-", "–", "—", "x", "X" (nothing to report / not applicable): no value;
- a thousands separator may be "." or "," or a space, the decimal mark "," or ".":
  "1.260" and "1 260" -> 1260; "1.260,5" and "1,260.5" -> 1260.5; "12,5" and "12.5" -> 12.5;
  with both marks present, the last one is the decimal mark;
- a single mark followed by exactly three digits ("1.260", "1,260") could be either: it is read the
  Vietnamese way ("." groups thousands -> 1260; "," is the decimal mark -> 1,26) and flagged as ambiguous;
- a unit after the number is allowed ("12 người", "3 cơ sở"); any other text is not a number;
- a leading minus or a number in parentheses is negative.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pipeline.text import nfc

NOTHING = {"-", "–", "—", "x", "X", "_"}
_NUMBER = re.compile(r"^(?P<neg>[-–(])?\s*(?P<num>\d[\d.,\s\u00a0\u202f]*)\)?\s*(?P<unit>[^\d\W][^\d]{0,30})?$")


class NotANumber(ValueError):
    """The cell holds text that is not a number."""


@dataclass(frozen=True)
class Reading:
    amount: Decimal | None  # None: nothing reported in this cell
    ambiguous: str | None = None  # how an ambiguous text was read, in Vietnamese
    unit_text: str = ""  # a unit typed after the number ("người")


def read_number(value: object) -> Reading:
    """Read a cell's value by the rules above; raise NotANumber for anything else."""
    if value is None or isinstance(value, bool):
        if isinstance(value, bool):
            raise NotANumber("a logical value")
        return Reading(None)
    if isinstance(value, int | float | Decimal):
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            return Reading(Decimal(int(value)))  # the common case: what "{:.15g}" gives, without formatting
        try:  # 15 significant digits, as Excel shows a stored double (0.30000000000000004 -> 0.3)
            amount = Decimal(f"{value:.15g}") if isinstance(value, float) else Decimal(value)
        except InvalidOperation as exc:
            raise NotANumber(str(value)) from exc
        if not amount.is_finite():
            raise NotANumber(str(value))
        return Reading(amount)
    text = nfc(str(value)).strip()
    if not text or text in NOTHING:
        return Reading(None)
    found = _NUMBER.match(text)
    if not found:
        raise NotANumber(text)
    amount, ambiguous = _digits(found["num"].strip())
    negative = found["neg"] is not None
    return Reading(-amount if negative else amount, ambiguous, (found["unit"] or "").strip())


def _digits(num: str) -> tuple[Decimal, str | None]:
    if re.search(r"[\s\u00a0\u202f]", num) and not re.fullmatch(r"\d{1,3}([\s\u00a0\u202f]\d{3})+([.,]\d+)?", num):
        raise NotANumber(num)  # spaces only as thousands separators: "1 260", never "12 5"
    compact = re.sub(r"[\s\u00a0\u202f]", "", num)
    if not re.fullmatch(r"\d+([.,]\d+)*", compact):
        raise NotANumber(num)
    marks = [c for c in compact if c in ".,"]
    ambiguous = None
    if not marks:
        plain = compact
    elif len(set(marks)) == 2:  # both marks: the last one is the decimal mark
        decimal_mark = marks[-1]
        if marks.count(decimal_mark) > 1:
            raise NotANumber(num)
        group_mark = "," if decimal_mark == "." else "."
        whole, frac = compact.rsplit(decimal_mark, 1)
        if not _grouped(whole, group_mark):
            raise NotANumber(num)
        plain = whole.replace(group_mark, "") + "." + frac
    elif len(marks) > 1:  # the same mark several times: thousands groups
        if not _grouped(compact, marks[0]):
            raise NotANumber(num)
        plain = compact.replace(marks[0], "")
    else:
        mark = marks[0]
        whole, frac = compact.split(mark)
        if len(frac) == 3 and whole != "0":  # "1.260" / "1,260": read the Vietnamese way, and say so
            if mark == ".":
                plain = whole + frac
                ambiguous = f"«{num}» được đọc là {whole}{frac} (dấu chấm phân cách hàng nghìn)"
            else:
                plain = whole + "." + frac
                ambiguous = f"«{num}» được đọc là {whole},{frac} (dấu phẩy là dấu thập phân)"
        else:
            plain = whole + "." + frac
    return Decimal(plain), ambiguous


def _grouped(text: str, mark: str) -> bool:
    head, *groups = text.split(mark)
    return 1 <= len(head) <= 3 and all(len(g) == 3 for g in groups)
