"""Benchmark: the guards' time bound on hostile and heavy files (moved out of the tests: durations are
measured here, never asserted in tests/).

    .venv/bin/python benchmarks/guards.py

For each sample of tests/data/hostile/make_hostile.py, in a process of its own: `inspect_file` plus a full
calamine read of every sheet of an accepted file, against MAX_SECONDS (pipeline.guards); prints each time,
the slowest, and met / not met. The memory bound stays a test (tests/test_guards.py).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, sys, time
from pathlib import Path
from pipeline.guards import inspect_file
from python_calamine import CalamineWorkbook
t0 = time.perf_counter()
refusal = inspect_file(Path(sys.argv[1]))
if refusal is None:
    with open(sys.argv[1], "rb") as f:
        wb = CalamineWorkbook.from_filelike(f)
    [wb.get_sheet_by_name(n).to_python(skip_empty_area=False) for n in wb.sheet_names]
print(json.dumps({"code": refusal and refusal.code, "seconds": time.perf_counter() - t0}))
"""


def main() -> None:
    from pipeline.guards import MAX_SECONDS

    spec = importlib.util.spec_from_file_location("make_hostile", ROOT / "tests/data/hostile/make_hostile.py")
    mh = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mh)
    with tempfile.TemporaryDirectory() as tmp:
        samples = mh.build_all(Path(tmp))
        rows = []
        for name, path in sorted(samples.items()):
            done = subprocess.run(
                [sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, cwd=ROOT, check=True
            )
            out = json.loads(done.stdout)
            rows.append((out["seconds"], name, out["code"] or "accepted"))
            print(f"{name:32} {out['code'] or 'accepted':18} {out['seconds']:7.3f} s", flush=True)
    slowest = max(rows)
    verdict = "met" if slowest[0] < MAX_SECONDS else "NOT met"
    print(
        f"slowest: {slowest[1]} {slowest[0]:.2f} s; bound {MAX_SECONDS:.0f} s per file: {verdict} "
        f"({slowest[0] / MAX_SECONDS:.0%} of the bound)"
    )


if __name__ == "__main__":
    main()
