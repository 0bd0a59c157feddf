#!/usr/bin/env bash
# Runs Switchboard on a fresh Debian 12 machine: installs what is missing, builds in release
# mode, uses the Redis in REDIS_URL or, when none is given, starts a private redis-server
# (data and socket under ./.switchboard/redis, AOF on), then runs SWITCHBOARD_WORKERS
# workers (default 2) until Ctrl-C, which stops them and the private Redis cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/prerequisites.sh

ensure_debian_packages
ensure_swift

swift build -c release --product switchboard
switchboard="$(swift build -c release --show-bin-path)/switchboard"

workers=()
stop_all() {
  trap - EXIT INT TERM
  [ ${#workers[@]} -gt 0 ] && kill -TERM "${workers[@]}" 2>/dev/null && wait "${workers[@]}" 2>/dev/null
  stop_private_redis
}
trap stop_all EXIT INT TERM

if [ -z "${REDIS_URL:-}" ]; then
  data="$PWD/.switchboard/redis"
  mkdir -p "$data"
  start_private_redis "$data" --appendonly yes --appendfsync everysec
  export REDIS_URL="unix://$REDIS_SOCKET"
  echo "switchboard: started a private Redis at $REDIS_URL (data in $data)" >&2
fi

"$switchboard" ping

for i in $(seq 1 "${SWITCHBOARD_WORKERS:-2}"); do
  "$switchboard" worker --name "worker-$i" --http "127.0.0.1:$((9463 + i))" &
  workers+=($!)
done
echo "switchboard: ${#workers[@]} workers running; try: $switchboard agent login 42 --workspace demo --session tab1 --wait" >&2
echo "switchboard: Ctrl-C stops everything" >&2
wait
