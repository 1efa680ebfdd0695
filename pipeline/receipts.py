"""Receipts: one plain-text note per input file, in Vietnamese, telling the officer what happened."""

from __future__ import annotations

from pathlib import Path

from pipeline.files import write_atomic
from pipeline.formatting import local_day, short_date
from pipeline.guards import safe_name
from pipeline.text import nfc
from pipeline.validating import Severity, ValidationReport

_LAYOUTS = {"template": "mẫu báo cáo chính thức",
            "free": "báo cáo theo cách trình bày truyền thống (đọc theo tên chỉ tiêu)"}


def receipt_path(receipts: Path, file_name: str) -> Path:
    """outputs/receipts/<the same folders as in inputs/>/<file name>.txt, each part made safe (no "..", no
    control characters), so two files never share a receipt."""
    *folders, name = [part for part in file_name.split("/") if part]
    return receipts.joinpath(*(safe_name(f) for f in folders)) / (safe_name(name) + ".txt")


def receipt_text(r: ValidationReport) -> str:
    unit = "(không xác định)"
    if r.unit is not None:
        unit = r.unit.full_name(r.period.end if r.period else r.unit.valid_from)
    lines = [
        "BIÊN NHẬN BÁO CÁO KHUYẾN CÔNG",
        f"Tệp: {r.file.name}",
        f"Mã kiểm tra (sha256): {r.file.sha256}",
        f"Ngày nhận: {short_date(local_day(r.file.modified))}",
        f"Kết quả: {r.status.label.upper()}",
        f"Đơn vị: {unit}",
        f"Kỳ báo cáo: {r.period.title if r.period else '(không xác định)'}",
        f"Số giá trị đã đọc: {len(r.values)}",
    ]
    if r.layout:
        lines.insert(5, f"Đã đọc: sheet «{r.sheet}», {_LAYOUTS.get(r.layout, r.layout)}")
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


def duplicate_text(name: str, sha256: str, original: str, received: str, status: str) -> str:
    """Receipt for a file whose exact bytes were already received: one submission, not two."""
    label = {"accepted": "đã tiếp nhận", "accepted_with_warnings": "đã tiếp nhận, có lưu ý",
             "rejected": "bị từ chối"}.get(status, status)
    return nfc("\n".join([
        "BIÊN NHẬN BÁO CÁO KHUYẾN CÔNG",
        f"Tệp: {name}",
        f"Mã kiểm tra (sha256): {sha256}",
        "Kết quả: TRÙNG TỆP ĐÃ NHẬN",
        f"Nội dung tệp này giống hệt tệp «{original}» nhận ngày {received}, {label}.",
        "Tệp không được tính thêm lần nữa; xem biên nhận của tệp đã nhận. Không cần làm gì thêm.",
    ]) + "\n")


def write_text(receipts: Path, file_name: str, text: str) -> Path:
    path = receipt_path(receipts, file_name)
    write_atomic(path, text.encode("utf-8"))
    return path


def write_receipt(receipts: Path, r: ValidationReport) -> Path:
    return write_text(receipts, r.file.name, receipt_text(r))
