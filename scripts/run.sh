#!/usr/bin/env bash
# Runs Switchboard on a fresh Debian 12 machine: installs what is missing, builds in release
# mode, uses the Redis in REDIS_URL or, when none is given, starts a private redis-server
# (data and socket under ./.switchboard/redis, AOF on), starts SWITCHBOARD_WORKERS workers
# (default 3; logs in ./.switchboard/logs), each with its gateway (docs/gateway.md), waits
# until each is ready, prints a link to the demo workspace's team view, then runs
# `switchboard demo` (arguments go to it): a demo workspace and its live view. It writes
# ./.switchboard/env for the README tour. Ctrl-C (or SIGTERM, or closing the terminal) stops
# the demo, then the workers, then the private Redis.
#   SWITCHBOARD_DEMO=0       workers only, until Ctrl-C
#   SWITCHBOARD_HTTP_PORT    the first worker's HTTP port (default 9464; the next ones follow)
#   SWITCHBOARD_GATEWAY_PORT the first worker's gateway port (default 8080; the next ones follow)
#   SWITCHBOARD_BUILD=debug  build and run the debug build instead (faster to build)
#   SWITCHBOARD_BIN=PATH     run this switchboard executable; build nothing
#   SWITCHBOARD_DIR=PATH     where the private Redis, the logs and env go (default ./.switchboard)
#   SWITCHBOARD_DEMO_CLUSTER=1  a private Redis Cluster of 3 primaries instead of the single
#                            Redis (under ./.switchboard/cluster; started afresh, nothing kept)
set -euo pipefail
# A reader of our output may go away at any moment (`| tee`, `| head`): a write must fail,
# not kill the script before its stop path has run. Every message goes through `say`.
trap '' PIPE
cd "$(dirname "$0")/.."
. scripts/lib/prerequisites.sh

ensure_debian_packages
if [ -n "${SWITCHBOARD_BIN:-}" ]; then
  switchboard=$(cd "$(dirname "$SWITCHBOARD_BIN")" && pwd)/$(basename "$SWITCHBOARD_BIN")
  [ -x "$switchboard" ] || { echo "switchboard: SWITCHBOARD_BIN=$SWITCHBOARD_BIN is not an executable file" >&2; exit 1; }
else
  ensure_swift
  build=${SWITCHBOARD_BUILD:-release}
  case $build in
    release|debug) ;;
    *) echo "switchboard: SWITCHBOARD_BUILD must be release or debug, not '$build'" >&2; exit 1 ;;
  esac
  swift build -c "$build" --product switchboard
  switchboard="$(swift build -c "$build" --show-bin-path)/switchboard"
fi

state=${SWITCHBOARD_DIR:-$PWD/.switchboard}
mkdir -p "$state"
state=$(cd "$state" && pwd)
data="$state/redis"
logs="$state/logs"
workspace=${SWITCHBOARD_WORKSPACE:-demo}
# The gateway's token key: made once, kept for the next runs (so an open team view's token
# stays valid across a restart), readable by this user only. 32 random bytes as 64 hex
# characters, the key being those characters (docs/gateway.md).
gateway_secret="$state/gateway-secret"
if [ ! -s "$gateway_secret" ]; then
  ( umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$gateway_secret" && echo >>"$gateway_secret" )
fi
chmod 600 "$gateway_secret"

# Stopping must work whatever became of the output and the terminal: a pipe whose reader is
# gone (`| tee` killed by the same Ctrl-C), a closed terminal. So the stop path ignores
# SIGPIPE and SIGHUP, every message it writes may fail, and nothing in it stops on an error.
say() { echo "switchboard: $*" >&2 2>/dev/null || true; }

# Sends SIGTERM to the processes and waits until they are gone (SIGKILL after 15 s).
terminate() {
  kill -TERM "$@" 2>/dev/null
  local pid tries
  for tries in $(seq 1 300); do
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && break; pid=""; done
    [ -z "$pid" ] && break
    sleep 0.05
  done
  kill -KILL "$@" 2>/dev/null
  wait "$@" 2>/dev/null
}

demo=""
workers=()
stop_all() {
  trap '' PIPE HUP INT TERM
  trap - EXIT
  set +e
  if [ -n "$demo" ]; then
    # A Ctrl-C reaches the demo too: let it end on its own (its last view) before SIGTERM.
    local tries
    for tries in $(seq 1 20); do kill -0 "$demo" 2>/dev/null || break; sleep 0.05; done
    terminate "$demo"
  fi
  if [ ${#workers[@]} -gt 0 ]; then
    say "stopping the workers"
    terminate "${workers[@]}"
  fi
  if [ -n "${REDIS_PIDFILE:-}" ]; then
    say "stopping the private Redis"
    stop_private_redis
  fi
  if [ ${#PRIVATE_TOPOLOGY_PIDFILES[@]} -gt 0 ]; then
    say "stopping the private Redis Cluster"
    stop_private_topologies
  fi
}
trap stop_all EXIT
trap 'stop_all; exit 130' INT
trap 'stop_all; exit 143' TERM
trap 'stop_all; exit 129' HUP

# Whether GET $2 (default /readyz) on 127.0.0.1:$1 answers 200 (curl if present, else
# bash's /dev/tcp).
worker_ready() {
  local path=${2:-/readyz}
  if command -v curl >/dev/null 2>&1; then
    curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$1$path"
  else
    ( exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3 \
        && read -r -t 2 _ status _ <&3 && [ "$status" = 200 ] ) 2>/dev/null
  fi
}

private_url="unix://$data/redis.sock"
cluster="$state/cluster"
demo_cluster=${SWITCHBOARD_DEMO_CLUSTER:-0}
case $demo_cluster in
  0|1) ;;
  *) echo "switchboard: SWITCHBOARD_DEMO_CLUSTER must be 1 (a private Redis Cluster) or 0, not '$demo_cluster'" >&2; exit 1 ;;
esac
# The README tour exports the private Redis's URL; running this again from such a shell means
# the private Redis (or the private cluster, whose last URL is in $cluster/url), not someone else's.
if [ "$demo_cluster" = 1 ]; then
  if [ -n "${REDIS_URL:-}" ] && [ "$REDIS_URL" != "$(cat "$cluster/url" 2>/dev/null)" ]; then
    echo "switchboard: SWITCHBOARD_DEMO_CLUSTER=1 starts a private Redis Cluster, but REDIS_URL names another Redis;" \
         "unset REDIS_URL, or unset SWITCHBOARD_DEMO_CLUSTER to use that Redis" >&2
    exit 1
  fi
  # A cluster node keeps its peers' ports in nodes.conf, and the ports are new each time.
  rm -rf "$cluster"
  mkdir -p "$cluster"
  start_private_cluster "$cluster" 0
  export REDIS_URL=$CLUSTER_URL
  echo "$REDIS_URL" >"$cluster/url"
  seed=${CLUSTER_URL#redis://}
  seed_port=${seed%%,*}
  seed_port=${seed_port#*:}
  cli_socket=""
  # -c: redis-cli follows MOVED to the primary that holds the key.
  redis_cli="redis-cli -c -p $seed_port"
  say "started a private Redis Cluster of 3 primaries at $REDIS_URL (nodes in $cluster; nothing is kept after Ctrl-C)"
  env_redis="export REDIS_URL='$REDIS_URL'"
elif [ -z "${REDIS_URL:-}" ] || [ "$REDIS_URL" = "$private_url" ]; then
  mkdir -p "$data"
  start_private_redis "$data" --appendonly yes --appendfsync everysec
  export REDIS_URL=$private_url
  cli_socket=$REDIS_SOCKET
  cli_db=0
  redis_cli="redis-cli -s ${REDIS_SOCKET#"$PWD"/}"
  say "started a private Redis at $REDIS_URL (data in $data)"
  env_redis="export REDIS_URL='$REDIS_URL'"
else
  # Before anything is written: say which Redis this is (never with its password).
  shown=$(printf '%s' "$REDIS_URL" | sed -E 's#^([a-z]+://[^:@/]*):.*@#\1:***@#')
  say "using the Redis in REDIS_URL: $shown (unset REDIS_URL to run a private one instead)"
  [ "${SWITCHBOARD_DEMO:-1}" = 0 ] || say "the demo writes workspace '$workspace' there; SWITCHBOARD_DEMO=0 runs the workers only"
  # The view's hint never shows a URL with a password: it names the variable instead.
  cli_socket=""
  case $REDIS_URL in
    unix://*@*) redis_cli='redis-cli -u "$REDIS_URL"' ;;  # unix:// with credentials: see the README
    unix://*)
      cli_socket=${REDIS_URL#unix://}
      cli_db=0
      case $cli_socket in *\?db=*) cli_db=${cli_socket##*\?db=}; cli_db=${cli_db%%&*} ;; esac
      cli_socket=${cli_socket%%\?*}
      redis_cli="redis-cli -s $cli_socket -n $cli_db" ;;
    *) redis_cli='redis-cli -u "$REDIS_URL"' ;;
  esac
  env_redis="# REDIS_URL is your own: it is not written here"
fi

"$switchboard" ping

# What the README tour's terminals source: this Redis, redis-cli for it, and this switchboard.
if [ -n "$cli_socket" ]; then
  socket=$(cd "$(dirname "$cli_socket")" && pwd)/$(basename "$cli_socket")
  env_cli="rcli() { redis-cli -s '$socket' -n $cli_db \"\$@\"; }"
elif [ "$demo_cluster" = 1 ]; then
  env_cli="rcli() { $redis_cli \"\$@\"; }"
else
  env_cli="rcli() { redis-cli -u \"\$REDIS_URL\" \"\$@\"; }"
fi
cat >"$state/env" <<EOF
# Written by scripts/run.sh for the README tour: . .switchboard/env
$env_redis
$env_cli
export PATH='$(dirname "$switchboard")':"\$PATH"
export SWITCHBOARD_GATEWAY_SECRET_FILE='$gateway_secret'
EOF

mkdir -p "$logs"
first_port=${SWITCHBOARD_HTTP_PORT:-9464}
first_gateway=${SWITCHBOARD_GATEWAY_PORT:-8080}
count=${SWITCHBOARD_WORKERS:-3}
# Workers get a session of their own: Ctrl-C and a closed terminal reach this script and
# the demo only, and the workers stop after the demo, on SIGTERM from stop_all.
setsid=""
command -v setsid >/dev/null 2>&1 && setsid="setsid"
for i in $(seq 1 "$count"); do
  # Every worker runs a gateway, as in production (any worker serves any workspace); the
  # link below opens the first one's.
  $setsid "$switchboard" worker --name "worker-$i" --http "127.0.0.1:$((first_port + i - 1))" \
    --gateway "127.0.0.1:$((first_gateway + i - 1))" --gateway-secret-file "$gateway_secret" \
    >"$logs/worker-$i.log" 2>&1 </dev/null &
  workers+=($!)
done

endpoints=()
gateways=()
for i in $(seq 1 "$count"); do
  port=$((first_port + i - 1))
  gateway=$((first_gateway + i - 1))
  # Ready, and its gateway serving the team view.
  for attempt in $(seq 1 300); do
    worker_ready "$port" && worker_ready "$gateway" /app/ && break
    if ! kill -0 "${workers[$((i - 1))]}" 2>/dev/null || [ "$attempt" -eq 300 ]; then
      say "worker-$i did not become ready (http://127.0.0.1:$port/readyz, gateway http://127.0.0.1:$gateway/app/); the end of $logs/worker-$i.log:"
      tail -n 20 "$logs/worker-$i.log" >&2
      say "(port taken? SWITCHBOARD_HTTP_PORT=<port> SWITCHBOARD_GATEWAY_PORT=<port> ./scripts/run.sh uses other ports)"
      exit 1
    fi
    sleep 0.1
  done
  endpoints+=("http://127.0.0.1:$port")
  gateways+=("http://127.0.0.1:$gateway")
done

say "$count workers ready; logs in $logs/worker-{1..$count}.log"
# The workspace's intake stream: sb:intake, or its shard with SWITCHBOARD_INTAKE_SHARDS > 1.
intake=$("$switchboard" intake-key --workspace "$workspace" 2>/dev/null) || intake="${SWITCHBOARD_PREFIX:-sb}:intake"
say "worker HTTP endpoints (/healthz /readyz /metrics): ${endpoints[*]}"
say "worker gateways (docs/gateway.md): ${gateways[*]}"
# The demo's supervisor (its first agent): the team view shows the override and assign controls.
supervisor=ana
token=$("$switchboard" token --workspace "$workspace" --agent "$supervisor" --role supervisor --ttl 12h --secret-file "$gateway_secret")
team_view="${gateways[0]}/app/#token=$token"
say "team view of workspace $workspace, as its supervisor $supervisor (valid 12 h): $team_view"
if [ "${SWITCHBOARD_DEMO:-1}" = 0 ]; then
  say "try: $switchboard agent login 42 --workspace $workspace --session tab1 --wait"
  say "Ctrl-C stops everything"
  wait
else
  ports="port $first_port"
  [ "$count" -gt 1 ] && ports="ports $first_port-$((first_port + count - 1))"
  # In the background, waited for: a signal to this script runs its trap at once, even while
  # the demo runs (bash defers traps until a foreground command ends).
  "$switchboard" demo \
    --note "logs: ${logs#"$PWD"/}/  ·  workers' /metrics /readyz /healthz: 127.0.0.1 $ports" \
    --note "team view in a browser: $team_view" \
    --note "try: $redis_cli XADD $intake '*' op agent.status workspace $workspace agent ana status dnd" \
    "$@" &
  demo=$!
  status=0
  wait "$demo" || status=$?
  demo=""
  exit "$status"
fi
