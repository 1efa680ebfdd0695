"""A hand-built Consolidated report with known figures, for the rendering and Excel tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal as D
from functools import lru_cache

from pipeline.aggregating import (
    BudgetRow,
    Consolidated,
    IndicatorRow,
    Note,
    RejectedFile,
    UnitRow,
    UnitStatus,
)
from pipeline.periods import Kind, Period, quarter
from pipeline.programme import Programme, load_programmes
from pipeline.recipients import Issuer, Recipient, load_recipients

# Known figures (2012-Q3): P1.2 45 in the quarter, 120 since 2011 of a target of 300 (40,0 %);
# P1 spent KCQG 20,56 + KCĐP 15 in the quarter, 200,5 since 2011 of a budget of 1.260.
IN_PERIOD = {"P1.2": D("45"), "P4.3": D("12"), "P5.2": D("2")}
CUMULATIVE = {"P1.2": D("120"), "P4.3": D("38"), "P5.2": D("7")}
SPENT_IN_PERIOD = {"P1": {"KCQG": D("20.56"), "KCĐP": D("15"), "Khác": D("0")}}
SPENT_CUMULATIVE = {"P1": {"KCQG": D("120.5"), "KCĐP": D("80"), "Khác": D("0")}}

UNIT_NAMES = [
    ("bu-dang", "Bù Đăng", True),
    ("dong-xoai", "Đồng Xoài", False),
    ("loc-ninh", "Lộc Ninh", True),
    ("ttkc", "Trung tâm Khuyến công và Tư vấn phát triển công nghiệp", False),
    ("binh-long", "Bình Long", False),
    ("phuoc-long", "Phước Long", False),
    ("bu-dop", "Bù Đốp", True),
    ("bu-gia-map", "Bù Gia Mập", True),
    ("chon-thanh", "Chơn Thành", False),
    ("dong-phu", "Đồng Phú", True),
    ("hon-quan", "Hớn Quản", True),
]
MISSING = {"loc-ninh"}


@lru_cache(maxsize=1)
def programme() -> Programme:
    return load_programmes()[0]


def issuer() -> Issuer:
    return load_recipients().issuer


def recipient(code: str) -> Recipient:
    return next(r for r in load_recipients().recipients if r.code == code)


def _unit_status(code: str, name: str, priority: bool) -> UnitStatus:
    if code in MISSING:
        return UnitStatus(code, name, priority, 3, 0, 0, ("2012-07", "2012-08", "2012-09"), (), None)
    late = (f"{code}-2012-09.xlsx",) if code == "bu-dang" else ()
    files = (f"{code}-2012-Q3.xlsx", *late)
    return UnitStatus(code, name, priority, 3, 3, 2 if late else 3, (), files, datetime(2012, 10, 3, 9, 30), late)


def _unit_row(code: str, name: str, index: int) -> UnitRow:
    results = {c: D(0) for c in programme().indicators}
    results["P1.2"] = D("30") if index == 0 else D("15") if index == 1 else D(0)
    results["P4.3"] = D(index + 1)
    spending = {s: D(0) for s in programme().source_codes}
    spending["KCQG"] = D("10.28") if index < 2 else D(0)
    return UnitRow(code, name, results, spending)


def sample_report(unit_count: int = 4, **changes: object) -> Consolidated:
    """The sample report for 2012-Q3 with the first `unit_count` units; `changes` replace fields."""
    prog = programme()
    indicators = tuple(
        IndicatorRow(
            sp.code, i.code, i.name, i.unit, IN_PERIOD.get(i.code, D(0)), CUMULATIVE.get(i.code, D(0)), i.target
        )
        for sp in prog.subprogrammes
        for i in sp.indicators
    )
    zero = {s: D(0) for s in prog.source_codes}
    budget = tuple(
        BudgetRow(
            sp.code,
            sp.name,
            SPENT_IN_PERIOD.get(sp.code, zero),
            SPENT_CUMULATIVE.get(sp.code, zero),
            dict(sp.budget.by_source),
        )
        for sp in prog.subprogrammes
    )
    chosen = UNIT_NAMES[:unit_count]
    statuses = tuple(_unit_status(*u) for u in chosen)
    by_unit = tuple(
        _unit_row(code, name, i) for i, (code, name, _) in enumerate(c for c in chosen if c[0] not in MISSING)
    )
    report = Consolidated(
        programme=prog,
        period=quarter(2012, 3),
        cumulative_period=Period((2011, 1), (2012, 9), Kind.SPAN),
        indicators=indicators,
        budget=budget,
        units=statuses,
        by_unit=by_unit,
        notes=(
            Note("Bù Đăng", "2012-Q3", "Kinh phí đối ứng của địa phương còn thiếu; đề nghị bổ sung."),
            Note("Đồng Xoài", "2012-09", "Đề nghị tổ chức thêm lớp đào tạo nghề mây tre đan."),
        ),
        rejected=(
            RejectedFile("loc-ninh-2012-Q3.xlsx", 3, "thiếu tên đơn vị"),
            RejectedFile("khong-ro.xls", 1, "không đọc được tệp"),
        ),
        generated_on=date(2012, 10, 5),
    )
    return replace(report, **changes) if changes else report
