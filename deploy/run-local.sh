#!/usr/bin/env bash
# moviebot's deployment without containers: PostgreSQL, a Chroma server and N app workers on
# this machine, the same processes deploy/compose.yaml runs. The two-worker test uses it.
#
#   deploy/run-local.sh start [WORKERS]   PostgreSQL + `chroma run` + build + WORKERS (default 2)
#   deploy/run-local.sh worker I          (re)start worker I alone (after a crash, say)
#   deploy/run-local.sh stop              stop everything it started
#   deploy/run-local.sh env               print the variables the workers run with
#
# Everything lives under $MOVIEBOT_CLUSTER (default .moviebot/cluster): the database folder,
# the Chroma folder, logs and pid files. Ports: PG_PORT (5433), CHROMA_PORT (8000), and the
# workers' WORKER_PORTS ("7861 7862 ...", default from 7861 up). The data and model settings
# (MOVIEBOT_DATA_DIR, MOVIEBOT_DESCRIPTIONS, MOVIEBOT_HOME, ...) pass through to every worker;
# TELEGRAM_BOT_TOKEN with MOVIEBOT_TELEGRAM_WEBHOOK puts Telegram behind the workers.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="${MOVIEBOT_CLUSTER:-$ROOT/.moviebot/cluster}"
PG_PORT="${PG_PORT:-5433}"
CHROMA_PORT="${CHROMA_PORT:-8000}"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
CHROMA="${CHROMA:-$(dirname "$PYTHON")/chroma}"
mkdir -p "$STATE/logs" "$STATE/pids"

export MOVIEBOT_DATABASE_URL="postgresql://moviebot@127.0.0.1:$PG_PORT/moviebot"
export MOVIEBOT_CHROMA_URL="http://127.0.0.1:$CHROMA_PORT"
export ANONYMIZED_TELEMETRY=False

pg_bin() {  # initdb and pg_ctl: on PATH, or Debian's versioned folder
    if command -v initdb >/dev/null; then dirname "$(readlink -f "$(command -v initdb)")"; return; fi
    local found
    found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$found" ] || { echo "PostgreSQL is not installed (apt-get install postgresql)" >&2; exit 1; }
    echo "$found"
}

as_pg() {  # initdb refuses root: run PostgreSQL as Debian's postgres user then
    if [ "$(id -u)" = 0 ]; then (cd "$STATE" && runuser -u postgres -- "$@"); else "$@"; fi
}

worker_port() {
    local i=$1 ports
    read -r -a ports <<< "${WORKER_PORTS:-}"
    if [ "${#ports[@]}" -ge "$i" ]; then echo "${ports[$((i - 1))]}"; else echo $((7860 + i)); fi
}

wait_for() {  # URL SECONDS WHAT PID: until the URL answers, while the process lives
    "$PYTHON" - "$@" <<'PY'
import os, sys, time, urllib.request
url, seconds, what, pid = sys.argv[1], float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
deadline = time.monotonic() + seconds
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(f"{what} exited before answering; see its log")
    try:
        with urllib.request.urlopen(url, timeout=2):
            sys.exit(0)
    except OSError:
        time.sleep(0.5)
sys.exit(f"{what} did not answer at {url} within {seconds:.0f} s")
PY
}

start_postgres() {
    local bin data="$STATE/pg"
    bin=$(pg_bin)
    if [ ! -f "$data/PG_VERSION" ]; then
        mkdir -p "$data"
        [ "$(id -u)" = 0 ] && chown -R postgres: "$STATE/pg" && chmod 755 "$STATE" "$STATE/logs"
        as_pg "$bin/initdb" -D "$data" -U moviebot --auth=trust -E UTF8 >/dev/null
    fi
    touch "$STATE/logs/postgres.log"
    [ "$(id -u)" = 0 ] && chown postgres: "$STATE/logs/postgres.log"
    as_pg "$bin/pg_ctl" -D "$data" -l "$STATE/logs/postgres.log" -w \
        -o "-p $PG_PORT -k $data -c listen_addresses=127.0.0.1" start >/dev/null
    as_pg "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U moviebot -d postgres -tAc \
        "SELECT 1 FROM pg_database WHERE datname = 'moviebot'" | grep -q 1 \
        || as_pg "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U moviebot moviebot
    echo "PostgreSQL on 127.0.0.1:$PG_PORT"
}

start_chroma() {
    "$CHROMA" run --path "$STATE/chroma" --host 127.0.0.1 --port "$CHROMA_PORT" \
        >"$STATE/logs/chroma.log" 2>&1 &
    echo $! >"$STATE/pids/chroma"
    wait_for "$MOVIEBOT_CHROMA_URL/api/v2/heartbeat" 60 "Chroma" "$(cat "$STATE/pids/chroma")"
    echo "Chroma on $MOVIEBOT_CHROMA_URL"
}

start_worker() {
    local i=$1 port
    port=$(worker_port "$i")
    cd "$ROOT"
    "$PYTHON" app.py -q web --host 127.0.0.1 --port "$port" >>"$STATE/logs/worker-$i.log" 2>&1 &
    echo $! >"$STATE/pids/worker-$i"
    wait_for "http://127.0.0.1:$port/api/health" 300 "worker $i" "$(cat "$STATE/pids/worker-$i")"
    echo "worker $i on http://127.0.0.1:$port (pid $(cat "$STATE/pids/worker-$i"))"
}

stop_all() {
    local pid_file
    for pid_file in "$STATE"/pids/*; do
        [ -f "$pid_file" ] || continue
        kill "$(cat "$pid_file")" 2>/dev/null || true
        rm -f "$pid_file"
    done
    if [ -f "$STATE/pg/postmaster.pid" ]; then
        as_pg "$(pg_bin)/pg_ctl" -D "$STATE/pg" -m fast -w stop >/dev/null || true
    fi
}

case "${1:-}" in
    start)
        start_postgres
        start_chroma
        (cd "$ROOT" && "$PYTHON" app.py -q build)  # data, models, and the index into Chroma
        for i in $(seq 1 "${2:-2}"); do start_worker "$i"; done
        ;;
    worker) start_worker "${2:?which worker}" ;;
    stop) stop_all ;;
    env) echo "MOVIEBOT_DATABASE_URL=$MOVIEBOT_DATABASE_URL"; echo "MOVIEBOT_CHROMA_URL=$MOVIEBOT_CHROMA_URL" ;;
    *) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
