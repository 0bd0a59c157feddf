#!/usr/bin/env bash
# Runs the whole Switchboard test suite on a fresh Debian 12 machine: checks that no tracked
# file refers outside the repository (scripts/check-self-contained.sh), installs what is
# missing, lints the Lua function library (scripts/lint-lua.sh), starts a throwaway
# redis-server on a private socket and port in a temporary folder (never 6379), runs
# `swift test`, and stops Redis even when the tests fail.
# Arguments are passed to `swift test` (e.g. --filter RedisTests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/check-self-contained.sh
. scripts/lib/prerequisites.sh

ensure_debian_packages
ensure_lua_lint
ensure_python_redis
ensure_swift

# The Lua first: a syntax error fails here, with its file and line, before any Redis sees it.
scripts/lint-lua.sh
# The benchmark's yardsticks are plain scripts (EVALSHA), not part of the library: syntax only.
for yardstick in Sources/SwitchboardBench/Yardsticks/*.lua; do luac5.1 -p "$yardstick"; done

work=$(mktemp -d -t switchboard-test.XXXXXX)
cleanup() { stop_private_redis; rm -rf "$work"; }
trap cleanup EXIT INT TERM

start_private_redis "$work" --save "" --appendonly no
export SWITCHBOARD_TEST_REDIS_URL="unix://$REDIS_SOCKET"
export SWITCHBOARD_TEST_REDIS_TCP_URL="redis://127.0.0.1:$REDIS_PORT"
echo "switchboard: test Redis at $SWITCHBOARD_TEST_REDIS_URL and $SWITCHBOARD_TEST_REDIS_TCP_URL" >&2

swift test "$@"
