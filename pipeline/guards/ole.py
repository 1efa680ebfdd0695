"""OLE2 compound files (.xls, and encrypted xlsx): the sectors, directory and streams read as calamine reads
them, within bounds, and every Workbook stream handed to pipeline.guards.biff."""

from __future__ import annotations

import struct
from typing import NamedTuple

from pipeline.guards.biff import check_biff, decode_rs, password, xls_damaged
from pipeline.guards.limits import Refused, refuse
from pipeline.problems import NOT_A_WORKBOOK

_END = 0xFFFFFFFE  # ENDOFCHAIN: a sector number at or above it ends a chain (FREESECT is 0xFFFFFFFF)
_DIFAT_END = 0xFFFFFFFA  # calamine follows a DIFAT chain while the next sector is below this
MINI_CUTOFF = 4096  # calamine reads a stream under this size from the mini stream, whatever the header says
_BOOKS = ("workbook", "book")


def _cfb_name(raw: bytes) -> str:
    """A directory entry's name as calamine decodes it: its 64 bytes as UTF-16LE (by encoding_rs), cut at the
    first NUL; the stored length is not used."""
    return decode_rs(raw, "utf-16-le").partition("\x00")[0]


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
            raise xls_damaged("tệp quá ngắn")
        shift, mini_shift = struct.unpack_from("<HH", data, 0x1E)
        if shift not in (9, 12) or mini_shift != 6:
            raise xls_damaged("kích thước sector sai")
        self.ssz = 1 << shift
        self.nsect = max(0, (len(data) - self.ssz) // self.ssz + 1)
        n_fat, first_dir = struct.unpack_from("<II", data, 0x2C)
        cutoff, first_minifat, n_minifat, first_difat, _ = struct.unpack_from("<5I", data, 0x38)
        if cutoff != MINI_CUTOFF:
            raise xls_damaged("ngưỡng mini-stream sai")
        difat = self._difat(first_difat)
        fat_bytes = b"".join(self.sector(s) for s in difat[: min(n_fat, self.nsect)])
        self.fat = struct.unpack(f"<{len(fat_bytes) // 4}I", fat_bytes)
        self.entries = self._directory(self.chain(first_dir))
        root = self.entries[0] if self.entries else None
        self.mini_stream = self.chain(root.start, root.size) if root else b""
        minifat = self.chain(first_minifat) if n_minifat else b""
        self.minifat = struct.unpack(f"<{len(minifat) // 4}I", minifat)

    def _difat(self, sector: int) -> list[int]:
        """The FAT's sectors: the header's 109, then the DIFAT chain from `sector` (a loop is refused)."""
        difat = [s for s in struct.unpack_from("<109I", self.data, 0x4C) if s < _END]
        hops, per = 0, self.ssz // 4 - 1
        while sector < _DIFAT_END:
            if hops >= self.nsect:
                raise xls_damaged("chuỗi DIFAT sai")
            block = self.sector(sector)
            difat += [s for s in struct.unpack_from(f"<{per}I", block) if s < _END]
            sector = struct.unpack_from("<I", block, per * 4)[0]
            hops += 1
        return difat

    def _directory(self, directory: bytes) -> list[_Entry]:
        entries = []
        for off in range(0, len(directory) - 127, 128):
            nlen = min(64, struct.unpack_from("<H", directory, off + 64)[0])
            start, size = struct.unpack_from("<IQ", directory, off + 116)
            if self.ssz == 512:
                size &= 0xFFFFFFFF
            stored = directory[off : off + max(0, nlen - 2)].decode("utf-16-le", "replace")
            entries.append(_Entry(_cfb_name(directory[off : off + 64]), stored, directory[off + 66], start, size))
        return entries

    def sector(self, n: int) -> bytes:
        off = (n + 1) * self.ssz
        if n >= self.nsect or off + self.ssz > len(self.data):
            raise xls_damaged("sector ngoài tệp")
        return self.data[off : off + self.ssz]

    def chain(self, start: int, size: int | None = None) -> bytes:
        parts, sector, seen = [], start, 0
        limit = self.nsect if size is None else min(self.nsect, size // self.ssz + 1)
        while sector < _END:
            if seen > limit or sector >= len(self.fat):
                raise xls_damaged("chuỗi sector sai")
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
            if (
                len(parts) >= len(self.minifat)
                or sector >= len(self.minifat)
                or (sector + 1) * 64 > len(self.mini_stream)
            ):
                raise xls_damaged("chuỗi mini-sector sai")
            parts.append(self.mini_stream[sector * 64 : (sector + 1) * 64])
            sector = self.minifat[sector]
        return b"".join(parts)[: entry.size]


def check_ole(data: bytes) -> str:
    """ "xls" for a compound file holding a workbook calamine may read; refused otherwise."""
    try:
        cfb = _Cfb(data)
    except (struct.error, Refused) as exc:
        # Unreadable directory: an encrypted OOXML still shows its stream names (UTF-16LE) somewhere.
        if any(n.encode("utf-16-le") in data for n in ("EncryptedPackage", "EncryptionInfo")):
            raise password() from exc
        if isinstance(exc, Refused):
            raise
        raise xls_damaged("cấu trúc sai") from exc
    names = {n.lower() for e in cfb.entries for n in (e.name, e.stored)}
    if "encryptedpackage" in names or "encryptioninfo" in names:
        raise password()
    # calamine reads the first entry named "Workbook", else "Book" (by its own decoding of names); xlrd may
    # read another (it decodes names by their stored length): every candidate is checked
    books = [e for e in cfb.entries if e.name.lower() in _BOOKS or e.stored.lower() in _BOOKS]
    if not books:
        what = (
            "tài liệu Word 97-2003 (.doc)"
            if "worddocument" in names
            else "bài trình chiếu PowerPoint 97-2003 (.ppt)"
            if "powerpoint document" in names
            else "tệp Office không chứa bảng tính"
        )
        raise refuse(NOT_A_WORKBOOK, what=what)
    for book in books:
        try:
            stream = cfb.stream(book)
        except struct.error as exc:
            raise xls_damaged("cấu trúc sai") from exc
        check_biff(stream)
    return "xls"
