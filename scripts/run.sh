#!/usr/bin/env bash
# Runs Switchboard on a fresh Debian 12 machine: installs what is missing, builds in release
# mode, and uses the Redis in REDIS_URL or, when none is given, starts a private
# redis-server (data and socket under ./.switchboard/redis, AOF on) that it stops on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/prerequisites.sh

ensure_debian_packages
ensure_swift

swift build -c release --product switchboard
switchboard="$(swift build -c release --show-bin-path)/switchboard"

if [ -z "${REDIS_URL:-}" ]; then
  data="$PWD/.switchboard/redis"
  mkdir -p "$data"
  trap stop_private_redis EXIT INT TERM
  start_private_redis "$data" --appendonly yes --appendfsync everysec
  export REDIS_URL="unix://$REDIS_SOCKET"
  echo "switchboard: started a private Redis at $REDIS_URL (data in $data)" >&2
fi

"$switchboard" ping
