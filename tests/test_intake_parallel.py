"""Parsing across worker processes gives exactly what parsing in one process gives."""

from __future__ import annotations

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
