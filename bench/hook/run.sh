#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/hook/run.sh BUILD_DIR [SECONDS]: `make bench-hook`.
# PostgreSQL SELECT 1 (pg), a 10-row query (pgrow), Redis GET (redis) and
# SET (redisset) from N = 10, 100 and 1,000 connections: goroutines with
# libgoro-hook (GOMAXPROCS 1 and 2) against a thread per connection and,
# for PostgreSQL, libpq's asynchronous API on one epoll thread; at
# N = 1,000 also threads with 64 KiB stacks. Each run lasts SECONDS
# (default 3; N = 1,000 runs for 2 s: a thousand busy threads load a small
# machine heavily); BENCH_HOOK_ROUNDS (default 1) repeats the whole set, the columns
# alternating, for medians. Servers from tests/hook/with-server.sh.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [SECONDS]}
secs=${2:-3}
rounds=${BENCH_HOOK_ROUNDS:-1}
here=$(cd "$(dirname "$0")" && pwd)
bench=$build/bench
export bench secs rounds
exec bash "$here/../../tests/hook/with-server.sh" pg,redis bash -c '
for _ in $(seq "$rounds"); do
    for kind in pg pgrow redis redisset; do
        for n in 10 100 1000; do
            s=$secs
            [ "$n" -lt 1000 ] || s=2
            GOROMAXPROCS=1 "$bench/bench_hook_goro" $kind $n $s
            GOROMAXPROCS=2 "$bench/bench_hook_goro" $kind $n $s
            "$bench/bench_hook_threads" $kind $n $s
            [ "$n" -lt 1000 ] || HOOKBENCH_STACK_KIB=64 "$bench/bench_hook_threads" $kind $n $s
            case $kind in pg*) "$bench/bench_hook_async" $kind $n $s ;; esac
        done
    done
done'
