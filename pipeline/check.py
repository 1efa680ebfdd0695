"""The check: what the intake would say of a workbook, without storing anything (`khuyencong check`, the web
portal). The same guards, reading and validation as the intake (pipeline.layout.read_report, which runs
pipeline.guards before any reader, then pipeline.validating.validate), and the same receipt text."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path

from pipeline import receipts
from pipeline.layout import read_report
from pipeline.programme import Programme
from pipeline.reading import FileInfo, display_name
from pipeline.units import UnitRegistry
from pipeline.validating import Status, ValidationReport, validate

CHECK_HEADER = "KẾT QUẢ KIỂM TRA TRƯỚC KHI GỬI (tệp chưa được gửi, không lưu lại)"
EXIT_STATUS = {Status.ACCEPTED: 0, Status.WARNINGS: 1, Status.REJECTED: 2}


def dry_run(path: Path, programmes: list[Programme], units: UnitRegistry, name: str | None = None) -> ValidationReport:
    """Read and validate the file at `path` as the intake would; `name` is the name shown (default: the file's
    own). Only reads `path`; a bad file yields a rejected report, never an exception."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    st = os.stat(path)
    shown = display_name(name or path.name)
    info = FileInfo(
        path=path,
        name=shown,
        sha256=digest.hexdigest(),
        size=st.st_size,
        modified=datetime.fromtimestamp(st.st_mtime, UTC),
        source=path,
        mtime_ns=st.st_mtime_ns,
        first_seen=datetime.now(UTC).replace(microsecond=0),
        backlog=False,
        rel=shown,
    )
    return validate(read_report(info, programmes, units), units)


def check_text(report: ValidationReport) -> str:
    """The receipt the intake would write, under a line saying that nothing was sent or stored."""
    return f"{CHECK_HEADER}\n\n{receipts.receipt_text(report)}"


def exit_status(report: ValidationReport) -> int:
    """0 accepted, 1 accepted with warnings, 2 rejected."""
    return EXIT_STATUS[report.status]
