"""Build one recipient's Document from the consolidated record: build_document(report, recipient, issuer,
titles, number) -> model.Document. The only place that decides what a copy says and in which order: the
header, sections I, II … from the recipient's list (tasks only when there is a next period in the programme
and tasks for it), the closing, Nơi nhận and signer, then the appendices numbered in the recipient's order.

What every recipient's copy shows alike (charts, sentences) is made once per report by common(report) and may
be passed to build_document for each recipient. The titles come from the recipients file (recipients.Titles),
the national source from the programme file; nothing here reads configuration. The Excel workbook's sheets
are pipeline.report.sheets'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pandas as pd

from pipeline.aggregating import Consolidated, Note
from pipeline.assessment import Assessment
from pipeline.assessment import Block as OwnBlock
from pipeline.formatting import long_date, number, percent, short_date
from pipeline.periods import Period, next_period
from pipeline.recipients import Issuer, Recipient, Titles
from pipeline.recipients import Signer as SignerConfig
from pipeline.report import sentences as say
from pipeline.report.model import (
    FLAG,
    Appendix,
    Block,
    Cell,
    Chart,
    Document,
    Header,
    Heading,
    Paragraph,
    ParagraphStyle,
    Properties,
    Row,
    Run,
    Section,
    Signer,
    Table,
    paragraph,
)
from pipeline.report.numbering import ROMAN, appendix_numbers, attachment_line, cite, excel_file_sheet, excel_pointer
from pipeline.report.sheets import sheets
from pipeline.report.tables import (
    budget_total_expected,
    by_unit_layout,
    by_unit_tables,
    by_unit_totals,
    completeness_of,
    funding_svg,
    growth_below,
    indicator_groups,
    national_rows,
    pace_index,
    period_title,
    progress_svg,
    reporting_rows,
    share_of,
    shown_notes,
    task_groups,
    unit_column_groups,
    unit_summary,
    year_label,
)
from pipeline.text import nfc

LANDSCAPE = ("funding", "units")  # appendices on landscape pages


@dataclass(frozen=True)
class Common:
    """What every recipient's copy shows alike, made once per report."""

    progress_chart: str
    funding_chart: str
    results_summary: str
    coverage: str
    pace_legend: str
    funding_summary: tuple[str, ...]
    behind_budget: tuple[str, ...]
    funding_note: str
    growth_objective: str
    reporting_sentences: tuple[str, ...]
    reconciliation_heading: str
    reconciliation_summary: str
    reconciliation_notes: tuple[str, ...]
    reconciliations_left_out: int
    straddling_note: str
    notes: tuple[Note, ...]
    notes_left_out: int
    next_period: Period | None
    tasks: tuple[tuple[str, str, tuple[str, ...]], ...]


def common(report: Consolidated) -> Common:
    notes, notes_left_out = shown_notes(report.notes, len({n.unit_name for n in report.notes}))
    changed = [r for r in report.reconciliations if r.differences]
    rec_notes, rec_left_out = shown_notes(say.reconciliation_notes(report), len({r.unit_code for r in changed}))
    return Common(
        progress_chart=progress_svg(report),
        funding_chart=funding_svg(report),
        results_summary=say.keep_percent(say.results_summary(report)),
        coverage=say.coverage_note(report),
        pace_legend=say.keep_percent(say.pace_legend(report)) if report.pace else "",
        funding_summary=tuple(say.funding_summary(report)),
        behind_budget=tuple(say.keep_percent(x) for x in say.behind_lines(report, "budget")),
        funding_note=say.keep_percent(say.funding_note(report)),
        growth_objective=say.keep_percent(say.growth_objective(report)),
        reporting_sentences=tuple(say.reporting_sentences(report)),
        reconciliation_heading=say.reconciliation_heading(report),
        reconciliation_summary=say.reconciliation_summary(report, lead_in=True),
        reconciliation_notes=tuple(say.keep_percent(n) for n in rec_notes),
        reconciliations_left_out=rec_left_out,
        straddling_note=say.straddling_note(report),
        notes=tuple(notes),
        notes_left_out=notes_left_out,
        next_period=next_period(report.period, report.programme.last_year),
        tasks=tuple(task_groups(report)),
    )


def build_document(
    report: Consolidated,
    recipient: Recipient,
    issuer: Issuer,
    titles: Titles,
    number: int | None = None,
    shared: Common | None = None,
    values: pd.DataFrame | None = None,
    assessment: Assessment | None = None,
) -> Document:
    """The recipient's copy. `number` is the document's number ("Số: 05/BC-SCT"; None leaves it blank for the
    office to fill in); `shared` is common(report), when it is already made (for another recipient); `values`
    (pipeline.export.provenance) fills the workbook's data sheet for recipients with `data_sheet`; `assessment`
    is the office's own text (pipeline.assessment), each part at its place."""
    c = common(report) if shared is None else shared
    period = report.period.title
    own = assessment or Assessment(None, {})
    keys = [k for k in recipient.sections if k != "tasks" or (c.next_period is not None and c.tasks)]
    if "tasks" in recipient.sections and "tasks" not in keys and own.part("tasks"):
        keys.append("tasks")  # no programme task ahead, but the office wrote its own
    if own.part("general") or own.part("shortcomings"):
        keys.insert(keys.index("results") + 1 if "results" in keys else 0, "assessment")
    sections = []
    for numeral, key in zip(ROMAN, keys, strict=False):
        heading = f"{numeral}. {titles.section(key)}"
        if key == "tasks" and c.next_period is not None:
            heading += f" {c.next_period.title.upper()}"
        blocks = [] if key == "assessment" else list(SECTIONS[key](report, recipient, c))
        sections.append(Section(key, heading, (*blocks, *_own_text(key, own))))
    attachment = attachment_line(report, issuer, number)
    appendices = tuple(
        Appendix(
            key,
            no,
            titles.appendix(key),
            period[:1].upper() + period[1:],
            attachment,
            key in LANDSCAPE,
            tuple(APPENDICES[key](report, recipient, c)),
        )
        for key, no in appendix_numbers(recipient).items()
    )
    programme = report.programme
    return Document(
        properties=Properties(
            title=f"Báo cáo tình hình thực hiện Chương trình khuyến công {period}",
            author=f"{issuer.parent} - {issuer.name}",
            subject=recipient.salutation,
            keywords=f"khuyến công, {programme.code}, {report.period.code}, {recipient.code}",
            created=report.generated_on,
            recipient=recipient.name,
        ),
        header=Header(
            parent=issuer.parent,
            issuer=issuer.name,
            country="CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            motto="Độc lập - Tự do - Hạnh phúc",
            number=issuer.document_number(number),
            place_date=f"{issuer.place}, {long_date(report.generated_on)}",
        ),
        kind="BÁO CÁO",
        title=f"Tình hình thực hiện Chương trình khuyến công {period}",
        salutation=recipient.salutation,
        opening=_p(
            f"Thực hiện {programme.decision} phê duyệt {programme.name}; trên cơ sở báo cáo của các đơn vị, "
            f"{issuer.short_name} báo cáo tình hình thực hiện Chương trình khuyến công {period} như sau:"
        ),
        sections=tuple(sections),
        closing=_p(
            f"Trên đây là báo cáo tình hình thực hiện Chương trình khuyến công {period} của {issuer.short_name}, "
            f"kính báo cáo {recipient.name}./."
        ),
        copies_heading="Nơi nhận:",
        copies=tuple(nfc(x) for x in recipient.copy_lines),
        signer=_signer(recipient.signer or issuer.signer),
        appendices=appendices,
        sheets=sheets(report, recipient, issuer, titles, number, values, assessment),
    )


# --- helpers --------------------------------------------------------------------------------------------


def _signer(s: SignerConfig) -> Signer:
    return Signer(nfc(s.authority.strip()), nfc(s.title.strip()), nfc(" ".join(s.name.split())))


OWN_HEADINGS = {"general": "Kết quả đạt được", "shortcomings": "Tồn tại, hạn chế và nguyên nhân"}


def _own_text(key: str, own: Assessment) -> list[Block]:
    """The office's parts that go in section `key`: the assessment section holds "general" and "shortcomings"
    (under numbered headings when both are written), difficulties the "proposals", tasks the office's "tasks"."""
    if key == "assessment":
        parts = [p for p in ("general", "shortcomings") if own.part(p)]
        out: list[Block] = []
        for i, part in enumerate(parts, start=1):
            if len(parts) > 1 or part != "general":
                out.append(Heading(f"{i}. {OWN_HEADINGS[part]}" if len(parts) > 1 else OWN_HEADINGS[part]))
            out += [_own_paragraph(b) for b in own.part(part)]
        return out
    part = {"difficulties": "proposals", "tasks": "tasks"}.get(key)
    if part is None or not own.part(part):
        return []
    return [_own_paragraph(b) for b in own.part(part)]


def _own_paragraph(b: OwnBlock) -> Paragraph:
    """A paragraph or list item the office wrote: a bullet as "- ", a numbered item as "1. ", deeper items "+ "."""
    mark = ("+ " if b.depth else "- ") if b.bullet else f"{b.number}. " if b.number is not None else ""
    runs = [Run(nfc(r.text), strong=r.bold, italic=r.italic) for r in b.runs]
    if mark:
        runs.insert(0, Run(mark))
    return Paragraph(tuple(runs), "item" if mark else "body")


def _p(text: str, style: ParagraphStyle = "body") -> Paragraph:
    return paragraph(nfc(text), style)


def _t(value: str | Decimal | int | None, **kw: object) -> Cell:
    return Cell(nfc(value) if isinstance(value, str) else value, **kw)  # type: ignore[arg-type]


def _n(value: Decimal | int | None, **kw: object) -> Cell:
    return Cell(value, "number", **kw)  # type: ignore[arg-type]


def _s(value: Decimal | None, **kw: object) -> Cell:
    return Cell(value, "share", **kw)  # type: ignore[arg-type]


def _head(*cells: str | Cell, kind: str = "") -> Row:
    return Row(tuple(c if isinstance(c, Cell) else _t(c) for c in cells), kind)  # type: ignore[arg-type]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- body sections -------------------------------------------------------------------------------------------


def _results(report: Consolidated, recipient: Recipient, c: Common) -> list[Block]:
    out: list[Block] = [_p(cite(c.results_summary, recipient, "results"))]
    if c.coverage:
        out.append(_p(c.coverage, "coverage"))
    groups = say.result_sections(report, recipient)
    for i, s in enumerate(groups, start=1):
        out.append(Heading(nfc(f"{i}. {s.name}")))
        out += [_p(f"- {line}", "item") for line in s.lines]
        if s.budget_line:
            out.append(_p(f"- {s.budget_line}", "item"))
    if not groups:
        out.append(_p("Không có số liệu."))
    if c.progress_chart:
        y, m = report.period.last
        caption = f"Biểu đồ 1. Tỷ lệ thực hiện lũy kế so với mục tiêu giai đoạn (đến hết tháng {m} năm {y})"
        out.append(Chart(c.progress_chart, caption))
        if c.pace_legend:
            out.append(_p(c.pace_legend, "legend"))
    if report.context or report.growth:
        prog = report.programme
        name = prog.context.name if prog.context else "Chỉ tiêu chung về công nghiệp nông thôn"
        out.append(Heading(nfc(f"{len(groups) + 1}. {name}")))
        if report.context:
            out.append(_context_table(report))
            partial = any(x.units_reporting < x.units_expected for x in report.context)
            if any(x.value is None for x in report.context) or partial:
                out.append(
                    _p(
                        "Số liệu cộng từ các đơn vị đã báo cáo chỉ tiêu (số đơn vị báo cáo/số đơn vị phải báo cáo); "
                        'đơn vị chưa báo cáo không được tính là 0; "-": chưa có đơn vị nào báo cáo.',
                        "legend",
                    )
                )
        if prog.growth:
            out += _growth(report, c)
    return out


def _context_table(report: Consolidated) -> Table:
    body = tuple(
        Row(
            (
                _t(x.code, kind="code"),
                _t(x.name),
                _t(x.unit, kind="center"),
                _n(x.value),
                _t("tại thời điểm cuối kỳ" if x.kind == "level" else "cộng trong kỳ", kind="center"),
                _t(f"{x.units_reporting}/{x.units_expected}", kind="center"),
            )
        )
        for x in report.context
    )
    head = _head("Mã số", "Chỉ tiêu", "ĐVT", "Số liệu kỳ báo cáo", "Cách tính", "Số đơn vị báo cáo")
    return Table("context", ("code", "name", "unit", "num", "how", "count"), (head,), body)


def _growth(report: Consolidated, c: Common) -> list[Block]:
    growth = report.programme.growth
    assert growth is not None
    indicator = report.programme.indicators[growth.indicator]
    out: list[Block] = [_p(f"Tăng trưởng {indicator.name.lower()} ({c.growth_objective}):", "lead")]
    if not report.growth:
        return [*out, _p("Chưa có năm trọn vẹn để tính mức tăng.")]
    rows = []
    for g in report.growth:
        below = growth_below(report, g.growth)
        rows.append(
            Row(
                (
                    _t(str(g.year), sup="" if g.complete else "(*)"),
                    _n(g.value),
                    _s(g.growth, flag=below),
                    _t(f"{g.units_reporting}/{g.units_expected}", kind="center"),
                ),
                "behind" if below else "",
            )
        )
    head = _head("Năm", indicator.name, "Tăng so với năm trước", "Số đơn vị báo cáo")
    table = Table("growth", ("year", "num", "pct", "count"), (head,), tuple(rows), unit=f"ĐVT: {indicator.unit}")
    legend = f"{FLAG} Thấp hơn mục tiêu tăng {number(growth.low * 100)} %/năm. Chỉ so sánh các năm trọn vẹn." + (
        " (*) Năm chưa đủ đơn vị báo cáo, mức tăng chưa phản ánh đầy đủ."
        if any(not g.complete for g in report.growth)
        else ""
    )
    return [*out, table, _p(legend, "legend")]


def _funding(report: Consolidated, recipient: Recipient, c: Common) -> list[Block]:
    lines = c.funding_summary
    out: list[Block] = [
        _p(cite(line, recipient, "funding") if i == len(lines) - 1 else line) for i, line in enumerate(lines)
    ]
    if c.behind_budget:
        out.append(_p(f"Các chương trình chậm tiến độ giải ngân ({len(c.behind_budget)}):", "lead"))
        out += [_p(f"- {line}", "item") for line in c.behind_budget]
    if c.funding_chart:
        out.append(Chart(c.funding_chart, "Biểu đồ 2. Kinh phí thực hiện theo năm và nguồn vốn"))
        if report.funding and any(y.months < 12 for y in report.funding.years):
            out.append(_p("Năm chưa trọn vẹn: kinh phí đến hết tháng báo cáo, so với mức bình quân cả năm.", "legend"))
    if c.funding_note:
        out.append(_p(c.funding_note))
    national = say.national_summary(report) if recipient.kcqg_separate else ""
    if national:
        out.append(Heading("Sử dụng kinh phí khuyến công quốc gia"))
        out.append(_p(cite(national, recipient, "kcqg")))
    return out


def _reporting(report: Consolidated, recipient: Recipient, c: Common) -> list[Block]:
    out: list[Block] = [
        _p(cite(line, recipient, "reporting") if i == 0 else line) for i, line in enumerate(c.reporting_sentences)
    ]
    if c.reconciliation_summary:
        out.append(Heading(c.reconciliation_heading))
        out.append(_p(c.reconciliation_summary))
        out += [_p(f"- {note}", "reconciliation") for note in c.reconciliation_notes]
        if c.reconciliations_left_out:
            out.append(
                _p(
                    f"Ngoài ra còn {number(c.reconciliations_left_out)} báo cáo có điều chỉnh khác; chi tiết từng "
                    f"điều chỉnh tại {excel_file_sheet(report, recipient, 'DieuChinh')}."
                )
            )
    if c.straddling_note:
        out.append(_p(c.straddling_note))
    return out


def _difficulties(report: Consolidated, recipient: Recipient, c: Common) -> list[Block]:
    if not report.notes:
        return [_p("Không có ý kiến.")]
    out: list[Block] = [_p("Ý kiến của các đơn vị về khó khăn, vướng mắc và đề xuất, kiến nghị trong kỳ:")]
    for note in c.notes:
        who = f"{_sentence(note.unit_name)} ({period_title(note.period_code)}):"
        runs = (Run("- "), Run(nfc(who), strong=True), Run(nfc(" " + say.note_text(note.text))))
        out.append(Paragraph(runs, "note"))
    if c.notes_left_out:
        out.append(
            _p(
                f"Ngoài ra còn {number(c.notes_left_out)} ý kiến khác; toàn bộ {number(len(report.notes))} ý kiến "
                f"của các đơn vị tại {excel_file_sheet(report, recipient, 'YKien')}."
            )
        )
    return out


def _tasks(report: Consolidated, recipient: Recipient, c: Common) -> list[Block]:
    behind = [p.code for p in report.behind_pace if p.kind == "indicator"]
    lead = "Tiếp tục triển khai các nội dung của Chương trình"
    if behind:
        lead += f", tập trung các chỉ tiêu chậm tiến độ ({', '.join(behind)})"
    out: list[Block] = [_p(lead + ":")]
    for i, (_, name, tasks) in enumerate(c.tasks, start=1):
        out.append(_p(f"{i}. {name}", "task"))
        out += [_p(f"- {t}{'.' if j == len(tasks) - 1 else ';'}", "item") for j, t in enumerate(tasks)]
    return out


SECTIONS = {
    "results": _results,
    "funding": _funding,
    "reporting": _reporting,
    "difficulties": _difficulties,
    "tasks": _tasks,
}


# --- appendices ------------------------------------------------------------------------------------------------


def _results_appendix(report: Consolidated, recipient: Recipient, c: Common) -> list[Block]:
    paces = pace_index(report)
    head = (
        _head(
            "Mã số",
            "Chỉ tiêu",
            "ĐVT",
            "Thực hiện trong kỳ",
            _t("Lũy kế từ đầu chương trình", note=f"({report.cumulative_period.title})"),
            "Mục tiêu giai đoạn",
            "Tỷ lệ đạt",
            "Tiến độ yêu cầu",
        ),
        _head("(1)", "(2)", "(3)", "(4)", "(5)", "(6)", "(7)=(5)/(6)", "(8)", kind="colno"),
    )
    body: list[Row] = []
    groups = indicator_groups(report)
    for group in groups:
        body.append(Row((_t(group.code), _t(group.name, span=7)), "group"))
        for r in group.rows:
            p = paces.get(("indicator", r.code))
            behind = bool(p and p.behind)
            cells = (
                _t(r.code, kind="code"),
                _t(r.name),
                _t(r.unit, kind="center"),
                _n(r.in_period),
                _n(r.cumulative),
                _n(r.target),
                _s(r.share, flag=behind),
                _s(p.expected_share if p else None),
            )
            body.append(Row(cells, "behind" if behind else ""))
    if not groups:
        body.append(Row((_t("Không có số liệu.", kind="center", span=8),)))
    else:
        rows = [r for g in groups for r in g.rows]
        behind_codes = {p.code for p in report.behind_pace}
        n_behind = sum(1 for r in rows if r.code in behind_codes)
        text = f"Cộng: {len(rows)} chỉ tiêu"
        if report.pace:
            text += f", {len(rows) - n_behind} chỉ tiêu đạt tiến độ yêu cầu, {n_behind} chỉ tiêu chậm tiến độ"
        body.append(Row((_t(None), _t(text, span=7)), "total"))
    columns = ("code", "name", "unit", "num", "cum", "num", "pct", "pct")
    out: list[Block] = [Table("indicators", columns, head, tuple(body))]
    if c.coverage:
        out.append(_p(c.coverage, "coverage"))
    if c.pace_legend:
        out.append(_p(c.pace_legend, "legend"))
    return out


def _funding_appendix(report: Consolidated, recipient: Recipient, c: Common) -> list[Block]:
    prog, paces = report.programme, pace_index(report)
    sources, money = prog.sources, prog.money_unit
    codes = [s.code for s in sources]
    n = len(sources) + 1
    head = (
        _head(
            _t("Mã số", rows=2),
            _t("Nội dung", rows=2),
            _t("Kế hoạch giai đoạn", span=n),
            _t("Thực hiện trong kỳ", span=n),
            _t("Lũy kế từ đầu chương trình", span=n),
            _t("Tỷ lệ đạt", rows=2),
            _t("Tiến độ yêu cầu", rows=2),
        ),
        _head(*(["Tổng", *codes] * 3)),
    )

    def figures(b: object) -> list[Cell]:
        out = []
        for whole, part in (
            ("budget_total", "budget"),
            ("in_period_total", "in_period"),
            ("cumulative_total", "cumulative"),
        ):
            out.append(_n(getattr(b, whole)))
            out += [_n(getattr(b, part).get(code)) for code in codes]
        return out

    body: list[Row] = []
    for b in report.budget:
        p = paces.get(("budget", b.subprogramme))
        behind = bool(p and p.behind)
        cells = (
            _t(b.subprogramme, kind="code"),
            _t(b.name),
            *figures(b),
            _s(b.share, flag=behind),
            _s(p.expected_share if p else None),
        )
        body.append(Row(cells, "behind" if behind else ""))
    t = report.budget_totals
    total = (_t(None), _t(t.name), *figures(t), _s(t.share), _s(budget_total_expected(report)))
    body.append(Row(total, "total"))
    columns = ("stt", "bname", *(["money"] * (3 * n)), "pct", "pct")
    unit = f"ĐVT: {money}"
    budget = Table("budget", columns, head, tuple(body), "A. Kinh phí theo chương trình và nguồn vốn", unit)
    legend = "Nguồn kinh phí: " + "; ".join(f"{s.code} - {s.name}" for s in sources) + "."
    if c.pace_legend:
        no = appendix_numbers(recipient).get("results", "01")
        legend += f" Tỷ lệ đạt: lũy kế so với kế hoạch giai đoạn; tiến độ yêu cầu và dấu {FLAG}: như Phụ lục {no}."
    out: list[Block] = [budget, _p(legend, "legend")]
    f = report.funding
    if f and f.years:
        average = f.average_per_year
        head2 = _head(
            "Năm", *codes, "Cộng", f"So với bình quân {number(average)} {money}/năm", "Trong đó: địa bàn ưu tiên"
        )
        rows = [
            Row(
                (
                    _t(year_label(y)),
                    *(_n(y.by_source.get(code)) for code in codes),
                    _n(y.total),
                    _s(share_of(y.total, average)),
                    _n(y.priority),
                )
            )
            for y in f.years
        ]
        priority = sum((y.priority for y in f.years), Decimal(0))
        rows.append(
            Row(
                (
                    _t("Lũy kế"),
                    *(_n(f.cumulative.get(code)) for code in codes),
                    _n(f.cumulative_total),
                    _t(None),
                    _n(priority),
                ),
                "total",
            )
        )
        budget_total = sum(f.budget.values(), Decimal(0))
        rows.append(
            Row(
                (
                    _t("Kế hoạch giai đoạn"),
                    *(_n(f.budget.get(code)) for code in codes),
                    _n(budget_total),
                    _t(None),
                    _t(None),
                )
            )
        )
        rows.append(
            Row(
                (
                    _t("Tỷ lệ lũy kế so với kế hoạch"),
                    *(_s(share_of(f.cumulative.get(code, Decimal(0)), f.budget.get(code))) for code in codes),
                    _s(share_of(f.cumulative_total, budget_total)),
                    _t(None),
                    _t(None),
                )
            )
        )
        columns2 = ("year", *(["money"] * len(codes)), "money", "pct", "money")
        title = "B. Kinh phí theo năm và nguồn vốn"
        out.append(Table("funding", columns2, (head2,), tuple(rows), title, unit))
    return out


def _units_appendix(report: Consolidated, recipient: Recipient, c: Common) -> list[Block]:
    layout = by_unit_layout(report, recipient)
    units = report.by_unit
    coverage = f" {c.coverage}" if c.coverage else ""
    if layout == "rows":
        out: list[Block] = [
            _p(
                f"Kết quả thực hiện trong kỳ của {number(len(units))} đơn vị, mỗi đơn vị một dòng; dòng Cộng: tổng "
                f"các đơn vị.{coverage}",
                "legend",
            )
        ]
        for group in unit_column_groups(report.programme):
            head = (
                _head(
                    _t("STT", rows=2),
                    _t("Đơn vị", rows=2),
                    *(_t(h, span=span, role="group") for h, span in group.heads),
                ),
                _head(*(_t(col.label, note=f"({col.unit})", role="column") for col in group.columns)),
            )
            body = [
                Row((_t(str(i), kind="center"), _t(u.unit_name), *(_n(col.of(u)) for col in group.columns)))
                for i, u in enumerate(units, start=1)
            ]
            body.append(Row((_t(None), _t("Cộng"), *(_n(col.total(units)) for col in group.columns)), "total"))
            columns = ("stt", "uname", *([""] * len(group.columns)))
            out.append(Table("by-unit-rows", columns, head, tuple(body), group.title, keep_together=True))
        return out
    if layout == "summary":
        legend = (
            f"Báo cáo tổng hợp từ {number(len(units))} đơn vị, nhiều hơn {number(recipient.max_units_listed)} đơn "
            "vị: phụ lục này tóm tắt kết quả thực hiện trong kỳ theo chỉ tiêu (tổng các đơn vị, số đơn vị có kết "
            f"quả, đơn vị có kết quả cao nhất); kết quả của từng đơn vị tại "
            f"{excel_pointer(report, recipient, 'units')}.{coverage}"
        )
        head = (
            _head(
                _t("Mã số", rows=2),
                _t("Chỉ tiêu", rows=2),
                _t("ĐVT", rows=2),
                _t("Cộng các đơn vị", rows=2),
                _t("Số đơn vị có kết quả", rows=2),
                _t("Đơn vị có kết quả cao nhất", span=2),
            ),
            _head("Đơn vị", "Số liệu"),
        )
        body: list[Row] = []
        for heading, rows in unit_summary(report):
            body.append(Row((_t(heading, span=7),), "group"))
            for r in rows:
                top = r.top_name + (f" (và {number(r.top_ties)} đơn vị khác cùng mức)" if r.top_ties else "")
                cells = (
                    _t(r.column.code, kind="code"),
                    _t(r.column.name),
                    _t(r.column.unit, kind="center"),
                    _n(r.total),
                    _t(f"{number(r.units_with)}/{number(len(units))}", kind="center"),
                    _t(top),
                    _n(r.top_value),
                )
                body.append(Row(cells, "total" if r.column.kind == "spent" else ""))
        columns = ("code", "name", "unit", "num", "count", "top", "num")
        return [_p(legend, "legend"), Table("unit-summary", columns, head, tuple(body))]
    prog, money = report.programme, report.programme.money_unit
    out = [_p(f"Kết quả thực hiện trong kỳ theo từng đơn vị; kinh phí tính bằng {money}.{coverage}", "legend")]
    tables = by_unit_tables(units) if layout == "columns" else []
    totals = by_unit_totals(report)
    for table in tables:
        extra = 1 if table.with_total else 0
        width = len(table.units) + 2 + extra
        head = _head(
            "Mã số",
            "Chỉ tiêu",
            "ĐVT",
            *(_t(u.unit_name, role="unit") for u in table.units),
            *(["Cộng"] if table.with_total else []),
        )

        def line(
            first: Sequence[Cell], values: Sequence[Decimal | None], total: Decimal | None, with_total: bool
        ) -> tuple[Cell, ...]:
            return (*first, *(_n(v) for v in values), *([_n(total)] if with_total else []))

        body = []
        for sp in prog.subprogrammes:
            body.append(Row((_t(sp.code), _t(sp.name, span=width)), "group"))
            for ind in sp.indicators:
                first = (_t(ind.code, kind="code"), _t(ind.name), _t(ind.unit, kind="center"))
                values = [u.results.get(ind.code) for u in table.units]
                body.append(Row(line(first, values, totals["result_totals"].get(ind.code), table.with_total)))
        body.append(Row((_t(None), _t("Kinh phí thực hiện trong kỳ", span=width)), "group"))
        for s in prog.sources:
            first = (_t(s.code, kind="code"), _t(s.name), _t(money, kind="center"))
            values = [u.spending.get(s.code) for u in table.units]
            body.append(Row(line(first, values, totals["spending_totals"].get(s.code), table.with_total)))
        first = (_t(None), _t("Tổng kinh phí"), _t(money, kind="center"))
        values = [u.spending_total for u in table.units]
        body.append(Row(line(first, values, totals["spending_grand_total"], table.with_total), "total"))
        columns = ("code", "name", "unit", *([""] * len(table.units)), *(["total"] if table.with_total else []))
        out.append(Table("by-unit", columns, (head,), tuple(body)))
    if not tables:
        out.append(_p("Chưa có đơn vị nào báo cáo số liệu trong kỳ."))
    return out


def _national_appendix(report: Consolidated, recipient: Recipient, c: Common) -> list[Block]:
    code = report.programme.national_source or ""
    head = (
        _head(
            "Mã số",
            "Chương trình",
            f"Kế hoạch giai đoạn ({code})",
            "Thực hiện trong kỳ",
            "Lũy kế từ đầu chương trình",
            "Tỷ lệ đạt",
            "Tỷ trọng trong tổng kinh phí đã thực hiện",
        ),
        _head("(1)", "(2)", "(3)", "(4)", "(5)", "(6)=(5)/(3)", "(7)", kind="colno"),
    )
    rows = national_rows(report) if recipient.kcqg_separate else []
    body = tuple(
        Row(
            (
                _t(r.code, kind="code"),
                _t(r.name),
                _n(r.budget),
                _n(r.in_period),
                _n(r.cumulative),
                _s(r.share),
                _s(r.weight),
            ),
            "" if r.code else "total",
        )
        for r in rows
    )
    columns = ("code", "name", "money", "money", "money", "pct", "pct")
    unit = f"ĐVT: {report.programme.money_unit}"
    legend = (
        "Tỷ trọng: kinh phí khuyến công quốc gia lũy kế so với tổng kinh phí lũy kế đã thực hiện của chương trình "
        "(mọi nguồn)."
    )
    return [Table("national", columns, head, body, unit=unit), _p(legend, "legend")]


def _reporting_appendix(report: Consolidated, recipient: Recipient, c: Common) -> list[Block]:
    wide = recipient.unit_detail
    done = completeness_of(report)
    left_out = say.reporting_left_out(report, recipient)
    out: list[Block] = [_p(left_out, "legend")] if left_out else []
    head = (
        _head(
            _t("STT", rows=2),
            _t("Đơn vị", rows=2),
            _t("Số tháng báo cáo", span=4),
            _t("Tháng chưa báo cáo", rows=2),
            *([_t("Ngày nhận gần nhất", rows=2)] if wide else []),
            _t("Ghi chú", rows=2),
        ),
        _head("Phải báo cáo", "Đã nhận", "Đúng hạn", "Trễ hạn"),
    )
    rows = reporting_rows(report, recipient)
    body = []
    for no, u in rows:
        last = u.last_received.date() if isinstance(u.last_received, datetime) else u.last_received
        cells = (
            _t(str(no), kind="center"),
            _t(u.unit_name, sup="(*)" if u.priority else ""),
            _n(u.months_expected),
            _n(u.months_covered),
            _n(u.months_on_time),
            _n(u.months_late),
            _t(say.month_list(u.missing_months), kind="center"),
            *([_t(short_date(last), kind="center")] if wide else []),
            _t(say.unit_remark(u), kind="center"),
        )
        body.append(Row(cells))
    total = (
        _t(None),
        _t("Cộng", note="Tỷ lệ so với số tháng phải báo cáo"),
        _n(done.expected, note="\u00a0"),
        _n(done.received, note=percent(done.rate)),
        _n(done.on_time, note=percent(done.on_time_rate)),
        _n(done.late, note=percent(share_of(done.late, done.expected))),
        _t(None, span=3 if wide else 2),
    )
    body.append(Row(total, "total"))
    columns = ("stt", "uname", "m", "m", "m", "m", "missing", *(["date"] if wide else []), "remark")
    out.append(Table("units", columns, head, tuple(body), compact=not wide))
    legend = "Tháng-đơn vị: mỗi đơn vị báo cáo cho mỗi tháng của kỳ."
    if any(u.priority for _, u in rows):
        legend += " (*) Địa bàn ưu tiên của Chương trình."
    out.append(_p(legend, "legend"))
    return out


APPENDICES = {
    "results": _results_appendix,
    "funding": _funding_appendix,
    "units": _units_appendix,
    "kcqg": _national_appendix,
    "reporting": _reporting_appendix,
}
