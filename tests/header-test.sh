#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# header-test.sh: `make header-test`. Compiles tests/test_header.c (which
# uses every macro of goro.h) with every compiler and language standard
# goro.h supports, at full warnings, warnings as errors:
#   gcc, clang:     -std=c99, c11, c17   -Wall -Wextra -Wpedantic
#   g++, clang++:   -std=c++11, 17, 20   -Wall -Wextra -Wpedantic -Wold-style-cast
# and links and runs the C++17 build against build/release's libgoro.a (so
# the inline functions are exercised as C++ too). goro.hpp, the C++17
# layer, the same way through tests/cpp/header_check.cpp (which
# instantiates its most used templates):
#   g++, clang++:   -std=c++17, 20       -Wall -Wextra -Wpedantic
# A compiler that is not installed fails the step.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build/header-test
mkdir -p "$out"
src=tests/test_header.c
warn=(-Wall -Wextra -Wpedantic -Werror)
fails=0
run() {
    if "$@" 2>"$out/err.log"; then
        printf 'ok      %s\n' "$*"
    else
        printf 'FAILED  %s\n' "$*"
        sed 's/^/    /' "$out/err.log"
        fails=$((fails + 1))
    fi
}
for cc in gcc clang; do
    for std in c99 c11 c17; do
        run "$cc" -std=$std "${warn[@]}" -Iinclude -c $src -o "$out/$cc-$std.o"
    done
done
for cxx in g++ clang++; do
    for std in c++11 c++17 c++20; do
        run "$cxx" -x c++ -std=$std "${warn[@]}" -Wold-style-cast -Iinclude -c $src -o "$out/$cxx-$std.o"
    done
done
for cxx in g++ clang++; do
    for std in c++17 c++20; do
        run "$cxx" -std=$std "${warn[@]}" -Iinclude -c tests/cpp/header_check.cpp \
            -o "$out/hpp-$cxx-$std.o"
    done
done
run g++ -o "$out/test_header_cxx" "$out/g++-c++17.o" build/release/libgoro.a -pthread
run "$out/test_header_cxx"
if ((fails)); then
    echo "header-test: $fails FAILED"
    exit 1
fi
echo "header-test: ok"
