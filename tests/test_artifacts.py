"""A run's summaries stay small whatever the number of files, and list the files that need attention first."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipeline import artifacts
from pipeline.intake import IngestSummary
from pipeline.reading import FileInfo
from pipeline.validating import Problem, Severity, ValidationReport


def _report(i: int, severity: Severity | None) -> ValidationReport:
    info = FileInfo(Path(f"/a/{i}.xlsx"), f"f{i:05d}.xlsx", f"{i:064d}", 1, datetime(2013, 1, 1, tzinfo=UTC))
    problems = (
        [Problem("NEGATIVE", severity, info.name, "BaoCao!E12", "-2", "một số không âm", "Số âm.")] if severity else []
    )
    return ValidationReport(file=info, problems=problems)


def test_tally_counts_everything_and_shows_problems_first() -> None:
    tally = artifacts.IngestTally()
    for start in range(0, 3000, 500):  # six batches of a large run
        tally.add(
            [
                _report(i, Severity.ERROR if i % 700 == 0 else Severity.WARNING if i % 300 == 0 else None)
                for i in range(start, start + 500)
            ]
        )
    rejected = [i for i in range(3000) if i % 700 == 0]
    warned = [i for i in range(3000) if i % 300 == 0 and i % 700 != 0]
    assert tally.new == 3000
    assert [r.file.name for r in tally.rejected] == [f"f{i:05d}.xlsx" for i in rejected]
    assert len(tally.shown) == artifacts.TABLE_ROWS
    shown = [int(r.file.name[1:6]) for r in tally.shown]
    assert shown[: len(rejected) + len(warned)] == rejected + warned  # in the order the files were read
    rows = artifacts.submission_rows(tally.shown)
    assert rows[0]["kết quả"] == "Bị từ chối" and rows[len(rejected)]["kết quả"] == "Đã tiếp nhận, có lưu ý"


def test_long_lists_of_rejected_files_are_cut_with_a_count() -> None:
    rejected = [_report(i, Severity.ERROR) for i in range(artifacts.LISTED + 37)]
    text = artifacts.rejected_text(rejected)
    assert text.count("\n") == artifacts.LISTED + 1 and "… và 37 tệp khác" in text
    markdown = artifacts.ingest_markdown(IngestSummary(len(rejected), 0, len(rejected), 0, 0), rejected)
    assert markdown.count("| BaoCao!E12 |") == artifacts.LISTED and "… và 37 tệp khác bị từ chối" in markdown
