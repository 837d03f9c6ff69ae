#!/usr/bin/env bash
# The benchmark (`make bench`): a throwaway PostgreSQL database, the app under gunicorn with the
# production settings, wrk and Celery on loopback; see bench/bench.py for what is measured.
#
#   make bench                          # 20,000 items, 30 s per case (about 13 minutes)
#   BENCH_DURATION=5 make bench         # a smoke run
#   BENCH_LARGE=1 make bench            # also the report at 1,000,000 items (6 to 12 more minutes)
#   BENCH_KEEP_DB=1 make bench          # keep the database, e.g. for bench/profile.py
#
# Needs the local PostgreSQL (PG_HOST/PG_PORT/PG_USER, trust auth) and Redis (127.0.0.1:6379; the
# databases BENCH_REDIS_DB and the next one, 9 and 10 by default, are flushed). Installs wrk from
# Debian's packages when it is missing. Everything it starts is stopped, and the database
# dropped, when it ends — also on failure or Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_HOST="${PG_HOST:-127.0.0.1}" PG_PORT="${PG_PORT:-5432}" PG_USER="${PG_USER:-postgres}"
PY="${PY:-.venv/bin/python}"
db="tracker_bench_$$_$(date +%s)"
work_dir="$(mktemp -d -t tracker-bench-XXXXXX)"
pidfile="$work_dir/children.pid"

psql_admin() { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -qAtX "$@"; }

cleanup() {
  status=$?
  trap - EXIT INT TERM
  if [[ -n "${bench_pid:-}" ]] && kill -0 "$bench_pid" 2>/dev/null; then
    kill -TERM "$bench_pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$bench_pid" 2>/dev/null || break; sleep 1; done
    kill -KILL "$bench_pid" 2>/dev/null || true
  fi
  # Children that bench.py could not stop (it was killed): each runs in its own process group.
  if [[ -f "$pidfile" ]]; then
    while read -r pgid; do
      [[ -n "$pgid" ]] && kill -KILL -- "-$pgid" 2>/dev/null || true
    done <"$pidfile"
  fi
  if [[ -n "${BENCH_KEEP_DB:-}" ]]; then
    echo "database kept (drop it when done): postgres://$PG_USER@$PG_HOST:$PG_PORT/$db" >&2
  else
    psql_admin -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db'" >/dev/null 2>&1 || true
    psql_admin -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  fi
  if [[ -z "${BENCH_KEEP_WORK_DIR:-}" ]]; then rm -rf "$work_dir"; else echo "work dir kept: $work_dir" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! command -v wrk >/dev/null 2>&1; then
  echo "[bench] installing wrk from Debian's packages" >&2
  if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get install -y -q wrk >/dev/null 2>&1 || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q wrk >/dev/null; }
fi
pg_isready -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" >/dev/null || { echo "PostgreSQL is not reachable" >&2; exit 1; }
redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "Redis is not reachable on 127.0.0.1:6379" >&2; exit 1; }

psql_admin -c "CREATE DATABASE $db"
echo "[bench] database $db, work dir $work_dir" >&2

DATABASE_URL="postgres://$PG_USER@$PG_HOST:$PG_PORT/$db" \
  BENCH_WORK_DIR="$work_dir" BENCH_PIDFILE="$pidfile" \
  "$PY" bench/bench.py &
bench_pid=$!
wait "$bench_pid"
