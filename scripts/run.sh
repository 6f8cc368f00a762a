#!/usr/bin/env bash
# The README's run command: installs what is missing, builds (preset
# "release"), starts a private PostgreSQL under .data/ and every service that
# exists, waits until each reports SERVING, prints where they listen, and
# stays in the foreground. Ctrl-C (or SIGTERM) stops the services gracefully,
# then Postgres. Re-runnable: data survives in .data/ between runs.
#
# Knobs: PGPORT (default 55432), LOG_LEVEL, BETTER_AUTH_SECRET (generated
# once into .data/secret when unset), TODO_DATA_DIR (default <repo>/.data).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DATA_DIR=${TODO_DATA_DIR:-$REPO_ROOT/.data}
LOG_DIR=$DATA_DIR/logs
HTTP_PORT=${HTTP_PORT:-8080}

# One run per data folder: a second one would fight the first over the
# cluster and the ports. The first one's pid is in .data/run.pid while it runs.
mkdir -p "$DATA_DIR"
if [[ -f "$DATA_DIR/run.pid" ]]; then
  read -r running_pid running_port <"$DATA_DIR/run.pid" || true
  # Alive and still this script (not a reused pid).
  if [[ -n ${running_pid:-} ]] && grep -qs run.sh "/proc/$running_pid/cmdline"; then
    echo "run: already running (pid $running_pid, gateway http://127.0.0.1:${running_port:-8080});" \
      "stop it with Ctrl-C in its terminal or: kill $running_pid" >&2
    exit 1
  fi
fi
# Ports another program holds are named now, not found in a log later.
for port in 50051 50052 50053 "$HTTP_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "run: port $port on 127.0.0.1 is in use by another program; free it (or set HTTP_PORT" \
      "for the gateway's) and run again" >&2
    exit 1
  fi
done
echo "$$ $HTTP_PORT" >"$DATA_DIR/run.pid"

"$REPO_ROOT/scripts/setup.sh"
build release

PGPORT=${PGPORT:-55432}
PG_BIN=$(pg_bin_dir)
mkdir -p "$DATA_DIR" "$LOG_DIR"

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# initdb refuses root, so under root the cluster belongs to `postgres`, which
# must be able to reach the folder; a repo under /root is not reachable, so
# the cluster then lives in /var/lib/todo-grpc and .data/postgres links to it.
PGDATA=$DATA_DIR/postgres
if [[ $(id -u) -eq 0 && ! -e "$PGDATA" ]]; then
  if ! runuser -u postgres -- test -x "$DATA_DIR"; then
    external=/var/lib/todo-grpc/$(echo -n "$REPO_ROOT" | md5sum | cut -c1-12)
    mkdir -p "$external"
    ln -s "$external" "$PGDATA"
  else
    mkdir -p "$PGDATA"
  fi
fi
mkdir -p "$PGDATA/"
PGDATA=$(readlink -f "$PGDATA")
if [[ $(id -u) -eq 0 ]]; then
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
fi

if [[ ! -f "$PGDATA/PG_VERSION" ]]; then
  echo "run: creating a PostgreSQL cluster in $PGDATA"
  as_postgres "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 >"$LOG_DIR/initdb.log" 2>&1
fi
if ! as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 60 \
    -o "-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1" start >/dev/null
fi
DATABASE_URL="postgresql://postgres@127.0.0.1:$PGPORT/todo"
if ! "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -Atqc \
    "SELECT 1 FROM pg_database WHERE datname = 'todo'" | grep -q 1; then
  "$PG_BIN/psql" -h 127.0.0.1 -p "$PGPORT" -U postgres -qc "CREATE DATABASE todo" >/dev/null
fi

if [[ -z ${BETTER_AUTH_SECRET:-} ]]; then
  if [[ ! -s "$DATA_DIR/secret" ]]; then
    (umask 077 && head -c 48 /dev/urandom | base64 | tr -d '\n' >"$DATA_DIR/secret")
  fi
  BETTER_AUTH_SECRET=$(cat "$DATA_DIR/secret")
fi
export DATABASE_URL BETTER_AUTH_SECRET
export LOG_LEVEL=${LOG_LEVEL:-info}

# name, binary, gRPC port (services/<name>/todo-<name> in the release build).
SERVICES=("auth 50051" "tasks 50052" "chat 50053")
# Each service is told where the others are (AUTH_ADDR, TASKS_ADDR, ...),
# but only those that are built: a peer that does not exist yet is not asked.
for entry in "${SERVICES[@]}"; do
  read -r name port <<<"$entry"
  if [[ -x "$REPO_ROOT/build/release/services/$name/todo-$name" ]]; then
    export "${name^^}_ADDR=127.0.0.1:$port"
  fi
done
pids=()
started=()

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "run: stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  rm -f "$DATA_DIR/run.pid"
  echo "run: stopped"
}
trap stop_all EXIT
trap 'stop_all; exit 0' INT TERM

for entry in "${SERVICES[@]}"; do
  read -r name port <<<"$entry"
  binary=$REPO_ROOT/build/release/services/$name/todo-$name
  [[ -x "$binary" ]] || continue
  GRPC_PORT=$port "$binary" >>"$LOG_DIR/$name.log" 2>&1 &
  pids+=($!)
  started+=("$name $port")
done

gateway=$REPO_ROOT/build/release/services/gateway/todo-gateway
if [[ -x "$gateway" ]]; then
  HTTP_PORT=$HTTP_PORT "$gateway" >>"$LOG_DIR/gateway.log" 2>&1 &
  pids+=($!)
fi

echo "run: PostgreSQL on 127.0.0.1:$PGPORT (data in $PGDATA)"
failed=0
for entry in ${started[@]+"${started[@]}"}; do
  read -r name port <<<"$entry"
  if status=$("$REPO_ROOT/scripts/grpc_probe.py" "127.0.0.1:$port" health --wait 60); then
    echo "run: $name  grpc://127.0.0.1:$port  $status   (log: $LOG_DIR/$name.log)"
  else
    echo "run: $name on 127.0.0.1:$port is $status; see $LOG_DIR/$name.log" >&2
    failed=1
  fi
done
if [[ -x "$gateway" ]]; then
  echo "run: gateway  http://127.0.0.1:$HTTP_PORT  (log: $LOG_DIR/gateway.log)"
fi
if ((${#started[@]} == 0)); then
  echo "run: no service is built yet; PostgreSQL is up"
fi
((failed == 0)) || exit 1
echo "run: try  scripts/grpc_probe.py 127.0.0.1:50052 list ; Ctrl-C stops everything"
# Waiting on the children keeps the script in the foreground; a service that
# dies ends the wait and everything stops.
if ((${#pids[@]} == 0)); then
  while true; do
    sleep 3600 &
    wait $! || true
  done
fi
wait -n "${pids[@]}" 2>/dev/null || true
echo "run: a service exited; see $LOG_DIR" >&2
