#!/usr/bin/env bash
# Install (if needed) and start a local PostgreSQL server for the ledger tests; print the URL to use:
#   export KHUYENCONG_TEST_PG_URL=$(bash scripts/postgres.sh)
set -euo pipefail
as_postgres() { if [ "$(id -u)" -eq 0 ]; then su postgres -c "$1"; else sudo -u postgres sh -c "$1"; fi; }
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v pg_lsclusters >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get install -y -q postgresql >/dev/null 2>&1 \
    || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q postgresql >/dev/null; }
fi
read -r version cluster port status _ < <(pg_lsclusters --no-header | head -n 1)
[ "$status" = "online" ] || $SUDO pg_ctlcluster "$version" "$cluster" start >&2
as_postgres "psql -q -p $port -c \"ALTER USER postgres PASSWORD 'khuyencong'\"" >/dev/null
as_postgres "psql -q -p $port -tc \"SELECT 1 FROM pg_database WHERE datname = 'khuyencong_test'\"" | grep -q 1 \
  || as_postgres "createdb -p $port khuyencong_test" >&2
echo "postgresql+psycopg://postgres:khuyencong@127.0.0.1:$port/khuyencong_test"
