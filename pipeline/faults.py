"""Faults of the machine, not of the data - a folder that cannot be written, a full disk, a ledger that is
read-only or locked by another program - said in one line with what to do, before a run starts (`preflight`)
and when one happens during a run (`describe`). Nothing here retries: these do not go away by waiting."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from pipeline.paths import ledger_target

MIN_FREE_BYTES = 50 * 1024 * 1024  # a run writes reports of a few MiB, receipts and archive copies
LOCK_WAIT_SECONDS = 10  # how long a run waits for another program's write to the ledger before saying so


class Fault(RuntimeError):
    """A fault of the machine, in one line with what to do."""


def preflight(folders: dict[str, Path], ledger: Path | str) -> None:
    """Raise Fault if a folder a run writes (name -> path) cannot be written or its disk is full, or if the
    ledger cannot be written."""
    for what, folder in folders.items():
        writable(folder, what)
    found = ledger_target(ledger)
    if isinstance(found, Path):
        sqlite_writable(found)


def writable(folder: Path, what: str) -> None:
    """Raise Fault unless a file can be created in `folder` (created if missing) with room to spare."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".khuyencong-probe-"):
            pass
    except OSError as exc:
        raise Fault(describe(exc, f"the {what} folder {folder}")) from None
    free = shutil.disk_usage(folder).free
    if free < MIN_FREE_BYTES:
        raise Fault(
            f"only {free // 1024**2} MiB free on the disk of {folder} (the {what} folder): free some "
            f"space (at least {MIN_FREE_BYTES // 1024**2} MiB) and run again"
        )


def sqlite_writable(path: Path) -> None:
    """Raise Fault unless the SQLite ledger at `path` (or its folder, for a new one) can be written now,
    waiting up to LOCK_WAIT_SECONDS for another writer."""
    if not path.exists():
        writable(path.parent, "ledger's")
        return
    try:
        conn = sqlite3.connect(path, timeout=LOCK_WAIT_SECONDS)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.rollback()
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise Fault(describe(exc, f"the ledger {path}")) from None
    if not os.access(path, os.W_OK):
        raise Fault(f"the ledger {path} is read-only: give the user running khuyencong write access to it")


def describe(exc: BaseException, what: str = "a file") -> str | None:
    """One line for a machine fault (`what` names the place), or None when `exc` is not one. A Fault is
    already its line."""
    if isinstance(exc, Fault):
        return str(exc)
    if not isinstance(exc, OSError):  # a library's own exception around one (XlsxWriter's FileCreateError)
        exc = next((a for a in getattr(exc, "args", ()) if isinstance(a, OSError)), exc)
    message = str(getattr(exc, "orig", None) or exc).lower()
    if (
        isinstance(exc, OSError)
        and exc.errno in (errno.ENOSPC, errno.EDQUOT)
        or "disk is full" in message
        or "database or disk is full" in message
    ):
        return f"no space left on the disk of {what}: free some space and run again (nothing was lost)"
    if (
        isinstance(exc, OSError)
        and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
        or "readonly database" in message
        or "read-only" in message
    ):
        return (
            f"cannot write {what}: permission denied or read-only; give the user running khuyencong "
            "write access (or point elsewhere with --outputs / --ledger) and run again"
        )
    if "database is locked" in message or "database table is locked" in message:
        return f"{what} is being written by another program: close it (or wait for it) and run again"
    if "unable to open database" in message:
        return f"cannot open {what}: check that its folder exists and can be written"
    if isinstance(exc, OSError) and exc.strerror:
        return f"cannot write {what}: {exc.strerror}"
    return None
