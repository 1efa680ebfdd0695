"""Storing: the SQLite ledger of every submission, its values (with provenance) and its problems.

Amounts are stored as integers in thousandths (`milli`) so sums are exact. Nothing is ever deleted:
a newer file for the same unit and period supersedes an older one at query time (see aggregating).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd

from pipeline.validating import ValidationReport

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    id            INTEGER PRIMARY KEY,
    sha256        TEXT NOT NULL UNIQUE,
    file_name     TEXT NOT NULL,
    size          INTEGER NOT NULL,
    received_at   TEXT NOT NULL,          -- file modification time, UTC ISO
    ingested_at   TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('accepted', 'accepted_with_warnings', 'rejected')),
    programme     TEXT,
    unit_code     TEXT,
    period_code   TEXT,
    period_first  TEXT,                   -- 'YYYY-MM'
    period_last   TEXT,
    report_date   TEXT,
    preparer      TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    notes         TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS submission_values (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    kind          TEXT NOT NULL CHECK (kind IN ('indicator', 'budget')),
    code          TEXT NOT NULL,
    source        TEXT NOT NULL DEFAULT '',
    milli         INTEGER NOT NULL,       -- amount x 1000, exact
    cell          TEXT NOT NULL,          -- 'BaoCao!E17'
    PRIMARY KEY (submission_id, kind, code, source)
);
CREATE TABLE IF NOT EXISTS problems (
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    seq           INTEGER NOT NULL,
    code          TEXT NOT NULL,
    severity      TEXT NOT NULL,
    cell          TEXT NOT NULL,
    found         TEXT NOT NULL,
    expected      TEXT NOT NULL,
    message       TEXT NOT NULL,
    PRIMARY KEY (submission_id, seq)
);
CREATE TABLE IF NOT EXISTS seen_files (   -- lets a run skip unchanged files without reading them
    path          TEXT PRIMARY KEY,
    size          INTEGER NOT NULL,
    mtime_ns      INTEGER NOT NULL,
    sha256        TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sightings (    -- every path under which each file's bytes were seen
    sha256        TEXT NOT NULL,
    path          TEXT NOT NULL,          -- as shown to people: relative to the inputs folder
    received_at   TEXT NOT NULL,
    first_seen    TEXT NOT NULL,
    PRIMARY KEY (sha256, path, received_at)
);
CREATE INDEX IF NOT EXISTS submissions_unit_period ON submissions(unit_code, period_code);
"""

MILLI = Decimal(1000)


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create if needed) the ledger."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.executescript(SCHEMA)
    return conn


def to_milli(amount: Decimal) -> int:
    return int(amount * MILLI)


def from_milli(milli: int) -> Decimal:
    return (Decimal(int(milli)) / MILLI).normalize() + Decimal(0)


def known_sha256(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT sha256 FROM submissions")}


def seen_unchanged(conn: sqlite3.Connection) -> dict[str, tuple[int, int]]:
    """path -> (size, mtime_ns) of files already hashed and stored."""
    return {p: (s, m) for p, s, m in conn.execute("SELECT path, size, mtime_ns FROM seen_files")}


def remember_files(conn: sqlite3.Connection, rows: Iterable[tuple[str, int, int, str]]) -> None:
    with conn:
        conn.executemany("INSERT OR REPLACE INTO seen_files(path, size, mtime_ns, sha256) VALUES (?, ?, ?, ?)", rows)


def record_sightings(conn: sqlite3.Connection, files: Iterable[tuple[str, str, str]]) -> None:
    """Record (sha256, name, received_at) of every file seen, new or already known."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with conn:
        conn.executemany("INSERT OR IGNORE INTO sightings(sha256, path, received_at, first_seen) VALUES (?, ?, ?, ?)",
                         [(sha, name, received, now) for sha, name, received in files])


def sightings_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    return pd.read_sql_query("SELECT * FROM sightings ORDER BY sha256, received_at, path", conn)


def store(conn: sqlite3.Connection, reports: Iterable[ValidationReport]) -> list[int]:
    """Store validated files in one transaction; files already in the ledger (same sha256) are skipped."""
    ids: list[int] = []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with conn:
        for r in reports:
            p = r.period
            cur = conn.execute(
                """INSERT OR IGNORE INTO submissions(sha256, file_name, size, received_at, ingested_at, status,
                       programme, unit_code, period_code, period_first, period_last, report_date, preparer, phone,
                       notes)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (r.file.sha256, r.file.name, r.file.size, r.file.modified.isoformat(timespec="seconds"), now,
                 r.status.value, r.programme.code if r.programme else None, r.unit.code if r.unit else None,
                 p.code if p else None, f"{p.first[0]}-{p.first[1]:02d}" if p else None,
                 f"{p.last[0]}-{p.last[1]:02d}" if p else None,
                 r.report_date.isoformat() if r.report_date else None, r.preparer, r.phone, r.notes),
            )
            if cur.rowcount == 0:
                continue
            sid = cur.lastrowid
            ids.append(sid)
            conn.executemany(
                "INSERT INTO submission_values VALUES (?, ?, ?, ?, ?, ?)",
                [(sid, v.kind, v.code, v.source, to_milli(v.amount), v.cell) for v in r.values],
            )
            conn.executemany(
                "INSERT INTO problems VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(sid, i, pr.code, pr.severity.value, pr.cell, pr.found, pr.expected, pr.message)
                 for i, pr in enumerate(r.problems)],
            )
    return ids


def first_submission(conn: sqlite3.Connection, sha256: str) -> tuple[str, str, str] | None:
    """(file name, received_at, status) of the submission holding these bytes."""
    row = conn.execute("SELECT file_name, received_at, status FROM submissions WHERE sha256 = ?", (sha256,)).fetchone()
    return tuple(row) if row else None


def submissions_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    return pd.read_sql_query("SELECT * FROM submissions ORDER BY id", conn)


def values_frame(conn: sqlite3.Connection, submission_ids: Iterable[int] | None = None) -> pd.DataFrame:
    query = "SELECT * FROM submission_values"
    frame = pd.read_sql_query(query, conn)
    if submission_ids is not None:
        frame = frame[frame["submission_id"].isin(list(submission_ids))]
    return frame


def problems_frame(conn: sqlite3.Connection) -> pd.DataFrame:
    return pd.read_sql_query("SELECT * FROM problems ORDER BY submission_id, seq", conn)


def open_ledger(path: Path):
    """Context manager that closes the connection afterwards."""
    return closing(connect(path))
