#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/hook/run.sh BUILD_DIR [SECONDS]: `make bench-hook`. PostgreSQL
# SELECT 1 (pg), a 10-row query (pgrow) and Redis GET (redis) from
# N = 10, 100 and 1,000 connections: goroutines with libgoro-hook
# (GOMAXPROCS 1 and 2) against a thread per connection, each for SECONDS
# (default 3; N = 1,000 runs once, for 2 s: a thousand busy threads load a
# small machine heavily). Servers from tests/hook/with-server.sh.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [SECONDS]}
secs=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
bench=$build/bench
export bench secs
exec bash "$here/../../tests/hook/with-server.sh" pg,redis bash -c '
for kind in pg pgrow redis; do
    for n in 10 100 1000; do
        s=$secs
        [ "$n" -lt 1000 ] || s=2
        GOROMAXPROCS=1 "$bench/bench_hook_goro" $kind $n $s
        GOROMAXPROCS=2 "$bench/bench_hook_goro" $kind $n $s
        "$bench/bench_hook_threads" $kind $n $s
    done
done'
