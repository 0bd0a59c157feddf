#!/usr/bin/env bash
# Lints the Lua of the Switchboard function library before any Redis sees it: every .lua
# file alone (`luac5.1 -p`: the syntax of Lua 5.1, Redis's Lua), then the library as the
# worker joins it (the files of library.txt, in its order, under the two header lines):
# `luac5.1 -p` again (Lua 5.1's limits: 200 locals in the main chunk, 60 upvalues a
# function) and `luacheck` (a misspelt name is a global, which Redis refuses at run time).
# Problems are reported as file:line of the .lua file. Run by scripts/test.sh first.
# Usage: scripts/lint-lua.sh [LUA_DIR]   (default: Sources/Switchboard/Lua)
set -euo pipefail
dir=${1:-$(cd "$(dirname "$0")/.." && pwd)/Sources/Switchboard/Lua}
cd "$dir"
for tool in luac5.1 luacheck; do
  command -v "$tool" >/dev/null 2>&1 || {
    echo "switchboard: $tool is missing: run scripts/test.sh, which installs it (apt-get install lua5.1 lua-check)." >&2
    exit 1
  }
done

failed=0
# luac5.1 names the file it was given; drop its program name.
while IFS= read -r file; do
  luac5.1 -p "$file" 2>&1 | sed 's/^luac5\.1: //' >&2 || true
  luac5.1 -p "$file" 2>/dev/null || failed=1
done < <(find . -name '*.lua' | sed 's|^\./||' | sort)
[ "$failed" -eq 0 ] || { echo "switchboard: Lua syntax error (above); fix it before running the tests." >&2; exit 1; }

mapfile -t files < <(grep -v '^#' library.txt | grep .)
for file in $(find . -name '*.lua' | sed 's|^\./||'); do
  # A here-string, not a pipe: under pipefail, grep -q quitting early fails printf (SIGPIPE).
  grep -qxF "$file" <<<"$(printf '%s\n' "${files[@]}")" || { echo "$file: not in library.txt: list it there (the library would leave it out)." >&2; failed=1; }
done
for file in "${files[@]}"; do
  [ -f "$file" ] || { echo "library.txt: $file does not exist." >&2; failed=1; }
done
[ "$failed" -eq 0 ] || exit 1

work=$(mktemp -d -t switchboard-lint.XXXXXX)
trap 'rm -rf "$work"' EXIT
library=$work/library.lua
# The same header as the worker's (SwitchboardLibrary.swift), so line numbers agree.
printf '%s\n' "#!lua name=switchboard_lint" "local LIBRARY = 'switchboard_lint'" > "$library"
map=$work/map
line=3
for file in "${files[@]}"; do
  echo "$line $file" >> "$map"
  cat "$file" >> "$library"
  line=$(( $(wc -l < "$library") + 1 ))
done

# Line N of the library → file:line.
locate() {
  awk -v target="$1" '$1 <= target { start = $1; name = $2 } END { printf "%s:%d", name, target - start + 1 }' "$map"
}
report() {
  local text=$1 n
  while [[ $text =~ (library\.lua|user_function):([0-9]+) ]]; do
    n=${BASH_REMATCH[2]}
    text=${text/${BASH_REMATCH[1]}:$n/$(locate "$n")}
  done
  echo "$text" >&2
}

# luac reads the library from a first line `#!…` as a comment, as Redis does.
if ! output=$(cd "$work" && luac5.1 -p library.lua 2>&1); then
  while IFS= read -r text; do report "${text#luac5.1: }"; done <<<"$output"
  echo "switchboard: the joined Lua library does not compile (above)." >&2
  exit 1
fi
if ! output=$(cd "$work" && luacheck --std lua51 --read-globals redis cjson cmsgpack bit struct \
                 --no-max-line-length --formatter plain --codes library.lua 2>&1); then
  while IFS= read -r text; do report "$text"; done <<<"$output"
  echo "switchboard: luacheck found problems in the Lua library (above)." >&2
  exit 1
fi

# Some errors exist only when Redis runs the library's top level at FUNCTION LOAD (a
# function of standard Lua that Redis does not offer there, a registration mistake): load it
# into a throwaway redis-server on a private socket, never a real one.
if command -v redis-server >/dev/null 2>&1; then
  redis-server --port 0 --unixsocket "$work/redis.sock" --save "" --appendonly no --dir "$work" \
    --daemonize yes --pidfile "$work/redis.pid" --logfile "$work/redis.log" >/dev/null
  for _ in $(seq 1 100); do [ -S "$work/redis.sock" ] && break; sleep 0.05; done
  output=$(redis-cli -s "$work/redis.sock" -x FUNCTION LOAD < "$library" 2>&1 || true)
  redis-cli -s "$work/redis.sock" SHUTDOWN NOSAVE >/dev/null 2>&1 || true
  if [ "$output" != "switchboard_lint" ]; then
    report "$output"
    echo "switchboard: Redis refused to load the Lua library (above)." >&2
    exit 1
  fi
fi
echo "switchboard: Lua library lint passed (${#files[@]} files)" >&2
