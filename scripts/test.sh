#!/usr/bin/env bash
# Runs the whole Switchboard test suite on a fresh Debian 12 machine: checks that no tracked
# file refers outside the repository (scripts/check-self-contained.sh), installs what is
# missing, lints the Lua function library (scripts/lint-lua.sh), starts a throwaway
# redis-server on a private socket and port in a temporary folder (never 6379), runs
# plus a Redis Cluster and a Sentinel group on private ports, and TLS-only servers with
# certificates it makes (scripts/lib/tls.sh), runs `swift test`, and stops them all even when
# the tests fail.
# Arguments are passed to `swift test` (e.g. --filter RedisTests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/check-self-contained.sh
. scripts/lib/prerequisites.sh
. scripts/lib/tls.sh

ensure_debian_packages
ensure_lua_lint
ensure_python_redis
ensure_browser
ensure_node
ensure_swift

# The Lua first: a syntax error fails here, with its file and line, before any Redis sees it.
scripts/lint-lua.sh
# The benchmark's yardsticks are plain scripts (EVALSHA), not part of the library: syntax only.
for yardstick in Sources/SwitchboardBench/Yardsticks/*.lua; do luac5.1 -p "$yardstick"; done

work=$(mktemp -d -t switchboard-test.XXXXXX)
cleanup() { stop_private_redis; stop_private_topologies; rm -rf "$work"; }
trap cleanup EXIT INT TERM

start_private_redis "$work" --save "" --appendonly no
export SWITCHBOARD_TEST_REDIS_URL="unix://$REDIS_SOCKET"
export SWITCHBOARD_TEST_REDIS_TCP_URL="redis://127.0.0.1:$REDIS_PORT"
echo "switchboard: test Redis at $SWITCHBOARD_TEST_REDIS_URL and $SWITCHBOARD_TEST_REDIS_TCP_URL" >&2
# The shared Redis Cluster (3 primaries, 3 replicas) and Sentinel group (a primary, a replica,
# three sentinels); tests that kill nodes or move slots start their own.
start_private_cluster "$work"
start_private_sentinels "$work"
export SWITCHBOARD_TEST_CLUSTER_URL="$CLUSTER_URL" SWITCHBOARD_TEST_SENTINEL_URL="$SENTINEL_URL"
echo "switchboard: test cluster at $SWITCHBOARD_TEST_CLUSTER_URL, sentinels at $SWITCHBOARD_TEST_SENTINEL_URL" >&2
# TLS-only servers (scripts/lib/tls.sh): certificates made here with openssl, a standalone
# server, one that demands client certificates, a 3-primary cluster and a Sentinel group.
start_private_tls_servers "$work"
export SWITCHBOARD_TEST_TLS_DIR="$TLS_DIR" SWITCHBOARD_TEST_TLS_URL="$TLS_URL" SWITCHBOARD_TEST_TLS_CLIENT_AUTH_URL="$TLS_CLIENT_AUTH_URL" \
  SWITCHBOARD_TEST_TLS_CLUSTER_URL="$TLS_CLUSTER_URL" SWITCHBOARD_TEST_TLS_SENTINEL_URL="$TLS_SENTINEL_URL"
echo "switchboard: TLS test servers at $TLS_URL, $TLS_CLIENT_AUTH_URL (client certificates), $TLS_CLUSTER_URL, $TLS_SENTINEL_URL; certificates in $TLS_DIR" >&2

swift test "$@"
