#!/usr/bin/env bash
# Fresh machine -> reports: install everything, fill inputs/ with the demo workbooks (existing files are
# kept), then run the annual reports for 2012 and 2013 and the quarterly report for 2012-Q3.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/khuyencong demo
.venv/bin/khuyencong run --period 2012 --period 2012-Q3 --period 2013 "$@"
