"""The bounds every container is held to (docs/guards.md says why each), and how the guards refuse a file."""

from __future__ import annotations

import re
import unicodedata

from pipeline.problems import TOO_MANY_CELLS, TOO_MANY_ROWS, Code, Refused, refusal

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_RATIO = 100
RATIO_MIN_BYTES = 1024 * 1024
MAX_ZIP_ENTRIES = 2000
MAX_DIRECTORY_BYTES = 1024 * 1024  # the zip's central directory: ~100 bytes per member of a real workbook
MAX_ROWS = 20_000
MAX_CELLS = 1_000_000
MAX_SHEETS = 2000  # sheets per workbook: calamine finds each by name in a list, and a full read asks for each
MAX_SECONDS = 5.0
MAX_RSS_BYTES = 300 * 1024 * 1024

CHUNK = 256 * 1024  # inflate in pieces of this size
EXCEL_MAX_ROWS, EXCEL_MAX_COLS = 1_048_576, 16_384
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def refuse(code: Code, variant: str = "", **fields: object) -> Refused:
    """The refusal to raise: the code's message (or its named variant) with these fields, in NFC."""
    return Refused(refusal(code, unicodedata.normalize("NFC", code.message(variant, **fields))))


def mb(n: int) -> str:
    """2147483648 -> "2.048,0 MB" (Vietnamese marks)."""
    return f"{n / (1024 * 1024):,.1f}".translate(str.maketrans(",.", ".,")) + " MB"


def num(n: int) -> str:
    """1000000 -> "1.000.000" (Vietnamese thousands)."""
    return f"{n:,}".replace(",", ".")


def too_many_sheets() -> Refused:
    return refuse(TOO_MANY_CELLS, "sheets", limit=num(MAX_SHEETS))


def too_many_cells() -> Refused:
    return refuse(TOO_MANY_CELLS, limit=num(MAX_CELLS))


def too_many_rows(where: str) -> Refused:
    """`where`: "Trang tính “BaoCao”", "Trang tính thứ 2", "Một trang tính"."""
    return refuse(TOO_MANY_ROWS, where=where, limit=num(MAX_ROWS))


UNSURE = object()  # the group key of sheet names whose reading cannot be told apart for certain


class Reads:
    """The cells a full read allocates, sheet by sheet as readers look them up: calamine (and whoever reads
    every name of `sheet_names` with `get_sheet_by_name`) finds a sheet by its name, so of several sheets of
    one name each lookup reads the same one. A name's sheets therefore count as many times the largest of
    them; names that cannot be decoded for certain share one group (`UNSURE`)."""

    def __init__(self) -> None:
        self.groups: dict[object, tuple[int, int]] = {}  # key -> (sheets, largest area)
        self.total = 0
        self.sheets = 0

    def add(self, key: object, area: int) -> None:
        self.sheets += 1
        if self.sheets > MAX_SHEETS:
            raise too_many_sheets()
        count, top = self.groups.get(key, (0, 0))
        self.total += (count + 1) * max(top, area) - count * top
        self.groups[key] = (count + 1, max(top, area))
        if self.total > MAX_CELLS:
            raise too_many_cells()


class Extents:
    """The used areas measured so far, as calamine allocates them: rows x columns summed over every sheet (held
    to MAX_CELLS), each sheet held to MAX_ROWS, and (xlsx) the area of each measured part."""

    def __init__(self) -> None:
        self.cells = 0
        self.areas: dict[str, int] = {}  # xlsx: rows x columns of each measured member

    def add_sheet(self, name: str, rows: int, cols: int, member: str | None = None) -> None:
        if member is not None:  # an xlsx part's extent, for the sheets that name it (xlsx.sheet_reads)
            self.areas[member] = self.areas.get(member, 0) + rows * cols
        if rows > MAX_ROWS:
            raise too_many_rows(f"Trang tính “{name}”" if name else "Một trang tính")
        self.cells += rows * cols
        if self.cells > MAX_CELLS:
            raise too_many_cells()


_SPACES = re.compile(r"\s+")


def name_key(name: str) -> str:
    """A sheet name for grouping: whitespace runs as one space (XML parsers differ on attribute whitespace,
    and merging two names only counts more)."""
    return _SPACES.sub(" ", name)
