#!/usr/bin/env bash
# Runs the whole suite twice, against SQLite and against PostgreSQL, with throwaway Redis and PostgreSQL
# servers on free 127.0.0.1 ports. Installs the servers with apt when they are missing and we are root.
# Usage: scripts/run-tests.sh [pytest args...]     (PYTHON selects the interpreter; default .venv/bin/python)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -n "$(pg_bin)" ] || missing+=(postgresql)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
[ -x /usr/bin/chromium ] || missing+=(chromium)
# The browser's Hindi glyphs and the tax invoice PDFs' fonts.
[ -n "$(find /usr/share/fonts -name NotoSansDevanagari-Regular.ttf 2>/dev/null)" ] || missing+=(fonts-noto-core)
# ONDC's validator (tests/conformance) runs on node >= 18 with npm.
# (npm is asked for only when missing: NodeSource's nodejs bundles it and conflicts with Debian's npm package)
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "error: the tests need these Debian packages: ${missing[*]}" >&2
    echo "       install them (sudo apt-get install ${missing[*]}) and run again" >&2
    exit 2
  fi
fi
PG_BIN=$(pg_bin)

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

tmp=$(mktemp -d)
chmod 755 "$tmp"
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(runuser -u postgres --); fi

cleanup() {
  [ -f "$tmp/redis.pid" ] && kill "$(cat "$tmp/redis.pid")" 2>/dev/null || true
  [ -d "$tmp/pg" ] && "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$tmp/pg" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --dir "$tmp" --pidfile "$tmp/redis.pid" --logfile "$tmp/redis.log"

PG_PORT=$(free_port)
mkdir -p "$tmp/pg" "$tmp/pgsock"
[ "$(id -u)" = 0 ] && chown postgres "$tmp/pg" "$tmp/pgsock"
"${as_pg[@]}" "$PG_BIN/initdb" -D "$tmp/pg" -A trust -U postgres --no-sync >/dev/null
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$tmp/pg" -l "$tmp/pgsock/log" -w \
  -o "-p $PG_PORT -k $tmp/pgsock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null
"$PG_BIN/psql" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -c "CREATE DATABASE odop_test" >/dev/null

export TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
status=0
echo "== test suite on SQLite =="
TEST_DATABASE_URL="sqlite:///$tmp/odop-test.sqlite3" "$PY" -m pytest "$@" || status=$?
echo "== test suite on PostgreSQL =="
TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$PG_PORT/odop_test" "$PY" -m pytest "$@" || status=$?
exit $status
