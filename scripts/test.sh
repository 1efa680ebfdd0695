#!/usr/bin/env bash
# Fresh machine -> tests: install everything, lint, run the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
.venv/bin/pytest -q "$@"
# Smoke run of the scale benchmark (it must complete; its timings are not asserted).
.venv/bin/python benchmarks/scale.py --sizes 24 48 --openpyxl-sample 12 --no-prefect
