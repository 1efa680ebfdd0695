#!/usr/bin/env bash
# Install everything khuyencong needs on a fresh Debian/Ubuntu machine:
#   system packages: fonts-liberation2 (Times New Roman metrics, full Vietnamese coverage), libharfbuzz-subset0
#   (font subsetting for WeasyPrint), poppler-utils
#   (pdftotext/pdftoppm for checking PDFs), chromium (the web portal's browser tests, driven by Playwright),
#   LibreOffice Writer without GUI (soffice: the Word files converted to PDF in tests),
#   then a virtualenv in .venv with the project and its dev tools.
# Idempotent: re-running only installs what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
fc-list 2>/dev/null | grep -q "LiberationSerif-Regular.ttf" || need+=(fonts-liberation2)
ldconfig -p 2>/dev/null | grep -q "libharfbuzz-subset.so.0" || need+=(libharfbuzz-subset0)
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
[ -x /usr/bin/chromium ] || need+=(chromium)  # never `playwright install`: the tests launch this one
ldconfig -p 2>/dev/null | grep -q "libcairo.so.2" || need+=(libcairo2)  # CairoSVG: charts in the Word files
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)  # the Word files' conversion test
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing system packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null; }
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  quiet() { "$@" 2> >(grep -v "is ignored: it is neither" >&2); }  # absent local indexes named in pip.conf
  # uv (a dev dependency) downloads and installs in parallel, several times faster than pip: pip brings uv into a
  # new .venv, then uv installs the rest; pip installs everything if uv cannot be had or fails.
  [ -x .venv/bin/uv ] || quiet .venv/bin/pip install -q --disable-pip-version-check uv || true
  if ! { [ -x .venv/bin/uv ] && .venv/bin/uv pip install -q --python .venv/bin/python -e ".[dev]"; }; then
    echo "setup: uv is not available or failed; installing with pip"
    quiet .venv/bin/pip install -q --disable-pip-version-check -e ".[dev]"
  fi
  rm -f .venv/.installed-* && touch "$stamp"
fi
