#!/usr/bin/env bash
# The README's production recipe, run as written (the block after its "production-recipe" marker):
# gunicorn with 2 workers on PostgreSQL and Redis; then login, submit, list and SSE over HTTP on
# loopback (tests/smoke/production_checks.py); then stop, by PID, what it started.
# Needs TEST_DATABASE_URL (a PostgreSQL server, role with CREATEDB) and TEST_REDIS_URL; VENV_BIN is
# the virtualenv's bin directory (default .venv/bin).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TEST_DATABASE_URL:?a PostgreSQL server URL, e.g. postgresql+psycopg://gridsnap:gridsnap@127.0.0.1:5432/gridsnap}"
: "${TEST_REDIS_URL:?a Redis URL, e.g. redis://127.0.0.1:6379/15}"
VENV_BIN="$(cd "${VENV_BIN:-.venv/bin}" && pwd)"
PY="$VENV_BIN/python"

work="$(mktemp -d)"
database=""
recipe_pid=""
finish() {
  if [ -n "$recipe_pid" ] && kill -0 "$recipe_pid" 2>/dev/null; then
    kill -TERM "$recipe_pid" 2>/dev/null || true  # the gunicorn master: it stops its workers
    for _ in $(seq 1 60); do kill -0 "$recipe_pid" 2>/dev/null || break; sleep 0.5; done
  fi
  if [ -n "$database" ]; then
    "$PY" tests/smoke/scratch_db.py drop "$TEST_DATABASE_URL" "$database" || true
  fi
  rm -rf "$work"
}
trap finish EXIT

database="$("$PY" tests/smoke/scratch_db.py create "$TEST_DATABASE_URL")"
port="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
secret() { "$PY" -c 'import secrets; print(secrets.token_urlsafe(48))'; }
cat > "$work/gridsnap.env" <<ENV
GRIDSNAP_ENV=production
DATABASE_URL=$database
RATELIMIT_STORAGE_URI=$TEST_REDIS_URL
RATELIMIT_KEY_PREFIX=smoke-$port
UPLOAD_DIR=$work/uploads
SECRET_KEY=$(secret)
JWT_SECRET_KEY=$(secret)
WEB_CONCURRENCY=2
GUNICORN_BIND=127.0.0.1:$port
ADMIN_PHONE=13900000000
ADMIN_PASSWORD=Smoke-Test-2026
ENV

# The block as the README has it, word for word.
awk '/<!-- production-recipe -->/ {marked = 1; next}
     marked && /^```sh/ {inside = 1; next}
     inside && /^```/ {exit}
     inside {print}' README.md > "$work/recipe.sh"
if [ ! -s "$work/recipe.sh" ]; then
  echo "README.md has no production-recipe block" >&2
  exit 1
fi
echo "== the README's production recipe:"
sed 's/^/   /' "$work/recipe.sh"

PATH="$VENV_BIN:$PATH" GRIDSNAP_ENV_FILE="$work/gridsnap.env" bash -e "$work/recipe.sh" &
recipe_pid=$!  # the recipe ends in `exec gunicorn`: this is the master's PID

"$PY" tests/smoke/production_checks.py "http://127.0.0.1:$port" 13900000000 Smoke-Test-2026
echo "== production smoke test passed"
