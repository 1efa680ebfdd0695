"""Parsing across worker processes gives exactly what parsing in one process gives."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from pipeline import intake
from pipeline.reading import file_info

CORPUS = Path(__file__).parent / "data" / "corpus" / "files"


def _key(r):
    return (r.file.name, r.status, r.unit, r.period, r.programme.code if r.programme else None,
            [(v.kind, v.code, v.source, v.amount, v.cell) for v in r.values],
            [(p.code, p.severity, p.cell, p.found) for p in r.problems])


def test_parallel_equals_serial(programmes, units) -> None:
    files = [file_info(p, CORPUS) for p in sorted(CORPUS.iterdir())]
    serial = intake.process(files, programmes, units)
    parallel = intake.process_parallel(files, programmes, units, workers=2, min_files=1)
    assert [_key(r) for r in parallel] == [_key(r) for r in serial]
    assert len(serial) >= 30


def test_stream_yields_chunks_in_order_as_they_are_parsed(programmes, units) -> None:
    files = [file_info(p, CORPUS) for p in sorted(CORPUS.iterdir())]
    chunks = list(intake.process_stream(files, programmes, units, workers=2, min_files=1))
    assert len(chunks) == -(-len(files) // intake.CHUNK)
    assert [r.file.name for chunk in chunks for r in chunk] == [f.name for f in files]
    assert all(r.programme is not None for chunk in chunks for r in chunk if r.status.value != "rejected")


def test_worker_processes_are_reused_and_replaced_when_one_dies(programmes, units, monkeypatch) -> None:
    monkeypatch.setattr(intake, "CHUNK", 4)  # many chunks: some are in flight when the workers die
    files = [file_info(p, CORPUS) for p in sorted(CORPUS.iterdir())]
    serial = intake.process(files, programmes, units)
    intake.process_parallel(files[:3], programmes, units, workers=2, min_files=1)
    pool = intake._POOL["pool"]
    intake.process_parallel(files[:3], programmes, units, workers=2, min_files=1)
    assert intake._POOL["pool"] is pool  # same configuration: the same worker processes
    stream = intake.process_stream(files, programmes, units, workers=2, min_files=1)
    got = list(next(stream))
    for process in list(pool._processes.values()):  # the workers die with chunks in flight
        os.kill(process.pid, signal.SIGKILL)
    for chunk in stream:
        got += chunk
    assert intake._POOL["pool"] is not pool  # fresh workers
    assert [_key(r) for r in got] == [_key(r) for r in serial]  # the lost chunks were read again, in order
