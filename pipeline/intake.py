"""Intake: find new or changed workbooks in the inputs folder and read + validate them.

Unchanged files (same path, size and mtime) are not even hashed again; files whose bytes are already in
the ledger (same sha256) are not parsed again. Input files are only ever read.
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
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from sqlalchemy.engine import Connection

from pipeline import archive, ledger, receipts
from pipeline.formatting import local_day, short_date
from pipeline.layout import RawReport, read_report
from pipeline.programme import Programme
from pipeline.reading import FileInfo, list_inputs
from pipeline.units import UnitRegistry
from pipeline.validating import ValidationReport, validate


@dataclass(frozen=True)
class IngestSummary:
    new: int
    accepted: int
    rejected: int
    already_known: int
    unchanged: int


@dataclass(frozen=True)
class Pending:
    new: list[FileInfo]  # bytes never seen before: to be read
    known: list[FileInfo]  # bytes already in the ledger under another path or mtime
    unchanged: int  # skipped without hashing
    settling: tuple[str, ...] = ()  # modified too recently (maybe still being copied): left for the next run


def find_pending(inputs: Path, conn: Connection, archive_dir: Path, settle_seconds: float = 0) -> Pending:
    """New and changed files, each copied into the archive (and hashed) before anything reads it. A file
    modified less than `settle_seconds` ago may still be being copied: it is left for the next run."""
    seen = ledger.seen_unchanged(conn)
    known_hashes = ledger.known_sha256(conn)
    new, known, unchanged, settling = [], [], 0, []
    batch_hashes: set[str] = set()
    now = time.time()
    for path in list_inputs(inputs):
        st = path.stat()
        if seen.get(str(path.resolve())) == (st.st_size, st.st_mtime_ns):
            unchanged += 1
            continue
        if now - st.st_mtime < settle_seconds:
            settling.append(path.relative_to(inputs).as_posix())
            continue
        info = archive.take(path, inputs, archive_dir)
        if info.sha256 in known_hashes or info.sha256 in batch_hashes:
            known.append(info)
        else:
            batch_hashes.add(info.sha256)
            new.append(info)
    return Pending(new, known, unchanged, tuple(settling))


def process(files: list[FileInfo], programmes: list[Programme], units: UnitRegistry) -> list[ValidationReport]:
    """Read and validate each file; a bad file yields a report with problems, never an exception."""
    return [validate(read_report(info, programmes, units), units) for info in files]


PARALLEL_FROM = 200  # below this many files, handing them to worker processes costs more than it saves
CHUNK = 50  # files per piece of work sent to a worker process


def process_stream(files: list[FileInfo], programmes: list[Programme], units: UnitRegistry,
                   workers: int | None = None, min_files: int = PARALLEL_FROM) -> Iterator[list[ValidationReport]]:
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
    chunks = (files[i:i + CHUNK] for i in range(0, len(files), CHUNK))
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


def _with_programmes(chunk: list[tuple[ValidationReport, str | None]],
                     by_code: dict[str, Programme]) -> list[ValidationReport]:
    for report, code in chunk:  # the programme travels by its code, not pickled with every report
        report.programme = by_code.get(code) if code else None
    return [report for report, _ in chunk]


CRASHED = ("Tệp làm chương trình đọc bảng tính dừng đột ngột (cấu trúc bất thường hoặc quá lớn) nên không đọc "
           "được; các tệp khác vẫn được đọc bình thường. Hãy mở báo cáo bằng Excel, lưu lại dưới dạng .xlsx "
           "rồi gửi lại.")


def _one_by_one(files: list[FileInfo], programmes: list[Programme], units: UnitRegistry,
                workers: int) -> list[ValidationReport]:
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
            raw = RawReport(file=f, programme=programmes[-1], unreadable=CRASHED, refusal_code="READER_CRASHED")
            out.append(validate(raw, units))
    return out


def process_parallel(files: list[FileInfo], programmes: list[Programme], units: UnitRegistry,
                     workers: int | None = None, min_files: int = PARALLEL_FROM) -> list[ValidationReport]:
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
            _POOL["pool"] = ProcessPoolExecutor(max_workers=workers, initializer=_init_worker,
                                                initargs=(programmes, units),
                                                mp_context=multiprocessing.get_context("spawn"))
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


def remember(conn: Connection, files: list[FileInfo]) -> None:
    """Record that these files were seen (history) and need not be hashed again while unchanged."""
    rows = [(str((f.source or f.path).resolve()), f.size, f.mtime_ns, f.sha256) for f in files]
    ledger.remember_files(conn, rows)
    ledger.record_sightings(conn, [(f.sha256, f.name, f.modified.isoformat(timespec="seconds")) for f in files])


def duplicate_receipts(conn: Connection, receipts_dir: Path, files: list[FileInfo]) -> list[Path]:
    """A receipt for each file whose bytes were already received under another name or time."""
    out = []
    for f in files:
        first = ledger.first_submission(conn, f.sha256)
        if first is not None and first[0] != f.name:
            name, received_at, status = first
            received = short_date(local_day(received_at))
            text = receipts.duplicate_text(f.name, f.sha256, name, received, status)
            out.append(receipts.write_text(receipts_dir, f.name, text))
    return out


def unread(inputs: Path, conn: Connection) -> dict[str, tuple[int, int]]:
    """Files under `inputs` not read as they are now: path -> (size, mtime_ns). A stat per file, no hashing:
    what the intake loop asks before it starts an intake run."""
    seen = ledger.seen_unchanged(conn)
    out = {}
    for path in list_inputs(inputs):
        try:
            st = path.stat()
        except OSError:
            continue  # gone since it was listed
        key = str(path.resolve())
        if seen.get(key) != (st.st_size, st.st_mtime_ns):
            out[key] = (st.st_size, st.st_mtime_ns)
    return out
