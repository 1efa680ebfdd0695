"""Receipts: one plain-text note per input file, in Vietnamese, telling the officer what happened."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from datetime import datetime
from pathlib import Path

from pipeline import received as rule
from pipeline.files import write_atomic
from pipeline.formatting import code_and_name, day_and_time, number
from pipeline.problems import Severity
from pipeline.programme import Programme
from pipeline.reading import display_name
from pipeline.received import Received
from pipeline.text import nfc, printable
from pipeline.validating import Status, ValidationReport, Value

_LAYOUTS = {
    "template": "mẫu báo cáo chính thức",
    "free": "báo cáo theo cách trình bày truyền thống (đọc theo tên chỉ tiêu)",
}


def receipt_path(receipts: Path, file_name: str) -> Path:
    """outputs/receipts/<the same folders as in inputs/>/<file name>.txt, each part made safe (no "..", no
    control characters). `file_name` is the input's path relative to inputs/ exactly as the file system
    spells it. Where making it safe changed anything (NFD to NFC, "#" and "%" to "_", bytes that are not
    UTF-8 …), a short hash of that exact path follows the name ("bao cao _1.xlsx-1a2b3c4d5e.txt"), so two
    inputs never share a receipt; a name left as it was ends with its workbook suffix and cannot meet one."""
    return receipts / receipt_relpath(file_name)


def receipt_relpath(file_name: str) -> str:
    """`receipt_path` relative to the receipts folder, as text ("2012/bu-dang/bc.xlsx.txt")."""
    parts = [part for part in file_name.split("/") if part]
    safe = [safe_name(display_name(part)) for part in parts]
    *folders, name = safe
    if safe != parts:
        name += "-" + hashlib.sha256(os.fsencode(file_name)).hexdigest()[:10]
    return "/".join([*folders, name + ".txt"])


NAME_MAX_BYTES = 150  # safe_name: at most this many bytes of UTF-8
_UNSAFE = re.compile(r'[\\/:*?"<>|#%\x00-\x1f\x7f]')
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def safe_name(name: str) -> str:
    """One safe file name for a receipt from a (relative) input path: NFC, the folders joined with "_", no
    "/", "\\", "..", control or format characters, no leading "-" or ".", at most NAME_MAX_BYTES bytes of
    UTF-8 (cut at a character boundary with "-" and a 10-hex-digit hash of the whole name before the suffix)."""
    text = unicodedata.normalize("NFC", str(name)).replace("\\", "/")
    parts = [p for p in text.split("/") if p.strip() not in ("", ".", "..")]
    text = "_".join(parts)
    text = "".join(c if unicodedata.category(c)[0] != "C" or c in "\t" else "_" for c in text)
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\.{2,}", ".", text)
    text = text.strip(" .").lstrip("-_ .") or "tep"
    if text.split(".")[0].lower() in _RESERVED:
        text = "_" + text
    if len(text.encode("utf-8")) <= NAME_MAX_BYTES:
        return text
    digest = hashlib.sha256(unicodedata.normalize("NFC", str(name)).encode("utf-8")).hexdigest()[:10]
    stem, dot, ext = text.rpartition(".")
    if not dot or len(ext.encode("utf-8")) > 10 or not stem:
        stem, ext = text, ""
    tail = f"-{digest}" + (f".{ext}" if ext else "")
    room = NAME_MAX_BYTES - len(tail.encode("utf-8"))
    cut = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
    return unicodedata.normalize("NFC", cut + tail)


_BASIS = {
    rule.SEEN: "lúc hệ thống tiếp nhận thấy tệp trong thư mục tiếp nhận",
    rule.FILE_DATE: "theo ngày lưu của tệp: tệp có sẵn trong thư mục khi bắt đầu tiếp nhận, nạp một lần",
}
_FLAGS = {
    rule.FUTURE: "Lưu ý: ngày lưu trên tệp ở tương lai nên không phải ngày gửi; ngày nhận là lúc hệ thống thấy tệp.",
    rule.FILE_BEFORE_CLOSE: "Lưu ý: ngày lưu trên tệp trước khi kỳ báo cáo kết thúc nên không thể là ngày "
    "gửi báo cáo của kỳ; ngày nhận là lúc hệ thống thấy tệp.",
    rule.SEEN_BEFORE_CLOSE: "Lưu ý: tệp được nhận trước khi kỳ báo cáo kết thúc; hãy kiểm tra kỳ báo cáo "
    "ghi trong tệp.",
}


def received_lines(when: Received, file_date: datetime) -> list[str]:
    """The received day and time on the province's clock and how it was decided (pipeline.received), the
    file's own date, and any flag."""
    lines = [f"Ngày nhận: {day_and_time(when.at)} ({_BASIS[when.basis]})"]
    if when.basis == rule.SEEN:
        lines.append(f"Ngày lưu trên tệp: {day_and_time(file_date)}")
    if when.flag:
        lines.append(_FLAGS[when.flag])
    return lines


def line(text: str, limit: int = 2000) -> str:
    """Text from a file or an officer (a file name, a sheet name, a cell's text, a message quoting them) as
    one line of a receipt: NFC, control, line-break and bidirectional-override characters replaced by a space
    (a newline in a file name cannot forge a line, U+202E cannot reverse the text after it), at most `limit`
    characters (pipeline.text.printable)."""
    return printable(text, limit)


def value_line(v: Value, programme: Programme | None) -> str:
    """ "P1.2 – Lao động được đào tạo mới: 4 người (ô BaoCao!E17)", or for spending "Kinh phí P1 – …, nguồn
    KCQG: 12,5 triệu đồng (ô BaoCao!C48)"."""
    if v.kind == "budget":
        unit = programme.money_unit if programme is not None else ""
        what = f"Kinh phí {code_and_name(programme, v.code)}, nguồn {v.source}"
    else:
        indicator = programme.indicators.get(v.code) if programme is not None else None
        unit = indicator.unit if indicator is not None else ""
        what = code_and_name(programme, v.code)
    return line(f"{what}: {number(v.amount)}{' ' + unit if unit else ''} (ô {v.cell})")


def receipt_text(r: ValidationReport, when: Received | None = None, standing: str = "") -> str:
    """The receipt of a file read: `when` it was received (default: pipeline.received's rule), its result and
    problems, its `standing` (whether this version now counts and which it replaces, pipeline.intake) and,
    when accepted, every value read with its cell. Text from the file is made one line (`line`)."""
    when = when or rule.of(r.file, r.period)
    unit = "(không xác định)"
    if r.unit is not None:
        unit = r.unit.full_name(r.period.end if r.period else r.unit.valid_from)
    lines = [
        "BIÊN NHẬN BÁO CÁO KHUYẾN CÔNG",
        f"Tệp: {line(r.file.name)}",
        f"Mã kiểm tra (sha256): {r.file.sha256 or '(tệp chưa đọc được)'}",
        *received_lines(when, r.file.modified),
        f"Kết quả: {r.status.label.upper()}",
        *([f"Đã đọc: sheet «{line(r.sheet, 100)}», {_LAYOUTS.get(r.layout, r.layout)}"] if r.layout else []),
        f"Đơn vị: {unit}",
        f"Kỳ báo cáo: {r.period.title if r.period else '(không xác định)'}",
        f"Số giá trị đã đọc: {number(len(r.values))}",
    ]
    if standing:
        lines.append(line(standing))
    errors = [p for p in r.problems if p.severity is Severity.ERROR]
    warnings = [p for p in r.problems if p.severity is Severity.WARNING]
    for title, items in (("LỖI (phải sửa rồi gửi lại)", errors), ("LƯU Ý", warnings)):
        if items:
            lines += ["", f"{title}:"]
            for n, p in enumerate(items, start=1):
                cell = line(p.cell, 200)
                where = f"ô {cell}" if "!" in cell else (f"sheet «{cell}»" if cell else "tệp")
                lines.append(f"{n}. {where}: có {line(p.found, 300)}; cần {line(p.expected, 300)}.")
                lines.append(f"   {line(p.message)}")
    if r.status is Status.REJECTED:
        lines += ["", "Báo cáo này CHƯA được tổng hợp. Hãy sửa các lỗi trên và gửi lại tệp."]
    elif r.values:
        lines += ["", "CÁC GIÁ TRỊ ĐÃ ĐỌC:"]
        lines += [f"{n}. {value_line(v, r.programme)}" for n, v in enumerate(r.values, start=1)]
    return nfc("\n".join(lines) + "\n")  # file names and cell text may come in NFD


def duplicate_text(name: str, sha256: str, original: str, received: str, status: str) -> str:
    """Receipt for a file whose exact bytes were already received: one submission, not two. `received`: when
    the original was received, as "08/07/2012 lúc 14:32" (formatting.day_and_time)."""
    said = {
        "accepted": "đã tiếp nhận",
        "accepted_with_warnings": "đã tiếp nhận, có lưu ý",
        "rejected": "bị từ chối",
    }.get(status, status)
    return nfc(
        "\n".join(
            [
                "BIÊN NHẬN BÁO CÁO KHUYẾN CÔNG",
                f"Tệp: {line(name)}",
                f"Mã kiểm tra (sha256): {sha256}",
                "Kết quả: TRÙNG TỆP ĐÃ NHẬN",
                f"Nội dung tệp này giống hệt tệp «{line(original)}» nhận ngày {received}, {said}.",
                "Tệp không được tính thêm lần nữa; xem biên nhận của tệp đã nhận. Không cần làm gì thêm.",
            ]
        )
        + "\n"
    )


def write_text(receipts: Path, file_name: str, text: str) -> Path:
    """Write a receipt for the input at `file_name` (its exact relative path)."""
    path = receipt_path(receipts, file_name)
    write_atomic(path, text.encode("utf-8"))
    return path


def write_receipt(receipts: Path, r: ValidationReport) -> Path:
    return write_text(receipts, r.file.rel or r.file.name, receipt_text(r))
