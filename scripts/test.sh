#!/usr/bin/env bash
# The whole suite: lint, types, and pytest against SQLite and a throw-away PostgreSQL, plus the browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
source scripts/pg.sh
trap pg_stop EXIT
pg_start

echo "== ruff"; .venv/bin/ruff check src tests bench
echo "== mypy"; .venv/bin/mypy
echo "== pytest (SQLite and PostgreSQL)"
export BIPLOMACY_REQUIRE_POSTGRES=1
set +e
.venv/bin/python -m pytest -n 2 -p no:cacheprovider "$@"
rc=$?
set -e
if [ $rc -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  exit 1
fi
exit $rc
