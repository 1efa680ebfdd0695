"""What a run tells people: Markdown and table summaries (shown as Prefect artifacts) and the notification
texts. Plain functions over the run's records; staff read the Markdown, so it is Vietnamese like the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.aggregating import Consolidated
from pipeline.formatting import percent
from pipeline.intake import IngestSummary
from pipeline.validating import ValidationReport

TABLE_ROWS = 1000  # files listed in a run's table; a national run reads tens of thousands
LISTED = 200  # rejected files listed in a run's summary and notification


@dataclass
class IngestTally:
    """What an ingest run read, kept small whatever the number of files: counts, the rejected files, and
    the files shown in the run's table (files with problems first)."""

    new: int = 0
    rejected: list[ValidationReport] = field(default_factory=list)
    shown: list[ValidationReport] = field(default_factory=list)

    def add(self, reports: list[ValidationReport]) -> None:
        self.new += len(reports)
        self.rejected += [r for r in reports if r.status.value == "rejected"]
        self.shown = sorted([*self.shown, *reports], key=_attention)[:TABLE_ROWS]


def _attention(report: ValidationReport) -> int:
    return {"rejected": 0, "accepted_with_warnings": 1}.get(report.status.value, 2)


def ingest_markdown(summary: IngestSummary, rejected: list[ValidationReport]) -> str:
    lines = [
        "# Tiếp nhận báo cáo",
        "",
        f"- Tệp mới đã đọc: **{summary.new}** (tiếp nhận {summary.accepted}, từ chối {summary.rejected})",
        f"- Tệp trùng nội dung đã nhận trước: {summary.already_known}",
        f"- Tệp không đổi, không đọc lại: {summary.unchanged}",
    ]
    if rejected:
        lines += ["", "## Tệp bị từ chối", "", "| Tệp | Ô | Lỗi |", "|---|---|---|"]
        for r in rejected[:LISTED]:
            p = r.errors[0]
            lines.append(f"| {_cell(r.file.name)} | {_cell(p.cell)} | {_cell(p.message)} |")
        if len(rejected) > LISTED:
            lines += ["", f"… và {len(rejected) - LISTED} tệp khác bị từ chối (xem biên nhận của từng tệp)."]
    return "\n".join(lines) + "\n"


def submission_rows(reports: list[ValidationReport]) -> list[dict[str, str]]:
    return [
        {
            "tệp": r.file.name,
            "kết quả": r.status.label,
            "đơn vị": r.unit.code if r.unit else "",
            "kỳ": r.period.code if r.period else "",
            "số giá trị": str(len(r.values)),
            "lỗi": str(len(r.errors)),
            "lưu ý": str(len(r.problems) - len(r.errors)),
        }
        for r in reports
    ]


def report_markdown(report: Consolidated, paths: list[Path]) -> str:
    c = report.completeness
    lines = [f"# Báo cáo {report.period.title}", ""]
    if c is not None:
        lines.append(
            f"- Đã báo cáo {c.received}/{c.expected} tháng-đơn vị ({percent(c.rate)}), đúng hạn "
            f"{c.on_time}/{c.expected} ({percent(c.on_time_rate)})"
        )
        missing = ", ".join(u.unit_name for u in c.missing_units)
        lines.append(f"- Đơn vị chưa báo cáo: {missing or 'không có'}")
        rejected = "; ".join(f"{u.unit_name} ({'; '.join(u.rejected_files)})" for u in c.rejected_units)
        lines.append(f"- Đơn vị đã gửi nhưng báo cáo bị từ chối: {rejected or 'không có'}")
    lines.append(f"- Chỉ tiêu chậm tiến độ: {len(report.behind_pace)}")
    lines.append(f"- Điều chỉnh theo báo cáo quý: {sum(1 for r in report.reconciliations if r.differences)}")
    lines += ["", "## Tệp báo cáo", ""] + [f"- `{p}`" for p in paths]
    return "\n".join(lines) + "\n"


def rejected_text(rejected: list[ValidationReport]) -> str:
    lines = [f"- {r.file.name}: {r.errors[0].cell or 'tệp'} - {r.errors[0].message}" for r in rejected[:LISTED]]
    if len(rejected) > LISTED:
        lines.append(f"… và {len(rejected) - LISTED} tệp khác (xem biên nhận của từng tệp).")
    return "\n".join(lines) + "\n"


def report_text(report: Consolidated, paths: list[Path]) -> str:
    return report_markdown(report, paths).replace("# ", "").replace("`", "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
