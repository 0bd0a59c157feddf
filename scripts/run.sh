#!/usr/bin/env bash
# Runs Switchboard on a fresh Debian 12 machine: installs what is missing, builds in release
# mode, uses the Redis in REDIS_URL or, when none is given, starts a private redis-server
# (data and socket under ./.switchboard/redis, AOF on), starts SWITCHBOARD_WORKERS workers
# (default 3; logs in ./.switchboard/logs), waits until each is ready, then runs
# `switchboard demo` in the foreground (arguments go to it): a demo workspace and its live
# view. Ctrl-C stops the demo, then the workers, then the private Redis.
#   SWITCHBOARD_DEMO=0       workers only, until Ctrl-C
#   SWITCHBOARD_HTTP_PORT    the first worker's HTTP port (default 9464; the next ones follow)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/prerequisites.sh

ensure_debian_packages
ensure_swift

swift build -c release --product switchboard
switchboard="$(swift build -c release --show-bin-path)/switchboard"

workers=()
stop_all() {
  trap - EXIT INT TERM HUP
  if [ ${#workers[@]} -gt 0 ]; then
    echo "switchboard: stopping the workers" >&2
    kill -TERM "${workers[@]}" 2>/dev/null || true
    wait "${workers[@]}" 2>/dev/null || true
  fi
  stop_private_redis
}
trap stop_all EXIT
# The demo, in the foreground, gets Ctrl-C itself and exits; bash runs this trap after it.
trap 'stop_all; exit 0' INT TERM HUP

# Whether GET /readyz on 127.0.0.1:$1 answers 200 (curl if present, else bash's /dev/tcp).
worker_ready() {
  if command -v curl >/dev/null 2>&1; then
    curl -fs -o /dev/null --max-time 2 "http://127.0.0.1:$1/readyz"
  else
    ( exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET /readyz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3 \
        && read -r -t 2 _ status _ <&3 && [ "$status" = 200 ] ) 2>/dev/null
  fi
}

if [ -z "${REDIS_URL:-}" ]; then
  data="$PWD/.switchboard/redis"
  mkdir -p "$data"
  start_private_redis "$data" --appendonly yes --appendfsync everysec
  export REDIS_URL="unix://$REDIS_SOCKET"
  redis_cli="redis-cli -s .switchboard/redis/redis.sock"
  echo "switchboard: started a private Redis at $REDIS_URL (data in $data)" >&2
else
  # Never echo a URL with a password into the view.
  case "$REDIS_URL" in redis://*@*|unix://*) redis_cli="redis-cli" ;; redis://*) redis_cli="redis-cli -u $REDIS_URL" ;; *) redis_cli="redis-cli" ;; esac
fi

"$switchboard" ping

logs="$PWD/.switchboard/logs"
mkdir -p "$logs"
first_port=${SWITCHBOARD_HTTP_PORT:-9464}
count=${SWITCHBOARD_WORKERS:-3}
# Workers get a session of their own: Ctrl-C reaches the demo only, and the workers stop
# after it, on SIGTERM from stop_all.
setsid=""
command -v setsid >/dev/null 2>&1 && setsid="setsid"
for i in $(seq 1 "$count"); do
  $setsid "$switchboard" worker --name "worker-$i" --http "127.0.0.1:$((first_port + i - 1))" >"$logs/worker-$i.log" 2>&1 &
  workers+=($!)
done

endpoints=()
for i in $(seq 1 "$count"); do
  port=$((first_port + i - 1))
  for attempt in $(seq 1 300); do
    worker_ready "$port" && break
    if ! kill -0 "${workers[$((i - 1))]}" 2>/dev/null || [ "$attempt" -eq 300 ]; then
      echo "switchboard: worker-$i did not become ready (http://127.0.0.1:$port/readyz); the end of $logs/worker-$i.log:" >&2
      tail -n 20 "$logs/worker-$i.log" >&2
      echo "switchboard: (port taken? SWITCHBOARD_HTTP_PORT=<port> ./scripts/run.sh uses other ports)" >&2
      exit 1
    fi
    sleep 0.1
  done
  endpoints+=("http://127.0.0.1:$port")
done

echo "switchboard: $count workers ready; logs in $logs/worker-{1..$count}.log" >&2
echo "switchboard: worker HTTP endpoints (/healthz /readyz /metrics): ${endpoints[*]}" >&2
workspace=${SWITCHBOARD_WORKSPACE:-demo}
intake="${SWITCHBOARD_PREFIX:-sb}:intake"
if [ "${SWITCHBOARD_DEMO:-1}" = 0 ]; then
  echo "switchboard: try: $switchboard agent login 42 --workspace $workspace --session tab1 --wait" >&2
  echo "switchboard: Ctrl-C stops everything" >&2
  wait
else
  ports="port $first_port"
  [ "$count" -gt 1 ] && ports="ports $first_port-$((first_port + count - 1))"
  "$switchboard" demo \
    --note "logs: .switchboard/logs/  ·  workers' /metrics /readyz /healthz: 127.0.0.1 $ports" \
    --note "try: $redis_cli XADD $intake '*' op agent.status workspace $workspace agent ana status dnd" \
    "$@"
fi
