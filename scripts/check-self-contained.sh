#!/usr/bin/env bash
# Fails when a tracked file reaches outside the repository: people clone this repository
# alone, so no code, test, script or doc may read or cite a file beside or above it.
# Run first by scripts/test.sh; `.ci/run` also runs the tests in a lone clone, which
# catches the reads this text search cannot see.
#
# It flags (1) names of things that live outside the repository (a `shared` folder beside
# it, a design document that is not in it) and (2) parent-relative paths (`../x`) that climb
# above the repository from the folder of the file that contains them.
# Usage: scripts/check-self-contained.sh [REPO_ROOT]   (default: this script's repository)
set -euo pipefail
root=$(cd "${1:-$(dirname "$0")/..}" && pwd)
cd "$root"
self=scripts/check-self-contained.sh

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  files=$(git ls-files)
else
  files=$(find . -type f -not -path './.git/*' -not -path './.build/*' | sed 's|^\./||')
fi

mapfile -t tracked < <(grep -vxF "$self" <<<"$files")
problems=0
report() { echo "$1" >&2; problems=$((problems + 1)); }

# (1) Names that only make sense with something outside the repository. Kept in pieces so
# that this script does not flag itself.
outside_names='\.\./'"shared|shared/"'schemas|DESIGN'"\.md"
while IFS= read -r hit; do
  report "$(cut -c1-160 <<<"$hit") — refers to something outside this repository; put what it needs inside the repository (or use a tool that ships it) and drop the reference."
done < <(grep -nIE "$outside_names" -- "${tracked[@]}" 2>/dev/null || true)

# (2) Parent-relative paths that climb above the repository from the folder of their file.
while IFS= read -r hit; do
  report "$hit"
done < <(grep -noIE '(\.\./)+[A-Za-z0-9_.-][A-Za-z0-9_./-]*' -- "${tracked[@]}" 2>/dev/null | awk -F: '{
  file = $1; line = $2; path = substr($0, length(file) + length(line) + 3)
  depth = split(file, parts, "/") - 1
  ups = gsub(/\.\.\//, "../", path)
  if (ups > depth) {
    folder = depth ? substr(file, 1, length(file) - length(parts[depth + 1]) - 1) : "."
    printf "%s:%s: %s climbs above the repository (from %s/): read files inside the repository or in a temporary folder instead.\n", file, line, path, folder
  }
}' || true)

if [ "$problems" -gt 0 ]; then
  echo "switchboard: $problems reference(s) outside the repository (listed above); the repository must stand alone." >&2
  exit 1
fi
echo "switchboard: self-contained: no tracked file refers outside the repository" >&2
