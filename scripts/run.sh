#!/usr/bin/env bash
# The README's run command: installs what is missing, builds (preset
# "release"), starts a private PostgreSQL under .data/ and every service that
# exists, waits until each reports SERVING, prints where they listen, and
# stays in the foreground. Ctrl-C (or SIGTERM) stops the services gracefully,
# then Postgres. Re-runnable: data survives in .data/ between runs.
#
# `run.sh --replicas N` (1-9) starts N copies of each backend, replica i on
# its service's port + 10*i, and gives every caller the list of them (gRPC's
# "ipv4:host:port,host:port" form), as a headless Service does in Kubernetes.
#
# Knobs: PGPORT (default 55432), LOG_LEVEL, BETTER_AUTH_SECRET (generated
# once into .data/secret when unset), TODO_DATA_DIR (default <repo>/.data).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REPLICAS=1
while (($# > 0)); do
  case $1 in
    --replicas)
      REPLICAS=${2:-}
      shift 2 || true
      ;;
    *)
      echo "usage: scripts/run.sh [--replicas N]" >&2
      exit 2
      ;;
  esac
done
if [[ ! $REPLICAS =~ ^[1-9]$ ]]; then
  echo "run: --replicas takes a number from 1 to 9" >&2
  exit 2
fi
# The ports of replica 0..N-1 of a service whose first port is $1.
replica_ports() {
  local i
  for ((i = 0; i < REPLICAS; i++)); do echo $(($1 + 10 * i)); done
}

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
for port in $(replica_ports 50051) $(replica_ports 50052) $(replica_ports 50053) "$HTTP_PORT"; do
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
    if ((REPLICAS == 1)); then
      export "${name^^}_ADDR=127.0.0.1:$port"
    else
      addresses=$(replica_ports "$port" | sed 's/^/127.0.0.1:/' | paste -sd, -)
      export "${name^^}_ADDR=ipv4:$addresses"
    fi
  fi
done
# Started in this order; stopped in the reverse one (gateway first, so no
# request reaches a backend that is going away; Postgres last). Each service
# runs in a session of its own (setsid), so the terminal's Ctrl-C reaches
# only this script, which then stops them in that order.
groups=()
started=()
declare -A group_pids=()

stop_all() {
  trap - INT TERM EXIT
  echo
  echo "run: stopping"
  local i group pid
  for ((i = ${#groups[@]} - 1; i >= 0; i--)); do
    group=${groups[i]}
    for pid in ${group_pids[$group]}; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in ${group_pids[$group]}; do wait "$pid" 2>/dev/null || true; done
  done
  as_postgres "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  rm -f "$DATA_DIR/run.pid"
  echo "run: stopped"
}
trap stop_all EXIT
trap 'stop_all; exit 0' INT TERM HUP

for entry in "${SERVICES[@]}"; do
  read -r name port <<<"$entry"
  binary=$REPO_ROOT/build/release/services/$name/todo-$name
  [[ -x "$binary" ]] || continue
  groups+=("$name")
  replica=0
  for replica_port in $(replica_ports "$port"); do
    log=$LOG_DIR/$name.log
    ((REPLICAS == 1)) || log=$LOG_DIR/$name-$replica.log
    GRPC_PORT=$replica_port setsid "$binary" >>"$log" 2>&1 &
    group_pids[$name]+="$! "
    started+=("$name $replica_port $log")
    replica=$((replica + 1))
  done
done

gateway=$REPO_ROOT/build/release/services/gateway/todo-gateway
if [[ -x "$gateway" ]]; then
  HTTP_PORT=$HTTP_PORT setsid "$gateway" >>"$LOG_DIR/gateway.log" 2>&1 &
  groups+=(gateway)
  group_pids[gateway]="$! "
fi

echo "run: PostgreSQL on 127.0.0.1:$PGPORT (data in $PGDATA)"
failed=0
for entry in ${started[@]+"${started[@]}"}; do
  read -r name port log <<<"$entry"
  if status=$("$REPO_ROOT/scripts/grpc_probe.py" "127.0.0.1:$port" health --wait 60); then
    echo "run: $name  grpc://127.0.0.1:$port  $status   (log: $log)"
  else
    echo "run: $name on 127.0.0.1:$port is $status; see $log" >&2
    failed=1
  fi
done
if [[ -x "$gateway" ]]; then
  gateway_url=http://127.0.0.1:$HTTP_PORT
  # The gateway is ready once every backend it calls is SERVING.
  if ! python3 - "$gateway_url/ready" <<'WAIT'; then
import sys, time, urllib.request
deadline = time.time() + 60
while time.time() < deadline:
    try:
        if urllib.request.urlopen(sys.argv[1], timeout=2).status == 200:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.2)
sys.exit(1)
WAIT
    echo "run: the gateway's /ready is not 200; see $LOG_DIR/gateway.log" >&2
    failed=1
  fi
  echo "run: gateway  $gateway_url  ready   (log: $LOG_DIR/gateway.log)"
fi
if ((${#started[@]} == 0)); then
  echo "run: no service is built yet; PostgreSQL is up"
fi
((failed == 0)) || exit 1
if [[ -x "$gateway" ]]; then
  cat <<EXAMPLE
run: open $gateway_url/ in a browser for the web app ($gateway_url/docs: the API), or (Ctrl-C stops everything):
  TOKEN=\$(curl -s -X POST $gateway_url/v1/auth/sign-up -d '{"email":"ada@example.com","password":"correct horse battery","name":"Ada"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  curl -s -X POST $gateway_url/v1/tasks -H "authorization: Bearer \$TOKEN" -d '{"title":"Water the plants"}'
  curl -s -X POST $gateway_url/v1/chat -H "authorization: Bearer \$TOKEN" -d '{"message":"add call mom tomorrow at 5pm and show my tasks"}'
EXAMPLE
else
  echo "run: try  scripts/grpc_probe.py 127.0.0.1:50052 list ; Ctrl-C stops everything"
fi
# Waiting on the children keeps the script in the foreground; a service that
# dies ends the wait and everything stops.
all_pids=()
for group in ${groups[@]+"${groups[@]}"}; do
  read -ra group_list <<<"${group_pids[$group]}"
  all_pids+=("${group_list[@]}")
done
if ((${#all_pids[@]} == 0)); then
  while true; do
    sleep 3600 &
    wait $! || true
  done
fi
wait -n "${all_pids[@]}" 2>/dev/null || true
echo "run: a service exited; see $LOG_DIR" >&2
