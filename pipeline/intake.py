"""Intake: find new or changed workbooks in the inputs folder, read + validate them, store them and owe
their receipts.

Unchanged files (same path, size and mtime) are not even hashed again; files whose bytes are already in
the ledger (same sha256) are not parsed again. Input files are only ever read. Received times and which
version counts follow pipeline.received. A receipt is recorded in the ledger in the transaction that stores
its file and written afterwards (`write_owed`), so none is lost to a run that stops in between.
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
import pickle
import resource
import signal
import threading
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from sqlalchemy.engine import Connection

from pipeline import archive, ledger, receipts
from pipeline import received as rule
from pipeline.files import write_atomic
from pipeline.formatting import day_and_time
from pipeline.layout import RawReport, read_report
from pipeline.periods import parse_period
from pipeline.problems import FILE_NAME_INVALID, PERMISSION_DENIED, READER_CRASHED, Problem, Refused, refusal
from pipeline.programme import Programme
from pipeline.reading import FileInfo, display_name, list_inputs, storable, valid_name
from pipeline.received import Received
from pipeline.text import printable
from pipeline.units import UnitRegistry
from pipeline.validating import Status, ValidationReport, validate


@dataclass(frozen=True)
class IngestSummary:
    new: int
    accepted: int
    rejected: int
    already_known: int
    unchanged: int


@dataclass(frozen=True)
class Pending:
    new: list[FileInfo]  # bytes never seen before: to be read (one file per sha256)
    known: list[FileInfo]  # bytes already in the ledger under another path or mtime
    unchanged: int  # skipped without hashing
    settling: tuple[str, ...] = ()  # modified too recently (maybe still being copied): left for the next run
    copies: dict[str, list[FileInfo]] = field(default_factory=dict)  # sha256 of a new file -> its other copies
    refused: list[ValidationReport] = field(default_factory=list)  # could not be taken: each with its reason
    backlog: bool = False  # the ledger's first ingest: the files' own dates may be their received times


def find_pending(inputs: Path, conn: Connection, archive_dir: Path, settle_seconds: float = 0) -> Pending:
    """New and changed files, each copied into the archive (and hashed) before anything reads it, all marked
    as first seen now. A file modified less than `settle_seconds` ago may still be being copied: it is left
    for the next run (a file dated in the future is not: its date cannot say). A file that cannot be taken
    (a name that is not UTF-8, no permission to read it, a link or FIFO swapped in) is refused, alone."""
    seen = ledger.seen_unchanged(conn)
    known_hashes = ledger.known_sha256(conn)
    backlog = not ledger.backlog_loaded(conn)
    first_seen = datetime.now(UTC).replace(microsecond=0)
    root = inputs.resolve()
    new, known, unchanged, settling, refused = [], [], 0, [], []
    copies: dict[str, list[FileInfo]] = {}
    by_sha: set[str] = set()
    now = time.time()
    for path in list_inputs(inputs):
        rel = path.relative_to(inputs).as_posix()
        try:
            st = os.lstat(path)
        except OSError:  # gone since it was listed
            continue
        if _unchanged(seen, root / rel, st):
            unchanged += 1
            continue
        info = FileInfo(
            path=root / rel,
            name=display_name(rel),
            sha256="",
            size=st.st_size,
            modified=datetime.fromtimestamp(st.st_mtime, UTC),
            source=root / rel,
            mtime_ns=st.st_mtime_ns,
            first_seen=first_seen,
            backlog=backlog,
            rel=rel,
        )
        if not valid_name(rel):
            refused.append(
                _refusal(
                    info,
                    refusal(
                        FILE_NAME_INVALID, FILE_NAME_INVALID.message(), expected="tên tệp viết bằng chữ Unicode (UTF-8)"
                    ),
                )
            )
            continue
        if 0 <= now - st.st_mtime < settle_seconds:
            settling.append(info.name)
            continue
        try:
            taken = archive.take(root, rel, archive_dir, first_seen, backlog)
        except Refused as exc:
            refused.append(_refusal(info, exc.problem))
            continue
        if taken is None:
            continue
        if taken.sha256 in known_hashes:
            known.append(taken)
        elif taken.sha256 in by_sha:
            copies.setdefault(taken.sha256, []).append(taken)
        else:
            by_sha.add(taken.sha256)
            new.append(taken)
    return Pending(new, known, unchanged, tuple(settling), copies, refused, backlog)


NOT_PERMITTED = f"refused:{PERMISSION_DENIED}"  # seen_files' sha256 of a file the intake may not read


def _unchanged(seen: dict[str, tuple[int, int, str]], path: Path, st: os.stat_result) -> bool:
    """Whether the file at `path` is as it was when last taken or refused (same size and mtime): a file
    refused for want of permission counts as changed once it can be read (a chmod leaves its mtime)."""
    got = seen.get(storable(str(path)))
    if got is None or got[:2] != (st.st_size, st.st_mtime_ns):
        return False
    return got[2] != NOT_PERMITTED or not os.access(path, os.R_OK)


def _refusal(info: FileInfo, problem: Problem) -> ValidationReport:
    """A file refused before it was read: a rejected report with that one problem (never stored as a
    submission - its bytes were not taken - but it gets its receipt)."""
    return ValidationReport(file=info, problems=[problem.of_file(info.name)])


def process(files: list[FileInfo], programmes: list[Programme], units: UnitRegistry) -> list[ValidationReport]:
    """Read and validate each file; a bad file yields a report with problems, never an exception."""
    return [validate(read_report(info, programmes, units), units) for info in files]


PARALLEL_FROM = 200  # below this many files, handing them to worker processes costs more than it saves
CHUNK = 50  # files per piece of work sent to a worker process


def process_stream(
    files: list[FileInfo],
    programmes: list[Programme],
    units: UnitRegistry,
    workers: int | None = None,
    min_files: int = PARALLEL_FROM,
) -> Iterator[list[ValidationReport]]:
    """`process` across worker processes (parsing is CPU-bound), yielding the reports a chunk at a time in the
    order of `files`, so the caller can store one chunk while the workers parse the next. Workers only read
    and validate and return records; the caller alone writes the ledger. The worker processes are started
    once per process and configuration and reused by later calls (a long-running `serve` pays once)."""
    workers = workers or os.cpu_count() or 1
    if workers < 2 or len(files) < min_files:
        if files:
            yield process(files, programmes, units)
        return
    by_code = {p.code: p for p in programmes}
    chunks = (files[i : i + CHUNK] for i in range(0, len(files), CHUNK))
    window = 2 * workers + 2  # chunks in flight: enough to keep the workers busy, few enough for memory
    pool = _pool(programmes, units, workers)
    running = deque((_submit(pool, c), c) for c in islice(chunks, window))
    try:
        while running:
            future, chunk_files = running.popleft()
            try:
                chunk = future.result()
            except BrokenProcessPool:  # a file crashed its worker: find it, refuse it, read the others
                lost = [chunk_files, *(c for _, c in running)]
                running.clear()
                _discard_pool(pool)
                for suspects in lost:
                    yield _one_by_one(suspects, programmes, units, workers)
                pool = _pool(programmes, units, workers)
                running.extend((_submit(pool, c), c) for c in islice(chunks, window))
                continue
            running.extend((_submit(pool, c), c) for c in islice(chunks, window - len(running)))
            yield _with_programmes(chunk, by_code)
    finally:
        for future, _ in running:
            future.cancel()


def _submit(pool: ProcessPoolExecutor, files: list[FileInfo]) -> Future:
    """The chunk's future; a failed one if the workers are already gone (it is then read again)."""
    try:
        return pool.submit(_process_chunk, files)
    except (BrokenProcessPool, RuntimeError) as exc:  # broken, or shut down by another thread
        failed: Future = Future()
        failed.set_exception(exc if isinstance(exc, BrokenProcessPool) else BrokenProcessPool(str(exc)))
        return failed


def _with_programmes(
    chunk: list[tuple[ValidationReport, str | None]], by_code: dict[str, Programme]
) -> list[ValidationReport]:
    for report, code in chunk:  # the programme travels by its code, not pickled with every report
        report.programme = by_code.get(code) if code else None
    return [report for report, _ in chunk]


def _one_by_one(
    files: list[FileInfo], programmes: list[Programme], units: UnitRegistry, workers: int
) -> list[ValidationReport]:
    """Files whose worker died, each read alone in a worker: a file that kills a worker twice (once could be
    another file's doing, read at the same time by another task) is refused (READER_CRASHED); the others
    are read as usual. Costs a restart of the workers per crash."""
    by_code = {p.code: p for p in programmes}
    out = []
    for f in files:
        for _attempt in range(2):
            pool = _pool(programmes, units, workers)
            try:
                out += _with_programmes(_submit(pool, [f]).result(), by_code)
                break
            except BrokenProcessPool:
                _discard_pool(pool)
        else:
            crashed = refusal(READER_CRASHED, READER_CRASHED.message()).of_file(f.name)
            out.append(validate(RawReport(file=f, programme=programmes[-1], refusal=crashed), units))
    return out


def process_parallel(
    files: list[FileInfo],
    programmes: list[Programme],
    units: UnitRegistry,
    workers: int | None = None,
    min_files: int = PARALLEL_FROM,
) -> list[ValidationReport]:
    """`process_stream`, all at once: the reports in the order of `files`."""
    return [r for chunk in process_stream(files, programmes, units, workers, min_files) for r in chunk]


_POOL: dict[str, object] = {}  # "key" (configuration and size), "pool"
_POOL_LOCK = threading.Lock()


def _pool(programmes: list[Programme], units: UnitRegistry, workers: int) -> ProcessPoolExecutor:
    """The worker processes for this configuration, started on first use (spawned: safe beside threads)."""
    key = hashlib.sha256(pickle.dumps((programmes, units, workers))).hexdigest()
    with _POOL_LOCK:
        if _POOL.get("key") != key:
            _discard_pool_locked()
            _POOL["pool"] = ProcessPoolExecutor(
                max_workers=workers,
                initializer=_init_worker,
                initargs=(programmes, units),
                mp_context=multiprocessing.get_context("spawn"),
            )
            _POOL["key"] = key
        return _POOL["pool"]  # type: ignore[return-value]


def start_workers(programmes: list[Programme], units: UnitRegistry, workers: int | None = None) -> None:
    """Start the worker processes now (a long-running process pays their start before the first file)."""
    workers = workers or os.cpu_count() or 1
    if workers >= 2:
        pool = _pool(programmes, units, workers)
        for future in [pool.submit(os.getpid) for _ in range(workers)]:
            future.result()


def shutdown_workers() -> None:
    """Stop the worker processes (they are started once per process and reused)."""
    _discard_pool()


def _discard_pool(broken: ProcessPoolExecutor | None = None) -> None:
    """Stop the worker processes (only if they are still `broken`'s: another thread may have replaced them)."""
    with _POOL_LOCK:
        if broken is None or _POOL.get("pool") is broken:
            _discard_pool_locked()


def _discard_pool_locked() -> None:
    pool = _POOL.pop("pool", None)
    _POOL.pop("key", None)
    if pool is not None:
        pool.shutdown(wait=False, cancel_futures=True)  # type: ignore[attr-defined]


atexit.register(_discard_pool)


_WORKER: dict[str, object] = {}


WORKER_MEMORY = 4 * 1024**3  # address space of a worker process: a runaway read fails there, not the machine


def _init_worker(programmes: list[Programme], units: UnitRegistry) -> None:
    _WORKER["programmes"], _WORKER["units"] = programmes, units
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the parent stops workers
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = WORKER_MEMORY if hard == resource.RLIM_INFINITY else min(WORKER_MEMORY, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):  # a platform without address-space limits: the guards' bounds remain
        pass


def _process_chunk(files: list[FileInfo]) -> list[tuple[ValidationReport, str | None]]:
    reports = process(files, _WORKER["programmes"], _WORKER["units"])  # type: ignore[arg-type]
    out = []
    for r in reports:
        code = r.programme.code if r.programme else None
        r.programme = None
        out.append((r, code))
    return out


def store(
    conn: Connection,
    reports: list[ValidationReport],
    copies: dict[str, list[FileInfo]],
    receipts_dir: Path,
    deadline_rule: str = rule.DEFAULT_RULE,
) -> list[int]:
    """Store a batch of read files in one transaction: their submissions, values and problems, the sightings
    of every copy, the files marked as seen, and the receipts owed for them (written by `write_owed`; a run
    that dies before writing them leaves them owed to the next). Of byte-identical copies, the one received
    first (pipeline.received.copy_key) is the submission, whatever order they were found in; the others get
    a receipt saying so. Each receipt says whether its version now counts. Returns the new submissions' ids."""
    folder = _folder(receipts_dir)
    firsts: list[tuple[ValidationReport, Received, list[tuple[FileInfo, Received]]]] = []
    for r in reports:
        found = [(f, rule.of(f, r.period, deadline_rule)) for f in (r.file, *copies.get(r.file.sha256, ()))]
        found.sort(key=lambda c: rule.copy_key(c[1].iso, rule.iso(c[0].modified), c[0].rel or c[0].name))
        (first, when), *others = found
        firsts.append((r if first is r.file else _as_copy(r, first), when, others))
    ids = ledger.store_each(conn, [r for r, _, _ in firsts], [w for _, w, _ in firsts], commit=False)
    firsts, ids, late_copies = _stored_meanwhile(conn, firsts, ids)
    standing = _standings(conn, [(r, i) for (r, _, _), (i, _) in zip(firsts, ids, strict=True)])
    owed, sightings, files = [], [], []
    for (r, when, others), (sid, _) in zip(firsts, ids, strict=True):
        owed.append(_owed(folder, r.file, "submission", receipts.receipt_text(r, when, standing.get(sid, ""))))
        day = day_and_time(when.at)
        owed += [
            _owed(folder, f, "duplicate", receipts.duplicate_text(f.name, f.sha256, r.file.name, day, r.status.value))
            for f, _ in others
        ]
        sightings += [(f.sha256, f.name, w.iso) for f, w in [(r.file, when), *others]]
        files += [r.file, *(f for f, _ in others)]
    _remember(conn, files, sightings)
    ledger.owe_receipts(conn, owed, commit=False)
    if late_copies:
        _owe_duplicates(conn, late_copies, folder, deadline_rule)
    conn.commit()
    return [i for i, new in ids if new]


def _stored_meanwhile(
    conn: Connection, firsts: list, ids: list[int | None]
) -> tuple[list, list[tuple[int, bool]], list[FileInfo]]:
    """Reports whose bytes another run stored between this run's scan and now (two runs on one ledger): the
    same file is receipted as that submission (its received time); a copy of it under another name is a
    duplicate. Returns the reports to receipt, their (id, newly stored) and the copies."""
    missing = [r.file.sha256 for (r, _, _), i in zip(firsts, ids, strict=True) if i is None]
    subs = ledger.submissions_by_sha(conn, missing) if missing else {}
    kept, kept_ids, copies = [], [], []
    for (r, when, others), sid in zip(firsts, ids, strict=True):
        sub = subs.get(r.file.sha256)
        if sid is not None:
            kept.append((r, when, others))
            kept_ids.append((sid, True))
        elif sub is not None and sub["file_name"] == r.file.name:
            stored = Received(
                datetime.fromisoformat(sub["received_at"]),
                sub["received_basis"] or rule.FILE_DATE,
                sub["received_flag"] or "",
            )
            kept.append((r, stored, others))
            kept_ids.append((sub["id"], False))
        else:
            copies += [r.file, *(f for f, _ in others)]
    return kept, kept_ids, copies


def remember(
    conn: Connection,
    known: list[FileInfo],
    refused: list[ValidationReport],
    receipts_dir: Path,
    deadline_rule: str = rule.DEFAULT_RULE,
    end_backlog: bool = True,
) -> list[ValidationReport]:
    """The end of a scan, in one transaction: files whose bytes were already received are recorded as seen
    (sightings, "also received as" in history) with a receipt owed where the copy is new; each refused file
    gets a receipt owed once (again only if it changes); and, `end_backlog`, the ledger's backlog is loaded
    (pipeline.received: later files are dated by when they were first seen). Returns the refusals new to
    this receipts folder."""
    folder = _folder(receipts_dir)
    _owe_duplicates(conn, known, folder, deadline_rule)
    fresh = []
    for r in refused:
        detail = f"{r.problems[0].code}:{r.file.size}:{r.file.mtime_ns}"
        if not ledger.receipt_known(conn, folder, receipts.receipt_relpath(r.file.rel), "", detail):
            fresh.append(r)
            ledger.owe_receipts(
                conn, [_owed(folder, r.file, "refusal", receipts.receipt_text(r), detail)], commit=False
            )
    ledger.remember_files(
        conn,
        [
            (storable(str(r.file.source)), r.file.size, r.file.mtime_ns, f"refused:{r.problems[0].code}")
            for r in refused
        ],
        commit=False,
    )
    if end_backlog:
        ledger.mark_backlog_loaded(conn, commit=False)
    conn.commit()
    return fresh


def write_owed(conn: Connection, receipts_dir: Path, chunk: int = 1000) -> list[Path]:
    """Write every receipt owed to `receipts_dir`, oldest first (a later receipt for the same input replaces
    an earlier one), and mark them written. Writing again after a crash is harmless (same text, atomic)."""
    folder, out = _folder(receipts_dir), []
    while rows := ledger.owed_receipts(conn, folder, chunk):
        for _id, path, text_ in rows:
            target = receipts_dir / path
            write_atomic(target, text_.encode("utf-8"))
            out.append(target)
        ledger.receipts_written(conn, [i for i, _, _ in rows])
    return out


def _folder(receipts_dir: Path) -> str:
    return str(receipts_dir.resolve())


def _owed(folder: str, f: FileInfo, kind: str, text_: str, detail: str = "") -> dict:
    return {
        "folder": folder,
        "path": receipts.receipt_relpath(f.rel or f.name),
        "name": f.name,
        "sha256": f.sha256,
        "kind": kind,
        "detail": detail,
        "text": text_,
    }


def _as_copy(r: ValidationReport, first: FileInfo) -> ValidationReport:
    """Report `r` as read from `first`, a byte-identical copy received earlier."""
    old = f"«{r.file.name}»"
    return replace(
        r,
        file=first,
        problems=[
            replace(p, file=first.name, found=f"«{first.name}»" if p.found == old else p.found) for p in r.problems
        ],
    )


def _remember(conn: Connection, files: list[FileInfo], sightings: list[tuple[str, str, str]]) -> None:
    """Files seen (skipped while unchanged) and their sightings, in the caller's transaction."""
    ledger.remember_files(
        conn, [(storable(str(f.source or f.path)), f.size, f.mtime_ns, f.sha256) for f in files], commit=False
    )
    ledger.record_sightings(conn, sightings, commit=False)


def _owe_duplicates(conn: Connection, files: list[FileInfo], folder: str, deadline_rule: str) -> None:
    """Sightings, seen marks and receipts of files whose bytes are already a submission: a receipt saying so
    for each copy that has none yet (not for the submission's own file seen again)."""
    if not files:
        return
    subs = ledger.submissions_by_sha(conn, [f.sha256 for f in files])
    owed, sightings = [], []
    for f in files:
        sub = subs[f.sha256]
        period = parse_period(sub["period_code"]) if isinstance(sub["period_code"], str) else None
        sightings.append((f.sha256, f.name, rule.of(f, period, deadline_rule).iso))
        path = receipts.receipt_relpath(f.rel or f.name)
        if ledger.receipt_known(conn, folder, path, f.sha256) or (
            sub["file_name"] == f.name and not ledger.receipt_known(conn, folder, None, f.sha256)
        ):
            continue  # its receipt is owed or written already; or the submission's own file, from before receipts
        day = day_and_time(sub["received_at"])
        owed.append(
            _owed(
                folder, f, "duplicate", receipts.duplicate_text(f.name, f.sha256, sub["file_name"], day, sub["status"])
            )
        )
    _remember(conn, files, sightings)
    ledger.owe_receipts(conn, owed, commit=False)


def _standings(conn: Connection, stored: list[tuple[ValidationReport, int | None]]) -> dict[int, str]:
    """For each new submission, the receipt's line saying whether this version now counts for its unit and
    period (pipeline.received.version_key): if it counts, which version it replaces (name and received time);
    if not, which version counts (a rejected version never counts and displaces none)."""
    out: dict[int, str] = {}
    slots = {(r.unit.code, r.period.code) for r, i in stored if i is not None and r.unit and r.period}
    versions = ledger.versions(conn, slots)
    for r, sid in stored:
        if sid is None:
            continue
        if not (r.unit and r.period):
            out[sid] = "Bản được dùng cho kỳ này: KHÔNG (báo cáo bị từ chối)."
            continue
        ordered = sorted(
            versions[r.unit.code, r.period.code],
            key=lambda v: rule.version_key(v["received_at"], v["file_date"], v["sha256"]),
        )
        if r.status is Status.REJECTED:
            out[sid] = "Bản được dùng cho kỳ này: KHÔNG (báo cáo bị từ chối); " + (
                f"bản đang được dùng là {_version(ordered[-1])}."
                if ordered
                else "đơn vị chưa có bản nào được dùng cho kỳ này."
            )
            continue
        at = next(n for n, v in enumerate(ordered) if v["id"] == sid)
        if at == len(ordered) - 1 and at:
            out[sid] = (
                f"Bản được dùng cho kỳ này: CÓ, là bản mới nhất đơn vị gửi; thay bản "
                f"{_version(ordered[at - 1], False)}."
            )
        elif at == len(ordered) - 1:
            out[sid] = "Bản được dùng cho kỳ này: CÓ, là bản đầu tiên được tiếp nhận cho kỳ này."
        else:
            out[sid] = (
                f"Bản được dùng cho kỳ này: KHÔNG, đơn vị đã gửi bản mới hơn {_version(ordered[-1])}; bản đó được dùng."
            )
    return out


def _version(v: dict, parenthesised: bool = True) -> str:
    """ "«v2.xlsx» (nhận ngày 07/09/2012 lúc 00:30)": a stored version by its file name and received time."""
    when = f"nhận ngày {day_and_time(v['received_at'])}"
    return f"«{printable(v['file_name'])}» " + (f"({when})" if parenthesised else when)


def unread(inputs: Path, conn: Connection) -> dict[str, tuple[int, int]]:
    """Files under `inputs` not read as they are now: path -> (size, mtime_ns). A stat per file, no hashing:
    what the intake loop asks before it starts an intake run."""
    seen = ledger.seen_unchanged(conn)
    root = inputs.resolve()
    out = {}
    for path in list_inputs(inputs):
        try:
            st = os.lstat(path)
        except OSError:
            continue  # gone since it was listed
        key = root / path.relative_to(inputs)
        if not _unchanged(seen, key, st):
            out[storable(str(key))] = (st.st_size, st.st_mtime_ns)
    return out
