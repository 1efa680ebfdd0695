#!/usr/bin/env bash
# Fresh machine -> tests: install everything, lint, run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check .
# Two worker processes on two cores (pytest-xdist: one per logical CPU), each taking whole test modules in
# collection order (tests/conftest.py puts the long process-level tests of test_serve.py first). `-n 0`: serially.
.venv/bin/pytest -q -n logical --dist loadfile --no-loadscope-reorder "$@"
# Smoke run of the scale benchmark (it must complete; its timings are not asserted).
.venv/bin/python benchmarks/scale.py --sizes 24 --openpyxl-sample 12 --no-prefect
