"""Guards: check a dropped file BEFORE any workbook reader touches it, within bounded time and memory.

`check_file(path)` reads the file once and returns a `Checked` (its bytes, its kind and, for an xlsx, the parts
inflated on the way) when python-calamine may read it, else the `Refusal` (a pipeline.problems.Problem: code and
Vietnamese message) saying why; `inspect_file(path)` returns None or that Refusal; `detect_format(path)` names
the container. By container: zip_directory (end records, central directory), zip_members (every member
inflated and scanned), xlsx and ods (what calamine reads in them), ole and biff (.xls). The bounds are in
limits; docs/guards.md lists the threats and how each refusal is detected.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from pipeline.guards.limits import (
    CHUNK,
    MAX_CELLS,
    MAX_FILE_BYTES,
    MAX_RATIO,
    MAX_ROWS,
    MAX_RSS_BYTES,
    MAX_SECONDS,
    MAX_SHEETS,
    MAX_UNPACKED_BYTES,
    MAX_ZIP_ENTRIES,
    OLE_MAGIC,
    RATIO_MIN_BYTES,
    ZIP_MAGIC,
    Refused,
    mb,
    refuse,
)
from pipeline.guards.ole import check_ole
from pipeline.guards.sniff import sniff
from pipeline.guards.zip_members import WORKBOOK_PARTS, check_zip
from pipeline.problems import EXTENSION_MISMATCH, FILE_EMPTY, FILE_TOO_LARGE, NOT_A_WORKBOOK, Problem

__all__ = [
    "CHUNK",
    "MAX_CELLS",
    "MAX_FILE_BYTES",
    "MAX_RATIO",
    "MAX_ROWS",
    "MAX_RSS_BYTES",
    "MAX_SECONDS",
    "MAX_SHEETS",
    "MAX_UNPACKED_BYTES",
    "MAX_ZIP_ENTRIES",
    "RATIO_MIN_BYTES",
    "WORKBOOK_PARTS",
    "Checked",
    "Refusal",
    "check_file",
    "detect_format",
    "inspect_file",
]

Refusal = Problem  # a refused file: the Problem (code, Vietnamese message) that says why, cell and file not set

WORKBOOK_SUFFIXES = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".ods": "ods"}
KIND_NAMES = {"xlsx": "Excel (.xlsx/.xlsm)", "xls": "Excel 97-2003 (.xls)", "ods": "OpenDocument (.ods)"}


@dataclass(frozen=True)
class Checked:
    """A file that passed the guards, read once: its bytes and what the guards learned while inflating it."""

    data: bytes  # the whole file, exactly as on disk (read once, <= MAX_FILE_BYTES)
    kind: str  # "xlsx" (also .xlsm), "xls" or "ods": by content, as _check found it
    parts: dict[str, bytes]  # xlsx only ({} otherwise): the inflated bytes of WORKBOOK_PARTS (found in any
    # ASCII case, as calamine finds them) and of every member measured as a worksheet, keyed by member name
    # (names are unique: a zip with two members of one name, in any case, is refused)


def check_file(path: Path, *, allow_renamed: bool = True) -> Checked | Refusal:
    """Read the file once (O_NONBLOCK, regular files only, size bounds before reading), run every check on
    the bytes in memory, and return them with the kind and (xlsx) the parts inflated on the way."""
    try:
        data = _read(path)
        kind, parts = _check(data, path, allow_renamed)
    except Refused as r:
        return r.problem
    return Checked(data, kind, parts)


def inspect_file(path: Path, *, allow_renamed: bool = True) -> Refusal | None:
    """None if the file may be read by calamine, else why not. Bounded in time, memory and what it reads."""
    result = check_file(path, allow_renamed=allow_renamed)
    return result if isinstance(result, Problem) else None


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
        raise refuse(NOT_A_WORKBOOK, "open", errno=exc.errno) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise refuse(NOT_A_WORKBOOK, "not_regular")
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
        raise refuse(FILE_EMPTY)
    if size > MAX_FILE_BYTES:
        raise refuse(FILE_TOO_LARGE, size=mb(size), limit=mb(MAX_FILE_BYTES))


def _check(data: bytes, path: Path, allow_renamed: bool) -> tuple[str, dict[str, bytes]]:
    expected = WORKBOOK_SUFFIXES.get(path.suffix.lower())
    parts: dict[str, bytes] = {}
    if data.startswith(ZIP_MAGIC) or data.startswith(b"PK\x05\x06"):
        kind, parts = check_zip(data)
    elif data.startswith(OLE_MAGIC):
        kind = check_ole(data)
    else:
        raise refuse(NOT_A_WORKBOOK, what=sniff(data[:8192]))
    if kind != expected and (expected is None or not allow_renamed):
        raise refuse(EXTENSION_MISMATCH, suffix=path.suffix or "(không có đuôi)", kind=KIND_NAMES[kind])
    return kind, parts
