"""A hand-built Consolidated report with known figures, for the rendering and Excel tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from decimal import Decimal as D
from functools import lru_cache
from pathlib import Path

import pandas as pd

from pipeline.aggregating import (
    BudgetRow,
    Consolidated,
    ContextRow,
    IndicatorRow,
    Note,
    RejectedFile,
    UnitRow,
    UnitStatus,
)
from pipeline.completeness import Completeness
from pipeline.paths import packaged_config
from pipeline.periods import Kind, Period, quarter
from pipeline.programme import Programme, load_programmes
from pipeline.progress import Funding, FundingYear, GrowthYear, Pace
from pipeline.recipients import Issuer, Recipient, Titles, load_recipients
from pipeline.report.build import build_document
from pipeline.report.excel import write_workbook
from pipeline.report.html import render_html, render_pdf
from pipeline.rollup import Difference, Reconciliation

# Known figures (2012-Q3): P1.2 45 in the quarter, 120 since 2011 of a target of 300 (40,0 %);
# P1 spent KCQG 20,56 + KCĐP 15 in the quarter, 200,5 since 2011 of a budget of 1.260.
IN_PERIOD = {"P1.2": D("45"), "P4.3": D("12"), "P5.2": D("2")}
# Cumulative results: 40 % of each target (rounded) unless given here. 21 of 60 months have passed (35 %),
# so P1.1 (0 of 4), P3.1 (2 of 15: 13,3 %) and P4.1 (0 of 1) are behind pace by more than 10 points.
CUMULATIVE = {"P1.1": D("0"), "P1.2": D("120"), "P3.1": D("2"), "P4.3": D("38"), "P5.2": D("7")}
SPENT_IN_PERIOD = {"P1": {"KCQG": D("20.56"), "KCĐP": D("15"), "Khác": D("0")}}
# Spent since 2011, by sub-programme and source: 7.130,5 in all; P1 (200,5 of 1.260: 15,9 %) is behind pace.
SPENT_CUMULATIVE = {
    "P1": {"KCQG": D("120.5"), "KCĐP": D("80"), "Khác": D("0")},
    "P2": {"KCQG": D("0"), "KCĐP": D("110"), "Khác": D("70")},
    "P3": {"KCQG": D("800"), "KCĐP": D("850"), "Khác": D("50")},
    "P4": {"KCQG": D("350"), "KCĐP": D("1500"), "Khác": D("900")},
    "P5": {"KCQG": D("0"), "KCĐP": D("420"), "Khác": D("180")},
    "P6": {"KCQG": D("1400"), "KCĐP": D("80"), "Khác": D("40")},
    "P7": {"KCQG": D("60"), "KCĐP": D("120"), "Khác": D("0")},
}
EXPECTED_SHARE = D("0.35")  # 21/60 months, an even spread
BEHIND = {"P1.1", "P3.1", "P4.1", "P1"}
# Funding by year: 2011 whole, 2012 to September (the rest of the cumulative figures above).
FUNDING_2011 = {"KCQG": D("1500"), "KCĐP": D("1800"), "Khác": D("700")}  # 4.000: 97,3 % of 4.112
PRIORITY = {2011: D("1200"), 2012: D("950")}  # 2.150 of 7.130,5 spent in the priority areas: 30,2 %
# Context indicators for the quarter, and production value (C3) by whole year with its growth.
CONTEXT = {"C1": (D("1250"), 2), "C2": (D("8430"), 2), "C3": (D("312450.5"), 3)}
GROWTH = ((2011, D("1150000"), None), (2012, D("1288000"), D("0.12")), (2013, D("1520000"), D("0.18")))

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
    return load_programmes(packaged_config())[0]


def issuer() -> Issuer:
    return load_recipients(packaged_config()).issuer


def titles() -> Titles:
    return load_recipients(packaged_config()).titles


def html_of(report: Consolidated, to: Recipient, number: int | None = None) -> str:
    """The recipient's page, as the report stage renders it."""
    return render_html(build_document(report, to, issuer(), titles(), number))


def pdf_of(report: Consolidated, to: Recipient, path: Path, number: int | None = None) -> Path:
    """The recipient's PDF, written to `path`."""
    return render_pdf(build_document(report, to, issuer(), titles(), number), path)


def xlsx_of(
    report: Consolidated, to: Recipient, path: Path, number: int | None = None, provenance: pd.DataFrame | None = None
) -> Path:
    """The recipient's workbook, written to `path` (`provenance` fills DuLieu for recipients with data_sheet)."""
    return write_workbook(build_document(report, to, issuer(), titles(), number, values=provenance), path)


def recipient(code: str) -> Recipient:
    return next(r for r in load_recipients(packaged_config()).recipients if r.code == code)


def _unit_status(code: str, name: str, priority: bool) -> UnitStatus:
    """Lộc Ninh sent nothing; Bù Đăng sent July (late) and September but not August; the others sent the quarter."""
    if code in MISSING:
        return UnitStatus(code, name, priority, 3, 0, 0, ("2012-07", "2012-08", "2012-09"), (), None)
    if code == "bu-dang":
        files = ("bu-dang-2012-07.xlsx", "bu-dang-2012-09.xlsx")
        return UnitStatus(
            code, name, priority, 3, 2, 1, ("2012-08",), files, datetime(2012, 10, 3, 9, 30), ("bu-dang-2012-07.xlsx",)
        )
    return UnitStatus(code, name, priority, 3, 3, 3, (), (f"{code}-2012-Q3.xlsx",), datetime(2012, 10, 3, 9, 30))


# Đồng Xoài's quarter replaced its July report and changed three figures; the centre's matched its months.
RECONCILIATIONS = (
    Reconciliation(
        "dong-xoai",
        "2012-Q3",
        "dong-xoai-2012-Q3.xlsx",
        ("dong-xoai-2012-07.xlsx",),
        1,
        3,
        (
            Difference("budget", "P1", "KCQG", D("9"), D("20.1")),
            Difference("indicator", "P1.2", "", D("4"), D("10")),
            Difference("budget", "P4", "Khác", D("0"), D("15")),
        ),
    ),
    Reconciliation(
        "ttkc",
        "2012-Q3",
        "ttkc-2012-Q3.xlsx",
        ("ttkc-2012-07.xlsx", "ttkc-2012-08.xlsx", "ttkc-2012-09.xlsx"),
        3,
        3,
        (),
    ),
)


def _pace(indicators: tuple[IndicatorRow, ...], budget: tuple[BudgetRow, ...]) -> tuple[Pace, ...]:
    basis, margin = "chia đều theo thời gian", D("0.10")
    return (
        *(
            Pace("indicator", i.code, i.name, i.unit, i.cumulative, i.target, EXPECTED_SHARE, basis, margin)
            for i in indicators
        ),
        *(
            Pace(
                "budget",
                b.subprogramme,
                b.name,
                "triệu đồng",
                b.cumulative_total,
                b.budget_total,
                EXPECTED_SHARE,
                basis,
                margin,
            )
            for b in budget
        ),
    )


def _funding(prog: Programme) -> Funding:
    cumulative = {s: sum((SPENT_CUMULATIVE[sp][s] for sp in SPENT_CUMULATIVE), D(0)) for s in prog.source_codes}
    years = (
        FundingYear(2011, 12, dict(FUNDING_2011), PRIORITY[2011]),
        FundingYear(2012, 9, {s: cumulative[s] - FUNDING_2011[s] for s in prog.source_codes}, PRIORITY[2012]),
    )
    return Funding(years, dict(prog.budget.by_source), D("4112"))


def _context(prog: Programme) -> tuple[ContextRow, ...]:
    assert prog.context is not None
    return tuple(
        ContextRow(i.code, i.name, i.unit, i.kind, CONTEXT[i.code][0], CONTEXT[i.code][1], 3)
        for i in prog.context.indicators
    )


def _unit_row(code: str, name: str, index: int) -> UnitRow:
    results = {c: D(0) for c in programme().indicators}
    results["P1.2"] = D("30") if index == 0 else D("15") if index == 1 else D(0)
    results["P4.3"] = D(index + 1)
    spending = {s: D(0) for s in programme().source_codes}
    spending["KCQG"] = D("10.28") if index < 2 else D(0)
    return UnitRow(code, name, results, spending)


def _cumulative(code: str, target: Decimal) -> Decimal:
    return CUMULATIVE.get(code, (target * D("0.4")).quantize(D(1), rounding=ROUND_HALF_UP))


def sample_report(unit_count: int = 4, **changes: object) -> Consolidated:
    """The sample report for 2012-Q3 with the first `unit_count` units; `changes` replace fields.

    Growth is shown for 2011-2013 (three whole years, which a 2012-Q3 report would not have yet) so that the
    growth table has figures to show: 2012 +12,0 % (below the 15 % objective), 2013 +18,0 %.
    Replacing `units` replaces the completeness rows too (unless `completeness` is given)."""
    prog = programme()
    indicators = tuple(
        IndicatorRow(
            sp.code, i.code, i.name, i.unit, IN_PERIOD.get(i.code, D(0)), _cumulative(i.code, i.target), i.target
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
    period = quarter(2012, 3)
    report = Consolidated(
        programme=prog,
        period=period,
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
        completeness=Completeness(period.code, statuses),
        reconciliations=RECONCILIATIONS,
        pace=_pace(indicators, budget),
        funding=_funding(prog),
        context=_context(prog),
        growth=tuple(GrowthYear(y, v, 10, 10, g) for y, v, g in GROWTH),
    )
    if "units" in changes and "completeness" not in changes:
        changes["completeness"] = Completeness(period.code, changes["units"])  # type: ignore[arg-type]
    return replace(report, **changes) if changes else report


def unit_result(i: int, j: int) -> Decimal:
    """Unit i's (1, 2, …) result for the programme's j-th indicator (0, 1, …) in many_units_report: 0 to 6."""
    return D((i * (j + 1)) % 7)


def unit_spending(i: int) -> dict[str, Decimal]:
    """Unit i's spending by source in many_units_report."""
    return {"KCQG": D(i) / 10, "KCĐP": D(i % 5), "Khác": D(0)}


def many_units_report(count: int, notes: int = 0) -> Consolidated:
    """The sample report with `count` units "huyện Số 0001" … (more than a province's): unit i's results are
    unit_result(i, j), its spending unit_spending(i); every 7th unit missed August (and sent nothing else
    late); the first `notes` units each sent one note. The province's figures are the units' sums."""
    prog = programme()
    codes = list(prog.indicators)
    rows, statuses = [], []
    for i in range(1, count + 1):
        code, name = f"u{i:04d}", f"huyện Số {i:04d}"
        rows.append(UnitRow(code, name, {c: unit_result(i, j) for j, c in enumerate(codes)}, unit_spending(i)))
        if i % 7:
            statuses.append(
                UnitStatus(code, name, i % 3 == 0, 3, 3, 3, (), (f"{code}-2012-Q3.xlsx",), datetime(2012, 10, 3, 9, 30))
            )
        else:
            statuses.append(
                UnitStatus(
                    code,
                    name,
                    i % 3 == 0,
                    3,
                    2,
                    2,
                    ("2012-08",),
                    (f"{code}-2012-07.xlsx", f"{code}-2012-09.xlsx"),
                    datetime(2012, 10, 3),
                )
            )
    report = sample_report()
    indicators = tuple(replace(r, in_period=sum((u.results[r.code] for u in rows), D(0))) for r in report.indicators)
    return replace(
        report,
        indicators=indicators,
        by_unit=tuple(rows),
        units=tuple(statuses),
        completeness=Completeness(report.period.code, tuple(statuses)),
        reconciliations=(),
        notes=tuple(Note(f"huyện Số {i:04d}", "2012-09", f"Ý kiến số {i}.") for i in range(1, notes + 1)),
    )
