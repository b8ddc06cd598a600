#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/hook/with-server.sh SERVERS PROGRAM [ARGS...]: runs PROGRAM with
# throw-away servers, started here and stopped on exit (a trap, also on
# failure), all in one temporary directory and on 127.0.0.1 only.
# SERVERS is a comma-separated list of:
#   pg     PostgreSQL: initdb into the directory (from
#          /usr/lib/postgresql/*/bin; as user nobody when root, since
#          postgres refuses root), a free port, unix sockets in the
#          directory, max_connections 1100, small shared_buffers, trust
#          authentication. PROGRAM gets GORO_TEST_PG, a libpq conninfo.
#   redis  redis-server on a free port, --save '' and its directory there.
#          PROGRAM gets GORO_TEST_REDIS_PORT.
#   tls    a self-signed certificate for CN localhost, made now with
#          openssl req. PROGRAM gets GORO_TEST_CERT and GORO_TEST_KEY.
# Used by the hook label's tests against real libraries (CMakeLists.txt);
# bench/hook/run.sh uses it too.
set -euo pipefail
servers=$1
shift
dir=$(mktemp -d /tmp/goro-hook-servers.XXXXXX)
pg_bin=""
pg_data=$dir/pg
redis_pid=""
as_user=()
if [ "$(id -u)" -eq 0 ]; then
    as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
    chown nobody:nogroup "$dir"
fi

cleanup() {
    if [ -n "$pg_bin" ] && [ -f "$pg_data/postmaster.pid" ]; then
        "${as_user[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [ -n "$redis_pid" ]; then
        kill "$redis_pid" 2>/dev/null || true
        wait "$redis_pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}
trap cleanup EXIT

# A port nothing listens on now (the kernel's choice for a bound socket).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

for server in ${servers//,/ }; do
    case $server in
    pg)
        pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
        port=$(free_port)
        "${as_user[@]}" "$pg_bin/initdb" -D "$pg_data" -A trust -U goro --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
            { cat "$dir/initdb.log"; exit 1; }
        "${as_user[@]}" "$pg_bin/pg_ctl" -D "$pg_data" -l "$dir/pg.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=1100 -c shared_buffers=16MB -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null || { cat "$dir/pg.log"; exit 1; }
        export GORO_TEST_PG="host=127.0.0.1 port=$port user=goro dbname=postgres"
        ;;
    redis)
        port=$(free_port)
        "${as_user[@]}" redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' \
            --appendonly no --maxclients 4000 --logfile "$dir/redis.log" &
        redis_pid=$!
        for _ in $(seq 100); do
            redis-cli -p "$port" ping 2>/dev/null | grep -q PONG && break
            sleep 0.1
        done
        redis-cli -p "$port" ping | grep -q PONG || { cat "$dir/redis.log"; exit 1; }
        export GORO_TEST_REDIS_PORT=$port
        ;;
    tls)
        openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=localhost -days 1 \
            -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1
        export GORO_TEST_CERT=$dir/cert.pem GORO_TEST_KEY=$dir/key.pem
        ;;
    none) ;;
    *)
        echo "with-server.sh: unknown server $server" >&2
        exit 2
        ;;
    esac
done

"$@"
