"""Benchmark: reading, validating, storing, re-scanning and aggregating N district workbooks.

    .venv/bin/python benchmarks/ingest.py [N]

Prints figures and ratios (no assertions): per-file read+validate with python-calamine against a plain
openpyxl load of the same files, the rescan of unchanged files, and the aggregation over the ledger.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from openpyxl import load_workbook

from pipeline import aggregating, intake, ledger
from pipeline.demo import generate
from pipeline.paths import packaged_config
from pipeline.periods import parse_period
from pipeline.programme import load_programmes
from pipeline.units import load_units


def main(n_years: int) -> None:
    programmes, units = load_programmes(packaged_config()), load_units(packaged_config())
    programme = programmes[0]
    years = tuple(range(programme.first_year, programme.first_year + n_years))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        files = generate(root / "inputs", programme, units, years=years)
        t_write = time.perf_counter() - t
        n = len(files)
        conn = ledger.connect(root / "ledger.sqlite")

        t = time.perf_counter()
        pending = intake.find_pending(root / "inputs", conn, root / "archive")
        t_scan = time.perf_counter() - t
        t = time.perf_counter()
        reports = intake.process(pending.new, programmes, units)
        t_read = time.perf_counter() - t
        t = time.perf_counter()
        intake.store(conn, reports, pending.copies, root / "receipts")
        intake.remember(conn, pending.known, pending.refused, root / "receipts")
        t_store = time.perf_counter() - t

        t = time.perf_counter()
        again = intake.find_pending(root / "inputs", conn, root / "archive")
        t_rescan = time.perf_counter() - t

        sample = [f.path for f in files[: min(100, n)]]
        t = time.perf_counter()
        for p in sample:
            load_workbook(p, read_only=True, data_only=True).close()
        t_openpyxl = (time.perf_counter() - t) / len(sample)

        subs, vals = ledger.submissions_frame(conn), ledger.values_frame(conn)
        t = time.perf_counter()
        aggregating.aggregate(subs, vals, programme, units, parse_period(f"{years[-1]}"))
        t_agg = time.perf_counter() - t

    per_file = t_read / n
    print(f"workbooks                       {n}")
    print(f"write (demo generator)          {t_write:8.2f} s   {1000 * t_write / n:6.1f} ms/file")
    print(f"scan + sha256 (first time)      {t_scan:8.3f} s   {1000 * t_scan / n:6.2f} ms/file")
    print(f"read + validate (calamine)      {t_read:8.3f} s   {1000 * per_file:6.2f} ms/file")
    print(
        f"openpyxl read-only load only    {'':8s}     {1000 * t_openpyxl:6.2f} ms/file "
        f"({t_openpyxl / per_file:.1f}x our whole read+validate)"
    )
    print(f"store in ledger                 {t_store:8.3f} s")
    print(
        f"rescan, nothing changed         {t_rescan:8.3f} s   {len(again.new)} new, {again.unchanged} skipped "
        f"({t_read / max(t_rescan, 1e-9):.0f}x faster than reading)"
    )
    print(f"aggregate one year              {t_agg:8.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
