"""Faults of the machine answered in one line with what to do, a non-zero exit and no traceback - real
processes, a real SQLite lock, and permissions as a service (not root) sees them (setpriv drops root)."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import faults
from pipeline.paths import config_folder
from pipeline.periods import month
from pipeline.programme import load_programmes
from pipeline.units import load_units
from pipeline.workbook import Filling, write_template

KHUYENCONG = str(Path(sys.executable).with_name("khuyencong"))
SETPRIV = shutil.which("setpriv")


@pytest.fixture
def folder() -> Iterator[Path]:
    """A working folder another user can enter (pytest's own tmp folders are private to root)."""
    root = Path(tempfile.mkdtemp(prefix="khuyencong-faults-"))
    root.chmod(0o755)
    config = config_folder()
    write_template(
        load_programmes(config)[0],
        load_units(config).by_code["bu-dang"],
        month(2012, 3),
        root / "inputs" / "bu-dang-2012-03.xlsx",
        Filling(results={"P1.2": 3}),
    )
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def _khuyencong(root: Path, *args: str, as_nobody: bool = False) -> subprocess.CompletedProcess:
    command = [
        KHUYENCONG,
        *args,
        "--inputs",
        str(root / "inputs"),
        "--outputs",
        str(root / "outputs"),
        "--ledger",
        str(root / "ledger.sqlite"),
    ]
    if as_nobody:
        command = [SETPRIV, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(root / "prefect-home")
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=900)


def _one_line(done: subprocess.CompletedProcess) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.skipif(SETPRIV is None or os.geteuid() != 0, reason="needs root to drop to another user")
def test_outputs_that_cannot_be_written_are_said_in_one_line(folder: Path) -> None:
    (folder / "outputs").mkdir(mode=0o755)  # root's: the service user cannot write it
    (folder / "prefect-home").mkdir(mode=0o777)
    line = _one_line(_khuyencong(folder, "ingest", as_nobody=True))
    assert "outputs folder" in line and "permission denied" in line
    assert not (folder / "ledger.sqlite").exists()  # nothing started


@pytest.mark.skipif(SETPRIV is None or os.geteuid() != 0, reason="needs root to drop to another user")
def test_a_read_only_ledger_is_said_in_one_line(folder: Path) -> None:
    for name in ("outputs", "archive", "prefect-home"):
        (folder / name).mkdir(mode=0o777)
    sqlite3.connect(folder / "ledger.sqlite").close()  # root's, mode 0644: read-only for the service user
    line = _one_line(_khuyencong(folder, "ingest", as_nobody=True))
    assert "ledger" in line and ("read-only" in line or "permission denied" in line)


def test_a_ledger_locked_by_another_writer_is_said_in_one_line(folder: Path) -> None:
    holder = sqlite3.connect(folder / "ledger.sqlite", isolation_level=None)
    holder.execute("CREATE TABLE IF NOT EXISTS t(x)")
    holder.execute("BEGIN IMMEDIATE")  # another program in the middle of a write
    try:
        line = _one_line(_khuyencong(folder, "ingest"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "being written by another program" in line and "ledger.sqlite" in line


def test_a_full_disk_and_permissions_described_in_words() -> None:
    full = faults.describe(OSError(errno.ENOSPC, "No space left on device"), "the outputs folder /x")
    assert full.startswith("no space left on the disk of the outputs folder /x")
    assert "permission denied" in faults.describe(PermissionError(errno.EACCES, "Permission denied"), "/x")
    locked = faults.describe(sqlite3.OperationalError("database is locked"), "the ledger l.sqlite")
    assert locked == "the ledger l.sqlite is being written by another program: close it (or wait for it) and run again"
    assert faults.describe(ValueError("a bug"), "x") is None  # not a machine fault: not disguised as one


def test_a_fault_wrapped_by_a_library_is_described_and_a_fault_is_its_own_line() -> None:
    from xlsxwriter.exceptions import FileCreateError

    wrapped = FileCreateError(OSError(errno.ENOSPC, "No space left on device"))  # as XlsxWriter raises it
    assert faults.describe(wrapped, "the reports folder /x").startswith("no space left on the disk of the reports")
    assert faults.describe(faults.Fault("said once, in full"), "x") == "said once, in full"
