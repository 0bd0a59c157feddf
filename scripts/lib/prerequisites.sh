# Shared by scripts/run.sh and scripts/test.sh: make sure a fresh Debian 12 machine has
# what Switchboard needs (hiredis, OpenSSL's libcrypto, redis-server, redis-tools, a Swift 6 toolchain; for the
# tests also the Lua lint's lua5.1 and lua-check).

# Installs the Debian packages that are missing (apt-get update first, as on a fresh machine).
ensure_debian_packages() {
  local missing=()
  dpkg -s libhiredis-dev >/dev/null 2>&1 || missing+=(libhiredis-dev)
  dpkg -s libssl-dev >/dev/null 2>&1 || missing+=(libssl-dev)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "switchboard: installing ${missing[*]}" >&2
  apt_install "${missing[@]}"
}

# The Lua lint of the test command (scripts/lint-lua.sh): Lua 5.1's compiler (Redis runs Lua
# 5.1) and luacheck, both from Debian.
ensure_lua_lint() {
  local missing=()
  command -v luac5.1 >/dev/null 2>&1 || missing+=(lua5.1)
  command -v luacheck >/dev/null 2>&1 || missing+=(lua-check)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "switchboard: installing ${missing[*]} for the Lua lint" >&2
  apt_install "${missing[@]}"
}

# Finds the Swift toolchain (on PATH, or the usual /opt/swift and /usr/share/swift places).
ensure_swift() {
  if ! command -v swift >/dev/null 2>&1; then
    local dir
    for dir in /opt/swift/usr/bin /usr/share/swift/usr/bin /usr/local/swift/usr/bin; do
      [ -x "$dir/swift" ] && export PATH="$dir:$PATH" && break
    done
  fi
  if ! command -v swift >/dev/null 2>&1; then
    echo "switchboard: no Swift toolchain found. Install Swift 6 for Debian 12 from swift.org" \
         "(unpack it under /opt/swift) and run this again." >&2
    exit 1
  fi
}

# Starts a throwaway redis-server in folder $1 on a Unix socket and a free 127.0.0.1 port.
# Sets REDIS_SOCKET, REDIS_PORT and REDIS_PIDFILE. Extra arguments go to redis-server.
start_private_redis() {
  local dir=$1; shift
  REDIS_SOCKET="$dir/redis.sock"
  REDIS_PIDFILE="$dir/redis.pid"
  local attempt
  for attempt in 1 2 3 4 5 6 7 8; do
    REDIS_PORT=$(( 20000 + RANDOM % 40000 ))
    if redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --unixsocket "$REDIS_SOCKET" --unixsocketperm 700 \
         --dir "$dir" --daemonize yes --pidfile "$REDIS_PIDFILE" --logfile "$dir/redis.log" "$@"; then
      local tries reply
      for tries in $(seq 1 100); do
        # Ready means PONG: a server loading its AOF or RDB answers LOADING, and refuses work.
        reply=$(redis-cli -s "$REDIS_SOCKET" ping 2>/dev/null) || reply=""
        [ "$reply" = PONG ] && return 0
        case $reply in LOADING*) wait_while_loading && return 0 || break ;; esac
        [ -f "$REDIS_PIDFILE" ] || [ "$tries" -lt 20 ] || break
        sleep 0.05
      done
    fi
    stop_private_redis
  done
  echo "switchboard: could not start redis-server; its log:" >&2
  tail -n 20 "$dir/redis.log" >&2 || true
  exit 1
}

# Waits until the server started by start_private_redis has loaded its data (a large AOF
# takes a while: no time limit while it is alive) and answers PONG; fails if it exits.
wait_while_loading() {
  echo "switchboard: Redis is loading its data ($REDIS_SOCKET); waiting" >&2
  local pid
  pid=$(cat "$REDIS_PIDFILE" 2>/dev/null) || return 1
  while kill -0 "$pid" 2>/dev/null; do
    [ "$(redis-cli -s "$REDIS_SOCKET" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  return 1
}

# Stops the server started by start_private_redis, waiting until it has exited.
stop_private_redis() {
  [ -n "${REDIS_PIDFILE:-}" ] && [ -f "$REDIS_PIDFILE" ] || return 0
  local pid
  pid=$(cat "$REDIS_PIDFILE" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

# The end-to-end tests drive Switchboard from Python too (redis-py), as integrators do, parse
# /metrics with the Prometheus client's own parser, validate the deploy files (PyYAML;
# check-jsonschema, which ships the official Compose schema as vendor.compose-spec), speak to
# the gateway with an independent WebSocket library (websockets) and drive a real browser
# (selenium, with Debian's chromium and chromium-driver: ensure_browser).
PYTHON_TEST_MODULES=(redis prometheus_client yaml check_jsonschema websockets selenium)
PYTHON_TEST_PACKAGES=(redis prometheus_client PyYAML check-jsonschema websockets selenium)
ensure_python_redis() {
  command -v python3 >/dev/null 2>&1 || { apt_install python3; }
  local module missing=0
  for module in "${PYTHON_TEST_MODULES[@]}"; do
    python3 -c "import $module" 2>/dev/null || missing=1
  done
  [ "$missing" -eq 0 ] && return 0
  echo "switchboard: installing ${PYTHON_TEST_PACKAGES[*]} for the cross-language tests" >&2
  # Debian 12 packages no check-jsonschema: pip brings it (and the rest) from PyPI.
  python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
  python3 -m pip install --quiet --disable-pip-version-check "${PYTHON_TEST_PACKAGES[@]}" 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "${PYTHON_TEST_PACKAGES[@]}"
}

# The team view's browser tests: Debian's headless Chromium and its WebDriver (chromedriver).
ensure_browser() {
  local missing=()
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "switchboard: installing ${missing[*]} for the browser tests" >&2
  apt_install "${missing[@]}"
}

# docs/gateway.md's Node example of minting a token is run by the tests: Debian's nodejs.
ensure_node() {
  command -v node >/dev/null 2>&1 && return 0
  echo "switchboard: installing nodejs for the docs' token example" >&2
  apt_install nodejs
}

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# Every redis-server (node or sentinel) started below, for stop_private_topologies.
PRIVATE_TOPOLOGY_PIDFILES=()

# Starts one redis-server in $1 on a port free with the one 10000 above it (a cluster node's
# bus), with further options; records its pid file and sets NODE_PORT. Another process may
# take the port between the check and the bind: then it tries another.
start_node() {
  local dir=$1; shift
  mkdir -p "$dir"
  local attempt tries
  for attempt in 1 2 3 4 5 6 7 8; do
    NODE_PORT=$(free_port_pair)
    rm -f "$dir/redis.pid"
    # shellcheck disable=SC2046
    redis-server $(node_listen_options) --bind 127.0.0.1 --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" \
      --logfile "$dir/redis.log" --save "" --appendonly no "$@" || continue
    for tries in $(seq 1 100); do
      if [ "$(node_ping "$NODE_PORT" 2>/dev/null)" = PONG ] && [ -f "$dir/redis.pid" ]; then
        PRIVATE_TOPOLOGY_PIDFILES+=("$dir/redis.pid")
        return 0
      fi
      sleep 0.05
    done
    [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null
  done
  echo "switchboard: redis-server in $dir did not start; its log:" >&2
  tail -n 20 "$dir/redis.log" >&2 || true
  return 1
}

# How start_node's node listens and is pinged: plain TCP, or TLS only when NODE_TLS is set
# (scripts/lib/tls.sh's start_tls_node).
node_listen_options() {
  if [ -n "${NODE_TLS:-}" ]; then tls_server_options "${TLS_CERTIFICATE:-server}" "${TLS_AUTH_CLIENTS:-no}"; else echo --port "$NODE_PORT"; fi
}
node_ping() {
  if [ -n "${NODE_TLS:-}" ]; then tls_cli "$1" ping; else redis-cli -p "$1" ping; fi
}

# A port below 55535 free together with the port 10000 above it (a cluster node's bus).
free_port_pair() {
  local port
  while :; do
    port=$(( 21000 + RANDOM % 30000 ))
    redis-cli -p "$port" ping >/dev/null 2>&1 && continue
    redis-cli -p $(( port + 10000 )) ping >/dev/null 2>&1 && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
    (exec 3<>"/dev/tcp/127.0.0.1/$(( port + 10000 ))") 2>/dev/null && continue
    echo "$port"; return 0
  done
}

# Starts a Redis Cluster of 3 primaries under $1, with $2 replicas each (default 1), and sets
# CLUSTER_URL to its seeds.
start_private_cluster() {
  local dir=$1 replicas=${2:-1} index ports=()
  for index in $(seq 0 $(( 3 * (1 + replicas) - 1 ))); do
    start_node "$dir/cluster-$index" --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout 1500 --cluster-replica-validity-factor 0
    ports+=("127.0.0.1:$NODE_PORT")
  done
  redis-cli --cluster create "${ports[@]}" --cluster-replicas "$replicas" --cluster-yes >"$dir/cluster-create.log" 2>&1 \
    || { cat "$dir/cluster-create.log" >&2; return 1; }
  local tries node healthy
  for tries in $(seq 1 300); do
    healthy=1
    for node in "${ports[@]}"; do
      redis-cli -p "${node#*:}" cluster info 2>/dev/null | grep -q cluster_state:ok || healthy=0
    done
    [ "$healthy" = 1 ] && break
    sleep 0.1
  done
  [ "$healthy" = 1 ] || { echo "switchboard: the private Redis Cluster did not become healthy (logs: $dir/cluster-*/redis.log)" >&2; return 1; }
  CLUSTER_URL="redis://$(IFS=,; echo "${ports[*]}")"
}

# Starts a primary, a replica and three sentinels (master name "switchboard") under $1 and
# sets SENTINEL_URL.
start_private_sentinels() {
  local dir=$1 primary replica index port sentinels=()
  start_node "$dir/primary"; primary=$NODE_PORT
  start_node "$dir/replica" --replicaof 127.0.0.1 "$primary"; replica=$NODE_PORT
  for index in 0 1 2; do
    port=$(free_port_pair)
    mkdir -p "$dir/sentinel-$index"
    cat >"$dir/sentinel-$index/sentinel.conf" <<CONF
port $port
bind 127.0.0.1
dir $dir/sentinel-$index
daemonize yes
pidfile $dir/sentinel-$index/redis.pid
logfile $dir/sentinel-$index/redis.log
sentinel monitor switchboard 127.0.0.1 $primary 2
sentinel down-after-milliseconds switchboard 1000
sentinel failover-timeout switchboard 5000
CONF
    redis-server "$dir/sentinel-$index/sentinel.conf" --sentinel
    PRIVATE_TOPOLOGY_PIDFILES+=("$dir/sentinel-$index/redis.pid")
    sentinels+=("127.0.0.1:$port")
  done
  SENTINEL_URL="redis-sentinel://$(IFS=,; echo "${sentinels[*]}")/switchboard"
  local tries
  for tries in $(seq 1 200); do
    redis-cli -p "$replica" info replication 2>/dev/null | grep -q master_link_status:up \
      && [ "$(redis-cli -p "${sentinels[2]#*:}" sentinel master switchboard 2>/dev/null | grep -A1 -x num-slaves | tail -n 1)" = 1 ] \
      && return 0
    sleep 0.1
  done
  echo "switchboard: the test Sentinel group did not come up" >&2
  return 1
}

# Stops every node and sentinel started above, waiting until each has exited.
stop_private_topologies() {
  local pidfile pid
  for pidfile in "${PRIVATE_TOPOLOGY_PIDFILES[@]}"; do
    pid=$(cat "$pidfile" 2>/dev/null) || continue
    kill "$pid" 2>/dev/null || true
  done
  for pidfile in "${PRIVATE_TOPOLOGY_PIDFILES[@]}"; do
    pid=$(cat "$pidfile" 2>/dev/null) || continue
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  done
}
