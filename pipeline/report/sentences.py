"""The report's Vietnamese sentences, written from the figures: section I's results by sub-programme, funding,
the national funds, how the units reported, reconciliations, pace, growth, and the legends under the tables.
Every function returns finished text (NFC, Vietnamese number format, "%" kept on its number's line).

Sentences name at most NAMED_MAX units (named: "… và 287 đơn vị khác"); an officer's note on the PDF page is
cut to NOTE_CHARS characters (its full text is in the Excel workbook, sheet YKien).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from pipeline.aggregating import ZERO, BudgetRow, Consolidated, IndicatorRow
from pipeline.completeness import UnitStatus
from pipeline.formatting import number, percent
from pipeline.periods import Kind, PeriodError, parse_period
from pipeline.progress import Pace
from pipeline.recipients import Recipient
from pipeline.report.numbering import excel_pointer
from pipeline.report.tables import (
    NAMED_MAX,
    NAMED_SHOWN,
    completeness_of,
    difference_subject,
    elapsed_months,
    indicator_groups,
    national_rows,
    needs_attention,
    pace_index,
    pace_margin,
    period_title,
    share_of,
    unit_names,
)
from pipeline.rollup import Difference, Reconciliation
from pipeline.text import officer_note, printable

FLAG = "\u25bc"  # ▼ marks a line behind pace or a year below the growth objective (legible in black and white)


def named(parts: Sequence[str], sep: str = ", ", noun: str = "đơn vị") -> str:
    """`parts` joined by `sep`; beyond NAMED_MAX of them, the first NAMED_SHOWN "và N <noun> khác"."""
    if len(parts) <= NAMED_MAX:
        return sep.join(parts)
    return f"{sep.join(parts[:NAMED_SHOWN])} và {len(parts) - NAMED_SHOWN} {noun} khác"


def coverage_note(report: Consolidated) -> str:
    """What the figures rest on, for the line next to them ("31/33 tháng-đơn vị …")."""
    c = report.completeness
    if c is None or not c.expected:
        return ""
    text = f"Số liệu tổng hợp từ {number(c.received)}/{number(c.expected)} tháng-đơn vị đã báo cáo"
    gaps = [f"{u.unit_name} ({u.coverage})" for u in c.rows if u.months_covered < u.months_expected]
    return text + (f"; chưa đủ: {named(gaps)}." if gaps else " (đủ).")


NOTE_CHARS = 600  # an officer's note on the PDF page: longer ones are cut, their full text is in the Excel


COARSER = {
    Kind.QUARTER: "báo cáo quý",
    Kind.HALF: "báo cáo 6 tháng",
    Kind.NINE_MONTHS: "báo cáo 9 tháng",
    Kind.YEAR: "báo cáo năm",
}


def month_list(codes: Sequence[str]) -> str:
    """("2012-07", "2012-08", "2012-09", "2013-02") -> "7-9/2012; 2/2013" (runs of months joined by a dash)."""
    by_year: dict[int, list[int]] = {}
    for code in codes:
        y, m = (int(x) for x in code.split("-"))
        by_year.setdefault(y, []).append(m)
    parts = []
    for y, months in by_year.items():
        runs: list[list[int]] = []
        for m in sorted(set(months)):
            if runs and m == runs[-1][-1] + 1:
                runs[-1].append(m)
            else:
                runs.append([m])
        text = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs)
        parts.append(f"{text}/{y}")
    return "; ".join(parts)


def unit_remark(u: UnitStatus) -> str:
    """The "Ghi chú" of a unit's completeness row: "chưa báo cáo", "thiếu 1 tháng", "trễ hạn"."""
    if not u.months_covered:
        if u.rejected_files and u.months_expected:
            return "đã gửi nhưng bị từ chối (" + "; ".join(u.rejected_files) + ")"
        return "chưa báo cáo" if u.months_expected else ""
    parts = []
    if u.months_covered < u.months_expected:
        parts.append(f"thiếu {u.months_expected - u.months_covered} tháng")
    if u.late_files:
        parts.append("trễ hạn")
    if u.rejected_files:
        parts.append(f"có {len(u.rejected_files)} tệp bị từ chối")
    return "; ".join(parts)


def reporting_left_out(report: Consolidated, recipient: Recipient) -> str:
    """What appendix "reporting" leaves out beyond the recipient's max_units_listed ("" when it lists every
    unit), and where every unit is found."""
    rows = completeness_of(report).rows
    limit = recipient.max_units_listed
    if len(rows) <= limit:
        return ""
    attention = [u for u in rows if needs_attention(u)]
    n, k = number(len(rows)), number(len(attention))
    text = f"Báo cáo tổng hợp từ {n} đơn vị, nhiều hơn {number(limit)} đơn vị: "
    if not attention:
        text += "tất cả đã báo cáo đủ số tháng và đúng hạn, bảng chỉ có dòng Cộng"
    elif len(attention) <= limit:
        text += (
            f"bảng chỉ liệt kê {k}/{n} đơn vị chưa báo cáo đủ số tháng hoặc trễ hạn (số thứ tự theo danh sách đầy đủ)"
        )
    else:
        text += (
            f"bảng chỉ liệt kê {number(limit)} đơn vị đầu tiên trong số {k}/{n} đơn vị chưa báo cáo đủ số "
            "tháng hoặc trễ hạn (số thứ tự theo danh sách đầy đủ)"
        )
    if attention and len(attention) < len(rows):
        text += f"; {number(len(rows) - len(attention))} đơn vị còn lại đã báo cáo đủ số tháng và đúng hạn"
    return text + (
        f". Dòng Cộng tính cho cả {n} đơn vị. Tình hình báo cáo của từng đơn vị: "
        f"{excel_pointer(report, recipient, 'reporting')}."
    )


def completeness_summary(report: Consolidated) -> str:
    """ "Đã nhận báo cáo cho 31/33 tháng-đơn vị (93,9 %), trong đó 29 tháng-đơn vị đúng hạn (87,9 %) …" """
    c = completeness_of(report)
    if not c.expected:
        return "Không có đơn vị nào phải báo cáo trong kỳ."
    expected = number(c.expected)
    text = (
        f"Đã nhận báo cáo cho {number(c.received)}/{expected} tháng-đơn vị ({percent(c.rate)}), trong đó "
        f"{number(c.on_time)}/{expected} tháng-đơn vị đúng hạn ({percent(c.on_time_rate)}) và {number(c.late)} "
        "tháng-đơn vị trễ hạn"
    )
    extra = []
    if c.missing_units:
        extra.append(f"{number(len(c.missing_units))} đơn vị chưa báo cáo")
    if c.partial_units:
        extra.append(f"{number(len(c.partial_units))} đơn vị báo cáo chưa đủ số tháng")
    return text + (f"; {', '.join(extra)}." if extra else ".")


def _coarser_kind(code: str) -> str:
    try:
        return COARSER.get(parse_period(code).kind, "báo cáo nhiều tháng")
    except PeriodError:
        return "báo cáo nhiều tháng"


def _finer_words(code: str) -> str:
    return "tổng các tháng" if _coarser_kind(code) == "báo cáo quý" else "tổng các kỳ ngắn hơn"


def signed(value: Decimal) -> str:
    """+2; -1,5; 0"""
    return f"+{number(value)}" if value > 0 else number(value)


def _difference_text(report: Consolidated, d: Difference, words: str) -> str:
    name, unit = difference_subject(report, d)
    unit_text = f" {unit}" if unit else ""
    if d.kind == "indicator":
        what = f"{d.code} ({name})"
    else:
        what = f"kinh phí {d.code} ({name}) nguồn {d.source}" if d.source else f"kinh phí {d.code} ({name})"
    if d.level:
        words = "số cuối kỳ của báo cáo được thay thế kết thúc sau cùng"
    return f"{what} từ {number(d.finer_total)} ({words}) thành {number(d.coarser)}{unit_text} ({signed(d.change)})"


def reconciliation_note(report: Consolidated, r: Reconciliation) -> str:
    """ "Đồng Xoài, quý III năm 2012: báo cáo quý điều chỉnh P1.2 (…) từ 4 (tổng các tháng) thành 10 người (+6); …" """
    name = unit_names(report).get(r.unit_code, r.unit_code)
    name = name[:1].upper() + name[1:]  # it opens the sentence ("thị xã Phước Long" -> "Thị xã Phước Long")
    kind, words = _coarser_kind(r.period_code), _finer_words(r.period_code)
    head = f"{name}, {period_title(r.period_code)}: {kind} ({r.file_name}) được tính thay cho "
    head += f"{len(r.finer_files)} báo cáo đã gửi trước ({r.finer_months}/{r.months} tháng)"
    changes = "; ".join(_difference_text(report, d, words) for d in r.differences)
    return f"{head}, điều chỉnh {changes}."


def reconciliation_notes(report: Consolidated) -> list[str]:
    """Notes for the reconciliations that changed a figure."""
    return [reconciliation_note(report, r) for r in report.reconciliations if r.differences]


def reconciliation_summary(report: Consolidated, lead_in: bool = False) -> str:
    """How many coarser reports replaced finer ones, and how many matched them exactly ("" if none did).

    With `lead_in`, a sentence followed by the notes ends in "như sau:"."""
    recs = report.reconciliations
    if not recs:
        return ""
    kinds = {_coarser_kind(r.period_code) for r in recs}
    kind = kinds.pop() if len(kinds) == 1 else "báo cáo nhiều tháng"
    words = "tổng các tháng" if kind == "báo cáo quý" else "tổng các báo cáo được thay thế"
    matched = sum(1 for r in recs if not r.differences)
    changed = len(recs) - matched
    text = f"Có {len(recs)} {kind} được tính thay cho các báo cáo đã gửi trước trong cùng kỳ"
    if not changed:
        whose = "số liệu" if len(recs) == 1 else f"số liệu của cả {len(recs)} báo cáo"
        return text + f"; {whose} khớp đúng với {words}."
    if matched:
        text += f"; {matched} báo cáo khớp đúng với {words}, {changed} báo cáo có điều chỉnh"
    else:
        text += "; số liệu có điều chỉnh" if changed == 1 else f"; cả {changed} báo cáo đều có điều chỉnh"
    return text + (" như sau:" if lead_in else ".")


def straddling_note(report: Consolidated) -> str:
    """Why the cumulative figure before the period plus the period's figure may differ from the cumulative
    figure: reports counted in the cumulative figure that also cover months before the period ("" if none)."""
    if not report.straddling:
        return ""
    names = unit_names(report)
    items = [
        f"{names.get(s.unit_code, s.unit_code)}, {period_title(s.period_code)} (tệp {printable(s.file_name)})"
        for s in report.straddling
    ]
    many = len(items) > 1
    return (
        f"Số lũy kế đến hết {report.period.title} tính cả {number(len(items))} báo cáo gồm cả các tháng trước "
        f"kỳ này: {'; '.join(items)}. {'Các báo cáo này' if many else 'Báo cáo này'} không nằm trọn trong kỳ "
        "nên không được tính vào số liệu trong kỳ; vì vậy số lũy kế đến kỳ trước cộng số liệu trong kỳ có thể "
        "khác số lũy kế đến hết kỳ."
    )


def reconciliation_heading(report: Consolidated) -> str:
    kinds = {_coarser_kind(r.period_code) for r in report.reconciliations}
    return "Điều chỉnh theo báo cáo quý" if kinds == {"báo cáo quý"} else "Điều chỉnh theo báo cáo nhiều tháng"


def pace_legend(report: Consolidated) -> str:
    """What the "Tiến độ yêu cầu" column and the flag mean."""
    done, total = elapsed_months(report)
    bases = {p.basis for p in report.pace}
    margin = number(pace_margin(report) * 100)
    text = f"Tiến độ yêu cầu: tỷ lệ mục tiêu giai đoạn phải đạt đến hết {_period_end_title(report)}, "
    if bases == {"kế hoạch năm"}:
        text += "theo kế hoạch năm"
    elif "kế hoạch năm" in bases:
        text += f"theo kế hoạch năm nếu có, nếu không thì chia đều theo thời gian ({done}/{total} tháng)"
    else:
        text += f"chia đều mục tiêu theo thời gian ({done}/{total} tháng = {percent(Decimal(done) / total)})"
    return text + f". {FLAG} Chậm tiến độ: tỷ lệ đạt thấp hơn tiến độ yêu cầu trên {margin} điểm phần trăm."


def _period_end_title(report: Consolidated) -> str:
    y, m = report.period.last
    return f"tháng {m} năm {y}"


def behind_lines(report: Consolidated, kind: str) -> list[str]:
    """One line per indicator (kind "indicator") or budget line ("budget") behind pace."""
    out = []
    for p in report.behind_pace:
        if p.kind != kind:
            continue
        gap = number(-(p.gap or ZERO) * 100, 1)
        verb = "lũy kế" if kind == "indicator" else "đã thực hiện"
        out.append(
            f"{p.code} {p.name}: {verb} {number(p.achieved)}/{number(p.target)} {p.unit}, đạt "
            f"{percent(p.share)}, tiến độ yêu cầu {percent(p.expected_share)} (chậm {gap} điểm phần trăm)."
        )
    return out


def funding_note(report: Consolidated) -> str:
    """The sentence on the share spent in the priority areas (seed, Điều 2)."""
    f = report.funding
    if f is None or not f.years:
        return ""
    spent = sum((y.priority for y in f.years), ZERO)
    names = [u.unit_name for u in completeness_of(report).rows if u.priority]
    where = f"các địa bàn ưu tiên ({named(names)})" if names else "các địa bàn ưu tiên"
    if f.priority_share is None:
        return f"Chưa có kinh phí thực hiện để tính tỷ lệ tại {where}."
    return (
        f"Lũy kế từ đầu Chương trình đến hết {_period_end_title(report)}, kinh phí thực hiện tại {where} là "
        f"{number(spent)} {report.programme.money_unit}, chiếm {percent(f.priority_share)} tổng kinh phí "
        "đã thực hiện."
    )


def growth_objective(report: Consolidated) -> str:
    """ "mục tiêu tăng bình quân 15-20 %/năm" """
    g = report.programme.growth
    if g is None:
        return ""
    return f"mục tiêu tăng bình quân {number(g.low * 100)}-{number(g.high * 100)} %/năm"


def keep_percent(text: str) -> str:
    """Sentences: keep "%" on the line of its number ("36,7 %" never breaks before the sign)."""
    return text.replace(" %", "\u00a0%")


@dataclass(frozen=True)
class ResultSection:
    """A sub-programme's results in sentences: one line per indicator, then its funding."""

    code: str
    name: str
    lines: tuple[str, ...]
    budget_line: str


def _contributors(report: Consolidated, code: str) -> str:
    """ "Bù Đăng 30, Đồng Xoài 15" — the units that did something for indicator `code` in the period; beyond
    NAMED_MAX units, the NAMED_SHOWN largest "và 287 đơn vị khác cộng 1.234" (the parts add up to the figure)."""
    units = [(u.unit_name, u.results[code]) for u in report.by_unit if u.results.get(code)]
    if len(units) <= NAMED_MAX:
        return ", ".join(f"{name} {number(v)}" for name, v in units)
    largest = sorted(units, key=lambda u: u[1], reverse=True)  # stable: equal figures keep the units' order
    shown, rest = largest[:NAMED_SHOWN], largest[NAMED_SHOWN:]
    listed = ", ".join(f"{name} {number(v)}" for name, v in shown)
    return f"{listed} và {len(rest)} đơn vị khác cộng {number(sum((v for _, v in rest), ZERO))}"


def indicator_sentence(report: Consolidated, row: IndicatorRow, p: Pace | None, by_unit: bool = False) -> str:
    """ "Đào tạo mới 45 lao động (huyện Bù Đăng 30, …); lũy kế 180/300 lao động, đạt 60,0 % kế hoạch giai
    đoạn." - from the indicator's phrase in the programme file when it has one, else "<name>: trong kỳ thực
    hiện 45 người; …" (with who did it when `by_unit`, and the pace when behind or done)."""
    indicator = report.programme.indicators.get(row.code)
    phrase = indicator.phrase if indicator is not None else None
    noun = (indicator.noun if indicator is not None else None) or row.unit
    unit = f" {row.unit}" if row.unit else ""
    who = _contributors(report, row.code) if by_unit and row.in_period else ""
    if row.in_period and phrase:
        now = phrase.replace("{n}", number(row.in_period)) + (f" ({who})" if who else "")
    elif row.in_period:
        now = f"{row.name}: trong kỳ thực hiện {number(row.in_period)}{unit}" + (f" ({who})" if who else "")
    else:
        now = f"{row.name}: trong kỳ chưa thực hiện"
    if row.target:
        total = f"lũy kế {number(row.cumulative)}/{number(row.target)} {noun}, "
        total += f"đạt {percent(row.share)} kế hoạch giai đoạn"
        if p is not None and p.behind:
            total += f", chậm tiến độ (tiến độ yêu cầu {percent(p.expected_share)})"
        elif row.share is not None and row.share >= 1:
            total += ", đã hoàn thành kế hoạch giai đoạn"
    else:
        total = f"lũy kế {number(row.cumulative)} {noun}"
    return keep_percent(f"{now}; {total}.")


def budget_sentence(report: Consolidated, b: BudgetRow, p: Pace | None) -> str:
    """ "Kinh phí: trong kỳ 35,56 triệu đồng (KCQG 20,56; KCĐP 15); lũy kế 200,5/1.260 triệu đồng, đạt 15,9 %
    kế hoạch giai đoạn." """
    money = report.programme.money_unit
    if b.in_period_total:
        parts = "; ".join(f"{s} {number(v)}" for s, v in b.in_period.items() if v)
        now = f"trong kỳ {number(b.in_period_total)} {money} ({parts})"
    else:
        now = "trong kỳ chưa phát sinh"
    total = f"lũy kế {number(b.cumulative_total)}/{number(b.budget_total)} {money}"
    if b.share is not None:
        total += f", đạt {percent(b.share)} kế hoạch giai đoạn"
    if p is not None and p.behind:
        total += f", chậm tiến độ (tiến độ yêu cầu {percent(p.expected_share)})"
    return keep_percent(f"Kinh phí thực hiện: {now}; {total}.")


def result_sections(report: Consolidated, recipient: Recipient) -> list[ResultSection]:
    paces = pace_index(report)
    budgets = {b.subprogramme: b for b in report.budget}
    out = []
    for group in indicator_groups(report):
        lines = tuple(
            indicator_sentence(report, r, paces.get(("indicator", r.code)), recipient.unit_detail) for r in group.rows
        )
        b = budgets.get(group.code)
        line = budget_sentence(report, b, paces.get(("budget", b.subprogramme))) if b else ""
        out.append(ResultSection(group.code, group.name, lines, line))
    return out


def results_summary(report: Consolidated) -> str:
    """The opening sentence of section I: how many targets are on pace, which are behind."""
    done, total = elapsed_months(report)
    targeted = [r for r in report.indicators if r.target]
    text = (
        f"Lũy kế từ đầu Chương trình đến hết {_period_end_title(report)} ({done}/{total} tháng của giai "
        f"đoạn), Chương trình có {len(targeted)} chỉ tiêu có mục tiêu giai đoạn"
    )
    if not report.pace:
        return text + "."
    behind = [p.code for p in report.behind_pace if p.kind == "indicator"]
    finished = [r.code for r in targeted if r.share is not None and r.share >= 1]
    text += f", trong đó {len(targeted) - len(behind)} chỉ tiêu đạt tiến độ yêu cầu"
    if finished:
        text += f" ({len(finished)} chỉ tiêu đã hoàn thành kế hoạch giai đoạn)"
    if behind:
        text += f" và {len(behind)} chỉ tiêu chậm tiến độ ({', '.join(behind)})"
    return text + "."


def funding_summary(report: Consolidated) -> list[str]:
    """Sentences on spending in the period and since the programme began, by source."""
    t, money = report.budget_totals, report.programme.money_unit
    names = {s.code: s.name for s in report.programme.sources}
    if t.in_period_total:
        parts = ", ".join(f"{names.get(s, s)} ({s}) {number(v)} {money}" for s, v in t.in_period.items() if v)
        first = f"Kinh phí thực hiện trong kỳ là {number(t.in_period_total)} {money}, gồm: {parts}."
    else:
        first = "Trong kỳ chưa phát sinh kinh phí thực hiện."
    by_source = "; ".join(
        f"{s} {number(t.cumulative[s])}/{number(t.budget[s])} {money} "
        f"({percent(share_of(t.cumulative[s], t.budget[s]))})"
        for s in report.programme.source_codes
    )
    second = (
        f"Lũy kế từ đầu Chương trình đến hết {_period_end_title(report)}, kinh phí thực hiện là "
        f"{number(t.cumulative_total)}/{number(t.budget_total)} {money}, đạt {percent(t.share)} kế hoạch "
        f"giai đoạn; theo nguồn: {by_source}."
    )
    return [keep_percent(first), keep_percent(second)]


def national_summary(report: Consolidated) -> str:
    """The paragraph on the national funds for the Bộ Công Thương."""
    national = report.programme.national_source
    if national is None:
        return ""
    rows = national_rows(report)
    t, money = rows[-1], report.programme.money_unit
    used = [f"{r.code} {number(r.in_period)} {money}" for r in rows[:-1] if r.in_period]
    text = (
        f"Kinh phí khuyến công quốc gia ({national}) của Chương trình giai đoạn là {number(t.budget)} {money}. "
        f"Trong kỳ đã sử dụng {number(t.in_period)} {money}"
    )
    text += f" ({'; '.join(used)})" if used else ""
    text += (
        f"; lũy kế từ đầu Chương trình {number(t.cumulative)} {money}, đạt {percent(t.share)} kế hoạch "
        f"giai đoạn và chiếm {percent(t.weight)} tổng kinh phí đã thực hiện."
    )
    return keep_percent(text)


def reporting_sentences(report: Consolidated) -> list[str]:
    """Completeness, then the units missing, short of months or late, by name."""
    c = completeness_of(report)
    out = [
        f"{number(len(report.reporting_units))}/{number(len(report.units))} đơn vị đã báo cáo. "
        f"{completeness_summary(report)}"
    ]
    missing = report.missing_units
    rejected = report.rejected_units
    if missing:
        out.append(f"Các đơn vị chưa báo cáo: {named([u.unit_name for u in missing])}.")
    if rejected:
        out.append(
            "Các đơn vị đã gửi báo cáo nhưng báo cáo bị từ chối (chưa gửi lại bản đạt yêu cầu): "
            + named([f"{u.unit_name} ({'; '.join(u.rejected_files)})" for u in rejected], "; ")
            + "."
        )
    if not missing and not rejected:
        out.append("Tất cả các đơn vị đã báo cáo.")
    partial = [u for u in c.partial_units if u.reported]
    if partial:
        out.append(
            "Các đơn vị báo cáo chưa đủ số tháng: "
            + named([f"{u.unit_name} (thiếu {month_list(u.missing_months)})" for u in partial], "; ")
            + "."
        )
    late = [u for u in c.rows if u.late_files]
    if late:  # beyond a province's units, how many files each rather than their names
        few = len(late) <= NAMED_MAX
        parts = [
            f"{u.unit_name} ({', '.join(u.late_files) if few else f'{number(len(u.late_files))} tệp'})" for u in late
        ]
        out.append(f"Các đơn vị nộp báo cáo trễ hạn: {named(parts, '; ')}.")
    if report.rejected:
        out.append(f"Có {number(len(report.rejected))} tệp bị từ chối, xem biên nhận.")
    return [keep_percent(x) for x in out]


def note_text(text: str) -> str:
    """An officer's note as the PDF shows it: printable, at most NOTE_CHARS characters."""
    shown, cut = officer_note(text, NOTE_CHARS)
    return shown + " (toàn văn trong tệp Excel, sheet YKien)" if cut else shown
