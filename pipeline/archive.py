"""The archive: a copy of every file ever seen, addressed by its sha256 (archive/ab/abcdef….xlsx).

A file is copied into the archive and hashed in the same pass, before anything reads it; the pipeline then
reads the archived copy, so the bytes parsed are exactly the bytes whose sha256 the ledger records, even if
the officer's file changes meanwhile. Same bytes, same address: a file dropped twice is stored once.

Each input is opened once, relative to the inputs folder and without following a link at any step
(O_NOFOLLOW on every folder and on the file, O_NONBLOCK so a FIFO never blocks), checked to be a regular file
on the open descriptor (fstat), and read, hashed and copied from that one descriptor: a link or a FIFO renamed
over a listed input between listing and reading is refused, never followed.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pipeline.problems import FILE_UNREADABLE, NOT_A_WORKBOOK, PERMISSION_DENIED, Refused, refusal
from pipeline.reading import FileInfo, display_name


def _not_regular(found: str) -> Refused:
    return Refused(
        refusal(NOT_A_WORKBOOK, NOT_A_WORKBOOK.message("not_regular_input"), found, "một tệp Excel thông thường")
    )


def _unreadable(variant: str, errno_: int | None) -> Refused:
    return Refused(
        refusal(FILE_UNREADABLE, FILE_UNREADABLE.message(variant), f"(lỗi hệ thống {errno_})", "một tệp đọc được")
    )


_KINDS = {
    stat.S_IFIFO: "một ống dẫn (FIFO)",
    stat.S_IFLNK: "một liên kết",
    stat.S_IFDIR: "một thư mục",
    stat.S_IFCHR: "một thiết bị",
    stat.S_IFBLK: "một thiết bị",
    stat.S_IFSOCK: "một socket",
}


def open_input(inputs: Path, rel: str) -> int:
    """A read-only descriptor of inputs/`rel`, opened without following a link at any step and without
    blocking (a FIFO opens at once). Raises OSError (ELOOP or ENOTDIR for a link) as os.open does."""
    *folders, name = [part for part in rel.split("/") if part]
    fd = os.open(inputs, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for folder in folders:
            inner = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = inner
        return os.open(
            name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0), dir_fd=fd
        )
    finally:
        os.close(fd)


def take(
    inputs: Path, rel: str, archive: Path, first_seen: datetime | None = None, backlog: bool = True
) -> FileInfo | None:
    """Copy inputs/`rel` into the archive, hashing it as it is copied, from one descriptor; the FileInfo points
    at the archived copy. None if the file has gone since it was listed; Refused (pipeline.problems) if it is
    not a regular file (a link or FIFO swapped in) or cannot be read."""
    try:
        fd = open_input(inputs, rel)
    except FileNotFoundError:
        return None
    except PermissionError:
        raise Refused(
            refusal(
                PERMISSION_DENIED,
                PERMISSION_DENIED.message(),
                "(không được phép đọc)",
                "tệp mà chương trình tiếp nhận được phép đọc",
            )
        ) from None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise _not_regular("một liên kết") from None
        raise _unreadable("open", exc.errno) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _not_regular(_KINDS.get(stat.S_IFMT(st.st_mode), "(không phải tệp)"))
        sha, size, target = _copy(fd, archive, Path(rel).suffix)
    except OSError as exc:
        raise _unreadable("read", exc.errno) from None
    finally:
        os.close(fd)
    return FileInfo(
        path=target,
        name=display_name(rel),
        sha256=sha,
        size=size,
        modified=datetime.fromtimestamp(st.st_mtime, UTC),
        source=inputs / rel,
        mtime_ns=st.st_mtime_ns,
        first_seen=first_seen,
        backlog=backlog,
        rel=rel,
    )


def _copy(fd: int, archive: Path, suffix: str) -> tuple[str, int, Path]:
    """Read `fd` to its end into archive/ab/<sha256><suffix>; (sha256, bytes read, that path)."""
    suffix = suffix.lower() if len(suffix) <= 6 and suffix.isascii() else ""
    digest, size = hashlib.sha256(), 0
    archive.mkdir(parents=True, exist_ok=True)
    out, tmp_name = tempfile.mkstemp(dir=archive, prefix=".incoming-", suffix=suffix)
    try:
        with os.fdopen(out, "wb") as dst:
            while chunk := os.read(fd, 1 << 20):
                digest.update(chunk)
                dst.write(chunk)
                size += len(chunk)
        sha = digest.hexdigest()
        target = archive / sha[:2] / f"{sha}{suffix}"
        if not target.exists():  # same bytes, same address: kept once
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    return sha, size, target
