"""Validation: a RawReport -> typed values plus every problem found, collected rather than raised.

One `ValidationReport` per file feeds the receipt, the ledger, the tests and the consolidated report.
Every problem names the file, the sheet!cell, what was found, what was expected and what to do (Vietnamese);
its code, default severity and wording come from the catalogue (pipeline.problems).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum

from pipeline.formatting import code_and_name, number, short_date
from pipeline.layout import LabelRow, RawReport
from pipeline.matching import candidates_text
from pipeline.numbers import NotANumber, read_number
from pipeline.periods import Period, PeriodError, period_in_cell
from pipeline.problems import (
    ABOVE_TARGET,
    AMBIGUOUS_COLUMN,
    AMBIGUOUS_NUMBER,
    CODE_UNKNOWN,
    COLUMN_MISSING,
    DATE_INVALID,
    DISTRICT_ONLY,
    DUPLICATE_ROW,
    FORMULA_ERROR,
    FORMULA_NO_VALUE,
    GROUP_ROW_VALUE,
    HEADER_MISSING,
    LEGACY_TEXT,
    MONEY_UNIT,
    NEGATIVE,
    NOT_A_NUMBER,
    NOT_WHOLE,
    OTHER_SHEET,
    PERIOD_MISMATCH,
    PERIOD_OUTSIDE_PROGRAMME,
    PERIOD_UNKNOWN,
    PROVINCE_ONLY,
    ROW_MISSING,
    TABLE_MISSING,
    TOO_LARGE,
    TOO_PRECISE,
    TOTAL_MISMATCH,
    UNIT_FROM_TITLE,
    UNIT_MISMATCH,
    UNIT_NOT_IN_PERIOD,
    UNIT_TEXT_MISMATCH,
    UNIT_UNKNOWN,
    UNMATCHED_ROW,
    Code,
    Problem,
    Severity,
)
from pipeline.programme import Check, Indicator, Programme
from pipeline.reading import Cell, FileInfo, sheet_ref
from pipeline.text import fold, nfc
from pipeline.units import Unit, UnitRegistry, find_unit_in_text

MAX_DECIMALS = 3  # values are stored exactly in thousandths (nghìn đồng for money)
MAX_AMOUNT = Decimal(10) ** 12  # far above any real figure; keeps every value exact in the ledger's integers
MONEY_UNITS = {"trieu dong", "trieu", "tr.d", "trd", "tr d", "tr.dong", "trieu d"}


class Status(StrEnum):
    ACCEPTED = "accepted"
    WARNINGS = "accepted_with_warnings"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return {
            "accepted": "Đã tiếp nhận",
            "accepted_with_warnings": "Đã tiếp nhận, có lưu ý",
            "rejected": "Bị từ chối",
        }[self.value]


@dataclass(frozen=True)
class Value:
    kind: str  # "indicator" or "budget"
    code: str  # indicator code, or sub-programme code for budget lines
    source: str  # funding source for budget lines, "" for indicators
    amount: Decimal
    cell: str  # "BaoCao!E17"
    basis: str = ""  # free layout: why the row was taken for this indicator (pipeline.matching), "" otherwise


@dataclass
class ValidationReport:
    file: FileInfo
    programme: Programme | None = None
    sheet: str = ""  # the sheet the report was read from
    layout: str = ""  # "template" or "free" (the province's traditional layout)
    unit: Unit | None = None
    period: Period | None = None
    report_date: date | None = None
    preparer: str = ""
    phone: str = ""
    notes: str = ""
    values: list[Value] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    label_rows: list[LabelRow] = field(default_factory=list)  # free layout: each named row and what it matched

    @property
    def status(self) -> Status:
        if any(p.severity is Severity.ERROR for p in self.problems):
            return Status.REJECTED
        return Status.WARNINGS if self.problems else Status.ACCEPTED

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]


_ABSENT = object()  # "found" for a part of the report that is not there at all


def _shown(value: object) -> str:
    """A cell's value as an officer reads it: text in «», numbers the Vietnamese way (12,5; 1.260), dates as
    05/04/2012."""
    if value is _ABSENT:
        return "(không tìm thấy)"
    if value is None or (isinstance(value, str) and not value.strip()):
        return "(ô trống)"
    if isinstance(value, str):
        return f"«{value}»"
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        amount = Decimal(f"{value:.15g}") if isinstance(value, float) else Decimal(value)  # as Excel shows it
        return number(amount) if amount.is_finite() else str(value)
    if isinstance(value, datetime):
        return short_date(value.date()) + ("" if value.time() == time(0) else f" {value:%H:%M}")
    if isinstance(value, date):
        return short_date(value)
    if isinstance(value, time):
        return f"{value:%H:%M}"
    return str(value)


class _Collector:
    def __init__(self, report: ValidationReport):
        self.report = report

    def add(
        self,
        code: Code,
        where: Cell | str,
        found: object,
        expected: str,
        message: str,
        severity: Severity | None = None,
    ) -> None:
        """A problem at `where`, of the code's default severity unless `severity` (a programme check's) says."""
        ref = where.ref if isinstance(where, Cell) else where
        self.report.problems.append(
            Problem(code, severity or code.severity, self.report.file.name, ref, _shown(found), expected, message)
        )


def validate(raw: RawReport, units: UnitRegistry) -> ValidationReport:
    """Check everything in a RawReport; never raises for bad content."""
    report = ValidationReport(
        file=raw.file,
        programme=raw.programme,
        sheet=raw.sheet,
        layout="" if raw.refusal else raw.layout,
        label_rows=list(raw.label_rows),
    )
    if raw.refusal is not None:  # refused as a whole: that one problem
        report.problems.append(raw.refusal)
        return report
    bag = _Collector(report)
    _check_missing(raw, bag)
    assert raw.programme is not None
    _check_unit_and_period(raw, raw.programme, units, report, bag)
    _check_header(raw, report, bag)
    _check_layout(raw, bag)
    _check_values(raw, report, bag)
    return report


def _check_layout(raw: RawReport, bag: _Collector) -> None:
    """What reading found odd: converted legacy text, rows matching nothing, duplicates, guessed columns."""
    if raw.converted:
        ref, before, after, encoding = raw.converted[0]
        name = {"tcvn3": "TCVN3 (ABC)", "vni": "VNI-Windows"}.get(encoding, encoding)
        bag.add(
            LEGACY_TEXT,
            ref,
            before,
            "chữ Unicode",
            LEGACY_TEXT.message(count=len(raw.converted), encoding=name, before=before, after=after),
        )
    for u in raw.unmatched:
        value = f" (giá trị {_shown(u.value.value)} ở ô {u.value.ref})" if u.value is not None else ""
        label = f"Dòng «{u.name.value}»" if not u.name.blank else f"Dòng {u.name.row} (không có tên chỉ tiêu)"
        maybe = candidates_text(u.candidates)
        bag.add(
            UNMATCHED_ROW,
            u.name,
            u.name.value,
            f"tên một chỉ tiêu của Chương trình ({maybe})" if maybe else "tên một chỉ tiêu của Chương trình",
            UNMATCHED_ROW.message(row=label, value=value) + (f" Dòng này {maybe}." if maybe else ""),
        )
    for name, value in raw.group_values:
        bag.add(
            GROUP_ROW_VALUE,
            value,
            value.value,
            "để trống (số liệu ghi ở từng chỉ tiêu)",
            GROUP_ROW_VALUE.message(name=name.value, value=_shown(value.value)),
        )
    for sheet in raw.other_sheets:
        bag.add(
            OTHER_SHEET,
            sheet_ref(sheet),
            sheet,
            f"một báo cáo mỗi tệp (đã đọc sheet «{raw.sheet}»)",
            OTHER_SHEET.message(sheet=sheet),
        )
    for cell, code in raw.unknown_codes:
        bag.add(
            CODE_UNKNOWN,
            cell,
            cell.value,
            f"mã số {code}",
            CODE_UNKNOWN.message(found=cell.value, indicator=code_and_name(raw.programme, code), code=code),
        )
    for code, first, second in raw.duplicates:
        bag.add(
            DUPLICATE_ROW,
            second,
            second.value,
            f"mục {code} chỉ có số ở một dòng",
            DUPLICATE_ROW.message(item=code_and_name(raw.programme, code), first=first.ref, second=second.ref),
        )
    if raw.column_choice is not None:
        cell, label = raw.column_choice
        bag.add(
            AMBIGUOUS_COLUMN,
            cell,
            cell.value,
            "một cột «Thực hiện trong kỳ»",
            AMBIGUOUS_COLUMN.message(column=cell.value),
        )


_PART_NAMES = {
    "unit": ("ô «Đơn vị báo cáo:»", HEADER_MISSING),
    "period": ("ô «Kỳ báo cáo:»", HEADER_MISSING),
    "table_a": (
        "bảng «A. KẾT QUẢ THỰC HIỆN TRONG KỲ» có cột «Chỉ tiêu» (hoặc «Nội dung») và «Thực hiện trong kỳ»",
        TABLE_MISSING,
    ),
    "table_b": (
        "bảng «B. KINH PHÍ THỰC HIỆN TRONG KỲ» có cột «Chương trình» và các cột nguồn KCQG, KCĐP, Khác",
        TABLE_MISSING,
    ),
}


def _check_missing(raw: RawReport, bag: _Collector) -> None:
    for m in raw.missing:
        where = m.cell or m.sheet
        if m.part == "table_b" and raw.layout == "free":
            bag.add(
                TABLE_MISSING,
                where,
                _ABSENT,
                _PART_NAMES["table_b"][0],
                TABLE_MISSING.message("free"),
                Severity.WARNING,
            )
        elif m.part in _PART_NAMES:
            what, code = _PART_NAMES[m.part]
            bag.add(code, where, _ABSENT, what, code.message(what=what, sheet=m.sheet))
        elif m.part.startswith("source:"):
            src = m.part.split(":", 1)[1]
            bag.add(COLUMN_MISSING, where, _ABSENT, f"cột «{src}» trong bảng B", COLUMN_MISSING.message(source=src))
        elif m.part.startswith("row:"):
            code = m.part.split(":", 1)[1]
            bag.add(
                ROW_MISSING,
                where,
                _ABSENT,
                f"dòng có mã số {code}",
                ROW_MISSING.message(indicator=code_and_name(raw.programme, code)),
            )


def _check_unit_and_period(
    raw: RawReport, programme: Programme, units: UnitRegistry, report: ValidationReport, bag: _Collector
) -> None:
    if (cell := raw.fields.get("unit")) is not None:
        text = nfc(str(cell.value))
        unit = None if cell.blank else (units.find(text) or find_unit_in_text(units, text))
        title_unit = find_unit_in_text(units, str(raw.title_unit.value)) if raw.title_unit is not None else None
        names_a_unit = re.match(r"^(?:ubnd |uy ban nhan dan )?(?:huyen|thi xa|thanh pho|tx|tp|h)\b", fold(text))
        if unit is None and title_unit is not None and not names_a_unit:  # blank, or "Phòng Kinh tế …"
            bag.add(
                UNIT_FROM_TITLE,
                cell,
                cell.value,
                "tên đơn vị, ví dụ «huyện Bù Đăng»",
                UNIT_FROM_TITLE.message(
                    ref=cell.ref, title_ref=raw.title_unit.ref, unit=title_unit.full_name(title_unit.valid_from)
                ),
            )
            unit, cell = title_unit, raw.title_unit
        if unit is None:
            bag.add(
                UNIT_UNKNOWN,
                cell,
                cell.value,
                "tên một huyện, thị xã của tỉnh hoặc Trung tâm Khuyến công",
                UNIT_UNKNOWN.message(),
            )
        report.unit = unit
        if unit is not None and title_unit is not None and title_unit != unit:
            bag.add(
                UNIT_MISMATCH,
                raw.title_unit,
                raw.title_unit.value,
                f"cùng đơn vị với ô {cell.ref} («{unit.full_name(unit.valid_from)}»)",
                UNIT_MISMATCH.message(
                    title_unit=title_unit.full_name(title_unit.valid_from),
                    ref=cell.ref,
                    unit=unit.full_name(unit.valid_from),
                ),
            )
            report.unit = None
    if (cell := raw.fields.get("period")) is not None:
        try:
            period = period_in_cell(cell.value, search=raw.period_in_title)
        except PeriodError:
            bag.add(
                PERIOD_UNKNOWN,
                cell,
                cell.value,
                "một kỳ báo cáo, ví dụ «tháng 3 năm 2012», «quý III năm 2012»",
                PERIOD_UNKNOWN.message(),
            )
            period = None
        if period is not None and not (
            programme.first_year <= period.first[0] and period.last[0] <= programme.last_year
        ):
            bag.add(
                PERIOD_OUTSIDE_PROGRAMME,
                cell,
                cell.value,
                f"một kỳ trong giai đoạn {programme.first_year}-{programme.last_year}",
                PERIOD_OUTSIDE_PROGRAMME.message(first=programme.first_year, last=programme.last_year),
            )
            period = None
        title = raw.title_period
        if period is not None and title is not None:
            title_period = period_in_cell(title.value, search=True)
            if title_period != period:
                bag.add(
                    PERIOD_MISMATCH,
                    title,
                    title.value,
                    f"cùng kỳ với ô {cell.ref} («{period.title}»)",
                    PERIOD_MISMATCH.message(title_period=title_period.title, ref=cell.ref, period=period.title),
                )
                period = None
        report.period = period
    if report.unit is not None and report.period is not None and not report.unit.exists_during(report.period):
        cell = raw.fields["unit"]
        bag.add(
            UNIT_NOT_IN_PERIOD,
            cell,
            cell.value,
            f"một đơn vị đã tồn tại trong {report.period.title}",
            UNIT_NOT_IN_PERIOD.message(
                unit=report.unit.full_name(report.unit.valid_from),
                since=report.unit.valid_from,
                period=report.period.title,
            ),
        )


def _check_header(raw: RawReport, report: ValidationReport, bag: _Collector) -> None:
    if (cell := raw.fields.get("date")) is not None and not cell.blank:
        value = cell.value
        if isinstance(value, datetime):
            report.report_date = value.date()
        elif isinstance(value, date):
            report.report_date = value
        else:
            try:
                report.report_date = datetime.strptime(str(value).strip(), "%d/%m/%Y").date()
            except ValueError:
                bag.add(DATE_INVALID, cell, value, "một ngày, ví dụ 05/04/2012", DATE_INVALID.message())
    for key in ("preparer", "phone"):
        if (cell := raw.fields.get(key)) is not None and not cell.blank:
            value = cell.value
            text = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
            setattr(report, key, nfc(text.strip()))
    report.notes = "\n".join(nfc(str(c.value).strip()) for c in raw.notes)


def _check_number(
    cell: Cell,
    bag: _Collector,
    what: str,
    unit: str = "",
    blank_causes: dict[str, str] | None = None,
    money: bool = False,
) -> Decimal | None:
    """Read one number cell by the rules of pipeline.numbers; record what is wrong or ambiguous."""
    cause = blank_causes.get(cell.ref) if blank_causes else None
    if cause == "no value":
        bag.add(
            FORMULA_NO_VALUE,
            cell,
            "công thức chưa có giá trị",
            "một số (công thức đã được tính)",
            FORMULA_NO_VALUE.message(ref=cell.ref, what=what),
        )
        return None
    if cause is not None:
        bag.add(FORMULA_ERROR, cell, cause, "một số", FORMULA_ERROR.message(ref=cell.ref, what=what, error=cause))
        return None
    try:
        reading = read_number(cell.value)
    except NotANumber:
        kind = (
            "ngày tháng"
            if isinstance(cell.value, date | datetime | time)
            else "giá trị đúng/sai"
            if isinstance(cell.value, bool)
            else "chữ"
        )
        bag.add(
            NOT_A_NUMBER,
            cell,
            cell.value,
            "một số không âm, ví dụ 12 hoặc 12,5",
            NOT_A_NUMBER.message(ref=cell.ref, what=what, kind=kind),
        )
        return None
    amount = reading.amount
    if amount is None:
        return None
    if abs(amount) > MAX_AMOUNT:
        bag.add(
            TOO_LARGE,
            cell,
            cell.value,
            f"một số không quá {number(MAX_AMOUNT)}",
            TOO_LARGE.message(ref=cell.ref, what=what, value=_shown(cell.value)),
        )
        return None
    if money and reading.unit_text and fold(reading.unit_text) not in MONEY_UNITS:
        bag.add(
            MONEY_UNIT,
            cell,
            cell.value,
            "số tiền tính bằng triệu đồng",
            MONEY_UNIT.message(ref=cell.ref, what=what, unit=reading.unit_text),
        )
        return None
    if reading.ambiguous:
        bag.add(
            AMBIGUOUS_NUMBER,
            cell,
            cell.value,
            "một số không thể hiểu theo hai cách",
            AMBIGUOUS_NUMBER.message(ref=cell.ref, what=what, reading=reading.ambiguous),
        )
    if reading.unit_text and unit and fold(reading.unit_text) not in (fold(unit), fold(unit).replace(" ", "")):
        bag.add(
            UNIT_TEXT_MISMATCH,
            cell,
            cell.value,
            f"số {unit}",
            UNIT_TEXT_MISMATCH.message(ref=cell.ref, what=what, written=reading.unit_text, unit=unit),
        )
    if amount < 0:
        bag.add(NEGATIVE, cell, cell.value, "một số không âm (>= 0)", NEGATIVE.message(ref=cell.ref, what=what))
        return None
    if amount != amount.quantize(Decimal(1).scaleb(-MAX_DECIMALS)):
        bag.add(
            TOO_PRECISE,
            cell,
            cell.value,
            f"tối đa {MAX_DECIMALS} chữ số thập phân",
            TOO_PRECISE.message(ref=cell.ref, what=what, decimals=MAX_DECIMALS),
        )
        return None
    return amount.normalize() + 0


def _above(amount: Decimal, multiple: Decimal, indicator: Indicator) -> str:
    """ "301 người trong một báo cáo, vượt mục tiêu cả giai đoạn (300 người)." (or "bằng 250 % mục tiêu …, quá
    mức 200 %." when the check allows more than the target)."""
    target = indicator.target or Decimal(0)
    said = f"{number(amount)} {indicator.unit} trong một báo cáo"
    whole = f"mục tiêu cả giai đoạn ({number(target)} {indicator.unit})"
    if multiple == 1 or not target:
        return f"{said}, vượt {whole}."
    return f"{said}, bằng {number(amount * 100 / target, 0)} % {whole}, quá mức {number(multiple * 100, 0)} %."


def _severity(check: Check) -> Severity:
    return Severity(check.severity)


def _check_values(raw: RawReport, report: ValidationReport, bag: _Collector) -> None:
    programme = raw.programme
    assert programme is not None
    whole, above = programme.check("whole_number"), programme.check("above_target")
    province_only = programme.check("province_only")
    for code, cell in raw.results.items():
        indicator, what = programme.indicators[code], f"chỉ tiêu {code_and_name(programme, code)}"
        amount = _check_number(cell, bag, what, indicator.unit, raw.blank_causes)
        if amount is None:
            continue
        if whole and indicator.whole and amount != amount.to_integral_value():
            bag.add(
                NOT_WHOLE,
                cell,
                cell.value,
                f"một số nguyên ({indicator.unit})",
                NOT_WHOLE.message(ref=cell.ref, what=what, unit=indicator.unit),
                _severity(whole),
            )
            if whole.severity == "error":
                continue
        if (
            above
            and above.multiple is not None
            and indicator.target is not None
            and amount > above.multiple * indicator.target
        ):
            bag.add(
                ABOVE_TARGET,
                cell,
                cell.value,
                f"không quá {number(above.multiple * indicator.target)} {indicator.unit} trong một báo cáo",
                ABOVE_TARGET.message(ref=cell.ref, what=what, above=_above(amount, above.multiple, indicator)),
                _severity(above),
            )
            if above.severity == "error":
                continue
        if (
            province_only
            and indicator.level == "province"
            and report.unit is not None
            and report.unit.level != "province"
            and amount > 0
        ):
            bag.add(
                PROVINCE_ONLY,
                cell,
                cell.value,
                "để trống (hoạt động do Trung tâm Khuyến công tỉnh thực hiện)",
                PROVINCE_ONLY.message(ref=cell.ref, what=what),
                _severity(province_only),
            )
            if province_only.severity == "error":
                continue
        if indicator.level == "district" and report.unit is not None and report.unit.level == "province":
            bag.add(
                DISTRICT_ONLY,
                cell,
                cell.value,
                "để trống (chỉ tiêu của địa bàn huyện, thị xã, thành phố)",
                DISTRICT_ONLY.message(ref=cell.ref, what=what),
            )
            continue
        report.values.append(Value("indicator", code, "", amount, cell.ref, raw.why.get(code, "")))
    sums: dict[str, Decimal] = {}  # by sub-programme (row totals)
    by_source: dict[str, Decimal] = {}  # by source (the "Tổng cộng" row)
    for (sp, src), cell in raw.spending.items():
        amount = _check_number(
            cell,
            bag,
            f"kinh phí {code_and_name(programme, sp)}, nguồn {src}",
            blank_causes=raw.blank_causes,
            money=True,
        )
        if amount is not None:
            report.values.append(Value("budget", sp, src, amount, cell.ref))
            sums[sp] = sums.get(sp, Decimal(0)) + amount
            by_source[src] = by_source.get(src, Decimal(0)) + amount
    row_total = programme.check("row_total")
    if row_total is None:
        return
    for sp, cell in raw.row_totals.items():
        try:
            stated = read_number(cell.value).amount
        except NotANumber:
            continue  # a total we cannot read is not used: totals are always recomputed
        if stated is not None and stated != sums.get(sp, Decimal(0)):
            bag.add(
                TOTAL_MISMATCH,
                cell,
                cell.value,
                f"tổng các nguồn = {number(sums.get(sp, Decimal(0)))}",
                TOTAL_MISMATCH.message(item=code_and_name(programme, sp)),
                _severity(row_total),
            )
    for src, cell in raw.column_totals.items():
        try:
            stated = read_number(cell.value).amount
        except NotANumber:
            continue
        if stated is not None and stated != by_source.get(src, Decimal(0)):
            bag.add(
                TOTAL_MISMATCH,
                cell,
                cell.value,
                f"tổng cột {src} = {number(by_source.get(src, Decimal(0)))}",
                TOTAL_MISMATCH.message("column", source=src),
                _severity(row_total),
            )
