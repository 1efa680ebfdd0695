"""An .xls Workbook stream (BIFF2-8 records) walked once, as calamine reads it: FILEPASS anywhere refuses it;
each substream counts from its BOF; each sheet is read from the offset its BOUNDSHEET gives, up to the EOF
closing its own BOF (an embedded chart, a nested BOF … EOF, counts too, which only counts more); extents come
from DIMENSIONS (also the rows x columns calamine reserves from them, which wrap around when the first row or
column is past the last) and every cell record. An offset that is not where a later record starts, or that
two BOUNDSHEETs share, is refused (calamine would read a sheet hidden in another record's body)."""

from __future__ import annotations

import struct

from pipeline.guards.limits import (
    MAX_CELLS,
    MAX_ROWS,
    MAX_SHEETS,
    UNSURE,
    Reads,
    Refused,
    refuse,
    too_many_cells,
    too_many_rows,
    too_many_sheets,
)
from pipeline.problems import PASSWORD_PROTECTED, XLS_DAMAGED

# BIFF record types (MS-XLS 2.3; BIFF2-4 BOFs from the OpenOffice documentation of the Excel file format)
FILEPASS = 0x002F  # the workbook is encrypted
BOF = 0x0809  # BIFF5-8: a substream starts (globals, a sheet, a chart …)
BOF_BIFF2, BOF_BIFF3, BOF_BIFF4 = 0x0009, 0x0209, 0x0409
EOF = 0x000A  # a substream ends
DIMENSIONS = 0x0200  # a sheet's used area: first row, last row + 1, first column, last column + 1
CODEPAGE = 0x0042  # the codepage of 8-bit strings
BOUNDSHEET = 0x0085  # in the globals: a sheet's name and the offset of its BOF
FORMULA, BLANK, NUMBER, LABEL, BOOLERR, RK, LABELSST, RSTRING = (
    0x0006,
    0x0201,
    0x0203,
    0x0204,
    0x0205,
    0x027E,
    0x00FD,
    0x00D6,
)
MULRK, MULBLANK = 0x00BD, 0x00BE  # row, first column, entries, last column

_BOFS = frozenset({BOF, BOF_BIFF2, BOF_BIFF3, BOF_BIFF4})
_CELLS = frozenset({FORMULA, BLANK, NUMBER, LABEL, BOOLERR, RK, LABELSST, RSTRING})  # row, column first
_MULTI = {MULRK: 6, MULBLANK: 2}  # bytes per entry
_SEEN = frozenset({FILEPASS, EOF, DIMENSIONS, CODEPAGE, BOUNDSHEET, *_BOFS, *_CELLS, *_MULTI})  # looked into
_BIFF2_5 = (0x0200, 0x0002, 0x0007, 0x0300, 0x0400, 0x0500)  # BOF versions calamine reads as BIFF2-5
_CHART = 0x1000  # BOF substream type of a chart (with version 0: not BIFF8)
_HEADER = struct.Struct("<HH")  # a record's type and length
# Codepages whose encoding_rs decoder reads printable ASCII (and NUL) as itself.
_ASCII_CODEPAGES = frozenset(
    {
        874,
        932,
        936,
        949,
        950,
        *range(1250, 1259),
        10000,
        20127,
        20866,
        21866,
        *range(28591, 28606),
        51932,
        51949,
        54936,
        65001,
    }
)
_UTF16_CODEPAGES = {1200: "utf-16-le", 1201: "utf-16-be"}


def xls_damaged(what: str) -> Refused:
    return refuse(XLS_DAMAGED, what=what)


def password() -> Refused:
    return refuse(PASSWORD_PROTECTED)


def decode_rs(raw: bytes, codec: str) -> str:
    """Bytes decoded as encoding_rs decodes them: a byte order mark (UTF-8 or UTF-16) overrides the codec."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", "replace")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw[2:].decode("utf-16-le" if raw[0] == 0xFF else "utf-16-be", "replace")
    return raw.decode(codec, "replace")


def check_biff(stream: bytes) -> None:
    """Walks a Workbook stream's records once (see the module docstring); refused on the first bound broken.
    Cell records, most of a stream, take the short way (`_Walk.cell`, no copy of their body)."""
    walk = _Walk()
    pending, cell, record = walk.pending, walk.cell, walk.record
    pos, n = 0, len(stream)
    unpack = _HEADER.unpack_from  # a record's type and length; a cell record's row and column
    while pos + 4 <= n:
        at = pos
        rtype, length = unpack(stream, pos)
        pos += 4 + length
        if pending and at in pending:  # calamine starts reading a sheet here
            walk.start_sheet(at)
        if rtype in _CELLS:
            if length >= 4 and at + 8 <= n:
                cell(*unpack(stream, at + 4))
        elif rtype in _SEEN:
            record(rtype, stream[at + 4 : pos], pos)
    walk.finish()


class _Walk:
    """The state of one walk through a Workbook stream: the substream being counted (from its BOF), the
    sheets calamine is reading (from their BOUNDSHEET offsets), and the globals' codepage and BIFF version."""

    def __init__(self) -> None:
        self.sheet = self.cells = self.rows = self.cols = 0  # substreams so far; cells of those closed; extent
        self.in_globals, self.biff8, self.codepage = True, True, 1200
        self.pending: dict[int, object] = {}  # BOUNDSHEET offsets ahead -> name keys
        self.depth = 0  # BOFs less EOFs so far
        # calamine's sheets being read, latest last: (name key, depth at its start, [rows, cols] since its
        # start). A sheet started later ends no later (depth moves by one per record), so they end from the top.
        self.walks: list[tuple[object, int, list[int]]] = []
        self.open_rows = self.open_cols = 0  # the extent of the oldest sheet being read, so far
        self.reads = Reads()

    def record(self, rtype: int, body: bytes, end: int) -> None:
        """One record that matters (`end`: where the next record starts)."""
        if rtype == FILEPASS:
            raise password()
        if rtype in _BOFS:
            self._bof(rtype, body)
        elif rtype == EOF:
            self._eof()
        elif rtype == CODEPAGE:
            if self.in_globals and len(body) >= 2:
                self.codepage = struct.unpack_from("<H", body)[0]
        elif rtype == BOUNDSHEET:
            if self.in_globals and len(body) >= 4:
                self._boundsheet(body, end)
        elif (extent := _extent(rtype, body)) is not None and (extent[0] >= 0 or extent[1] >= 0):
            self.cell(*extent)

    def start_sheet(self, at: int) -> None:
        self.walks.append((self.pending.pop(at), self.depth, [0, 0]))

    def finish(self) -> None:
        self._close_substream()
        while self.walks:  # calamine reads a sheet without an EOF to the end of the stream
            self._end_sheet()
        if self.pending:  # an offset inside a record, or past the end
            raise xls_damaged("vị trí trang tính sai")

    def _bof(self, rtype: int, body: bytes) -> None:
        """A new substream."""
        self._close_substream()
        self.sheet, self.rows, self.cols = self.sheet + 1, 0, 0
        self.depth += rtype == BOF
        if self.in_globals and rtype == BOF:
            self.biff8 = _biff8(body)

    def _eof(self) -> None:
        """calamine's globals end here, and the sheets whose own BOF it closes."""
        self.in_globals = False
        self.depth -= 1
        while self.walks and self.walks[-1][1] >= self.depth:
            self._end_sheet()

    def _boundsheet(self, body: bytes, end: int) -> None:
        """Where calamine reads a sheet: an offset ahead, where a record starts (checked at the end)."""
        where = struct.unpack_from("<I", body)[0]
        if where < end or where in self.pending:
            raise xls_damaged("vị trí trang tính sai")
        if len(self.pending) + len(self.walks) + self.reads.sheets >= MAX_SHEETS:
            raise too_many_sheets()
        self.pending[where] = _sheet_key(body, self.biff8, self.codepage)

    def cell(self, r: int, c: int) -> None:
        """A cell (or DIMENSIONS) reaching 0-based row r and column c: the substream's extent, and that of the
        sheets calamine is reading. An extent that does not grow is not written again (the substream's bound
        was checked when it last grew; the sheets' is checked on every cell, as a sheet ending may have added
        to the total). The oldest sheet's extent holds every later one's (`open_rows` >= the top's)."""
        rows, cols = self.rows, self.cols
        if r >= rows or c >= cols:
            self.rows = rows = max(rows, r + 1)
            self.cols = cols = max(cols, c + 1)
            if rows > MAX_ROWS or self.cells + rows * cols > MAX_CELLS:
                self._close_substream()
        if walks := self.walks:
            top = walks[-1][2]
            if r >= top[0] or c >= top[1]:
                top[0], top[1] = max(top[0], r + 1), max(top[1], c + 1)
                self.open_rows, self.open_cols = max(self.open_rows, r + 1), max(self.open_cols, c + 1)
            if self.open_rows > MAX_ROWS or self.reads.total + self.open_rows * self.open_cols > MAX_CELLS:
                while walks:  # the oldest sheet being read is too large already: refused
                    self._end_sheet()

    def _close_substream(self) -> None:
        if self.rows > MAX_ROWS:
            raise too_many_rows(f"Trang tính thứ {max(1, self.sheet - 1)}")
        self.cells += self.rows * self.cols
        if self.cells > MAX_CELLS:
            raise too_many_cells()

    def _end_sheet(self) -> None:
        """The latest sheet calamine is reading ends: counted by its name (Reads); the sheet below it read
        all of it too."""
        key, _, (r, c) = self.walks.pop()
        if r > MAX_ROWS:
            raise too_many_rows("Một trang tính")
        self.reads.add(key, r * c)
        if self.walks:
            below = self.walks[-1][2]
            below[0], below[1] = max(below[0], r), max(below[1], c)
        else:
            self.open_rows = self.open_cols = 0


def _extent(rtype: int, body: bytes) -> tuple[int, int] | None:
    """The last 0-based (row, column) a DIMENSIONS or MULRK/MULBLANK record reaches (-1: none), or None."""
    if rtype == DIMENSIONS and len(body) >= 8:  # first row, last row + 1, first column, last column + 1
        first_r, last_r, first_c, last_c = struct.unpack_from("<IIHH" if len(body) >= 14 else "<HHHH", body)
        if last_r and last_c:  # calamine reserves (last - first) rows and columns, in 32-bit arithmetic
            return max(last_r, (last_r - first_r) & 0xFFFFFFFF) - 1, max(last_c, (last_c - first_c) & 0xFFFFFFFF) - 1
        return last_r - 1, last_c - 1
    if rtype in _MULTI and len(body) >= 6:  # a MULRK's cells from its first column on, whatever its last says
        r, first = struct.unpack_from("<HH", body)
        return r, max(struct.unpack_from("<H", body, len(body) - 2)[0], first + (len(body) - 6) // _MULTI[rtype] - 1)
    return None


def _biff8(body: bytes) -> bool:
    """Whether a BOF record makes calamine read what follows as BIFF8 (else BIFF2-5)."""
    version = struct.unpack_from("<H", body)[0] if len(body) >= 2 else 0
    kind = struct.unpack_from("<H", body, 2)[0] if len(body) >= 4 else 0
    if version == 0:
        return kind != _CHART
    return version not in _BIFF2_5


def _sheet_key(body: bytes, biff8: bool, codepage: int) -> object:
    """A BOUNDSHEET's name as calamine decodes it (in the codepage of the last CODEPAGE record, a BIFF8
    string by its flag as 16-bit or as 8-bit widened with NULs, NULs then dropped), or UNSURE when this
    decoding is not certainly calamine's."""
    if len(body) < 8:
        return UNSURE
    cch, high, chars = (body[6], bool(body[7] & 1), body[8:]) if biff8 else (body[6], None, body[7:])
    wide = _UTF16_CODEPAGES.get(codepage)
    if wide is None and codepage not in _ASCII_CODEPAGES:
        return UNSURE
    if high is None and wide is not None:
        high = False  # calamine widens 8-bit strings for a UTF-16 codepage
    if high:
        raw = chars[: 2 * min(len(chars) // 2, cch)]
    elif high is False:
        raw = b"".join(bytes((b, 0)) for b in chars[:cch])
    else:
        raw = chars[:cch]
    if wide is None:  # an ASCII codepage: only printable ASCII (and NULs, dropped) reads for certain
        text = raw.decode("latin-1").replace("\x00", "")
        return text if text.isascii() and text.isprintable() else UNSURE
    text = decode_rs(raw, wide).replace("\x00", "")
    return UNSURE if "\ufffd" in text else text
