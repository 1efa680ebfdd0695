"""Receipts: one plain-text note per input file, in Vietnamese, telling the officer what happened."""

from __future__ import annotations

from pathlib import Path

from pipeline.files import atomic_output
from pipeline.formatting import short_date
from pipeline.text import nfc
from pipeline.validating import Severity, ValidationReport


def receipt_path(receipts: Path, file_name: str) -> Path:
    return receipts / (file_name.replace("/", "__") + ".txt")


def receipt_text(r: ValidationReport) -> str:
    unit = "(không xác định)"
    if r.unit is not None:
        unit = r.unit.full_name(r.period.end if r.period else r.unit.valid_from)
    lines = [
        "BIÊN NHẬN BÁO CÁO KHUYẾN CÔNG",
        f"Tệp: {r.file.name}",
        f"Mã kiểm tra (sha256): {r.file.sha256}",
        f"Ngày nhận: {short_date(r.file.modified.date())}",
        f"Kết quả: {r.status.label.upper()}",
        f"Đơn vị: {unit}",
        f"Kỳ báo cáo: {r.period.title if r.period else '(không xác định)'}",
        f"Số giá trị đã đọc: {len(r.values)}",
    ]
    errors = [p for p in r.problems if p.severity is Severity.ERROR]
    warnings = [p for p in r.problems if p.severity is Severity.WARNING]
    for title, items in (("LỖI (phải sửa rồi gửi lại)", errors), ("LƯU Ý", warnings)):
        if items:
            lines += ["", f"{title}:"]
            for n, p in enumerate(items, start=1):
                where = f"ô {p.cell}" if "!" in p.cell else (f"sheet «{p.cell}»" if p.cell else "tệp")
                lines.append(f"{n}. {where}: có {p.found}; cần {p.expected}.")
                lines.append(f"   {p.message}")
    if r.status.value == "rejected":
        lines += ["", "Báo cáo này CHƯA được tổng hợp. Hãy sửa các lỗi trên và gửi lại tệp."]
    return nfc("\n".join(lines) + "\n")  # file names and cell text may come in NFD


def write_receipt(receipts: Path, r: ValidationReport) -> Path:
    path = receipt_path(receipts, r.file.name)
    with atomic_output(path) as tmp:
        tmp.write_text(receipt_text(r), encoding="utf-8")
    return path
