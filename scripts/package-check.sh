#!/usr/bin/env bash
# The package as a user gets it: build the wheel, install it into a fresh virtualenv (its declared dependencies
# from PyPI: with uv - .venv's, a dev dependency, else one on PATH - which downloads and installs in parallel and
# reuses its cache; with pip when there is no uv), then, from an empty folder where the source tree cannot be
# imported, run `template` (packaged defaults), `init`, `demo`, `run --period 2012-Q3`, `history` and `export` in
# the working folder and check that the 2012-Q3 set was published whole (a link to a version whose manifest
# matches its files, PDF, XLSX and CSV) and that `export` wrote its CSV. Nothing is copied from the source tree
# but the wheel.
# Usage: bash scripts/package-check.sh   (PYTHON=python3.12 to pick the interpreter; KEEP=1 keeps the folder)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(pwd)
PY=${PYTHON:-python3}
work=$(mktemp -d -t khuyencong-package.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
step() { printf '\npackage-check: %s (%ss)\n' "$1" "$SECONDS"; }

step "building the wheel from a copy of the tracked and unignored files"
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf - | tar -xf - -C "$work/src"
uv=$(command -v "$src/.venv/bin/uv" || command -v uv || true)
quiet() { "$@" 2> >(grep -v "is ignored: it is neither" >&2); }  # absent local indexes named in pip.conf
if [ -n "$uv" ]; then
  "$uv" build -q --wheel --python "$PY" --out-dir "$work/dist" "$work/src"  # in an isolated build environment
else
  "$PY" -m venv "$work/build-venv"
  quiet "$work/build-venv/bin/pip" wheel -q --disable-pip-version-check --no-deps -w "$work/dist" "$work/src"
fi
wheel=$(ls "$work"/dist/khuyencong-*.whl)
rm -rf "$work/src" "$work/build-venv"

step "installing $(basename "$wheel") into a fresh virtualenv${uv:+ (uv)}"
if [ -n "$uv" ]; then
  "$PY" -m venv --without-pip "$work/venv"
  "$uv" pip install -q --python "$work/venv/bin/python" "$wheel"
else
  "$PY" -m venv "$work/venv"
  quiet "$work/venv/bin/pip" install -q --disable-pip-version-check "$wheel"
fi

# From here on: an empty folder, no PYTHONPATH, no user site; the source tree must not be what is imported.
mkdir "$work/empty"
cd "$work/empty"
# Prefect's start-up allowance is the installed CLI's own (pipeline.ops.prefect_settings), as a user gets it.
unset PYTHONPATH PYTHONHOME KHUYENCONG_CONFIG PREFECT_API_URL PREFECT_HOME PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS
export PYTHONNOUSERSITE=1
py="$work/venv/bin/python"
k="$work/venv/bin/khuyencong"
"$py" - "$work/venv" "$src" <<'EOF'
import sys
from pathlib import Path

import pipeline
from pipeline.paths import TEMPLATES_DIR, packaged_config

venv, src = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
for what, path in [("pipeline", Path(pipeline.__file__)), ("config", packaged_config()), ("templates", TEMPLATES_DIR)]:
    path = path.resolve()
    print(f"{what}: {path}")
    if venv not in path.parents or src in path.parents:
        sys.exit(f"package-check: {what} is not the installed package's ({path})")
EOF

step "template from an empty folder (packaged configuration)"
"$k" template --unit "Bù Đăng" --period 2012-03 --out blank.xlsx

step "init"
"$k" init ws
cd ws
test -f config/units.yaml && test -d config/programmes && test -d inputs && test -d outputs && test -s README.txt

step "demo"
"$k" demo

step "run --period 2012-Q3 (starts a temporary Prefect server)"
"$k" run --period 2012-Q3

step "history and export"
"$k" history --unit "Bù Đăng" --period 2012-Q3
"$k" export --period 2012-Q3

step "checking the reports"
"$py" - <<'EOF'
import hashlib
import json
import sys
from pathlib import Path

from openpyxl import load_workbook

folder = Path("outputs/reports/2012-Q3")
if not folder.is_symlink() or not (folder / "manifest.json").is_file():
    sys.exit(f"package-check: {folder} is not a published set (a link to a version with its manifest)")
for f in json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["files"]:
    if hashlib.sha256((folder / f["name"]).read_bytes()).hexdigest() != f["sha256"]:
        sys.exit(f"package-check: {folder / f['name']} does not match the set's manifest")
if not (folder / "2012-Q3-gia-tri.csv").is_file() or not Path("outputs/export/2012-Q3-gia-tri.csv").is_file():
    sys.exit("package-check: the CSV export is missing from the set or from outputs/export/")
pdfs, books = sorted(folder.glob("*.pdf")), sorted(folder.glob("*.xlsx"))
if not pdfs or not books:
    sys.exit(f"package-check: no PDF or no XLSX under {folder}: {sorted(p.name for p in folder.glob('*'))}")
for pdf in pdfs:
    if not pdf.read_bytes().startswith(b"%PDF-") or pdf.stat().st_size < 10_000:
        sys.exit(f"package-check: {pdf} is not a PDF report")
for book in books:
    load_workbook(book, read_only=True).close()
if not Path("../blank.xlsx").is_file():
    sys.exit("package-check: the blank template was not written")
print("reports:", ", ".join(p.name for p in pdfs + books))
EOF
step "passed"
