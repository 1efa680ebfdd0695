"""What a file that is not a workbook looks like, named in Vietnamese for the refusal (NOT_A_WORKBOOK)."""

from __future__ import annotations

import unicodedata

_SIGNATURES = [
    (b"%PDF", "tài liệu PDF"),
    (b"\x89PNG", "ảnh PNG"),
    (b"\xff\xd8\xff", "ảnh JPEG"),
    (b"GIF8", "ảnh GIF"),
    (b"II*\x00", "ảnh TIFF"),
    (b"MM\x00*", "ảnh TIFF"),
    (b"{\\rtf", "văn bản RTF"),
    (b"Rar!", "tệp nén RAR"),
    (b"7z\xbc\xaf", "tệp nén 7z"),
    (b"\x1f\x8b", "tệp nén gzip"),
    (b"MZ", "chương trình (.exe)"),
]


def sniff(head: bytes) -> str:
    """A Vietnamese name for what a non-workbook file looks like, from its first bytes."""
    for magic, name in _SIGNATURES:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "ảnh WEBP"
    text = _as_text(head)
    if text is None:
        return "dữ liệu không rõ định dạng"
    low = text.lstrip("\ufeff \t\r\n").lower()
    if low.startswith("<?xml"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in low or "excel.sheet" in low:
            return "bảng tính XML 2003 (XML Spreadsheet)"
        return "tệp XML"
    if low.startswith(("<!doctype html", "<html", "<table", "<meta")) or "<html" in low[:2048]:
        return "trang HTML (thường do phần mềm xuất ra)"
    return _delimited(text)


def _delimited(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    for sep, name in ((",", "tệp văn bản CSV"), (";", "tệp văn bản CSV"), ("\t", "tệp văn bản phân tách bằng tab")):
        if len(lines) >= 2 and all(ln.count(sep) >= 1 for ln in lines[:-1]) and lines[0].count(sep) >= 1:
            return name
    return "tệp văn bản"


def _as_text(head: bytes) -> str | None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
        if b"\x00" in head:
            return None
    text = head.decode(encoding, errors="replace")
    bad = sum(1 for c in text if c == "\ufffd" or (unicodedata.category(c) == "Cc" and c not in "\t\r\n\f"))
    return text if bad <= max(2, len(text) // 50) else None
