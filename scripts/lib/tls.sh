#!/usr/bin/env bash
# TLS for the tests: certificates made with openssl, and TLS-only redis-servers.
# Sourced by scripts/test.sh; run directly (`scripts/lib/tls.sh DIR`) it only makes the
# certificates in DIR (what the tests do when run without the test command).

# Makes, in $1: ca.crt/.key (the test CA), server.crt/.key (DNS:localhost, IP:127.0.0.1),
# client.crt/.key (client authentication), expired.crt/.key (the server's names, valid only
# in 2020), other-name.crt/.key (DNS:redis.example.net only), other-ca.crt/.key (a second CA)
# and stranger.crt/.key (the server's names, signed by the second CA). EC P-256 keys: quick.
make_test_certificates() {
  local dir=$1
  mkdir -p "$dir"
  (
    cd "$dir"
    umask 077
    key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
    ca() {
      key "$1"
      openssl req -x509 -new -key "$1.key" -out "$1.crt" -days 3650 -subj "/CN=$2" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    }
    # signed NAME ISSUER EXTENSIONS: a certificate for NAME signed by the CA ISSUER.
    signed() {
      key "$1"
      openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null
      printf '%s\n' "$3" >"$1.ext"
      openssl x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -out "$1.crt" -days 825 -extfile "$1.ext" 2>/dev/null
    }
    local server_names="subjectAltName=DNS:localhost,IP:127.0.0.1"
    ca ca "Switchboard test CA"
    ca other-ca "Another test CA"
    signed server ca "$server_names"
    signed client ca "extendedKeyUsage=clientAuth"
    signed other-name ca "subjectAltName=DNS:redis.example.net"
    signed stranger other-ca "$server_names"
    # An expired certificate needs a validity wholly in the past: `openssl ca` sets both dates.
    key expired
    openssl req -new -key expired.key -out expired.csr -subj "/CN=expired" 2>/dev/null
    mkdir -p ca-db && : >ca-db/index.txt && echo 1000 >ca-db/serial
    cat >ca-db/ca.cnf <<CONF
[ca]
default_ca = test
[test]
database = $PWD/ca-db/index.txt
new_certs_dir = $PWD/ca-db
serial = $PWD/ca-db/serial
default_md = sha256
policy = any
[any]
commonName = supplied
[names]
$server_names
CONF
    openssl ca -batch -config ca-db/ca.cnf -cert ca.crt -keyfile ca.key -in expired.csr -out expired.crt \
      -startdate 20200101000000Z -enddate 20200102000000Z -extensions names -notext 2>/dev/null
    rm -f ./*.csr ./*.ext ./*.srl
    chmod 644 ./*.crt
  ) || { echo "switchboard: could not make the test certificates in $dir" >&2; return 1; }
}

# The redis-server options of a TLS-only server in the test CA's trust, presenting $1 (a
# certificate made above, default server) and asking clients for certificates if $2 is yes.
tls_server_options() {
  local dir=$TLS_DIR certificate=${1:-server} auth=${2:-no}
  echo --port 0 --tls-port "$NODE_PORT" --tls-cert-file "$dir/$certificate.crt" --tls-key-file "$dir/$certificate.key" \
    --tls-ca-cert-file "$dir/ca.crt" --tls-auth-clients "$auth"
}

# redis-cli against a TLS server of the tests on port $1, with the client certificate.
tls_cli() {
  local port=$1; shift
  redis-cli --tls --cacert "$TLS_DIR/ca.crt" --cert "$TLS_DIR/client.crt" --key "$TLS_DIR/client.key" -p "$port" "$@"
}

# Starts a TLS-only redis-server under $1 with the extra options after it; sets NODE_PORT.
start_tls_node() { NODE_TLS=yes start_node "$@"; }

# Makes the certificates under $1/tls and starts the TLS-only servers of the tests:
# a standalone server (TLS_URL), one that demands client certificates (TLS_CLIENT_AUTH_URL),
# a 3-primary cluster without replicas (TLS_CLUSTER_URL) and a primary, a replica and one
# sentinel (TLS_SENTINEL_URL), every link between them over TLS too.
start_private_tls_servers() {
  local dir=$1 index ports=() primary port
  TLS_DIR="$dir/tls"
  make_test_certificates "$TLS_DIR"
  start_tls_node "$dir/tls-standalone"; TLS_URL="rediss://127.0.0.1:$NODE_PORT"
  TLS_AUTH_CLIENTS=yes start_tls_node "$dir/tls-client-auth"; TLS_CLIENT_AUTH_URL="rediss://127.0.0.1:$NODE_PORT"

  for index in 0 1 2; do
    start_tls_node "$dir/tls-cluster-$index" --cluster-enabled yes --cluster-config-file nodes.conf \
      --cluster-node-timeout 1500 --tls-cluster yes
    ports+=("127.0.0.1:$NODE_PORT")
  done
  tls_cli "${ports[0]#*:}" --cluster create "${ports[@]}" --cluster-replicas 0 --cluster-yes >"$dir/tls-cluster-create.log" 2>&1 \
    || { cat "$dir/tls-cluster-create.log" >&2; return 1; }
  local tries node healthy
  for tries in $(seq 1 300); do
    healthy=1
    for node in "${ports[@]}"; do tls_cli "${node#*:}" cluster info 2>/dev/null | grep -q cluster_state:ok || healthy=0; done
    [ "$healthy" = 1 ] && break
    sleep 0.1
  done
  [ "$healthy" = 1 ] || { echo "switchboard: the TLS Redis Cluster did not become healthy" >&2; return 1; }
  TLS_CLUSTER_URL="rediss://$(IFS=,; echo "${ports[*]}")"

  start_tls_node "$dir/tls-primary"; primary=$NODE_PORT
  start_tls_node "$dir/tls-replica" --tls-replication yes --replicaof 127.0.0.1 "$primary"
  port=$(free_port_pair)
  mkdir -p "$dir/tls-sentinel"
  cat >"$dir/tls-sentinel/sentinel.conf" <<CONF
port 0
tls-port $port
tls-cert-file $TLS_DIR/server.crt
tls-key-file $TLS_DIR/server.key
tls-ca-cert-file $TLS_DIR/ca.crt
tls-auth-clients no
tls-replication yes
bind 127.0.0.1
dir $dir/tls-sentinel
daemonize yes
pidfile $dir/tls-sentinel/redis.pid
logfile $dir/tls-sentinel/redis.log
sentinel monitor switchboard-tls 127.0.0.1 $primary 1
sentinel down-after-milliseconds switchboard-tls 1000
CONF
  redis-server "$dir/tls-sentinel/sentinel.conf" --sentinel
  PRIVATE_TOPOLOGY_PIDFILES+=("$dir/tls-sentinel/redis.pid")
  TLS_SENTINEL_URL="rediss-sentinel://127.0.0.1:$port/switchboard-tls"
  for tries in $(seq 1 200); do
    [ "$(tls_cli "$port" sentinel get-master-addr-by-name switchboard-tls 2>/dev/null | tail -n 1)" = "$primary" ] && return 0
    sleep 0.1
  done
  echo "switchboard: the TLS Sentinel did not come up (log: $dir/tls-sentinel/redis.log)" >&2
  return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  [ $# -eq 1 ] || { echo "usage: $0 DIR  (makes the test certificates in DIR)" >&2; exit 64; }
  make_test_certificates "$1"
fi
