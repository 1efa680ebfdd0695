"""The zip's directory (xlsx, xlsm, ods): its end records and central directory read as zipfile reads them,
refused where another reader could follow a different directory or name a member differently, and what the
directory alone says: the format calamine reads the zip as, the declared sizes, encryption, compression.
Also the refusals of a zip's members (damaged, ambiguous, bomb, entities)."""

from __future__ import annotations

import struct
from collections.abc import Collection
from typing import NamedTuple

from pipeline.guards.limits import (
    MAX_DIRECTORY_BYTES,
    MAX_RATIO,
    MAX_UNPACKED_BYTES,
    MAX_ZIP_ENTRIES,
    RATIO_MIN_BYTES,
    Refused,
    mb,
    num,
    refuse,
)
from pipeline.problems import NOT_A_WORKBOOK, PASSWORD_PROTECTED, XML_ENTITIES, ZIP_BOMB, ZIP_DAMAGED

_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_HALVES = struct.Struct("<HH")
_QUAD = struct.Struct("<Q")
ZIP_STORED, ZIP_DEFLATED = 0, 8
FLAG_ENCRYPTED, FLAG_UTF8 = 0x1, 0x800  # general purpose bit flags
EXTRA_ZIP64, EXTRA_UNICODE_PATH = 0x0001, 0x7075  # extra field tags: zip64 sizes, Info-ZIP Unicode Path
_NO_DIRECTORY = "không đọc được mục lục của tệp nén"


def damaged(what: str) -> Refused:
    return refuse(ZIP_DAMAGED, what=what)


def ambiguous(what: str) -> Refused:
    """A zip that different readers could read differently (member names, formats): ZIP_DAMAGED."""
    return refuse(ZIP_DAMAGED, "ambiguous", what=what)


def bomb(what: str) -> Refused:
    return refuse(ZIP_BOMB, what=what)


def entities(part: str) -> Refused:
    """A DOCTYPE/ENTITY declaration in a member that a reader may parse: XML_ENTITIES."""
    return refuse(XML_ENTITIES, part=part)


class Member(NamedTuple):
    """A central-directory entry, with the fields (and the name decoding) of zipfile.ZipInfo."""

    name: str
    flag_bits: int
    compress_type: int
    crc: int
    compress_size: int
    file_size: int
    header_offset: int


def check_directory(data: bytes) -> tuple[str, list[Member], dict[str, str]]:
    """The zip's kind ("xlsx" or "ods"), its members, and their names as calamine's xlsx reader compares them
    (`norm`) -> as stored; refused on anything the directory alone shows to be wrong."""
    members = _central_directory(data)
    names = [m.name for m in members]
    by_norm = dict(zip(norm("\x00".join(names)).split("\x00"), names, strict=True))  # names hold no NUL
    if len(by_norm) != len(members):  # zipfile and calamine read the last copy, or the first spelling found
        seen: set[str] = set()
        for m in members:
            if (key := norm(m.name)) in seen:
                raise ambiguous(f"hai thành phần cùng tên {m.name!r}")
            seen.add(key)
    kind = _zip_kind(by_norm.keys(), set(names))
    _check_sizes(sum(m.file_size for m in members), len(data), members)
    for m in members:
        if m.flag_bits & FLAG_ENCRYPTED:
            raise refuse(PASSWORD_PROTECTED, "zip")
        if m.compress_type not in (ZIP_STORED, ZIP_DEFLATED):
            raise damaged(f"kiểu nén lạ số {m.compress_type}")
    return kind, members, by_norm


def _end_records(data: bytes) -> tuple[int, int, int, int]:
    """(members, central-directory bytes, its offset, where it must end) from the end records, which must
    leave no doubt about where the one central directory is."""
    size = len(data)
    at = data.rfind(b"PK\x05\x06", max(0, size - (_EOCD.size + 65535)))
    if at < 0 or at + _EOCD.size > size:
        raise damaged("không tìm thấy mục lục của tệp nén")
    _, disk, cd_disk, here, count, cd_size, cd_offset, comment = _EOCD.unpack_from(data, at)
    end = at  # the central directory ends where the end records begin
    locator = at - _ZIP64_LOCATOR.size
    if locator >= 0 and data.startswith(b"PK\x06\x07", locator):
        end, (disk, cd_disk, here, count, cd_size, cd_offset) = _zip64_end(
            data, locator, (disk, cd_disk, here, count, cd_size, cd_offset)
        )
    if count > MAX_ZIP_ENTRIES:
        raise bomb(f"{num(count)} thành phần bên trong, tối đa {num(MAX_ZIP_ENTRIES)}")
    if cd_size > MAX_DIRECTORY_BYTES:
        raise bomb(f"mục lục tệp nén {mb(cd_size)}, tối đa {mb(MAX_DIRECTORY_BYTES)}")
    # Readers disagree on zips that need guessing (a prefix, trailing bytes, counts that do not match): the
    # directory checked here must be the only one another reader could find.
    if at + _EOCD.size + comment != size or disk or cd_disk or here != count or cd_offset + cd_size != end:
        raise damaged(_NO_DIRECTORY)
    return count, cd_size, cd_offset, end


def _zip64_end(data: bytes, locator: int, short: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    """Where the zip64 end record starts (the directory ends there) and its fields (disk, directory disk,
    entries here, entries, directory size, directory offset), which the end record's `short` fields must
    repeat or leave at their sentinel."""
    _, z_disk, record, disks = _ZIP64_LOCATOR.unpack_from(data, locator)
    end = locator - _ZIP64_EOCD.size
    if end < 0 or record != end or z_disk or disks > 1 or not data.startswith(b"PK\x06\x06", end):
        raise damaged(_NO_DIRECTORY)
    _, length, _, _, *full = _ZIP64_EOCD.unpack_from(data, end)
    sentinels = (0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
    if length != _ZIP64_EOCD.size - 12 or any(
        s not in (f, sentinel) for s, f, sentinel in zip(short, full, sentinels, strict=True)
    ):
        raise damaged(_NO_DIRECTORY)
    return end, tuple(full)


def _central_directory(data: bytes) -> list[Member]:
    """The members, as zipfile lists them (names decoded as UTF-8 or cp437 and cut at a NUL, zip64 sizes
    and offsets from the extra field), from a central directory that must fill its place exactly."""
    count, _, pos, end = _end_records(data)
    members: list[Member] = []
    while pos < end:
        if pos + _CENTRAL.size > end:
            raise damaged(_NO_DIRECTORY)
        (sig, _, _, version, _, flags, method, _, _, crc, csize, usize, n, m, k, _, _, _, offset) = (
            _CENTRAL.unpack_from(data, pos)
        )
        name_at = pos + _CENTRAL.size
        pos = name_at + n + m + k
        if sig != b"PK\x01\x02" or version > 63 or pos > end:
            raise damaged(_NO_DIRECTORY)
        name = _member_name(data[name_at : name_at + n], flags)
        usize, csize, offset = _extra_fields(data[name_at + n : name_at + n + m], name, usize, csize, offset)
        members.append(Member(name, flags, method, crc, csize, usize, offset))
        if len(members) > MAX_ZIP_ENTRIES:
            raise bomb(f"hơn {num(MAX_ZIP_ENTRIES)} thành phần bên trong, tối đa {num(MAX_ZIP_ENTRIES)}")
    if len(members) != count:
        raise damaged(_NO_DIRECTORY)
    return members


def _member_name(raw: bytes, flags: int) -> str:
    """A member's name as zipfile decodes it; refused if it holds a NUL (zipfile cuts the name there,
    calamine's zip reader does not)."""
    try:
        name = raw.decode("utf-8" if flags & FLAG_UTF8 else "ascii" if raw.isascii() else "cp437")
    except UnicodeDecodeError:
        raise damaged(_NO_DIRECTORY) from None
    if "\x00" in name:
        raise ambiguous(f"tên thành phần {name[: name.index(chr(0))]!r} chứa ký tự rỗng")
    return name


def _extra_fields(extra: bytes, name: str, usize: int, csize: int, offset: int) -> tuple[int, int, int]:
    """The sizes and offset once the zip64 extra field is read (as zipfile.ZipInfo._decodeExtra); refused on
    an Info-ZIP Unicode Path giving another name (calamine's zip reader renames the member after it, zipfile
    does not)."""
    while len(extra) >= 4:
        tag, length = _HALVES.unpack_from(extra)
        if length + 4 > len(extra):
            raise damaged(_NO_DIRECTORY)
        if tag == EXTRA_UNICODE_PATH and extra[9 : length + 4] != name.encode("utf-8"):
            raise ambiguous(f"tên thành phần {name!r} được ghi theo hai cách")
        if tag == EXTRA_ZIP64:
            usize, csize, offset = _zip64_sizes(extra[4 : length + 4], usize, csize, offset)
        extra = extra[length + 4 :]
    return usize, csize, offset


def _zip64_sizes(field: bytes, usize: int, csize: int, offset: int) -> tuple[int, int, int]:
    try:
        if usize in (0xFFFFFFFFFFFFFFFF, 0xFFFFFFFF):
            usize, field = _QUAD.unpack_from(field)[0], field[8:]
        if csize == 0xFFFFFFFF:
            csize, field = _QUAD.unpack_from(field)[0], field[8:]
        if offset == 0xFFFFFFFF:
            offset = _QUAD.unpack_from(field)[0]
    except struct.error:
        raise damaged(_NO_DIRECTORY) from None
    return usize, csize, offset


_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ\\", "abcdefghijklmnopqrstuvwxyz/")


def norm(name: str) -> str:
    """A member name as calamine's xlsx reader compares it: ASCII letters folded, backslashes as slashes."""
    return name.translate(_ASCII_FOLD)


def _zip_kind(names_norm: Collection[str], names: set[str]) -> str:
    """The format calamine reads the zip as, from the member names (`names_norm`: as calamine's xlsx reader
    compares them; `names`: exact, as its ods reader looks them up). calamine tries xlsx, then xlsb, then ods,
    and falls back on the next when one fails on a damaged part: a zip with the marks of two formats is
    refused."""
    if "xl/workbook.bin" in names_norm:
        raise refuse(NOT_A_WORKBOOK, what="bảng tính Excel nhị phân (.xlsb), chưa được hỗ trợ")
    if ("xl/workbook.xml" in names_norm or "xl/_rels/workbook.xml.rels" in names_norm) and (
        "mimetype" in names_norm or "content.xml" in names_norm
    ):
        raise ambiguous("vừa có phần của bảng tính Excel vừa có phần của bảng tính OpenDocument")
    if "xl/workbook.xml" in names_norm:
        return "xlsx"
    if "content.xml" in names and "mimetype" in names:
        return "ods"
    if "word/document.xml" in names_norm:
        what = "tài liệu Word (.docx)"
    elif any(n.startswith("ppt/") for n in names_norm):
        what = "bài trình chiếu PowerPoint (.pptx)"
    elif "content.xml" in names_norm:
        what = "tài liệu OpenDocument không phải bảng tính"
    else:
        what = "tệp nén ZIP không chứa bảng tính"
    raise refuse(NOT_A_WORKBOOK, what=what)


def _check_sizes(unpacked: int, on_disk: int, members: list[Member]) -> None:
    if unpacked > MAX_UNPACKED_BYTES:
        raise bomb(f"giải nén ra {mb(unpacked)}, tối đa {mb(MAX_UNPACKED_BYTES)}")
    if unpacked > RATIO_MIN_BYTES and unpacked > MAX_RATIO * on_disk:
        raise bomb(f"tỉ lệ nén {unpacked // max(1, on_disk)}:1, tối đa {MAX_RATIO}:1")
    for m in members:
        if m.file_size > RATIO_MIN_BYTES and m.file_size > MAX_RATIO * max(1, m.compress_size):
            raise bomb(
                f"thành phần {m.name!r} có tỉ lệ nén {m.file_size // max(1, m.compress_size)}:1, tối đa {MAX_RATIO}:1"
            )
