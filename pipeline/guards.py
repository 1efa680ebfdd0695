"""Guards: check a dropped file BEFORE any workbook reader touches it.

`check_file(path)` reads the file once and returns a `Checked` (its bytes, its kind and, for an xlsx, the
inflated workbook, relationships, styles and worksheet parts) when it may be handed to python-calamine, else a
`Refusal` whose `detail` tells the officer, in Vietnamese, what is wrong and what to do. `inspect_file(path)`
runs the same checks and returns None or the Refusal. The file is opened once (one descriptor, opened
non-blocking, checked to be a regular file, its size bounded before anything is read) and read whole; every
check then runs on those bytes in memory, members are inflated in bounded chunks (the scanners see each in
pieces cut just before a '<', so that no tag or attribute is ever split; a long piece without one, such as a
comment, is searched value by value, so that the guard's own memory stays near the member's size however many
values it holds), and the first refusal stops it.
`safe_name(name)` turns a dropped file's relative path into one safe file name for receipts.

Bounds (a district workbook is ~10 KB and unpacks to well under 1 MB):
- MAX_FILE_BYTES = 20 MiB on disk.
- MAX_ZIP_ENTRIES = 2 000 members in a zip-based workbook (xlsx, xlsm, ods), and MAX_DIRECTORY_BYTES = 1 MiB
  of central directory, both read from the zip's end record before the directory is parsed.
- MAX_UNPACKED_BYTES = 50 MiB in total once unpacked, counted by actually inflating every member (sizes
  declared in the zip are checked first, then verified: a member that inflates to more or less than it
  declares, or fails its CRC, is refused).
- MAX_RATIO = 100:1 (unpacked : on-disk), overall and per member, applied once the total or the member
  unpacks to more than RATIO_MIN_BYTES = 1 MiB (tiny files are harmless whatever their ratio).
- MAX_ROWS = 20 000 rows per sheet, MAX_CELLS = 1 000 000 cells (rows x columns of each sheet's used
  area, summed over sheets: calamine allocates that rectangle densely, however few cells are filled).
  xlsx/xlsm, bounded from above as calamine places cells: rows are the largest of the `<dimension ref>`
  and the highest row of any `r=` value plus the number of `<row>` elements without `r=` (such a row
  follows the previous one); columns are the largest of the dimension and the highest column of any `r=`
  value plus, once a `<c>` without `r=` appears (placed right after the previous cell), the most `<c>` in
  one row. Tags count with any namespace prefix (calamine compares the name after the first ':'), `r=`
  anywhere in a tag (also right after the previous value's quote). Measured: every member that is a
  worksheet by its path or root element, from its start (transcoded to UTF-8 if it is UTF-16), and, as raw
  bytes, every member not measured so, from its first `sheetData` on: calamine reads cells only inside
  that element, but in whichever part a relationship names, whatever its root, and it parses the ASCII
  markup behind a binary signature or a UTF-16 byte order mark. ods: from `content.xml` with
  row/column repeats expanded up to the last non-empty cell (as calamine does), its elements and
  attributes recognised by local name in any namespace (calamine matches the literal `table:` prefix,
  whatever namespace it is bound to); a cell is empty only when it has no content and no attribute but
  those LibreOffice writes on empty cells (repeats, style, spans, validation, protection): calamine reads
  `office:value`, `string-value`, `date-value`, `time-value`, `boolean-value` even without a value type.
  xls: every stream named "Workbook" or "Book" in any case, by calamine's decoding of directory names (the
  first 64 bytes, up to a NUL) or by their stored length (xlrd's), whatever the entry's type, each checked
  on its own; in each, each substream from its BOF, and each sheet as calamine reads it: from the offset of
  its BOUNDSHEET record (in the globals, up to their EOF), skipping nothing (calamine skips a nested BOF …
  EOF, an embedded chart, whose cells only count more), up to the EOF closing its own BOF (or the end of
  the stream); extents from DIMENSIONS (also the rows x columns calamine reserves from them, which wrap
  around when the first row or column is past the last) and every cell record (a MULRK's cells from its
  first column on, whatever its last column field says).
  Sheets count as a full read looks them up, by name (`get_sheet_by_name` for each of `sheet_names`): of
  several sheets of one name each lookup reads the same one, so they count as many times the largest of
  them (ods and xls: calamine keeps the last sheet of a name, and lists the name once per sheet; an xls
  name decoded as calamine decodes it, in the workbook's codepage, NULs dropped). xlsx: each
  `<sheet>` of xl/workbook.xml counts the part its relationship names (a part named by several sheets,
  through one `r:id` or several relationships, counts once per sheet), the tags and attributes read as
  quick-xml reads them, in each way the bytes may be decoded (behind a UTF-16 byte order mark quick-xml
  parses the ASCII markup), any doubt counting more (ZIP_BOMB beyond 4 x MAX_ZIP_ENTRIES relationships).
- MAX_SHEETS = 2 000 sheets (xlsx `<sheet>` entries, xls BOUNDSHEETs, ods tables): calamine finds a sheet by
  its name in a list, so that a full read of n sheets costs n² comparisons.
- Time and memory: for any file within these bounds, `inspect_file` followed by a full calamine read of
  every sheet (`to_python()`) takes under MAX_SECONDS = 5 s and MAX_RSS_BYTES = 300 MiB peak RSS on a
  2-core machine (benchmarks/guards.py measures the time, tests/test_guards.py the memory).

Refusal codes and how each is detected:
- FILE_EMPTY: 0 bytes.  FILE_TOO_LARGE: over MAX_FILE_BYTES.
- NOT_A_WORKBOOK: not a regular file, or the magic bytes are neither zip ("PK\\x03\\x04") nor OLE2; or a
  zip/OLE2 holding no workbook (a Word document, a plain zip), or an .xlsb (an `xl/workbook.bin`, even next
  to an `xl/workbook.xml`: calamine reads it when the xlsx parts fail). The detail names what it looks like
  (CSV, HTML page, PDF, image, …). A zip's format is decided as calamine decides it: xlsx by
  `xl/workbook.xml` in any ASCII case and with "\\" for "/" (as calamine's xlsx reader finds parts), ods by
  the exact names `mimetype` and `content.xml`.
- EXTENSION_MISMATCH: only with `allow_renamed=False`. By default a real workbook under the wrong suffix
  (an .xls or .ods named .xlsx) is accepted, and checked as what it really is: read such files with
  `CalamineWorkbook.from_filelike` (sniffs the content); `from_path` goes by the suffix and fails on them.
  `detect_format(path)` says which container a file really is ("zip" or "ole2").
- ZIP_DAMAGED: the central directory cannot be read (truncated, no end record, bad entries), or the zip's
  structure is ambiguous, so that another reader could follow a different directory than the one checked
  here (calamine's zip reader falls back on an earlier end record when it rejects the last one): bytes
  after the end record's comment or a comment running past the end, a central directory not exactly where
  the end record puts it (data prepended to the zip, or between the directory and the end records), a
  multi-disk or inconsistent end record (member counts disagreeing with each other or with the directory),
  a zip64 end record not where its locator says; or member names that readers resolve differently: two
  names equal once ASCII case is folded and "\\" read as "/" (zipfile reads the last of two same-named
  members, calamine the first spelling it finds), a name holding a NUL (zipfile cuts it there), an Info-ZIP
  Unicode Path field (0x7075) giving another name (calamine's zip reader renames the member after it); or
  the marks of two formats in one zip (`xl/workbook.xml` or `xl/_rels/workbook.xml.rels`, and `mimetype` or
  `content.xml`): calamine tries xlsx, then xlsb, then ods, falling back on the next when one fails on a
  damaged part, so the guard could not know which it reads. Also a member's local header is bad, its
  data is cut short, inflates to a size other than declared, fails its CRC, uses a compression other than
  stored/deflate, or an XML part is malformed where the guard must parse it (ods content.xml). A member
  whose content is refused is still inflated to its end (no more scanning) so that damage is reported first.
- ZIP_BOMB: too many members (or too large a central directory), too large once unpacked (declared, or
  inflating to more than declared), or too high a ratio; or a shared-string table declaring more than
  MAX_CELLS unique strings (`uniqueCount`, which calamine reserves memory for up front); or an xlsx
  workbook whose relationships number more than 4 x MAX_ZIP_ENTRIES.
- PASSWORD_PROTECTED: an OLE2 file with an "EncryptionInfo"/"EncryptedPackage" stream (encrypted xlsx);
  an .xls whose Workbook stream has a FILEPASS record (0x002F); an ods whose manifest has
  `encryption-data`; a zip member with the encryption flag set. (calamine would also raise
  `python_calamine.PasswordError` for a protected .xls.)
- XLS_DAMAGED: an OLE2 file whose sectors, directory or Workbook stream cannot be followed (read as calamine
  reads them: the root is the first directory entry, a stream under MINI_CUTOFF bytes is in the mini
  stream, so a header giving another cutoff is refused, and a DIFAT or mini-stream chain that does not end
  is refused, where calamine would follow it until memory runs out); or a BOUNDSHEET whose offset is not
  where a later record of the stream starts (calamine would read a sheet hidden in another record's body)
  or is shared with another BOUNDSHEET.
- XML_ENTITIES: `<!DOCTYPE` or `<!ENTITY` (any case, UTF-8 or UTF-16) anywhere in any member (XML parts,
  and any other member that is not a recognisable binary: OLE2, zip, PNG, JPEG, GIF, EMF, WMF), scanned in
  chunks while inflating. Except in an SVG image (`xl/media/*.svg`, ods `Pictures/*.svg`; illustration
  software writes a DOCTYPE in SVG logos): calamine parses no media, so there a declaration is refused only
  if an xlsx relationship names the image's file (in any relationships part but those of drawings and
  charts, where images are named), since calamine reads a part wherever a relationship points.
- TOO_MANY_ROWS / TOO_MANY_CELLS: over MAX_ROWS / MAX_CELLS as counted above (also when a cell reference
  is written so that it cannot be read, e.g. with character references); TOO_MANY_CELLS also for more than
  MAX_SHEETS sheets.

Not refused: macros. An .xlsm is read like an .xlsx; calamine only reads cell values and never runs
anything (VBA projects, XLM macros, external links and OLE objects are ignored). Odd file names (spaces,
NFD Vietnamese, quotes, '#', '%', emoji, leading '-', long names) are fine: the path is never passed to a
shell or parsed.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import hashlib
import os
import re
import stat
import struct
import unicodedata
import zlib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from xml.parsers import expat

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_RATIO = 100
RATIO_MIN_BYTES = 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_ROWS = 20_000
MAX_CELLS = 1_000_000
MAX_SHEETS = 2000  # sheets per workbook: calamine finds each by name in a list, and a full read asks for each
MAX_SECONDS = 5.0
MAX_RSS_BYTES = 300 * 1024 * 1024

CHUNK = 256 * 1024  # inflate in pieces of this size
NAME_MAX_BYTES = 150  # safe_name: at most this many bytes of UTF-8

WORKBOOK_SUFFIXES = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods"}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
EXCEL_MAX_ROWS, EXCEL_MAX_COLS = 1_048_576, 16_384
WORKBOOK_PARTS = ("xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml")  # kept in Checked.parts


@dataclass(frozen=True)
class Refusal:
    code: str
    detail: str  # Vietnamese, NFC: what is wrong with the file and what the officer should do


@dataclass(frozen=True)
class Checked:
    """A file that passed the guards, read once: its bytes and what the guards learned while inflating it."""

    data: bytes  # the whole file, exactly as on disk (read once, <= MAX_FILE_BYTES)
    kind: str  # "xlsx" (also .xlsm), "xls" or "ods": by content, as _check found it
    parts: dict[str, bytes]  # xlsx only ({} otherwise): the inflated bytes of WORKBOOK_PARTS (found in any
    # ASCII case, as calamine finds them) and of every member _XlsxSheet measured, keyed by member name (names
    # are unique: a zip with two members of one name, in any case, is refused)


def _refuse(code: str, detail: str) -> Refusal:
    return Refusal(code, unicodedata.normalize("NFC", detail))


class _Refused(Exception):  # noqa: N818 - internal control flow, carries the refusal
    def __init__(self, refusal: Refusal):
        super().__init__(refusal.code)
        self.refusal = refusal


def _mb(n: int) -> str:
    """2147483648 -> "2.048,0 MB" (Vietnamese marks)."""
    return f"{n / (1024 * 1024):,.1f}".translate(str.maketrans(",.", ".,")) + " MB"


def _num(n: int) -> str:
    """1000000 -> "1.000.000" (Vietnamese thousands)."""
    return f"{n:,}".replace(",", ".")


RESAVE = "Hãy mở báo cáo bằng Excel, lưu lại dưới dạng .xlsx rồi gửi lại."
KIND_NAMES = {"xlsx": "Excel (.xlsx/.xlsm)", "xls": "Excel 97-2003 (.xls)", "ods": "OpenDocument (.ods)"}


def _too_many_sheets() -> _Refused:
    return _Refused(_refuse("TOO_MANY_CELLS", f"Bảng tính có hơn {_num(MAX_SHEETS)} trang tính, vượt giới hạn cho "
                            "phép. Hãy xoá các trang tính thừa rồi lưu lại và gửi lại."))


def _too_many_cells() -> _Refused:
    return _Refused(_refuse("TOO_MANY_CELLS", f"Bảng tính quá lớn (vùng dữ liệu hơn {_num(MAX_CELLS)} ô). Hãy xoá "
                            "các trang tính, cột và dòng thừa rồi lưu lại và gửi lại."))


_UNSURE = object()  # the group key of sheet names whose reading cannot be told apart for certain


class _Reads:
    """The cells a full read allocates, sheet by sheet as readers look them up: calamine (and whoever reads
    every name of `sheet_names` with `get_sheet_by_name`) finds a sheet by its name, so of several sheets of
    one name each lookup reads the same one. A name's sheets therefore count as many times the largest of
    them; names that cannot be decoded for certain share one group (`_UNSURE`)."""

    def __init__(self) -> None:
        self.groups: dict[object, tuple[int, int]] = {}  # key -> (sheets, largest area)
        self.total = 0
        self.sheets = 0

    def add(self, key: object, area: int) -> None:
        self.sheets += 1
        if self.sheets > MAX_SHEETS:
            raise _too_many_sheets()
        count, top = self.groups.get(key, (0, 0))
        self.total += (count + 1) * max(top, area) - count * top
        self.groups[key] = (count + 1, max(top, area))
        if self.total > MAX_CELLS:
            raise _too_many_cells()


_SPACES = re.compile(r"\s+")


def _name_key(name: str) -> str:
    """A sheet name for grouping: whitespace runs as one space (XML parsers differ on attribute whitespace,
    and merging two names only counts more)."""
    return _SPACES.sub(" ", name)


# ---------------------------------------------------------------------------------------------- entry point


def check_file(path: Path, *, allow_renamed: bool = True) -> Checked | Refusal:
    """Read the file once (O_NONBLOCK, regular files only, size bounds before reading), run every check on
    the bytes in memory, and return them with the kind and (xlsx) the parts inflated on the way."""
    try:
        data = _read(path)
        kind, parts = _check(data, path, allow_renamed)
    except _Refused as r:
        return r.refusal
    return Checked(data, kind, parts)


def inspect_file(path: Path, *, allow_renamed: bool = True) -> Refusal | None:
    """None if the file may be read by calamine, else why not. Bounded in time, memory and what it reads."""
    result = check_file(path, allow_renamed=allow_renamed)
    return result if isinstance(result, Refusal) else None


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


def _read(path: Path) -> bytes:
    """The whole file through one non-blocking descriptor: a regular file, its size bounded before reading
    (and again after, should it have changed meanwhile)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise _Refused(_refuse("NOT_A_WORKBOOK", f"Không mở được tệp (lỗi hệ thống {exc.errno}). "
                               "Hãy gửi lại tệp báo cáo.")) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Refused(_refuse("NOT_A_WORKBOOK", "Đây không phải là một tệp thông thường. Hãy gửi tệp báo cáo "
                                   "Excel."))
        _check_file_size(st.st_size)
        parts: list[bytes] = []
        total, limit, want = 0, MAX_FILE_BYTES + 1, st.st_size + 1
        while total < limit:  # one read for a file that did not change since fstat
            piece = os.read(fd, min(want, limit - total))
            if not piece:
                break
            parts.append(piece)
            total += len(piece)
            want = CHUNK  # it grew: read on, within the bound
    finally:
        os.close(fd)
    data = parts[0] if len(parts) == 1 else b"".join(parts)
    _check_file_size(len(data))
    return data


def _check_file_size(size: int) -> None:
    if size == 0:
        raise _Refused(_refuse("FILE_EMPTY", "Tệp rỗng (0 byte). Hãy lưu lại báo cáo bằng Excel rồi gửi lại."))
    if size > MAX_FILE_BYTES:
        raise _Refused(_refuse("FILE_TOO_LARGE", f"Tệp quá lớn ({_mb(size)}, tối đa {_mb(MAX_FILE_BYTES)}). "
                               "Báo cáo của một đơn vị chỉ vài chục KB: hãy xoá các trang tính, hình ảnh thừa "
                               "rồi lưu lại và gửi lại."))


def _check(data: bytes, path: Path, allow_renamed: bool) -> tuple[str, dict[str, bytes]]:
    expected = WORKBOOK_SUFFIXES.get(path.suffix.lower())
    parts: dict[str, bytes] = {}
    if data.startswith(ZIP_MAGIC) or data.startswith(b"PK\x05\x06"):
        kind, parts = _check_zip(data)
    elif data.startswith(OLE_MAGIC):
        kind = _check_ole(data)
    else:
        raise _Refused(_refuse("NOT_A_WORKBOOK", f"Tệp không phải là bảng tính Excel: nội dung là "
                               f"{_sniff(data[:8192])}. " + RESAVE))
    if kind != expected and (expected is None or not allow_renamed):
        suffix = path.suffix or "(không có đuôi)"
        raise _Refused(_refuse("EXTENSION_MISMATCH", f"Tệp có đuôi {suffix} nhưng thực chất là tệp "
                               f"{KIND_NAMES[kind]}. Hãy đổi đuôi tệp cho đúng, hoặc mở bằng Excel và lưu lại "
                               "dưới dạng .xlsx rồi gửi lại."))
    return kind, parts


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


def _zip_ambiguous(what: str) -> _Refused:
    """A zip that different readers could read differently (member names, formats): ZIP_DAMAGED."""
    return _Refused(_refuse("ZIP_DAMAGED", f"Tệp nén có cấu trúc không rõ ràng ({what}): mỗi phần mềm có thể đọc "
                            "ra một nội dung khác nhau, nên tệp không được mở để bảo đảm an toàn. " + RESAVE))


def _zip_bomb(what: str) -> _Refused:
    return _Refused(_refuse("ZIP_BOMB", f"Tệp có cấu trúc bất thường ({what}) nên không được mở để bảo đảm an "
                            "toàn. " + RESAVE))


_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_HALVES = struct.Struct("<HH")
_QUAD = struct.Struct("<Q")
MAX_DIRECTORY_BYTES = 1024 * 1024  # the zip's central directory: ~100 bytes per member of a real workbook
ZIP_STORED, ZIP_DEFLATED = 0, 8
_NO_DIRECTORY = "không đọc được mục lục của tệp nén"


class _Member(NamedTuple):
    """A central-directory entry, with the fields (and the name decoding) of zipfile.ZipInfo."""

    name: str
    flag_bits: int
    compress_type: int
    crc: int
    compress_size: int
    file_size: int
    header_offset: int


def _end_records(data: bytes) -> tuple[int, int, int, int]:
    """(members, central-directory bytes, its offset, where it must end) from the end records, which must
    leave no doubt about where the one central directory is."""
    size = len(data)
    at = data.rfind(b"PK\x05\x06", max(0, size - (_EOCD.size + 65535)))
    if at < 0 or at + _EOCD.size > size:
        raise _zip_damaged("không tìm thấy mục lục của tệp nén")
    _, disk, cd_disk, here, count, cd_size, cd_offset, comment = _EOCD.unpack_from(data, at)
    end = at  # the central directory ends where the end records begin
    locator = at - _ZIP64_LOCATOR.size
    if locator >= 0 and data.startswith(b"PK\x06\x07", locator):
        _, z_disk, record, disks = _ZIP64_LOCATOR.unpack_from(data, locator)
        end = locator - _ZIP64_EOCD.size
        if end < 0 or record != end or z_disk or disks > 1 or not data.startswith(b"PK\x06\x06", end):
            raise _zip_damaged(_NO_DIRECTORY)
        _, length, _, _, disk64, cd_disk64, here64, count64, size64, offset64 = _ZIP64_EOCD.unpack_from(data, end)
        if length != _ZIP64_EOCD.size - 12 or any(
                short not in (full, sentinel) for short, full, sentinel in (
                    (disk, disk64, 0xFFFF), (cd_disk, cd_disk64, 0xFFFF), (here, here64, 0xFFFF),
                    (count, count64, 0xFFFF), (cd_size, size64, 0xFFFFFFFF), (cd_offset, offset64, 0xFFFFFFFF))):
            raise _zip_damaged(_NO_DIRECTORY)
        disk, cd_disk, here, count, cd_size, cd_offset = disk64, cd_disk64, here64, count64, size64, offset64
    if count > MAX_ZIP_ENTRIES:
        raise _zip_bomb(f"{_num(count)} thành phần bên trong, tối đa {_num(MAX_ZIP_ENTRIES)}")
    if cd_size > MAX_DIRECTORY_BYTES:
        raise _zip_bomb(f"mục lục tệp nén {_mb(cd_size)}, tối đa {_mb(MAX_DIRECTORY_BYTES)}")
    # Readers disagree on zips that need guessing (a prefix, trailing bytes, counts that do not match): the
    # directory checked here must be the only one another reader could find.
    if at + _EOCD.size + comment != size or disk or cd_disk or here != count or cd_offset + cd_size != end:
        raise _zip_damaged(_NO_DIRECTORY)
    return count, cd_size, cd_offset, end


def _central_directory(data: bytes) -> list[_Member]:
    """The members, as zipfile lists them (names decoded as UTF-8 or cp437 and cut at a NUL, zip64 sizes
    and offsets from the extra field), from a central directory that must fill its place exactly."""
    count, _, pos, end = _end_records(data)
    members: list[_Member] = []
    while pos < end:
        if pos + _CENTRAL.size > end:
            raise _zip_damaged(_NO_DIRECTORY)
        (sig, _, _, version, _, flags, method, _, _, crc, csize, usize, n, m, k, _, _, _,
         offset) = _CENTRAL.unpack_from(data, pos)
        name_at = pos + _CENTRAL.size
        pos = name_at + n + m + k
        if sig != b"PK\x01\x02" or version > 63 or pos > end:
            raise _zip_damaged(_NO_DIRECTORY)
        raw = data[name_at:name_at + n]
        try:
            name = raw.decode("utf-8" if flags & 0x800 else "ascii" if raw.isascii() else "cp437")
        except UnicodeDecodeError:
            raise _zip_damaged(_NO_DIRECTORY) from None
        if "\x00" in name:  # zipfile cuts the name there, calamine's zip reader does not
            raise _zip_ambiguous(f"tên thành phần {name[:name.index(chr(0))]!r} chứa ký tự rỗng")
        extra = data[name_at + n:name_at + n + m]
        while len(extra) >= 4:  # as zipfile.ZipInfo._decodeExtra
            tag, length = _HALVES.unpack_from(extra)
            if length + 4 > len(extra):
                raise _zip_damaged(_NO_DIRECTORY)
            if tag == 0x7075 and extra[9:length + 4] != name.encode("utf-8"):
                # Info-ZIP Unicode Path: calamine's zip reader renames the member after it, zipfile does not
                raise _zip_ambiguous(f"tên thành phần {name!r} được ghi theo hai cách")
            if tag == 1:
                field = extra[4:length + 4]
                try:
                    if usize in (0xFFFFFFFFFFFFFFFF, 0xFFFFFFFF):
                        usize, field = _QUAD.unpack_from(field)[0], field[8:]
                    if csize == 0xFFFFFFFF:
                        csize, field = _QUAD.unpack_from(field)[0], field[8:]
                    if offset == 0xFFFFFFFF:
                        offset = _QUAD.unpack_from(field)[0]
                except struct.error:
                    raise _zip_damaged(_NO_DIRECTORY) from None
            extra = extra[length + 4:]
        members.append(_Member(name, flags, method, crc, csize, usize, offset))
        if len(members) > MAX_ZIP_ENTRIES:
            raise _zip_bomb(f"hơn {_num(MAX_ZIP_ENTRIES)} thành phần bên trong, tối đa {_num(MAX_ZIP_ENTRIES)}")
    if len(members) != count:
        raise _zip_damaged(_NO_DIRECTORY)
    return members


_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ\\", "abcdefghijklmnopqrstuvwxyz/")


def _norm(name: str) -> str:
    """A member name as calamine's xlsx reader compares it: ASCII letters folded, backslashes as slashes."""
    return name.translate(_ASCII_FOLD)


def _check_zip(data: bytes) -> tuple[str, dict[str, bytes]]:
    members = _central_directory(data)
    names = [m.name for m in members]
    by_norm = dict(zip(_norm("\x00".join(names)).split("\x00"), names, strict=True))  # names hold no NUL
    if len(by_norm) != len(members):  # zipfile and calamine read the last copy, or the first spelling found
        seen: set[str] = set()
        for m in members:
            if (key := _norm(m.name)) in seen:
                raise _zip_ambiguous(f"hai thành phần cùng tên {m.name!r}")
            seen.add(key)
    kind = _zip_kind(by_norm.keys(), set(names))
    _check_sizes(sum(m.file_size for m in members), len(data), members)
    for m in members:
        if m.flag_bits & 0x1:
            raise _Refused(_refuse("PASSWORD_PROTECTED", "Tệp được nén có mật khẩu. Hãy gỡ mật khẩu, lưu lại "
                                   "báo cáo bằng Excel rồi gửi lại."))
        if m.compress_type not in (ZIP_STORED, ZIP_DEFLATED):
            raise _zip_damaged(f"kiểu nén lạ số {m.compress_type}")
    scan = _ZipScan(kind, data, by_norm)
    for m in members:
        scan.member(m)
    if kind == "xlsx":
        scan.sheet_reads()
    if scan.images:
        scan.media_entities(members)
    return kind, scan.parts


def _zip_kind(norm: Collection[str], names: set[str]) -> str:
    """The format calamine reads the zip as, from the member names (`norm`: as calamine's xlsx reader compares
    them; `names`: exact, as its ods reader looks them up). calamine tries xlsx, then xlsb, then ods, and falls
    back on the next when one fails on a damaged part: a zip with the marks of two formats is refused."""
    if "xl/workbook.bin" in norm:
        what = "bảng tính Excel nhị phân (.xlsb), chưa được hỗ trợ"
        raise _Refused(_refuse("NOT_A_WORKBOOK", f"Tệp không phải là bảng tính Excel: nội dung là {what}. " + RESAVE))
    if ("xl/workbook.xml" in norm or "xl/_rels/workbook.xml.rels" in norm) and (
            "mimetype" in norm or "content.xml" in norm):
        raise _zip_ambiguous("vừa có phần của bảng tính Excel vừa có phần của bảng tính OpenDocument")
    if "xl/workbook.xml" in norm:
        return "xlsx"
    if "content.xml" in names and "mimetype" in names:
        return "ods"
    if "word/document.xml" in norm:
        what = "tài liệu Word (.docx)"
    elif any(n.startswith("ppt/") for n in norm):
        what = "bài trình chiếu PowerPoint (.pptx)"
    elif "content.xml" in norm:
        what = "tài liệu OpenDocument không phải bảng tính"
    else:
        what = "tệp nén ZIP không chứa bảng tính"
    raise _Refused(_refuse("NOT_A_WORKBOOK", f"Tệp không phải là bảng tính Excel: nội dung là {what}. " + RESAVE))


def _check_sizes(unpacked: int, on_disk: int, members: list[_Member]) -> None:
    if unpacked > MAX_UNPACKED_BYTES:
        raise _zip_bomb(f"giải nén ra {_mb(unpacked)}, tối đa {_mb(MAX_UNPACKED_BYTES)}")
    if unpacked > RATIO_MIN_BYTES and unpacked > MAX_RATIO * on_disk:
        raise _zip_bomb(f"tỉ lệ nén {unpacked // max(1, on_disk)}:1, tối đa {MAX_RATIO}:1")
    for m in members:
        if m.file_size > RATIO_MIN_BYTES and m.file_size > MAX_RATIO * max(1, m.compress_size):
            raise _zip_bomb(f"thành phần {m.name!r} có tỉ lệ nén {m.file_size // max(1, m.compress_size)}:1, "
                            f"tối đa {MAX_RATIO}:1")


# ---------------------------------------------------------------------------------------- inflating members

_LOCAL_NAME_EXTRA = struct.Struct("<HH")  # at offset 26 of a local header (30 bytes)
_SHEET_PATH = re.compile(r"(^|/)(worksheets|dialogsheets|macrosheets)/[^/]+$", re.IGNORECASE)
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_ENTITY = re.compile(rb"<!(?:doctype|entity)", re.IGNORECASE)  # ASCII-only folding, as bytes.lower()
_DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension\s[^<]*?\bref\s*=\s*[\"']\$?([A-Za-z]{0,3})\$?([0-9]{0,9})"
                        rb"(?::\$?([A-Za-z]{0,3})\$?([0-9]{0,9}))?[\"']")
# Row and cell tags as calamine (quick-xml) names them: the local name after the first ':' of whatever
# precedes the first whitespace, so any prefix at all ("<x:c", "<ñ:c", "<a$b:c"); not end tags, comments
# or processing instructions. A tag whose first attribute is r= certainly has one; every other tag is
# counted as having none (an over-count only widens the bound).
_TAG = re.compile(rb"<(?![/!?])(?:[^ \t\r\n:<]*+:)?(c|row)[\s/>]")
_NO_R_TAG = re.compile(rb"<(c|row)(?![ \t\r\n]+r[ \t\r\n]*=)[\s/>]")  # unprefixed, first attribute not r=
# Cheap tests before it: every tag it finds is found by one of these (it is not followed by " r=").
_NO_R_CELL_QUICK, _NO_R_ROW_QUICK = re.compile(rb"<c(?! r=)[\s/>]"), re.compile(rb"<row(?! r=)[\s/>]")
_PREFIXED_TAG = re.compile(rb":(?:c|row)[\s/>]")  # cheap test before the prefixed search below
_NO_R_PREFIXED_TAG = re.compile(rb"<(?![/!?])[^ \t\r\n:<]*+:(c|row)(?![ \t\r\n]+r[ \t\r\n]*=)[\s/>]")
# Every r= attribute (after whitespace or a quote, as attributes follow each other; the look-behind does not
# consume the quote closing a previous value, so r="A1"r="XFD9" yields both), with its quote, its value
# (up to a quote or '<') and the character ending it.
_R_VALUE = re.compile(rb"r(?<=[\s\"']r)\s*=\s*([\"'][^\"'<]*[\"'<]?)")
_REF_VALUE = re.compile(rb"[\"']([A-Za-z]*)([0-9]+)[\"']")  # r="XFD20000" (row: r="20000")
_ODD_VALUE = re.compile(rb"\"[A-Za-z0-9]*[^\"<A-Za-z0-9]|'[A-Za-z0-9]*[^'<A-Za-z0-9]")  # r="&#88;FD1"
_ALNUM = bytes(range(48, 58)) + bytes(range(65, 91)) + bytes(range(97, 123))
_LETTERS, _DIGITS = _ALNUM[10:], _ALNUM[:10]
_QUOTES_TO_SPACES = bytes.maketrans(b"\"'", b"  ")
_FINDALL_BYTES = 4 * CHUNK  # a piece longer than this (no '<' in it) is searched value by value
_BATCH = 65536
_UNIQUE_COUNT = re.compile(rb"uniqueCount\s*=\s*[\"']([^\"'<]*)")
_NUMBER = re.compile(rb"[0-9]+")


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper()[:8]:
        n = n * 26 + ch - 64
    return n


_UTF16 = {b"\xff\xfe": "utf-16", b"<\x00": "utf-16-le", b"\xfe\xff": "utf-16", b"\x00<": "utf-16-be"}


def _name_facts(kind: str, name: str) -> tuple[bool, bool, bool, bool, bool, bool]:
    """What a member's name says: (ods manifest, ods content, XML by its suffix, a worksheet by its path,
    xlsx shared strings, which calamine finds ignoring case, an SVG image)."""
    return _usual_name_facts(kind, name) if len(name) <= 128 else _read_name(kind, name)


def _read_name(kind: str, name: str) -> tuple[bool, bool, bool, bool, bool, bool]:
    lowered = name.lower()
    return (kind == "ods" and lowered == "meta-inf/manifest.xml", kind == "ods" and lowered == "content.xml",
            lowered.endswith((".xml", ".rels", ".vml")), _SHEET_PATH.search(name) is not None,
            kind == "xlsx" and "sharedstrings" in lowered, _IMAGE.fullmatch(_norm(name)) is not None)


_usual_name_facts = functools.lru_cache(maxsize=512)(_read_name)  # the same few names in every workbook


class _Plan(NamedTuple):
    """How a member is scanned, decided from its name and first chunk."""

    binary: bool  # a recognised binary: no text scan
    utf16: str | None  # the text scan transcodes it to UTF-8 first
    role: str  # text handler: "manifest", "content" (ods) or "sheet" (xlsx, by path or root), else ""
    probe: bool  # xlsx, not measured as raw bytes from its start: measured from its first sheetData on
    shared: bool  # xlsx shared strings: bound their uniqueCount (raw bytes)
    image: bool  # an SVG image: a DOCTYPE/ENTITY in it is refused only if calamine may parse it (media_entities)


class _ZipScan:
    """Inflates every member in bounded chunks, counting real sizes and scanning XML parts."""

    def __init__(self, kind: str, data: bytes, by_norm: dict[str, str]):
        self.kind = kind
        self.data = data
        self.view = memoryview(data)
        self.by_norm = by_norm  # member names as calamine's xlsx reader compares them -> as stored
        self.kept = {by_norm[n] for n in WORKBOOK_PARTS if n in by_norm}  # kept in parts, whatever their case
        self.unpacked = 0
        self.cells = 0  # rows x columns, summed over sheets
        self.areas: dict[str, int] = {}  # xlsx: rows x columns of each measured member
        self.parts: dict[str, bytes] = {}
        self.images: set[str] = set()  # SVG images holding a DOCTYPE/ENTITY declaration

    def member(self, m: _Member) -> None:
        data, name = self.data, m.name
        at = m.header_offset
        if at + 30 > len(data) or not data.startswith(ZIP_MAGIC, at):
            raise _zip_damaged(f"đầu mục {name!r} sai")
        n, k = _LOCAL_NAME_EXTRA.unpack_from(data, at + 26)
        start = at + 30 + n + k
        end = start + m.compress_size
        if end > len(data):
            raise _zip_damaged(f"thành phần {name!r} bị cắt cụt")
        whole = self._whole(m, start, end) if m.file_size <= CHUNK else None
        if whole is None:
            self._stream(m, start, end)
            return
        if zlib.crc32(whole) != m.crc:
            raise _zip_damaged(f"thành phần {name!r} sai kích thước hoặc mã kiểm tra CRC")
        self.unpacked += len(whole)
        if self._scan_whole(name, whole) or name in self.kept:
            self.parts[name] = whole

    def _whole(self, m: _Member, start: int, end: int) -> bytes | None:
        """A small member in one piece, when it inflates exactly as declared (else None: the chunked path
        then inflates it again and reports what is wrong)."""
        if m.compress_type != ZIP_DEFLATED:
            if m.compress_size != m.file_size:
                return None
            whole = self.data[start:end]
        elif m.compress_size > CHUNK:
            return None
        else:
            inflater = zlib.decompressobj(-15)
            try:
                whole = inflater.decompress(self.view[start:end], CHUNK)
            except zlib.error:
                return None
            if not inflater.eof:
                return None
        return whole if whole and len(whole) == m.file_size else None

    def _stream(self, m: _Member, start: int, end: int) -> None:
        """Inflates a member chunk by chunk, scanning each chunk as it comes."""
        data, name = self.data, m.name
        inflater = zlib.decompressobj(-15) if m.compress_type == ZIP_DEFLATED else None
        keep: list[bytes] | None = [] if self.kind == "xlsx" else None  # for Checked.parts
        text: _Sink | None = None  # entity scan, ods parsing, worksheets by path or root (UTF-16 transcoded)
        raw: _Sink | None = None  # xlsx: the bytes as calamine parses them
        sheets: list[_XlsxSheet | _SheetProbe] = []
        pending: _Refused | None = None  # a content refusal waits for the CRC: damage is reported first
        closed = False
        total = crc = 0
        pos = start
        try:
            while True:
                if inflater is None:
                    if pos >= end:
                        break
                    out = data[pos:min(pos + CHUNK, end)]
                    pos += len(out)
                    last = pos >= end
                else:
                    if inflater.unconsumed_tail:
                        out = inflater.decompress(inflater.unconsumed_tail, CHUNK)
                    elif pos < end:
                        out = inflater.decompress(self.view[pos:min(pos + CHUNK, end)], CHUNK)
                        pos = min(pos + CHUNK, end)
                    else:
                        break
                    if not out:
                        if inflater.eof:
                            break
                        continue
                    last = inflater.eof
                total += len(out)
                if total > m.file_size:  # declared sizes were checked against the bounds: hold it to them
                    raise _zip_bomb(f"thành phần {name!r} giải nén ra nhiều hơn khai báo")
                crc = zlib.crc32(out, crc)
                if keep is not None:
                    keep.append(out)
                if pending is not None:
                    continue
                final = last and total == m.file_size  # the last chunk: the handlers see the rest at once
                try:
                    if text is None:  # tried again on each chunk while the member looks binary
                        at_start = total == len(out)
                        text, first_raw = self._sinks(name, self._plan(name, out, at_start), sheets)
                        raw = first_raw if at_start else raw
                    if text is not None:
                        text.feed(out, final)
                    if raw is not None:
                        raw.feed(out, final)
                except _Refused as refused:
                    pending, keep = refused, None  # stop scanning; inflate the rest only to check it
                    continue
                closed = final
        except zlib.error as exc:
            raise _zip_damaged(f"dữ liệu nén của {name!r} sai") from exc
        if inflater is not None and not inflater.eof:
            raise _zip_damaged(f"thành phần {name!r} bị cắt cụt")
        if total != m.file_size or crc != m.crc:
            raise _zip_damaged(f"thành phần {name!r} sai kích thước hoặc mã kiểm tra CRC")
        if pending is not None:
            raise pending
        if not closed:
            for sink in (text, raw):
                if sink is not None:
                    sink.feed(b"", final=True)
        self.unpacked += total
        if keep is not None and (name in self.kept or [s for s in sheets if s.measured]):
            self.parts[name] = keep[0] if len(keep) == 1 else b"".join(keep)

    def _plan(self, name: str, first: bytes, at_start: bool) -> _Plan:
        """From a member's first chunk (or a later one while it looked binary)."""
        manifest, content, xml_name, sheet_path, shared, image = _name_facts(self.kind, name)
        binary = first.startswith(_BINARY) and not (manifest or content)  # calamine parses those two anyway
        utf16 = _UTF16.get(first[:2])
        role = "manifest" if manifest else "content" if content else ""
        if self.kind == "xlsx" and not binary and (
                xml_name or utf16 is not None or first[:64].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<")):
            if not sheet_path:
                root = _ROOT.search(first.decode(utf16, "replace").encode("utf-8") if utf16 else first)
                # no root in the first chunk (padded prolog): measure it as a sheet
                sheet_path = root is None or root.group(2).lower() in (b"worksheet", b"dialogsheet", b"macrosheet")
            role = "sheet" if sheet_path else ""
        xlsx = self.kind == "xlsx" and at_start
        return _Plan(binary, utf16, role, xlsx and not (role == "sheet" and utf16 is None), xlsx and shared, image)

    def _scan_whole(self, name: str, whole: bytes) -> bool:
        """A member in one piece, scanned as its sinks would scan it (see _sinks); True if measured as a
        worksheet."""
        plan = self._plan(name, whole, True)
        measured = False
        if not plan.binary:
            text = whole.decode(plan.utf16, "replace").encode("utf-8") if plan.utf16 else whole
            if b"!" in text and _ENTITY.search(text):
                if not plan.image:
                    raise _entities(name)
                self.images.add(name)
            if plan.role == "sheet":
                _XlsxSheet(name, self).feed(text, True)
                measured = True
            elif plan.role == "manifest":
                _ManifestScan().feed(text, True)
            elif plan.role == "content":
                _OdsSheets(self).feed(text, True)
        if plan.probe and b"sheetData" in whole:
            _XlsxSheet(name, self).feed(whole, True)
            measured = True
        if plan.shared:
            _UniqueCount().feed(whole, True)
        return measured

    def _sinks(self, name: str, plan: _Plan, sheets: list[_XlsxSheet | _SheetProbe]) -> tuple[_Sink | None,
                                                                                                _Sink | None]:
        """The text sink (entity scan, then the plan's role, on the text transcoded from UTF-16) and the raw
        handlers (sheetData probe, uniqueCount bound), in the text sink if the text is the raw bytes, else in
        a sink of their own."""
        handlers: list[Callable[[bytes, bool], None]] = []
        if plan.role == "sheet":
            sheet = _XlsxSheet(name, self)
            sheets.append(sheet)
            handlers.append(sheet.feed)
        elif plan.role == "manifest":
            handlers.append(_ManifestScan().feed)
        elif plan.role == "content":
            handlers.append(_OdsSheets(self).feed)
        raw_handlers: list[Callable[[bytes, bool], None]] = []
        if plan.probe:
            probe = _SheetProbe(name, self)
            sheets.append(probe)
            raw_handlers.append(probe.feed)
        if plan.shared:
            raw_handlers.append(_UniqueCount().feed)
        images = self.images if plan.image else None
        if plan.binary or plan.utf16 is not None:
            raw = _Sink(name, raw_handlers, entities=False) if raw_handlers else None
            return None if plan.binary else _Sink(name, handlers, plan.utf16, images=images), raw
        return _Sink(name, handlers + raw_handlers, images=images), None

    def inflated(self, m: _Member) -> bytes:
        """A member already checked (sizes, CRC), inflated again."""
        n, k = _LOCAL_NAME_EXTRA.unpack_from(self.data, m.header_offset + 26)
        start = m.header_offset + 30 + n + k
        raw = self.data[start:start + m.compress_size]
        return raw if m.compress_type == ZIP_STORED else zlib.decompress(raw, -15)

    def media_entities(self, members: list[_Member]) -> None:
        """An SVG image with a DOCTYPE/ENTITY declaration, refused only if calamine may parse it: calamine reads
        no media (an ods reader reads content.xml and its manifest alone), but an xlsx part is read wherever a
        relationship names it. So the image is refused when a relationship names it (by file name, in any
        ASCII case, escaped or not), in any relationships part but those of drawings and charts (where images
        are named, and which calamine never reads)."""
        if self.kind != "xlsx":
            return
        wanted = {_basename(n) for n in self.images}
        seen = 0
        for m in members:
            norm = _norm(m.name)
            if not norm.endswith(".rels") or norm.startswith(("xl/drawings/_rels/", "xl/charts/_rels/")):
                continue
            for reading in _xml_readings(self.parts.get(m.name) or self.inflated(m)):
                if reading.codecs is None and "&" not in reading.text and not any(
                        w in reading.text.lower() for w in wanted):
                    continue  # names none of them
                for tag in _REL_TAG.finditer(reading.text):
                    seen += 1
                    for key, value in _tag_attributes(reading.text, tag.end()):
                        if key != "Target":
                            continue
                        named = {_basename(v) for v in reading.values(value)}
                        if seen > 4 * MAX_ZIP_ENTRIES or _ANY_PART in named or wanted & named:
                            raise _entities(min(self.images))

    def sheet_reads(self) -> None:
        """The cells calamine reads, sheet by sheet: each `<sheet>` of xl/workbook.xml reads the part its
        relationship names, however many sheets name the same part, and sheets are looked up by name (see
        _Reads). Parsed as quick-xml parses them (local names after the first ':', the literal attributes
        `name`, `r:id`/`relationships:id`, `Id` and `Target`, values as written), counting more wherever
        in doubt: a `<sheet` or `<Relationship` tag is parsed from wherever it appears (also in comments),
        every target given to an Id counts, escaped and unescaped, and each way the bytes may be decoded
        (see _xml_readings) is bounded on its own."""
        data = self.parts.get(self.by_norm.get("xl/workbook.xml", ""))
        if data is None:
            return  # no sheet to read
        largest = max(self.areas.values(), default=0)
        if data[:2] not in _UTF16 and (tags := data.count(b"sheet")) <= MAX_SHEETS and tags * largest <= MAX_CELLS:
            return  # every sheet tag spells "sheet" in ASCII bytes and reads at most the largest part
        rels = self.parts.get(self.by_norm.get("xl/_rels/workbook.xml.rels", ""))
        if rels is None:
            return  # calamine cannot open a workbook without its relationships
        targets: dict[str, set[str]] = {}  # Id -> every target given to it, in every reading
        for reading in _xml_readings(rels):
            for count, tag in enumerate(_REL_TAG.finditer(reading.text)):
                if count >= 4 * MAX_ZIP_ENTRIES:
                    raise _zip_bomb(f"hơn {_num(4 * MAX_ZIP_ENTRIES)} quan hệ giữa các phần của sổ làm việc")
                attrs = _tag_attributes(reading.text, tag.end())
                given = {v for k, t in attrs if k == "Target" for v in reading.values(t)}
                for key, rid in attrs:
                    if key == "Id":
                        targets.setdefault(rid, set()).update(given)
        for reading in _xml_readings(data):
            reads = _Reads()
            for tag in _SHEET_TAG.finditer(reading.text):  # at most MAX_SHEETS (reads.add)
                attrs = _tag_attributes(reading.text, tag.end())
                area = 0
                for key, rid in attrs:
                    for target in targets.get(rid, ()) if key in ("r:id", "relationships:id") else ():
                        if target == _ANY_PART:
                            area = largest
                        elif part := self.by_norm.get(_norm(_part_path(target))):
                            area = max(area, self.areas.get(part, 0))
                reads.add(reading.key([v for k, v in attrs if k == "name"]), area)

    def add_sheet(self, name: str, rows: int, cols: int, member: str | None = None) -> None:
        if member is not None:  # an xlsx part's extent, for the sheets that name it (sheet_reads)
            self.areas[member] = self.areas.get(member, 0) + rows * cols
        if rows > MAX_ROWS:
            where = f"Trang tính “{name}”" if name else "Một trang tính"
            raise _Refused(_refuse("TOO_MANY_ROWS", f"{where} có hơn {_num(MAX_ROWS)} dòng, vượt giới hạn cho "
                                   "phép. Hãy xoá các dòng thừa (kể cả dòng trống đã định dạng) "
                                   "rồi lưu lại và gửi lại."))
        self.cells += rows * cols
        if self.cells > MAX_CELLS:
            raise _too_many_cells()


# workbook.xml and its relationships, as calamine reads them (see _ZipScan.sheet_reads)
_SHEET_TAG = re.compile(r"<(?![/!?])(?:[^\s<>:]*:)?sheet(?=[\s/>])")
_REL_TAG = re.compile(r"<(?![/!?])(?:[^\s<>:]*:)?Relationship(?=[\s/>])")
_ATTRIBUTE = re.compile(r"""\s*([^\s=<>/"']+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_XML_ENCODING = re.compile(r"""<\?xml[^>]*?\sencoding\s*=\s*["']\s*([^"'\s]*)""")
_REFERENCE = re.compile(r"&(?:#[xX]0*([0-9A-Fa-f]{1,8})|#0*([0-9]{1,10})|(lt|gt|amp|quot|apos));")
_PREDEFINED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}


_ANY_PART = "\x00any"  # a target whose bytes cannot be decoded as calamine decodes them: any part
# Declared encodings that read ASCII as ASCII and that Python decodes as encoding_rs does ASCII text.
_ASCII_ENCODINGS = re.compile(r"(windows|cp)-?125[0-8]|iso-?8859-\d+|latin-?1|(us-)?ascii|koi8-[ru]|"
                              r"gbk|gb2312|gb18030|big5|shift_jis|euc-jp|euc-kr|tis-620|windows-874")


class _XmlReading(NamedTuple):
    """One way calamine may decode an XML part: its text, the codecs that decode its raw values (None: the
    text is decoded already) and how far sheet names can be told apart ("sure", "ascii", "unsure")."""

    text: str
    codecs: tuple[str, ...] | None
    names: str

    def values(self, raw: str) -> set[str]:
        """What a raw attribute value may mean: as written and unescaped, in each codec."""
        decoded = {raw} if self.codecs is None else {raw, *(
            _ANY_PART if c == "?" else raw.encode("latin-1").decode(c, "replace") for c in self.codecs)}
        return decoded | {u for v in decoded if (u := _unescape(v)) is not None}

    def key(self, names: list[str]) -> object:
        """The group key of a sheet by the `name` attributes of its tag (calamine unescapes the value)."""
        if not names:
            return ""
        raw = names[0]
        plain = raw.isascii() and raw.isprintable()
        value = _unescape(raw) if len(names) == 1 and (self.names == "sure" or self.names == "ascii" and plain) \
            else None
        if value is None or "\ufffd" in value:
            return _UNSURE
        return _name_key(value)


def _xml_readings(data: bytes) -> list[_XmlReading]:
    """The ways quick-xml may read an XML part: it parses markup as bytes and decodes values in the encoding
    of a byte order mark or declaration. Behind a UTF-16 mark, both the UTF-16 text and the ASCII markup
    (values decoded as UTF-16); with another declared encoding, the bytes (values in that encoding)."""
    if utf16 := _UTF16.get(data[:2]):
        wide = "utf-16-be" if data[:2] in (b"\xfe\xff", b"\x00<") else "utf-16-le"
        return [_XmlReading(data.decode(utf16, "replace"), None, "sure"),
                _XmlReading(data.decode("latin-1"), (wide, "utf-8"), "unsure")]
    if data.startswith(b"\xef\xbb\xbf"):
        return [_XmlReading(data[3:].decode("utf-8", "replace"), None, "sure")]
    declared = _XML_ENCODING.match(data[:256].decode("latin-1").lstrip())
    label = declared.group(1).lower() if declared else "utf-8"
    if label in ("utf-8", "utf8"):
        return [_XmlReading(data.decode("utf-8", "replace"), None, "sure")]
    try:
        codec = codecs.lookup(label).name
    except LookupError:
        codec = "?"
    names = "ascii" if _ASCII_ENCODINGS.fullmatch(label) else "unsure"
    return [_XmlReading(data.decode("latin-1"), (codec,), names)]


def _tag_attributes(text: str, pos: int) -> list[tuple[str, str]]:
    """The attributes of the tag whose name ends at pos, as written (quick-xml does not unescape them)."""
    out = []
    while m := _ATTRIBUTE.match(text, pos):
        out.append((m.group(1), m.group(2) if m.group(2) is not None else m.group(3)))
        pos = m.end()
    return out


def _unescape(value: str) -> str | None:
    """An attribute value with its references resolved as quick-xml resolves them (None if one cannot be)."""
    if "&" not in value:
        return value
    if "&" in _REFERENCE.sub("", value):
        return None

    def one(m: re.Match[str]) -> str:
        if m.group(3):
            return _PREDEFINED[m.group(3)]
        code = int(m.group(1), 16) if m.group(1) else int(m.group(2))
        return chr(code) if code < 0x110000 else "\ufffd"
    return _REFERENCE.sub(one, value)


_IMAGE = re.compile(r"(?:xl/media|pictures)/[^/]+\.svg")  # an SVG image, by its name as _norm gives it


def _basename(name: str) -> str:
    return _norm(name).rpartition("/")[2]


def _part_path(target: str) -> str:
    """The part a relationship target names, as calamine forms it."""
    return target[1:] if target.startswith("/xl/") else target if target.startswith("xl/") else "xl/" + target


class _Sink:
    """Receives a member's inflated bytes chunk by chunk (UTF-16 parts are transcoded to UTF-8 first) and
    hands its handlers whole pieces cut just before a '<': no pattern the handlers look for spans such a cut
    (each one either starts with the '<' or cannot contain one). A piece without any '<' is held, however
    long, until one comes: a bound on the carry would have to cut inside a tag, where a reference could
    hide (bounded anyway by the member's size, itself bounded by MAX_UNPACKED_BYTES). A text sink first
    looks for DOCTYPE/ENTITY declarations in each piece."""

    def __init__(self, name: str, handlers: list[Callable[[bytes, bool], None]], utf16: str | None = None,
                 entities: bool = True, images: set[str] | None = None):
        self.name, self.handlers, self.entities = name, handlers, entities
        self.images = images  # an SVG image: a declaration is noted there (see _ZipScan.media_entities)
        self.decoder = codecs.getincrementaldecoder(utf16)("replace") if utf16 else None
        self.carry: list[bytes] = []

    def feed(self, data: bytes, final: bool = False) -> None:
        if self.decoder is not None:
            data = self.decoder.decode(data, final).encode("utf-8")
        if final:
            part = b"".join((*self.carry, data)) if self.carry else data
            self.carry = []
        else:
            cut = data.rfind(b"<")
            if cut < 0:
                if data:
                    self.carry.append(data)
                return
            part = b"".join((*self.carry, data[:cut])) if self.carry else data[:cut]
            self.carry = [data[cut:]]
        if self.entities and b"!" in part and _ENTITY.search(part):
            if self.images is None:
                raise _entities(self.name)
            self.images.add(self.name)
            self.entities = False
        if part or final:
            for h in self.handlers:
                h(part, final)


def _entities(name: str) -> _Refused:
    return _Refused(_refuse("XML_ENTITIES", f"Tệp chứa khai báo DOCTYPE/ENTITY trong phần {name!r}: không phải "
                            "tệp do Excel lưu và có thể gây hại. " + RESAVE))


_BINARY = (OLE_MAGIC, ZIP_MAGIC, b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x01\x00\x00\x00", b"\xd7\xcd\xc6\x9a")


class _ManifestScan:
    def feed(self, part: bytes, final: bool) -> None:
        if b"encryption-data" in part:
            raise _Refused(_refuse("PASSWORD_PROTECTED", "Tệp bảng tính được đặt mật khẩu. Hãy gỡ mật khẩu, lưu "
                                   "lại rồi gửi lại."))


class _UniqueCount:
    """calamine reserves room for a shared-string table's declared `uniqueCount` before reading it."""

    def feed(self, part: bytes, final: bool) -> None:
        if b"uniqueCount" not in part:
            return
        for m in _UNIQUE_COUNT.finditer(part):  # one at a time: a long piece may hold millions
            for number in _NUMBER.finditer(m.group(1)):
                digits = number.group().lstrip(b"0")
                if len(digits) > 9 or int(digits or b"0") > MAX_CELLS:
                    shown = _num(int(digits)) if len(digits) <= 20 else digits[:20].decode() + "…"
                    raise _zip_bomb(f"bảng chuỗi dùng chung khai báo {shown} chuỗi, tối đa {_num(MAX_CELLS)}")


class _SheetProbe:
    """A member not measured from its start (any part but a worksheet by path or root, or one whose raw
    bytes the text sink does not see): measured from the first piece holding `sheetData` on, since calamine
    reads cells only inside that element, whatever the part's name, root or first bytes."""

    def __init__(self, name: str, scan: _ZipScan):
        self.name, self.scan = name, scan
        self.sheet: _XlsxSheet | None = None

    @property
    def measured(self) -> bool:
        return self.sheet is not None

    def feed(self, part: bytes, final: bool) -> None:
        if self.sheet is None:
            if b"sheetData" not in part:
                return
            self.sheet = _XlsxSheet(self.name, self.scan)
        self.sheet.feed(part, final)


class _XlsxSheet:
    """Bounds a worksheet's extent while it streams by, as calamine places cells (see the module docstring):
    the dimension, every r= reference, row tags without r= and, once cells without r= appear, the most
    cells in one row."""

    measured = True

    def __init__(self, name: str, scan: _ZipScan):
        self.name, self.scan = name, scan
        self.dim_rows = self.dim_cols = 0
        self.seen_dimension = False
        self.max_row = self.max_col = 0
        self.rows_no_r = 0  # <row> without r=: each one may follow the highest row so far
        self.cells_no_r = False
        self.widest = self.current = 0  # most <c> in one row, counted once cells without r= appear

    def feed(self, part: bytes, final: bool) -> None:
        if not self.seen_dimension and b"dimension" in part and (m := _DIMENSION.search(part)):
            self.seen_dimension = True
            c1, r1, c2, r2 = m.groups()
            self.dim_rows = max(int(r1 or 0), int(r2 or 0))
            self.dim_cols = max(_col_number(c1 or b""), _col_number(c2 or b""))
        no_r = _NO_R_TAG.findall(part) if _NO_R_CELL_QUICK.search(part) or _NO_R_ROW_QUICK.search(part) else []
        if _PREFIXED_TAG.search(part):
            no_r += _NO_R_PREFIXED_TAG.findall(part)
        if no_r:
            rows_no_r = no_r.count(b"row")
            self.rows_no_r += rows_no_r
            if rows_no_r < len(no_r):
                # calamine places a cell without r= right after the previous one: bound a row's width by its
                # cell count (on top of the highest referenced column)
                self.cells_no_r = True
                counts = [len(seg) for seg in b"".join(_TAG.findall(part)).split(b"row")]
                if len(counts) == 1:
                    self.current += counts[0]
                else:
                    self.widest = max(self.widest, self.current + counts[0], *counts[1:-1])
                    self.current = counts[-1]
        if len(part) <= _FINDALL_BYTES:
            if values := _R_VALUE.findall(part):
                self._references(values)
        else:  # a long piece without '<' (text, a comment): its values in batches, not millions of objects at once
            batch: list[bytes] = []
            for m in _R_VALUE.finditer(part):
                batch.append(m.group(1))
                if len(batch) >= _BATCH:
                    self._references(batch)
                    batch = []
            if batch:
                self._references(batch)
        rows = max(self.dim_rows, self.max_row + self.rows_no_r, 1 if self.cells_no_r else 0)
        if rows > MAX_ROWS:
            self.scan.add_sheet("", rows, 0)
        cols = max(self.dim_cols, self.max_col + max(self.widest, self.current), 1 if rows else 0)
        if final or self.scan.cells + rows * cols > MAX_CELLS:
            self.scan.add_sheet("", rows, cols, self.name)

    def _references(self, values: list[bytes]) -> None:
        """The highest row and column among r= values (each: quote, value, ending character)."""
        joined = b"".join(values)
        quote = joined[:1]
        if joined.translate(None, _ALNUM) == quote * (2 * len(values)):
            # all clean (r="A1", one kind of quote): rows are the digits, columns the letters of each value
            # (a value such as "1A", which calamine rejects, only adds to the bound)
            rows = set(joined.translate(_QUOTES_TO_SPACES, _LETTERS).split())
            columns = set(joined.translate(_QUOTES_TO_SPACES, _DIGITS).split())
        else:
            if any(_ODD_VALUE.match(v) for v in values):  # e.g. r="&#88;FD1": cannot be bounded without a parser
                self.max_row, self.max_col = EXCEL_MAX_ROWS, EXCEL_MAX_COLS
                return
            refs = [m.groups() for v in values if (m := _REF_VALUE.fullmatch(v))]
            rows = {r for _, r in refs}
            columns = {c for c, _ in refs}
        rows.discard(b"")
        if rows:
            top = max(map(int, rows)) if max(map(len, rows)) < 16 else EXCEL_MAX_ROWS
            self.max_row = max(self.max_row, top)
        columns.discard(b"")
        if columns:
            self.max_col = max(self.max_col, max(map(_col_number, columns)))


# The attributes of a cell that calamine reads as empty (LibreOffice writes these on empty cells); any other
# (office:value, string-value, date-value, boolean-value, value-type, table:formula …) may make it a value.
_ODS_EMPTY_CELL = frozenset({
    "number-columns-repeated", "style-name", "number-columns-spanned", "number-rows-spanned",
    "number-matrix-columns-spanned", "number-matrix-rows-spanned", "content-validation-name", "protect", "protected"})


class _OdsSheets:
    """Parses content.xml with expat (no DTD: the entity scan runs first) and expands row/column repeats
    up to each table's last non-empty cell, as calamine does. Elements and attributes are recognised by
    local name in any namespace: calamine matches the literal "table:" prefix whatever it is bound to."""

    def __init__(self, scan: _ZipScan):
        self.scan = scan
        self.reads = _Reads()
        p = expat.ParserCreate(namespace_separator=" ")
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartElementHandler, p.EndElementHandler = self.start, self.end
        self.parser = p
        self.table = ""
        self.table_key: object = None
        self.row = self.row_rep = self.col = self.last_row = self.last_col = self.row_last_col = 0
        self.cell_depth = 0  # >0 inside a cell
        self.cell_has_value = False

    @staticmethod
    def _repeat(attrs: dict[str, str], local: str) -> int:
        """The largest repeat given under this local name, in any namespace (1 if none can be read)."""
        n = 1
        for key, value in attrs.items():
            if key.rpartition(" ")[2] == local:
                with contextlib.suppress(ValueError):
                    n = max(n, int(value))
        return n

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.cell_depth:
            self.cell_depth += 1
            self.cell_has_value = True  # any content (text:p …) makes the cell non-empty
            return
        local = name.rpartition(" ")[2]
        if local == "table":
            names = [v for k, v in attrs.items() if k.rpartition(" ")[2] == "name"]
            self.table = names[0] if names else "?"
            # calamine reads a table by its table:name (a table without one is not read at all)
            self.table_key = _UNSURE if len(names) > 1 else _name_key(names[0]) if names else object()
            self.row = self.last_row = self.last_col = 0
        elif local == "table-row":
            self.row_rep = self._repeat(attrs, "number-rows-repeated")
            self.col = self.row_last_col = 0
        elif local in ("table-cell", "covered-table-cell"):
            self.col += self._repeat(attrs, "number-columns-repeated")
            self.cell_depth = 1
            # calamine reads a value from office:value, string-value, date-value, boolean-value … even without
            # a value-type: only the attributes of an empty cell leave it empty
            self.cell_has_value = any(k.rpartition(" ")[2] not in _ODS_EMPTY_CELL for k in attrs)

    def end(self, name: str) -> None:
        if self.cell_depth:
            self.cell_depth -= 1
            if self.cell_depth:
                return
            if self.cell_has_value:
                self.row_last_col = self.col
            return
        local = name.rpartition(" ")[2]
        if local == "table-row":
            self.row += self.row_rep
            if self.row_last_col:
                self.last_row = self.row
                self.last_col = max(self.last_col, self.row_last_col)
                if self.last_row > MAX_ROWS or self.last_row * self.last_col > MAX_CELLS:
                    self.scan.add_sheet(self.table, self.last_row, self.last_col)
        elif local == "table":
            self.scan.add_sheet(self.table, self.last_row, self.last_col)
            self.reads.add(self.table_key, self.last_row * self.last_col)

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


_DIFAT_END = 0xFFFFFFFA  # calamine follows a DIFAT chain while the next sector is below this
MINI_CUTOFF = 4096  # calamine reads a stream under this size from the mini stream, whatever the header says


def _decode_rs(raw: bytes, codec: str) -> str:
    """Bytes decoded as encoding_rs decodes them: a byte order mark (UTF-8 or UTF-16) overrides the codec."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", "replace")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw[2:].decode("utf-16-le" if raw[0] == 0xFF else "utf-16-be", "replace")
    return raw.decode(codec, "replace")


def _cfb_name(raw: bytes) -> str:
    """A directory entry's name as calamine decodes it: its 64 bytes as UTF-16LE (by encoding_rs), cut at the
    first NUL; the stored length is not used."""
    return _decode_rs(raw, "utf-16-le").partition("\x00")[0]


class _Entry(NamedTuple):
    name: str  # as calamine decodes it
    stored: str  # by its stored length (as xlrd and olefile read it)
    type: int
    start: int
    size: int


class _Cfb:
    """A minimal, bounded reader of an OLE2 compound file held in memory (at most MAX_FILE_BYTES), reading
    what calamine reads: the root is the first directory entry, every entry counts whatever its type, a
    stream under MINI_CUTOFF bytes is in the mini stream (a header giving another cutoff is refused), every
    chain is followed to its end (a loop is refused: calamine would follow it forever)."""

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
        cutoff, first_minifat, n_minifat, first_difat, _ = struct.unpack_from("<5I", data, 0x38)
        if cutoff != MINI_CUTOFF:
            raise _ole_damaged("ngưỡng mini-stream sai")
        difat = [s for s in struct.unpack_from("<109I", data, 0x4C) if s < _END]
        sector, hops = first_difat, 0
        per = self.ssz // 4 - 1
        while sector < _DIFAT_END:
            if hops >= self.nsect:
                raise _ole_damaged("chuỗi DIFAT sai")
            block = self.sector(sector)
            difat += [s for s in struct.unpack_from(f"<{per}I", block) if s < _END]
            sector = struct.unpack_from("<I", block, per * 4)[0]
            hops += 1
        fat_bytes = b"".join(self.sector(s) for s in difat[: min(n_fat, self.nsect)])
        self.fat = struct.unpack(f"<{len(fat_bytes) // 4}I", fat_bytes)
        directory = self.chain(first_dir)
        self.entries: list[_Entry] = []
        for off in range(0, len(directory) - 127, 128):
            nlen = min(64, struct.unpack_from("<H", directory, off + 64)[0])
            start, size = struct.unpack_from("<IQ", directory, off + 116)
            if self.ssz == 512:
                size &= 0xFFFFFFFF
            stored = directory[off:off + max(0, nlen - 2)].decode("utf-16-le", "replace")
            self.entries.append(_Entry(_cfb_name(directory[off:off + 64]), stored, directory[off + 66], start, size))
        root = self.entries[0] if self.entries else None
        self.mini_stream = self.chain(root.start, root.size) if root else b""
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

    def stream(self, entry: _Entry) -> bytes:
        if entry.size >= MINI_CUTOFF:
            return self.chain(entry.start, entry.size)
        parts, sector = [], entry.start
        while sector < _END:  # to the chain's end, as calamine reads it
            if len(parts) >= len(self.minifat) or sector >= len(self.minifat) \
                    or (sector + 1) * 64 > len(self.mini_stream):
                raise _ole_damaged("chuỗi mini-sector sai")
            parts.append(self.mini_stream[sector * 64:(sector + 1) * 64])
            sector = self.minifat[sector]
        return b"".join(parts)[:entry.size]


def _check_ole(data: bytes) -> str:
    try:
        cfb = _Cfb(data)
    except (struct.error, _Refused) as exc:
        # Unreadable directory: an encrypted OOXML still shows its stream names (UTF-16LE) somewhere.
        if any(n.encode("utf-16-le") in data for n in ("EncryptedPackage", "EncryptionInfo")):
            raise _password() from exc
        if isinstance(exc, _Refused):
            raise
        raise _ole_damaged("cấu trúc sai") from exc
    names = {n.lower() for e in cfb.entries for n in (e.name, e.stored)}
    if "encryptedpackage" in names or "encryptioninfo" in names:
        raise _password()
    # calamine reads the first entry named "Workbook", else "Book" (by its own decoding of names); xlrd may
    # read another (it decodes names by their stored length): every candidate is checked
    books = [e for e in cfb.entries if e.name.lower() in _BOOKS or e.stored.lower() in _BOOKS]
    if not books:
        what = "tài liệu Word 97-2003 (.doc)" if "worddocument" in names else \
            "bài trình chiếu PowerPoint 97-2003 (.ppt)" if "powerpoint document" in names else \
            "tệp Office không chứa bảng tính"
        raise _Refused(_refuse("NOT_A_WORKBOOK", f"Tệp không phải là bảng tính Excel: nội dung là {what}. " + RESAVE))
    for book in books:
        try:
            stream = cfb.stream(book)
        except struct.error as exc:
            raise _ole_damaged("cấu trúc sai") from exc
        _check_biff(stream)
    return "xls"


_BOOKS = ("workbook", "book")
_BIFF_CELLS = {0x0006, 0x0201, 0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x00D6}  # FORMULA … RSTRING: row, col
_BIFF_MULTI = {0x00BD: 6, 0x00BE: 2}  # MULRK, MULBLANK: row, first column, entries of this size, last column
_BIFF_SEEN = frozenset({0x002F, 0x0809, 0x0009, 0x0209, 0x0409, 0x000A, 0x0200, 0x0042, 0x0085, *_BIFF_CELLS,
                        *_BIFF_MULTI})  # the records _check_biff looks into
# Codepages whose encoding_rs decoder reads printable ASCII (and NUL) as itself.
_ASCII_CODEPAGES = frozenset({874, 932, 936, 949, 950, *range(1250, 1259), 10000, 20127, 20866, 21866,
                              *range(28591, 28606), 51932, 51949, 54936, 65001})


def _biff8(body: bytes) -> bool:
    """Whether a BOF record makes calamine read what follows as BIFF8 (else BIFF2-5)."""
    version = struct.unpack_from("<H", body)[0] if len(body) >= 2 else 0
    kind = struct.unpack_from("<H", body, 2)[0] if len(body) >= 4 else 0
    if version == 0:
        return kind != 0x1000
    return version not in (0x0200, 0x0002, 0x0007, 0x0300, 0x0400, 0x0500)


def _sheet_key(body: bytes, biff8: bool, codepage: int) -> object:
    """A BOUNDSHEET's name as calamine decodes it (in the codepage of the last CODEPAGE record, a BIFF8
    string by its flag as 16-bit or as 8-bit widened with NULs, NULs then dropped), or _UNSURE when this
    decoding is not certainly calamine's."""
    if len(body) < 8:
        return _UNSURE
    cch, high, chars = (body[6], bool(body[7] & 1), body[8:]) if biff8 else (body[6], None, body[7:])
    wide = {1200: "utf-16-le", 1201: "utf-16-be"}.get(codepage)
    if wide is None and codepage not in _ASCII_CODEPAGES:
        return _UNSURE
    if high is None and wide is not None:
        high = False  # calamine widens 8-bit strings for a UTF-16 codepage
    if high:
        raw = chars[:2 * min(len(chars) // 2, cch)]
    elif high is False:
        raw = b"".join(bytes((b, 0)) for b in chars[:cch])
    else:
        raw = chars[:cch]
    if wide is None:  # an ASCII codepage: only printable ASCII (and NULs, dropped) reads for certain
        text = raw.decode("latin-1").replace("\x00", "")
        return text if text.isascii() and text.isprintable() else _UNSURE
    text = _decode_rs(raw, wide).replace("\x00", "")
    return _UNSURE if "\ufffd" in text else text


def _check_biff(stream: bytes) -> None:
    """Walks a Workbook stream's records once: FILEPASS anywhere; each substream from its BOF (as a reader
    walking the stream would see it); and the sheets calamine reads: each BOUNDSHEET of the globals (up to
    their EOF) read from its offset, a BOF after the sheet's own opening a nested substream (an embedded
    chart) that calamine skips up to its matching EOF, the sheet ending at the EOF that closes its own BOF
    (nested cells count too, which only counts more); sheets count as _Reads counts them. An offset that is
    not where a later record starts, or that two BOUNDSHEETs share, is refused. Extents: DIMENSIONS (also
    the rows x columns calamine reserves from its first and last row and column, which wrap around when the
    first is past the last) and every cell record's row and column."""
    pos, n = 0, len(stream)
    sheet, cells, rows, cols = 0, 0, 0, 0
    in_globals, biff8, codepage = True, True, 1200
    pending: dict[int, object] = {}  # BOUNDSHEET offsets ahead -> name keys
    depth = 0  # BOFs less EOFs so far
    # calamine's sheets being read, latest last: (name key, depth at its start, [rows, cols] since its start).
    # A sheet started later ends no later (depth moves by one per record), so they end from the top.
    walks: list[tuple[object, int, list[int]]] = []
    open_rows = open_cols = 0  # the extent of the oldest sheet being read, so far
    reads = _Reads()

    def close_sheet() -> None:
        nonlocal cells
        if rows > MAX_ROWS:
            raise _Refused(_refuse("TOO_MANY_ROWS", f"Trang tính thứ {max(1, sheet - 1)} có hơn {_num(MAX_ROWS)} "
                                   "dòng, vượt giới hạn cho phép. Hãy xoá các dòng thừa (kể cả dòng trống đã định "
                                   "dạng) rồi lưu lại và gửi lại."))
        cells += rows * cols
        if cells > MAX_CELLS:
            raise _too_many_cells()

    def end_walk() -> None:
        nonlocal open_rows, open_cols
        key, _, (r, c) = walks.pop()
        if r > MAX_ROWS:
            raise _Refused(_refuse("TOO_MANY_ROWS", f"Một trang tính có hơn {_num(MAX_ROWS)} dòng, vượt giới hạn "
                                   "cho phép. Hãy xoá các dòng thừa (kể cả dòng trống đã định dạng) rồi lưu lại và "
                                   "gửi lại."))
        reads.add(key, r * c)
        if walks:  # the sheet below read all this too
            below = walks[-1][2]
            below[0], below[1] = max(below[0], r), max(below[1], c)
        else:
            open_rows = open_cols = 0

    unpack = _HALVES.unpack_from
    while pos + 4 <= n:
        at = pos
        rtype, length = unpack(stream, pos)
        pos += 4 + length
        if pending and at in pending:  # calamine starts reading a sheet here
            walks.append((pending.pop(at), depth, [0, 0]))
        if rtype not in _BIFF_SEEN:
            continue
        body = stream[at + 4:pos]
        r = c = -1
        if rtype == 0x002F:
            raise _password()
        if rtype == 0x0809 or rtype in (0x0009, 0x0209, 0x0409):  # BOF: a new substream
            close_sheet()
            sheet, rows, cols = sheet + 1, 0, 0
            depth += rtype == 0x0809
            if in_globals and rtype == 0x0809:
                biff8 = _biff8(body)
        elif rtype == 0x000A:  # EOF: calamine's globals end here, and the sheets whose own BOF it closes
            in_globals = False
            depth -= 1
            while walks and walks[-1][1] >= depth:
                end_walk()
        elif rtype == 0x0200 and len(body) >= 8:  # DIMENSIONS: first row, last row + 1, first col, last col + 1
            first_r, last_r, first_c, last_c = struct.unpack_from("<IIHH" if len(body) >= 14 else "<HHHH", body)
            if last_r and last_c:  # calamine reserves (last - first) rows and columns, in 32-bit arithmetic
                r = max(last_r, (last_r - first_r) & 0xFFFFFFFF) - 1
                c = max(last_c, (last_c - first_c) & 0xFFFFFFFF) - 1
            else:
                r, c = last_r - 1, last_c - 1
        elif rtype in _BIFF_CELLS and len(body) >= 4:
            r, c = struct.unpack_from("<HH", body)
        elif rtype in _BIFF_MULTI and len(body) >= 6:
            r, first = struct.unpack_from("<HH", body)
            c = max(struct.unpack_from("<H", body, len(body) - 2)[0], first + (len(body) - 6) // _BIFF_MULTI[rtype] - 1)
        elif in_globals and rtype == 0x0042 and len(body) >= 2:  # CODEPAGE
            codepage = struct.unpack_from("<H", body)[0]
        elif in_globals and rtype == 0x0085 and len(body) >= 4:  # BOUNDSHEET: where calamine reads a sheet
            where = struct.unpack_from("<I", body)[0]
            if where < pos or where in pending:
                raise _ole_damaged("vị trí trang tính sai")
            if len(pending) + len(walks) + reads.sheets >= MAX_SHEETS:
                raise _too_many_sheets()
            pending[where] = _sheet_key(body, biff8, codepage)
        if r >= 0 or c >= 0:
            rows, cols = max(rows, r + 1), max(cols, c + 1)
            if rows > MAX_ROWS or cells + rows * cols > MAX_CELLS:
                close_sheet()
            if walks:
                top = walks[-1][2]
                top[0], top[1] = max(top[0], r + 1), max(top[1], c + 1)
                open_rows, open_cols = max(open_rows, r + 1), max(open_cols, c + 1)
                if open_rows > MAX_ROWS or reads.total + open_rows * open_cols > MAX_CELLS:
                    while walks:  # the oldest sheet being read is too large already: refused
                        end_walk()
    close_sheet()
    while walks:  # calamine reads a sheet without an EOF to the end of the stream
        end_walk()
    if pending:  # an offset inside a record, or past the end
        raise _ole_damaged("vị trí trang tính sai")


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
