"""Guards: check a dropped file BEFORE any workbook reader touches it.

`inspect_file(path)` returns None when the file may be handed to python-calamine, else a `Refusal` whose
`detail` tells the officer, in Vietnamese, what is wrong and what to do. It reads only the file itself
(one descriptor, opened non-blocking, checked to be a regular file), in bounded chunks, and stops at the
first refusal. `safe_name(name)` turns a dropped file's relative path into one safe file name for receipts.

Bounds (a district workbook is ~10 KB and unpacks to well under 1 MB):
- MAX_FILE_BYTES = 20 MiB on disk.
- MAX_ZIP_ENTRIES = 2 000 members in a zip-based workbook (xlsx, xlsm, ods), and MAX_DIRECTORY_BYTES = 1 MiB
  of central directory, both read from the zip's end record before zipfile lists the members.
- MAX_UNPACKED_BYTES = 50 MiB in total once unpacked, counted by actually inflating every member (sizes
  declared in the zip are checked first, then verified: a member that inflates to more or less than it
  declares, or fails its CRC, is refused).
- MAX_RATIO = 100:1 (unpacked : on-disk), overall and per member, applied once the total or the member
  unpacks to more than RATIO_MIN_BYTES = 1 MiB (tiny files are harmless whatever their ratio).
- MAX_ROWS = 20 000 rows per sheet, MAX_CELLS = 1 000 000 cells (rows x columns of each sheet's used
  area, summed over sheets: calamine allocates that rectangle densely, however few cells are filled).
  xlsx/xlsm: from each worksheet's `<dimension ref>`, the highest `r=` row/cell reference and the count of
  `<row>`/`<c>` elements, whichever is largest. ods: from `content.xml` with row/column repeats expanded
  up to the last non-empty cell (as calamine does). xls: from each sheet's DIMENSIONS and cell records.
- Time and memory: for any file within these bounds, `inspect_file` followed by a full calamine read of
  every sheet (`to_python()`) takes under MAX_SECONDS = 5 s and MAX_RSS_BYTES = 300 MiB peak RSS on a
  2-core machine (tests/test_guards.py measures it in a subprocess).

Refusal codes and how each is detected:
- FILE_EMPTY: 0 bytes.  FILE_TOO_LARGE: over MAX_FILE_BYTES.
- NOT_A_WORKBOOK: not a regular file, or the magic bytes are neither zip ("PK\\x03\\x04") nor OLE2; or a
  zip/OLE2 holding no workbook (a Word document, a plain zip). The detail names what it looks like (CSV,
  HTML page, PDF, image, …).
- EXTENSION_MISMATCH: only with `allow_renamed=False`. By default a real workbook under the wrong suffix
  (an .xls or .ods named .xlsx) is accepted, and checked as what it really is: read such files with
  `CalamineWorkbook.from_filelike` (sniffs the content); `from_path` goes by the suffix and fails on them.
  `detect_format(path)` says which container a file really is ("zip" or "ole2").
- ZIP_DAMAGED: zipfile cannot open it (truncated, no central directory), a member's local header is bad,
  its data is cut short, inflates to a size other than declared, fails its CRC, uses a compression other
  than stored/deflate, or an XML part is malformed where the guard must parse it (ods content.xml). A member
  whose content is refused is still inflated to its end (no more scanning) so that damage is reported first.
- ZIP_BOMB: too many members (or too large a central directory), too large once unpacked (declared, or
  inflating to more than declared), or too high a ratio.
- PASSWORD_PROTECTED: an OLE2 file with an "EncryptionInfo"/"EncryptedPackage" stream (encrypted xlsx);
  an .xls whose Workbook stream has a FILEPASS record (0x002F); an ods whose manifest has
  `encryption-data`; a zip member with the encryption flag set. (calamine would also raise
  `python_calamine.PasswordError` for a protected .xls.)
- XLS_DAMAGED: an OLE2 file whose sectors, directory or Workbook stream cannot be followed.
- XML_ENTITIES: `<!DOCTYPE` or `<!ENTITY` (any case, UTF-8 or UTF-16) anywhere in any member (XML parts,
  and any other member that is not a recognisable binary: OLE2, zip, PNG, JPEG, GIF, EMF, WMF), scanned in
  chunks while inflating.
- TOO_MANY_ROWS / TOO_MANY_CELLS: over MAX_ROWS / MAX_CELLS as counted above (also when a cell reference
  is written so that it cannot be read, e.g. with character references).

Not refused: macros. An .xlsm is read like an .xlsx; calamine only reads cell values and never runs
anything (VBA projects, XLM macros, external links and OLE objects are ignored). Odd file names (spaces,
NFD Vietnamese, quotes, '#', '%', emoji, leading '-', long names) are fine: the path is never passed to a
shell or parsed.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.parsers import expat

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_RATIO = 100
RATIO_MIN_BYTES = 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_ROWS = 20_000
MAX_CELLS = 1_000_000
MAX_SECONDS = 5.0
MAX_RSS_BYTES = 300 * 1024 * 1024

CHUNK = 256 * 1024  # read and inflate in pieces of this size
NAME_MAX_BYTES = 150  # safe_name: at most this many bytes of UTF-8

WORKBOOK_SUFFIXES = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods"}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXCEL_MAX_ROWS, EXCEL_MAX_COLS = 1_048_576, 16_384


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str  # Vietnamese, NFC: what is wrong with the file and what the officer should do


def _refuse(code: str, detail: str) -> Refusal:
    return Refusal(code, unicodedata.normalize("NFC", detail))


class _Refused(Exception):  # noqa: N818 - internal control flow, carries the refusal
    def __init__(self, refusal: Refusal):
        super().__init__(refusal.code)
        self.refusal = refusal


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}".replace(".", ",") + " MB"


def _num(n: int) -> str:
    return f"{n:,}".replace(",", " ")


RESAVE = "Hãy mở báo cáo bằng Excel, lưu lại dưới dạng .xlsx rồi gửi lại."
KIND_NAMES = {"xlsx": "Excel (.xlsx/.xlsm)", "xls": "Excel 97-2003 (.xls)", "ods": "OpenDocument (.ods)"}


# ---------------------------------------------------------------------------------------------- entry point


def inspect_file(path: Path, *, allow_renamed: bool = True) -> Refusal | None:
    """None if the file may be read by calamine, else why not. Bounded in time, memory and what it reads."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        return _refuse("NOT_A_WORKBOOK", f"Không mở được tệp (lỗi hệ thống {exc.errno}). Hãy gửi lại tệp báo cáo.")
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        return _refuse("NOT_A_WORKBOOK", "Đây không phải là một tệp thông thường. Hãy gửi tệp báo cáo Excel.")
    with os.fdopen(fd, "rb") as f:
        if st.st_size == 0:
            return _refuse("FILE_EMPTY", "Tệp rỗng (0 byte). Hãy lưu lại báo cáo bằng Excel rồi gửi lại.")
        if st.st_size > MAX_FILE_BYTES:
            return _refuse("FILE_TOO_LARGE", f"Tệp quá lớn ({_mb(st.st_size)}, tối đa {_mb(MAX_FILE_BYTES)}). "
                           "Báo cáo của một đơn vị chỉ vài chục KB: hãy xoá các trang tính, hình ảnh thừa "
                           "rồi lưu lại và gửi lại.")
        head = f.read(8192)
        try:
            _check(f, head, st.st_size, path, allow_renamed)
        except _Refused as r:
            return r.refusal
    return None


def detect_format(path: Path) -> str | None:
    """The container by its first bytes: "zip" (xlsx/xlsm/ods), "ole2" (xls, encrypted xlsx), else None."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return None
    try:
        head = os.read(fd, 8) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    finally:
        os.close(fd)
    return "zip" if head.startswith(ZIP_MAGIC) else "ole2" if head.startswith(OLE_MAGIC) else None


def _check(f: BinaryIO, head: bytes, size: int, path: Path, allow_renamed: bool) -> None:
    expected = WORKBOOK_SUFFIXES.get(path.suffix.lower())
    if head.startswith(ZIP_MAGIC) or head.startswith(b"PK\x05\x06"):
        kind = _check_zip(f, size)
    elif head.startswith(OLE_MAGIC):
        kind = _check_ole(f, size)
    else:
        raise _Refused(_refuse("NOT_A_WORKBOOK", f"Tệp không phải là bảng tính Excel: nội dung là {_sniff(head)}. "
                               + RESAVE))
    if kind != expected and (expected is None or not allow_renamed):
        suffix = path.suffix or "(không có đuôi)"
        raise _Refused(_refuse("EXTENSION_MISMATCH", f"Tệp có đuôi {suffix} nhưng thực chất là tệp "
                               f"{KIND_NAMES[kind]}. Hãy đổi đuôi tệp cho đúng, hoặc mở bằng Excel và lưu lại "
                               "dưới dạng .xlsx rồi gửi lại."))


# ------------------------------------------------------------------------------------------------ sniffing


def _sniff(head: bytes) -> str:
    """A Vietnamese name for what a non-workbook file looks like."""
    signatures = [
        (b"%PDF", "tài liệu PDF"), (b"\x89PNG", "ảnh PNG"), (b"\xff\xd8\xff", "ảnh JPEG"), (b"GIF8", "ảnh GIF"),
        (b"II*\x00", "ảnh TIFF"), (b"MM\x00*", "ảnh TIFF"), (b"{\\rtf", "văn bản RTF"), (b"Rar!", "tệp nén RAR"),
        (b"7z\xbc\xaf", "tệp nén 7z"), (b"\x1f\x8b", "tệp nén gzip"), (b"MZ", "chương trình (.exe)"),
    ]
    for magic, name in signatures:
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


# ------------------------------------------------------------------------------------------------- zip kinds


def _zip_damaged(what: str) -> _Refused:
    return _Refused(_refuse("ZIP_DAMAGED", f"Tệp bị hỏng ({what}), có thể do tải về hoặc sao chép chưa xong. "
                            + RESAVE))


def _zip_bomb(what: str) -> _Refused:
    return _Refused(_refuse("ZIP_BOMB", f"Tệp có cấu trúc bất thường ({what}) nên không được mở để bảo đảm an "
                            "toàn. " + RESAVE))


_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
MAX_DIRECTORY_BYTES = 1024 * 1024  # the zip's central directory: ~100 bytes per member of a real workbook


def _directory_size(f: BinaryIO, size: int) -> tuple[int, int]:
    """(members, central-directory bytes) from the end records, read before zipfile lists the members."""
    tail_at = max(0, size - (_EOCD.size + 65535))
    f.seek(tail_at)
    tail = f.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _EOCD.size > len(tail):
        raise _zip_damaged("không tìm thấy mục lục của tệp nén")
    _, _, _, _, count, cd_size, _, _ = _EOCD.unpack_from(tail, at)
    if count == 0xFFFF or cd_size == 0xFFFFFFFF:  # zip64: the real numbers are in the zip64 end record
        loc = tail_at + at - _ZIP64_LOCATOR.size
        f.seek(max(0, loc))
        locator = f.read(_ZIP64_LOCATOR.size)
        if len(locator) == _ZIP64_LOCATOR.size and locator[:4] == b"PK\x06\x07":
            f.seek(_ZIP64_LOCATOR.unpack(locator)[2])
            record = f.read(_ZIP64_EOCD.size)
            if len(record) == _ZIP64_EOCD.size and record[:4] == b"PK\x06\x06":
                _, _, _, _, _, _, _, count, cd_size, _ = _ZIP64_EOCD.unpack(record)
    return count, cd_size


def _check_zip(f: BinaryIO, size: int) -> str:
    count, cd_size = _directory_size(f, size)
    if count > MAX_ZIP_ENTRIES:
        raise _zip_bomb(f"{_num(count)} thành phần bên trong, tối đa {_num(MAX_ZIP_ENTRIES)}")
    if cd_size > MAX_DIRECTORY_BYTES:
        raise _zip_bomb(f"mục lục tệp nén {_mb(cd_size)}, tối đa {_mb(MAX_DIRECTORY_BYTES)}")
    try:
        z = zipfile.ZipFile(f)
    except Exception as exc:  # noqa: BLE001 - whatever zipfile trips on, the file is damaged
        raise _zip_damaged("không đọc được mục lục của tệp nén") from exc
    with z:
        infos = z.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise _zip_bomb(f"{_num(len(infos))} thành phần bên trong, tối đa {_num(MAX_ZIP_ENTRIES)}")
        kind = _zip_kind({i.filename for i in infos})
        declared = sum(i.file_size for i in infos)
        _check_sizes(declared, size, infos)
        for info in infos:
            if info.flag_bits & 0x1:
                raise _Refused(_refuse("PASSWORD_PROTECTED", "Tệp được nén có mật khẩu. Hãy gỡ mật khẩu, lưu lại "
                                       "báo cáo bằng Excel rồi gửi lại."))
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise _zip_damaged(f"kiểu nén lạ số {info.compress_type}")
        scan = _ZipScan(kind)
        for info in infos:
            scan.member(f, info, size)
    return kind


def _zip_kind(names: set[str]) -> str:
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names and "mimetype" in names:
        return "ods"
    if "word/document.xml" in names:
        what = "tài liệu Word (.docx)"
    elif any(n.startswith("ppt/") for n in names):
        what = "bài trình chiếu PowerPoint (.pptx)"
    elif "xl/workbook.bin" in names:
        what = "bảng tính Excel nhị phân (.xlsb), chưa được hỗ trợ"
    elif "content.xml" in names:
        what = "tài liệu OpenDocument không phải bảng tính"
    else:
        what = "tệp nén ZIP không chứa bảng tính"
    raise _Refused(_refuse("NOT_A_WORKBOOK", f"Tệp không phải là bảng tính Excel: nội dung là {what}. " + RESAVE))


def _check_sizes(unpacked: int, on_disk: int, infos: list[zipfile.ZipInfo]) -> None:
    if unpacked > MAX_UNPACKED_BYTES:
        raise _zip_bomb(f"giải nén ra {_mb(unpacked)}, tối đa {_mb(MAX_UNPACKED_BYTES)}")
    if unpacked > RATIO_MIN_BYTES and unpacked > MAX_RATIO * on_disk:
        raise _zip_bomb(f"tỉ lệ nén {unpacked // max(1, on_disk)}:1, tối đa {MAX_RATIO}:1")
    for i in infos:
        if i.file_size > RATIO_MIN_BYTES and i.file_size > MAX_RATIO * max(1, i.compress_size):
            raise _zip_bomb(f"thành phần {i.filename!r} có tỉ lệ nén {i.file_size // max(1, i.compress_size)}:1, "
                            f"tối đa {MAX_RATIO}:1")


# ---------------------------------------------------------------------------------------- inflating members

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_SHEET_PATH = re.compile(r"(^|/)(worksheets|dialogsheets|macrosheets)/[^/]+$", re.IGNORECASE)
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_ENTITY = re.compile(rb"<!(doctype|entity)")
_DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension\s[^<]*?\bref\s*=\s*[\"']\$?([A-Za-z]{0,3})\$?([0-9]{0,9})"
                        rb"(?::\$?([A-Za-z]{0,3})\$?([0-9]{0,9}))?[\"']")
_ROW_TAG = re.compile(rb"<(?:[\w.-]+:)?row[\s/>]")
_CELL_TAG = re.compile(rb"<(?:[\w.-]+:)?c[\s/>]")
_REF = re.compile(rb"[\s\"']r\s*=\s*[\"']([A-Za-z]*)([0-9]+)[\"']")  # r="XFD20000" (row: r="20000")
_ODD_REF = re.compile(rb"[\s\"']r\s*=\s*(?:\"[A-Za-z0-9]*[^\"<A-Za-z0-9]|'[A-Za-z0-9]*[^'<A-Za-z0-9])")
_MAX_CARRY = 64 * 1024


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper()[:8]:
        n = n * 26 + ch - 64
    return n


class _ZipScan:
    """Inflates every member in bounded chunks, counting real sizes and scanning XML parts."""

    def __init__(self, kind: str):
        self.kind = kind
        self.unpacked = 0
        self.cells = 0  # rows x columns, summed over sheets

    def member(self, f: BinaryIO, info: zipfile.ZipInfo, size: int) -> None:
        f.seek(info.header_offset)
        header = f.read(_LOCAL.size)
        if len(header) != _LOCAL.size or header[:4] != b"PK\x03\x04":
            raise _zip_damaged(f"đầu mục {info.filename!r} sai")
        fields = _LOCAL.unpack(header)
        start = info.header_offset + _LOCAL.size + fields[10] + fields[11]
        if start + info.compress_size > size:
            raise _zip_damaged(f"thành phần {info.filename!r} bị cắt cụt")
        f.seek(start)
        inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
        sink: _Sink | None = None
        pending: _Refused | None = None  # a content refusal waits for the CRC: damage is reported first
        left, total, crc = info.compress_size, 0, 0
        try:
            while left > 0 or (inflater is not None and inflater.unconsumed_tail):
                if inflater is not None and inflater.unconsumed_tail:
                    raw = inflater.unconsumed_tail
                else:
                    raw = f.read(min(CHUNK, left))
                    if not raw:
                        raise _zip_damaged(f"thành phần {info.filename!r} bị cắt cụt")
                    left -= len(raw)
                data = raw if inflater is None else inflater.decompress(raw, CHUNK)
                if not data:
                    if inflater is not None and inflater.eof:
                        break
                    continue
                total += len(data)
                if total > info.file_size:  # declared sizes were checked against the bounds: hold it to them
                    raise _zip_bomb(f"thành phần {info.filename!r} giải nén ra nhiều hơn khai báo")
                crc = zlib.crc32(data, crc)
                if pending is None:
                    try:
                        sink = sink or _sink_for(info.filename, data, self)
                        if sink is not None:
                            sink.feed(data)
                    except _Refused as refused:
                        pending, sink = refused, None  # stop scanning; inflate the rest only to check it
        except zlib.error as exc:
            raise _zip_damaged(f"dữ liệu nén của {info.filename!r} sai") from exc
        if inflater is not None and not inflater.eof:
            raise _zip_damaged(f"thành phần {info.filename!r} bị cắt cụt")
        if total != info.file_size or crc != info.CRC:
            raise _zip_damaged(f"thành phần {info.filename!r} sai kích thước hoặc mã kiểm tra CRC")
        if pending is not None:
            raise pending
        if sink is not None:
            sink.close()
        self.unpacked += total

    def add_sheet(self, name: str, rows: int, cols: int) -> None:
        if rows > MAX_ROWS:
            where = f"Trang tính “{name}”" if name else "Một trang tính"
            raise _Refused(_refuse("TOO_MANY_ROWS", f"{where} có hơn {_num(MAX_ROWS)} dòng, vượt giới hạn cho "
                                   "phép. Hãy xoá các dòng thừa (kể cả dòng trống đã định dạng) "
                                   "rồi lưu lại và gửi lại."))
        self.cells += rows * cols
        if self.cells > MAX_CELLS:
            raise _Refused(_refuse("TOO_MANY_CELLS", f"Bảng tính quá lớn (vùng dữ liệu hơn {_num(MAX_CELLS)} ô). "
                                   "Hãy xoá các trang tính, cột và dòng thừa rồi lưu lại và gửi lại."))


class _Sink:
    """Receives a member's inflated bytes chunk by chunk (UTF-16 parts are transcoded to UTF-8 first)."""

    def __init__(self, name: str, utf16: str | None, handlers: list[Callable[[bytes, bool], None]]):
        self.name = name
        self.decoder = codecs.getincrementaldecoder(utf16)("replace") if utf16 else None
        self.handlers = handlers
        self.carry = b""

    def feed(self, data: bytes, final: bool = False) -> None:
        if self.decoder is not None:
            data = self.decoder.decode(data, final).encode("utf-8")
        buf = self.carry + data
        cut = len(buf) if final else buf.rfind(b"<")  # '<' never occurs inside a tag: hand on whole tags
        if cut < 0 or len(buf) - cut > _MAX_CARRY:  # long text (or a giant tag): cut after a tag's end
            cut = buf.rfind(b">") + 1
            if cut <= 0 or len(buf) - cut > _MAX_CARRY:
                cut = len(buf) - 64
        part, self.carry = buf[:cut], buf[cut:]
        if part or final:
            for h in self.handlers:
                h(part, final)

    def close(self) -> None:
        self.feed(b"", final=True)


_BINARY = (OLE_MAGIC, ZIP_MAGIC, b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x01\x00\x00\x00", b"\xd7\xcd\xc6\x9a")


def _sink_for(name: str, first: bytes, scan: _ZipScan) -> _Sink | None:
    """A sink for every member but recognisable binaries (OLE2 such as vbaProject.bin, zip, PNG, JPEG, GIF,
    EMF, WMF): all are scanned for DOCTYPE/ENTITY; XML parts that may be sheets are also measured."""
    if first.startswith(_BINARY):
        return None
    utf16 = None
    if first.startswith(b"\xff\xfe") or first.startswith(b"<\x00"):
        utf16 = "utf-16-le" if not first.startswith(b"\xff\xfe") else "utf-16"
    elif first.startswith(b"\xfe\xff") or first.startswith(b"\x00<"):
        utf16 = "utf-16-be" if not first.startswith(b"\xfe\xff") else "utf-16"
    probe = first[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    is_xml = name.lower().endswith((".xml", ".rels", ".vml")) or utf16 is not None or probe.startswith(b"<")
    handlers: list[Callable[[bytes, bool], None]] = [_EntityScan(name).feed]
    lowered = name.lower()
    if scan.kind == "ods" and lowered == "meta-inf/manifest.xml":
        handlers.append(_ManifestScan().feed)
    elif scan.kind == "ods" and lowered == "content.xml":
        handlers.append(_OdsSheets(scan).feed)
    elif scan.kind == "xlsx" and is_xml:
        text = first.decode(utf16, "replace").encode("utf-8") if utf16 else first
        root = _ROOT.search(text)  # no root in the first chunk (padded prolog): measure it as a sheet
        is_sheet = root is None or root.group(2).lower() in (b"worksheet", b"dialogsheet", b"macrosheet")
        if is_sheet or _SHEET_PATH.search(name):
            handlers.append(_XlsxSheet(name, scan).feed)
    return _Sink(name, utf16, handlers)


class _EntityScan:
    def __init__(self, name: str):
        self.name = name

    def feed(self, part: bytes, final: bool) -> None:
        if _ENTITY.search(part.lower()):
            raise _Refused(_refuse("XML_ENTITIES", f"Tệp chứa khai báo DOCTYPE/ENTITY trong phần {self.name!r}: "
                                   "không phải tệp do Excel lưu và có thể gây hại. " + RESAVE))


class _ManifestScan:
    def feed(self, part: bytes, final: bool) -> None:
        if b"encryption-data" in part:
            raise _Refused(_refuse("PASSWORD_PROTECTED", "Tệp bảng tính được đặt mật khẩu. Hãy gỡ mật khẩu, lưu "
                                   "lại rồi gửi lại."))


class _XlsxSheet:
    """Counts a worksheet's extent while it streams by: dimension, row/cell references, row/cell tags."""

    def __init__(self, name: str, scan: _ZipScan):
        self.name, self.scan = name, scan
        self.dim_rows = self.dim_cols = 0
        self.seen_dimension = False
        self.rows = self.max_row = self.max_col = 0
        self.widest = self.current = 0  # most <c> in one row, counted once cells without r= appear

    def feed(self, part: bytes, final: bool) -> None:
        if not self.seen_dimension and (m := _DIMENSION.search(part)):
            self.seen_dimension = True
            c1, r1, c2, r2 = m.groups()
            self.dim_rows = max(int(r1 or 0), int(r2 or 0))
            self.dim_cols = max(_col_number(c1 or b""), _col_number(c2 or b""))
        self.rows += len(_ROW_TAG.findall(part))
        refs = _REF.findall(part)
        cells_with_ref = 0
        if refs:
            self.max_row = max(self.max_row, max(int(r) if len(r) < 16 else EXCEL_MAX_ROWS for _, r in refs))
            letters = {c for c, _ in refs if c}
            cells_with_ref = sum(1 for c, _ in refs if c)
            if letters:
                self.max_col = max(self.max_col, max(_col_number(c) for c in letters))
        if _ODD_REF.search(part):  # e.g. r="&#88;FD1": cannot be bounded without a full parser
            self.max_row, self.max_col = EXCEL_MAX_ROWS, EXCEL_MAX_COLS
        rows = max(self.dim_rows, self.rows, self.max_row)
        if rows > MAX_ROWS:
            self.scan.add_sheet("", rows, 0)
        if len(_CELL_TAG.findall(part)) > cells_with_ref:
            # calamine places a cell without r= right after the previous one: bound a row's width by its
            # cell count (on top of the highest referenced column)
            counts = [len(_CELL_TAG.findall(seg)) for seg in _ROW_TAG.split(part)]
            if len(counts) == 1:
                self.current += counts[0]
            else:
                self.widest = max(self.widest, self.current + counts[0], *counts[1:-1])
                self.current = counts[-1]
        cols = max(self.dim_cols, self.max_col + max(self.widest, self.current), 1 if rows else 0)
        if final or self.scan.cells + rows * cols > MAX_CELLS:
            self.scan.add_sheet("", rows, cols)


class _OdsSheets:
    """Parses content.xml with expat (no DTD: the entity scan runs first) and expands row/column repeats
    up to each table's last non-empty cell, as calamine does."""

    TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
    OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"

    def __init__(self, scan: _ZipScan):
        self.scan = scan
        p = expat.ParserCreate(namespace_separator=" ")
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartElementHandler, p.EndElementHandler = self.start, self.end
        self.parser = p
        self.table = ""
        self.row = self.row_rep = self.col = self.last_row = self.last_col = self.row_last_col = 0
        self.cell_depth = 0  # >0 inside a cell
        self.cell_has_value = False

    @staticmethod
    def _repeat(attrs: dict[str, str], key: str) -> int:
        try:
            return max(1, int(attrs.get(key, "1")))
        except ValueError:
            return 1

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.cell_depth:
            self.cell_depth += 1
            self.cell_has_value = True  # any content (text:p …) makes the cell non-empty
            return
        ns, _, local = name.rpartition(" ")
        if ns != self.TABLE:
            return
        if local == "table":
            self.table = attrs.get(f"{self.TABLE} name", "?")
            self.row = self.last_row = self.last_col = 0
        elif local == "table-row":
            self.row_rep = self._repeat(attrs, f"{self.TABLE} number-rows-repeated")
            self.col = self.row_last_col = 0
        elif local in ("table-cell", "covered-table-cell"):
            self.col += self._repeat(attrs, f"{self.TABLE} number-columns-repeated")
            self.cell_depth = 1
            self.cell_has_value = f"{self.OFFICE} value-type" in attrs or f"{self.TABLE} formula" in attrs

    def end(self, name: str) -> None:
        if self.cell_depth:
            self.cell_depth -= 1
            if self.cell_depth:
                return
            if self.cell_has_value:
                self.row_last_col = self.col
            return
        ns, _, local = name.rpartition(" ")
        if ns != self.TABLE:
            return
        if local == "table-row":
            self.row += self.row_rep
            if self.row_last_col:
                self.last_row = self.row
                self.last_col = max(self.last_col, self.row_last_col)
                if self.last_row > MAX_ROWS or self.last_row * self.last_col > MAX_CELLS:
                    self.scan.add_sheet(self.table, self.last_row, self.last_col)
        elif local == "table":
            self.scan.add_sheet(self.table, self.last_row, self.last_col)

    def feed(self, part: bytes, final: bool) -> None:
        try:
            self.parser.Parse(part, final)
        except expat.ExpatError as exc:
            raise _zip_damaged("nội dung content.xml sai cấu trúc") from exc


# ----------------------------------------------------------------------------------------------------- OLE2

_END, _FREE = 0xFFFFFFFE, 0xFFFFFFFF


def _ole_damaged(what: str) -> _Refused:
    return _Refused(_refuse("XLS_DAMAGED", f"Tệp Excel 97-2003 bị hỏng ({what}). " + RESAVE))


def _password() -> _Refused:
    return _Refused(_refuse("PASSWORD_PROTECTED", "Tệp được đặt mật khẩu nên không đọc được. Hãy mở bằng Excel, gỡ "
                            "mật khẩu (Tệp > Thông tin > Bảo vệ sổ làm việc > Mã hoá bằng mật khẩu: xoá trống), lưu "
                            "lại rồi gửi lại."))


class _Cfb:
    """A minimal, bounded reader of an OLE2 compound file held in memory (at most MAX_FILE_BYTES)."""

    def __init__(self, data: bytes):
        self.data = data
        if len(data) < 512:
            raise _ole_damaged("tệp quá ngắn")
        shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if shift not in (9, 12) or mini_shift != 6:
            raise _ole_damaged("kích thước sector sai")
        self.ssz = 1 << shift
        self.nsect = max(0, (len(data) - self.ssz) // self.ssz + 1)
        n_fat, first_dir = struct.unpack_from("<II", data, 0x2C)
        self.cutoff, first_minifat, n_minifat, first_difat, n_difat = struct.unpack_from("<5I", data, 0x38)
        difat = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < _END]
        sector, hops = first_difat, 0
        per = self.ssz // 4 - 1
        while sector < _END and hops <= n_difat and hops < self.nsect:
            block = self.sector(sector)
            difat += [s for s in struct.unpack_from(f"<{per}I", block) if s < _END]
            sector = struct.unpack_from("<I", block, per * 4)[0]
            hops += 1
        fat_bytes = b"".join(self.sector(s) for s in difat[: min(n_fat, self.nsect)])
        self.fat = struct.unpack(f"<{len(fat_bytes) // 4}I", fat_bytes)
        directory = self.chain(first_dir)
        self.entries: dict[str, tuple[int, int, int]] = {}  # name -> (type, start, size)
        for off in range(0, len(directory) - 127, 128):
            nlen = min(64, struct.unpack_from("<H", directory, off + 64)[0])
            etype = directory[off + 66]
            start, size = struct.unpack_from("<IQ", directory, off + 116)
            if self.ssz == 512:
                size &= 0xFFFFFFFF
            name = directory[off:off + max(0, nlen - 2)].decode("utf-16-le", "replace")
            if etype in (1, 2, 5):
                self.entries.setdefault(name if etype != 5 else "\x00root", (etype, start, size))
        root = self.entries.get("\x00root")
        self.mini_stream = self.chain(root[1], root[2]) if root else b""
        minifat = self.chain(first_minifat) if n_minifat else b""
        self.minifat = struct.unpack(f"<{len(minifat) // 4}I", minifat)

    def sector(self, n: int) -> bytes:
        off = (n + 1) * self.ssz
        if n >= self.nsect or off + self.ssz > len(self.data):
            raise _ole_damaged("sector ngoài tệp")
        return self.data[off:off + self.ssz]

    def chain(self, start: int, size: int | None = None) -> bytes:
        parts, sector, seen = [], start, 0
        limit = self.nsect if size is None else min(self.nsect, size // self.ssz + 1)
        while sector < _END:
            if seen > limit or sector >= len(self.fat):
                raise _ole_damaged("chuỗi sector sai")
            parts.append(self.sector(sector))
            sector = self.fat[sector]
            seen += 1
        data = b"".join(parts)
        return data if size is None else data[:size]

    def stream(self, name: str) -> bytes | None:
        entry = self.entries.get(name)
        if entry is None or entry[0] != 2:
            return None
        _, start, size = entry
        if size >= self.cutoff:
            return self.chain(start, size)
        parts, sector, seen = [], start, 0
        while sector < _END and len(parts) * 64 < size:
            if seen > len(self.minifat) or sector >= len(self.minifat) or (sector + 1) * 64 > len(self.mini_stream):
                raise _ole_damaged("chuỗi mini-sector sai")
            parts.append(self.mini_stream[sector * 64:(sector + 1) * 64])
            sector = self.minifat[sector]
            seen += 1
        return b"".join(parts)[:size]


def _check_ole(f: BinaryIO, size: int) -> str:
    f.seek(0)
    data = f.read(MAX_FILE_BYTES + 1)
    try:
        cfb = _Cfb(data)
    except (struct.error, _Refused) as exc:
        # Unreadable directory: an encrypted OOXML still shows its stream names (UTF-16LE) somewhere.
        if any(n.encode("utf-16-le") in data for n in ("EncryptedPackage", "EncryptionInfo")):
            raise _password() from exc
        if isinstance(exc, _Refused):
            raise
        raise _ole_damaged("cấu trúc sai") from exc
    names = {n.lower() for n in cfb.entries}
    if "encryptedpackage" in names or "encryptioninfo" in names:
        raise _password()
    book = next((n for n in cfb.entries if n.lower() in ("workbook", "book")), None)
    if book is None:
        what = "tài liệu Word 97-2003 (.doc)" if "worddocument" in names else \
            "bài trình chiếu PowerPoint 97-2003 (.ppt)" if "powerpoint document" in names else \
            "tệp Office không chứa bảng tính"
        raise _Refused(_refuse("NOT_A_WORKBOOK", f"Tệp không phải là bảng tính Excel: nội dung là {what}. " + RESAVE))
    try:
        stream = cfb.stream(book) or b""
    except struct.error as exc:
        raise _ole_damaged("cấu trúc sai") from exc
    _check_biff(stream)
    return "xls"


_BIFF_CELLS = {0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6}  # FORMULA … RSTRING: row, col
_BIFF_MULTI = {0x00BD, 0x00BE}


def _check_biff(stream: bytes) -> None:
    """Walks the Workbook stream's records: FILEPASS, and each sheet's DIMENSIONS and cell positions."""
    pos, n = 0, len(stream)
    sheet, cells, rows, cols = 0, 0, 0, 0

    def close_sheet() -> None:
        nonlocal cells
        if rows > MAX_ROWS:
            raise _Refused(_refuse("TOO_MANY_ROWS", f"Trang tính thứ {sheet - 1} có hơn {_num(MAX_ROWS)} dòng, "
                                   "vượt giới hạn cho phép. Hãy xoá các dòng thừa (kể cả dòng trống đã định dạng) "
                                   "rồi lưu lại và gửi lại."))
        cells += rows * cols
        if cells > MAX_CELLS:
            raise _Refused(_refuse("TOO_MANY_CELLS", f"Bảng tính quá lớn (vùng dữ liệu hơn {_num(MAX_CELLS)} ô). "
                                   "Hãy xoá các trang tính, cột và dòng thừa rồi lưu lại và gửi lại."))

    while pos + 4 <= n:
        rtype, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4:pos + 4 + length]
        pos += 4 + length
        if rtype == 0x002F:
            raise _password()
        if rtype == 0x0809 or rtype in (0x0009, 0x0209, 0x0409):  # BOF: a new substream
            close_sheet()
            sheet, rows, cols = sheet + 1, 0, 0
        elif rtype == 0x0200 and len(body) >= 14:  # DIMENSIONS (BIFF8): rwMac, colMac are one past the last
            rows = max(rows, struct.unpack_from("<I", body, 4)[0])
            cols = max(cols, struct.unpack_from("<H", body, 10)[0])
        elif rtype == 0x0200 and len(body) >= 8:  # DIMENSIONS (BIFF5)
            rows = max(rows, struct.unpack_from("<H", body, 2)[0])
            cols = max(cols, struct.unpack_from("<H", body, 6)[0])
        elif rtype in _BIFF_CELLS and len(body) >= 4:
            r, c = struct.unpack_from("<HH", body)
            rows, cols = max(rows, r + 1), max(cols, c + 1)
        elif rtype in _BIFF_MULTI and len(body) >= 6:
            r = struct.unpack_from("<H", body)[0]
            c = struct.unpack_from("<H", body, len(body) - 2)[0]
            rows, cols = max(rows, r + 1), max(cols, c + 1)
        if rows > MAX_ROWS or cells + rows * cols > MAX_CELLS:
            close_sheet()
    close_sheet()


# ------------------------------------------------------------------------------------------------ safe names

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
