"""Storing: the ledger of every submission, its values (with provenance), its problems and every sighting of
every file. SQLite (a file) is the embedded default; PostgreSQL works through a URL
(`postgresql+psycopg://user@host/db`) with the same SQL - only the engine differs (SQLAlchemy).

Amounts are stored as integers in thousandths (`milli`) so sums are exact. Nothing is ever deleted:
a newer file for the same unit and period supersedes an older one at query time (pipeline.rollup).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from pipeline import received
from pipeline.paths import ledger_target
from pipeline.reading import display_name
from pipeline.received import Received
from pipeline.text import match_key
from pipeline.validating import ValidationReport

MILLI = Decimal(1000)
metadata = MetaData()

Table(
    "submissions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False, unique=True),
    Column("file_name", Text, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("received_at", String(32), nullable=False),  # UTC ISO, by pipeline.received's rule
    Column("ingested_at", String(32), nullable=False),
    Column("status", String(32), nullable=False),
    Column("programme", Text),
    Column("unit_code", Text),
    Column("period_code", Text),
    Column("period_first", String(7)),
    Column("period_last", String(7)),  # 'YYYY-MM'
    Column("report_date", String(10)),
    Column("preparer", Text, nullable=False, server_default=""),
    Column("phone", Text, nullable=False, server_default=""),
    Column("notes", Text, nullable=False, server_default=""),
    Column("file_date", String(32)),  # the file's own modification time, UTC ISO (information)
    Column("first_seen", String(32)),  # when the intake first saw it
    Column("received_basis", String(16)),  # 'seen' or 'file_date' (pipeline.received)
    Column("received_flag", String(16), nullable=False, server_default=""),  # '', 'future', 'before_close'
    CheckConstraint("status IN ('accepted', 'accepted_with_warnings', 'rejected')"),
    Index("submissions_unit_period", "unit_code", "period_code"),
)
Table(
    "submission_values",
    metadata,
    Column("submission_id", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("code", String(32), nullable=False),
    Column("source", String(32), nullable=False, server_default=""),
    Column("milli", BigInteger, nullable=False),  # amount x 1000, exact
    Column("cell", Text, nullable=False),  # 'BaoCao!E17'
    Column("basis", Text, nullable=False, server_default=""),  # free layout: why the row went to this code
    PrimaryKeyConstraint("submission_id", "kind", "code", "source"),
    CheckConstraint("kind IN ('indicator', 'budget')"),
)
Table(
    "label_rows",
    metadata,  # free layout: every named row with a value, and what the matcher made of it (pipeline.labels)
    Column("submission_id", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("label", Text, nullable=False),  # as written
    Column("label_key", Text, nullable=False),  # pipeline.text.match_key(label)
    Column("unit", Text, nullable=False),  # the row's ĐVT
    Column("cell", Text, nullable=False),  # the value's cell
    Column("code", String(32), nullable=False),  # the indicator taken, '' if none
    Column("basis", Text, nullable=False),  # why (or the decision that set it aside)
    Column("candidates", Text, nullable=False),  # "P1.2 4,1; P1.3 2,0" when unmatched
    PrimaryKeyConstraint("submission_id", "seq"),
    Index("label_rows_key", "label_key"),
)
Table(
    "rereads",
    metadata,  # every re-reading of a stored file after a decision on a label (pipeline.labels)
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("submission_id", Integer, nullable=False),
    Column("at", String(32), nullable=False),
    Column("decision", Text, nullable=False),  # what was decided ("«label» → P1.2", "… bỏ qua", "hủy …")
    Column("changes", Text, nullable=False),  # what changed in the file's values, one per line
)
Table(
    "problems",
    metadata,
    Column("submission_id", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("code", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("cell", Text, nullable=False),
    Column("found", Text, nullable=False),
    Column("expected", Text, nullable=False),
    Column("message", Text, nullable=False),
    PrimaryKeyConstraint("submission_id", "seq"),
)
Table(
    "seen_files",
    metadata,  # lets a run skip unchanged files without reading them
    Column("path", Text, primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("mtime_ns", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
)
Table(
    "sightings",
    metadata,  # every path under which each file's bytes were seen
    Column("sha256", String(64), nullable=False),
    Column("path", Text, nullable=False),
    Column("received_at", String(32), nullable=False),
    Column("first_seen", String(32), nullable=False),
    PrimaryKeyConstraint("sha256", "path", "received_at"),
)

Table(
    "receipts",
    metadata,  # every receipt owed to a receipts folder; written_at is set once it is written
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("folder", Text, nullable=False),  # the receipts folder, resolved
    Column("path", Text, nullable=False),  # the receipt's path inside it (pipeline.receipts.receipt_path)
    Column("name", Text, nullable=False),  # the input's name, as shown
    Column("sha256", String(64), nullable=False),  # the input's bytes ('' if they could not be read)
    Column("kind", String(16), nullable=False),  # 'submission', 'duplicate' or 'refusal'
    Column("detail", Text, nullable=False, server_default=""),  # refusal: code, size and mtime refused
    Column("text", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("written_at", String(32)),
    # mailed to the unit's address (pipeline.notify.mail_receipts): NULL not yet; '' nothing to mail; else when
    Column("mailed_at", String(32)),
    Index("receipts_owed", "folder", "written_at"),
    Index("receipts_by_sha", "sha256", "folder"),
)
Table(
    "intake_state",
    metadata,  # 'backlog_loaded': when the first ingest's scan was stored (pipeline.received)
    Column("key", String(32), primary_key=True),
    Column("value", Text, nullable=False),
)

_ADDED_VALUE_COLUMNS = {"basis": "TEXT NOT NULL DEFAULT ''"}  # submission_values, added after the first ledgers
_ADDED_COLUMNS = {
    "file_date": "VARCHAR(32)",
    "first_seen": "VARCHAR(32)",
    "received_basis": "VARCHAR(16)",
    "received_flag": "VARCHAR(16) NOT NULL DEFAULT ''",
}

_ADDED_RECEIPT_COLUMNS = {"mailed_at": "VARCHAR(32)"}  # receipts, added when receipts were first mailed

_ENGINES: dict[str, Engine] = {}


def url_of(target: Path | str) -> str:
    """The SQLAlchemy URL of a ledger (pipeline.paths.ledger_target: a SQLite file path or a database URL)."""
    found = ledger_target(target)
    return found if isinstance(found, str) else f"sqlite:///{found.resolve()}"


def engine(target: Path | str) -> Engine:
    """The engine for a ledger, created once per process, with the schema in place."""
    url = url_of(target)
    if url not in _ENGINES:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        eng = create_engine(url, connect_args={"timeout": 30} if url.startswith("sqlite") else {})
        if url.startswith("sqlite"):
            event.listen(eng, "connect", _sqlite_pragmas)
        metadata.create_all(eng)
        _upgrade(eng)
        _ENGINES[url] = eng
    return _ENGINES[url]


def _upgrade(eng: Engine) -> None:
    """A ledger written before received times had a rule: add the columns (its received_at was the file's date,
    which it keeps as file_date), and note that its backlog was loaded long ago. One written before values had
    a basis: add the column (empty: read by exact names, as then). One written before receipts were mailed:
    add the column, its receipts marked as nothing to mail (a unit is not sent its history)."""
    _upgrade_values(eng)
    _upgrade_receipts(eng)
    have = {c["name"] for c in inspect(eng).get_columns("submissions")}
    missing = [c for c in _ADDED_COLUMNS if c not in have]
    if not missing:
        return
    try:
        _add_columns(eng, missing)
    except SQLAlchemyError:  # another process upgraded the same ledger at the same moment
        have = {c["name"] for c in inspect(eng).get_columns("submissions")}
        if any(c not in have for c in _ADDED_COLUMNS):
            raise


def _upgrade_values(eng: Engine) -> None:
    have = {c["name"] for c in inspect(eng).get_columns("submission_values")}
    missing = [c for c in _ADDED_VALUE_COLUMNS if c not in have]
    try:
        with eng.begin() as conn:
            for column in missing:
                conn.execute(text(f"ALTER TABLE submission_values ADD COLUMN {column} {_ADDED_VALUE_COLUMNS[column]}"))
    except SQLAlchemyError:  # another process upgraded the same ledger at the same moment
        have = {c["name"] for c in inspect(eng).get_columns("submission_values")}
        if any(c not in have for c in _ADDED_VALUE_COLUMNS):
            raise


def _upgrade_receipts(eng: Engine) -> None:
    have = {c["name"] for c in inspect(eng).get_columns("receipts")}
    missing = [c for c in _ADDED_RECEIPT_COLUMNS if c not in have]
    if not missing:
        return
    try:
        with eng.begin() as conn:
            for column in missing:
                conn.execute(text(f"ALTER TABLE receipts ADD COLUMN {column} {_ADDED_RECEIPT_COLUMNS[column]}"))
            conn.execute(text("UPDATE receipts SET mailed_at = '' WHERE mailed_at IS NULL"))
    except SQLAlchemyError:  # another process upgraded the same ledger at the same moment
        have = {c["name"] for c in inspect(eng).get_columns("receipts")}
        if any(c not in have for c in _ADDED_RECEIPT_COLUMNS):
            raise


def _add_columns(eng: Engine, missing: list[str]) -> None:
    with eng.begin() as conn:
        for column in missing:
            conn.execute(text(f"ALTER TABLE submissions ADD COLUMN {column} {_ADDED_COLUMNS[column]}"))
        conn.execute(
            text("""UPDATE submissions SET file_date = COALESCE(file_date, received_at),
                             first_seen = COALESCE(first_seen, ingested_at),
                             received_basis = COALESCE(received_basis, 'file_date')""")
        )
        if conn.execute(text("SELECT COUNT(*) FROM submissions")).scalar_one():
            _mark_backlog_loaded(conn)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # WAL: consistent after a crash; fsync at checkpoints only
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def open_ledger(target: Path | str) -> Iterator[Connection]:
    """A connection to the ledger; what it wrote is committed by each writing function, and rolled back if
    the block fails."""
    with engine(target).connect() as conn:
        try:
            yield conn
        except BaseException:
            conn.rollback()
            raise


def connect(target: Path | str) -> Connection:
    return engine(target).connect()


def to_milli(amount: Decimal) -> int:
    return int(amount * MILLI)


def from_milli(milli: int) -> Decimal:
    return (Decimal(int(milli)) / MILLI).normalize() + Decimal(0)


def known_sha256(conn: Connection) -> set[str]:
    return {row[0] for row in conn.execute(text("SELECT sha256 FROM submissions"))}


def seen_unchanged(conn: Connection) -> dict[str, tuple[int, int, str]]:
    """path -> (size, mtime_ns, sha256) of files already hashed and stored (sha256 "refused:<code>" for a file
    refused before it was read)."""
    return {p: (s, m, h) for p, s, m, h in conn.execute(text("SELECT path, size, mtime_ns, sha256 FROM seen_files"))}


def remember_files(conn: Connection, rows: Iterable[tuple[str, int, int, str]], commit: bool = True) -> None:
    """Mark files (path as `pipeline.reading.storable` writes it, size, mtime_ns, sha256) as seen."""
    params = [{"path": _text(p), "size": s, "mtime_ns": m, "sha256": h} for p, s, m, h in rows]
    if params:
        conn.execute(
            text("""INSERT INTO seen_files(path, size, mtime_ns, sha256)
                             VALUES (:path, :size, :mtime_ns, :sha256)
                             ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
                                                              sha256 = excluded.sha256"""),
            params,
        )
    if commit:
        conn.commit()


def record_sightings(conn: Connection, files: Iterable[tuple[str, str, str]], commit: bool = True) -> None:
    """Record (sha256, name, received_at) of every file seen, new or already known."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    params = [
        {"sha256": sha, "path": _name(name), "received_at": received, "first_seen": now}
        for sha, name, received in files
    ]
    if params:
        conn.execute(
            text("""INSERT INTO sightings(sha256, path, received_at, first_seen)
                             VALUES (:sha256, :path, :received_at, :first_seen) ON CONFLICT DO NOTHING"""),
            params,
        )
    if commit:
        conn.commit()


def sightings_frame(conn: Connection) -> pd.DataFrame:
    return pd.read_sql_query(text("SELECT * FROM sightings ORDER BY sha256, received_at, path"), conn)


_INSERT_SUBMISSION = """
    INSERT INTO submissions(sha256, file_name, size, received_at, ingested_at, status, programme, unit_code,
                            period_code, period_first, period_last, report_date, preparer, phone, notes,
                            file_date, first_seen, received_basis, received_flag)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (sha256) DO NOTHING
    RETURNING id"""
_INSERT_VALUE = """INSERT INTO submission_values(submission_id, kind, code, source, milli, cell, basis)
                   VALUES (?, ?, ?, ?, ?, ?, ?)"""
_INSERT_LABEL_ROW = """INSERT INTO label_rows(submission_id, seq, label, label_key, unit, cell, code, basis, candidates)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""
_INSERT_PROBLEM = """INSERT INTO problems(submission_id, seq, code, severity, cell, found, expected, message)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""


def _driver_sql(conn: Connection, sql: str) -> str:
    """The same statement in the driver's positional style: sqlite3 takes "?", psycopg "%s". Bulk inserts go
    straight to the driver (exec_driver_sql), skipping SQLAlchemy's per-row parameter work."""
    return sql if conn.dialect.name == "sqlite" else sql.replace("?", "%s")


def _text(value):
    """PostgreSQL text cannot hold NUL; officers cannot see it either. Other text is stored as read."""
    return value.replace("\x00", "") if isinstance(value, str) else value


def _name(value: str) -> str:
    """A file name or path as stored: bytes that are not UTF-8 (surrogate escapes) as \\xNN, no NUL."""
    return _text(display_name(value))


def store(
    conn: Connection, reports: Iterable[ValidationReport], times: Sequence[Received] | None = None, commit: bool = True
) -> list[int]:
    """Store validated files in one transaction; files already in the ledger (same sha256) are skipped.
    `times`: each report's received time (default: pipeline.received's rule with calendar periods)."""
    return [i for i in store_each(conn, reports, times, commit) if i is not None]


def store_each(
    conn: Connection, reports: Iterable[ValidationReport], times: Sequence[Received] | None = None, commit: bool = True
) -> list[int | None]:
    """`store`, giving each report's new id (None where its bytes were already in the ledger)."""
    reports = list(reports)
    times = list(times) if times is not None else [received.of(r.file, r.period) for r in reports]
    ids: list[int | None] = []
    values: list[tuple] = []
    problems: list[tuple] = []
    labels: list[tuple] = []
    now = datetime.now(UTC).isoformat(timespec="seconds")
    insert_submission = _driver_sql(conn, _INSERT_SUBMISSION)
    for r, when in zip(reports, times, strict=True):
        p = r.period
        row = conn.exec_driver_sql(
            insert_submission,
            tuple(
                _text(v)
                for v in (
                    r.file.sha256,
                    display_name(r.file.name),
                    r.file.size,
                    when.iso,
                    now,
                    r.status.value,
                    r.programme.code if r.programme else None,
                    r.unit.code if r.unit else None,
                    p.code if p else None,
                    f"{p.first[0]}-{p.first[1]:02d}" if p else None,
                    f"{p.last[0]}-{p.last[1]:02d}" if p else None,
                    r.report_date.isoformat() if r.report_date else None,
                    r.preparer,
                    r.phone,
                    r.notes,
                    received.iso(r.file.modified),
                    received.iso(r.file.first_seen) if r.file.first_seen else now,
                    when.basis,
                    when.flag,
                )
            ),
        ).first()
        if row is None:
            ids.append(None)
            continue
        sid = row[0]
        ids.append(sid)
        values += [(sid, v.kind, v.code, v.source, to_milli(v.amount), _text(v.cell), _text(v.basis)) for v in r.values]
        labels += label_rows(sid, r)
        problems += [
            (sid, i, pr.code, pr.severity.value, _text(pr.cell), _text(pr.found), _text(pr.expected), _text(pr.message))
            for i, pr in enumerate(r.problems)
        ]
    if values:
        conn.exec_driver_sql(_driver_sql(conn, _INSERT_VALUE), values)
    if problems:
        conn.exec_driver_sql(_driver_sql(conn, _INSERT_PROBLEM), problems)
    if labels:
        conn.exec_driver_sql(_driver_sql(conn, _INSERT_LABEL_ROW), labels)
    if commit:
        conn.commit()
    return ids


def label_rows(sid: int, r: ValidationReport) -> list[tuple]:
    """The rows of `label_rows` for a report stored as submission `sid`."""
    return [
        (sid, i, _text(x.label), match_key(x.label), _text(x.unit), _text(x.cell), x.code, _text(x.basis), x.candidates)
        for i, x in enumerate(r.label_rows)
    ]


def replace_reading(conn: Connection, sid: int, r: ValidationReport, decision: str, changes: str) -> None:
    """A stored file read again (pipeline.labels, after a decision on a label): its values, problems, label rows
    and status replaced by the new reading, in the caller's transaction; the re-reading is recorded in
    `rereads` (what was decided, what changed). The submission itself (bytes, received time) stays."""
    for table in ("submission_values", "problems", "label_rows"):
        conn.execute(text(f"DELETE FROM {table} WHERE submission_id = :sid"), {"sid": sid})  # noqa: S608
    conn.execute(
        text("UPDATE submissions SET status = :status WHERE id = :sid"), {"status": r.status.value, "sid": sid}
    )
    values = [(sid, v.kind, v.code, v.source, to_milli(v.amount), _text(v.cell), _text(v.basis)) for v in r.values]
    problems = [
        (sid, i, pr.code, pr.severity.value, _text(pr.cell), _text(pr.found), _text(pr.expected), _text(pr.message))
        for i, pr in enumerate(r.problems)
    ]
    for sql, rows in ((_INSERT_VALUE, values), (_INSERT_PROBLEM, problems), (_INSERT_LABEL_ROW, label_rows(sid, r))):
        if rows:
            conn.exec_driver_sql(_driver_sql(conn, sql), rows)
    conn.execute(
        text("INSERT INTO rereads(submission_id, at, decision, changes) VALUES (:sid, :at, :decision, :changes)"),
        {"sid": sid, "at": datetime.now(UTC).isoformat(timespec="seconds"), "decision": decision, "changes": changes},
    )


def submissions_by_sha(conn: Connection, shas: Iterable[str]) -> dict[str, dict]:
    """sha256 -> the submission holding these bytes (id, file_name, received_at, file_date, status,
    period_code, received_basis, received_flag)."""
    out: dict[str, dict] = {}
    shas = sorted(set(shas))
    for i in range(0, len(shas), 500):
        rows = conn.execute(
            text("""SELECT sha256, id, file_name, received_at, file_date, status, period_code,
                                           received_basis, received_flag
                                    FROM submissions WHERE sha256 IN :shas""").bindparams(
                bindparam("shas", expanding=True)
            ),
            {"shas": shas[i : i + 500]},
        )
        out |= {r.sha256: r._asdict() for r in rows}
    return out


def versions(conn: Connection, slots: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[dict]]:
    """(unit, period code) -> the accepted versions of that report (id, file_name, received_at, file_date,
    sha256), in no particular order (pipeline.received.version_key orders them)."""
    slots = set(slots)
    out: dict[tuple[str, str], list[dict]] = {s: [] for s in slots}
    periods = sorted({p for _, p in slots})
    for i in range(0, len(periods), 500):
        query = text(
            "SELECT id, unit_code, period_code, file_name, received_at, file_date, sha256 FROM submissions"
            " WHERE status != 'rejected' AND period_code IN :periods"
        ).bindparams(bindparam("periods", expanding=True))
        rows = conn.execute(query, {"periods": periods[i : i + 500]})
        for r in rows:
            if (r.unit_code, r.period_code) in slots:
                out[r.unit_code, r.period_code].append(r._asdict())
    return out


def backlog_loaded(conn: Connection) -> bool:
    """Whether the ledger's first ingest has stored its scan (pipeline.received: no backlog after that)."""
    return conn.execute(text("SELECT 1 FROM intake_state WHERE key = 'backlog_loaded'")).first() is not None


def mark_backlog_loaded(conn: Connection, commit: bool = True) -> None:
    """Note that the first ingest's scan is stored; the first time, its receipts (every one owed so far) are set
    aside from mailing: a unit is not mailed its history (pipeline.notify.mail_receipts)."""
    if _mark_backlog_loaded(conn):
        conn.execute(text("UPDATE receipts SET mailed_at = '' WHERE mailed_at IS NULL"))
    if commit:
        conn.commit()


def _mark_backlog_loaded(conn: Connection) -> bool:
    """Whether it was marked now (not before)."""
    done = conn.execute(
        text("""INSERT INTO intake_state(key, value) VALUES ('backlog_loaded', :now)
                         ON CONFLICT (key) DO NOTHING"""),
        {"now": datetime.now(UTC).isoformat(timespec="seconds")},
    )
    return done.rowcount == 1


def owe_receipts(conn: Connection, rows: Iterable[dict], commit: bool = True) -> None:
    """Record receipts owed (dicts with folder, path, name, sha256, kind, detail, text); written later by
    `owed_receipts` and `receipts_written`."""
    now = datetime.now(UTC).isoformat(timespec="seconds")
    params = [{**r, "name": _name(r["name"]), "text": _text(r["text"]), "created_at": now} for r in rows]
    if params:
        conn.execute(
            text("""INSERT INTO receipts(folder, path, name, sha256, kind, detail, text, created_at)
                             VALUES (:folder, :path, :name, :sha256, :kind, :detail, :text, :created_at)"""),
            params,
        )
    if commit:
        conn.commit()


def receipt_known(conn: Connection, folder: str, path: str | None, sha256: str, detail: str = "") -> bool:
    """Whether a receipt for these bytes (or for the refusal `detail`) at `path` (None: at any path) was already
    owed to `folder`."""
    sql = "SELECT 1 FROM receipts WHERE folder = :folder AND sha256 = :sha AND detail = :detail"
    params = {"folder": folder, "sha": sha256, "detail": detail}
    if path is not None:
        sql += " AND path = :path"
        params["path"] = path
    return conn.execute(text(sql + " LIMIT 1"), params).first() is not None


def owed_receipts(conn: Connection, folder: str, limit: int = 1000) -> list[tuple[int, str, str]]:
    """(id, path, text) of the oldest receipts not yet written to `folder`, at most `limit`."""
    rows = conn.execute(
        text("""SELECT id, path, text FROM receipts WHERE folder = :folder AND written_at IS NULL
                                ORDER BY id LIMIT :limit"""),
        {"folder": folder, "limit": limit},
    )
    return [tuple(r) for r in rows]


def receipts_written(conn: Connection, ids: list[int]) -> None:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    if ids:
        conn.execute(
            text("UPDATE receipts SET written_at = :now WHERE id IN :ids").bindparams(bindparam("ids", expanding=True)),
            {"now": now, "ids": ids},
        )
    conn.commit()


def unmailed_receipts(conn: Connection, folder: str, limit: int = 1000) -> list[dict]:
    """The oldest receipts written to `folder` and not yet mailed nor set aside, at most `limit`: id, name,
    text, and the unit and status of the file's submission (None for a file that could not be read)."""
    rows = conn.execute(
        text("""SELECT r.id, r.name, r.text, s.unit_code AS unit, s.status FROM receipts r
                LEFT JOIN submissions s ON s.sha256 = r.sha256
                WHERE r.folder = :folder AND r.written_at IS NOT NULL AND r.mailed_at IS NULL
                ORDER BY r.id LIMIT :limit"""),
        {"folder": folder, "limit": limit},
    )
    return [r._asdict() for r in rows]


def receipts_mailed(conn: Connection, ids: list[int], mailed: bool = True) -> None:
    """Mark receipts mailed (now), or set aside as nothing to mail (`mailed` False); committed."""
    if ids:
        conn.execute(
            text("UPDATE receipts SET mailed_at = :at WHERE id IN :ids").bindparams(bindparam("ids", expanding=True)),
            {"at": datetime.now(UTC).isoformat(timespec="seconds") if mailed else "", "ids": ids},
        )
    conn.commit()


def count(conn: Connection, table: str) -> int:
    if table not in metadata.tables:
        raise ValueError(f"no ledger table {table}")
    return conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one()  # noqa: S608 - a known table name


def submissions_frame(conn: Connection) -> pd.DataFrame:
    return pd.read_sql_query(text("SELECT * FROM submissions ORDER BY id"), conn)


def values_frame(conn: Connection) -> pd.DataFrame:
    return _compact_frame(conn, "SELECT * FROM submission_values ORDER BY submission_id, kind, code, source")


def problems_frame(conn: Connection, rejected_only: bool = False) -> pd.DataFrame:
    """Every problem, or only those of rejected files (all a consolidated report shows of them)."""
    if rejected_only:
        return _compact_frame(
            conn,
            """SELECT p.* FROM problems p JOIN submissions s ON s.id = p.submission_id
                                       WHERE s.status = 'rejected' ORDER BY p.submission_id, p.seq""",
        )
    return _compact_frame(conn, "SELECT * FROM problems ORDER BY submission_id, seq")


FRAME_CHUNK = 100_000  # rows fetched at a time


def _compact_frame(conn: Connection, sql: str) -> pd.DataFrame:
    """A query's rows as a frame, read a chunk at a time, each repeated text stored once: a national ledger has
    millions of values whose kind, code, source and cell repeat ("indicator", "P1.2", "BaoCao!E17"), and one
    string object per row would cost ten times the memory."""
    parts = []
    for chunk in pd.read_sql_query(text(sql), conn, chunksize=FRAME_CHUNK):
        for column in chunk.columns:
            if chunk[column].dtype == object or pd.api.types.is_string_dtype(chunk[column]):
                codes, uniques = pd.factorize(chunk[column])
                chunk[column] = (
                    pd.Series(uniques.take(codes), index=chunk.index, dtype=chunk[column].dtype)
                    if len(uniques) < len(chunk) // 2
                    else chunk[column]
                )
        parts.append(chunk)
    if not parts:
        return pd.read_sql_query(text(sql), conn)  # no rows: the columns alone
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
