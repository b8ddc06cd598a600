#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/consumer/run.sh MODE: builds and runs programs against goro the way
# its users do, and fails on the first thing that does not work.
#   install       (make install-test) installs build/release into a scratch
#                 prefix and follows the README: pkg-config with
#                 PKG_CONFIG_PATH and the .pc file's rpath (shared), with
#                 --static, goro-hook (hello_hook.c: libgoro-hook in
#                 effect), goro-tsan/goro-asan (examples/60_sanitize.c must
#                 run without a sanitizer report), gdb's auto-load of
#                 goro-gdb.py, the soname, and tests/consumer with
#                 find_package; with a C++ compiler, hello.cpp (goro.hpp)
#                 too, with pkg-config and with find_package.
#   subdirectory  (make consumer-test) tests/consumer with add_subdirectory of
#                 this checkout; checks that no goro test, example or
#                 benchmark is built or even defined.
#   system        (make package-test) what `install` does, against the
#                 installed Debian packages (/usr, no paths to set).
# Environment: CC (cc), CXX (c++; hello.cpp is built only if it exists),
# SAN_CC (clang; the sanitized pkg-config builds), CMAKE (cmake), JOBS,
# GORO_WERROR (subdirectory mode).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
mode=${1:?usage: run.sh install|subdirectory|system}
out=$root/build/consumer-$mode
CC=${CC:-cc}
SAN_CC=${SAN_CC:-clang}
CMAKE=${CMAKE:-cmake}
CXX=${CXX:-c++}
hello=tests/consumer/hello.c
example=examples/60_sanitize.c
rm -rf "$out"
mkdir -p "$out"

# TSan needs the mmap layout of vm.mmap_rnd_bits <= 28 (see the Makefile).
tsan_wrap=()
if [ "$(sysctl -n vm.mmap_rnd_bits 2>/dev/null || echo 0)" -gt 28 ]; then
    tsan_wrap=(setarch "$(uname -m)" -R)
fi

# run_clean KIND PROG: runs PROG built with sanitizer KIND (tsan, asan);
# fails on a non-zero exit or any sanitizer report.
run_clean() {
    local kind=$1 prog=$2 log=$2.log rc=0
    if [ "$kind" = tsan ]; then
        TSAN_OPTIONS=halt_on_error=1 "${tsan_wrap[@]}" "$prog" >"$log" 2>&1 || rc=$?
    else
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 "$prog" >"$log" 2>&1 || rc=$?
    fi
    if [ $rc -ne 0 ] || grep -q Sanitizer "$log"; then
        cat "$log"
        echo "consumer: $prog (exit $rc) is not clean under $kind"
        exit 1
    fi
    echo "consumer: $(basename "$prog"): no $kind report"
}

# pc_builds RPATH: the README's pkg-config builds (and docs/cpp.md's, for
# hello.cpp, when a C++ compiler exists); RPATH is the linker option for
# the shared library's directory (empty for /usr).
pc_builds() {
    local rpath=$1
    echo "pkg-config --cflags --libs goro: $(pkg-config --cflags --libs goro)"
    $CC -o "$out/hello-pc" $hello $(pkg-config --cflags --libs goro) $rpath
    "$out/hello-pc"
    echo "pkg-config --cflags --libs goro-hook: $(pkg-config --cflags --libs goro-hook)"
    $CC -o "$out/hello-hook-pc" tests/consumer/hello_hook.c $(pkg-config --cflags --libs goro-hook) $rpath
    "$out/hello-hook-pc"
    $CC -o "$out/hello-static" $hello $(pkg-config --cflags goro) \
        $(pkg-config --static --libs goro | sed 's/-lgoro\b/-l:libgoro.a/')
    "$out/hello-static"
    if command -v "$CXX" >/dev/null; then
        $CXX -std=c++17 -o "$out/hello-cpp-pc" tests/consumer/hello.cpp $(pkg-config --cflags --libs goro) $rpath
        "$out/hello-cpp-pc"
    fi
    for kind in tsan asan; do
        $SAN_CC -g -o "$out/sanitize-$kind" $example $(pkg-config --cflags --libs goro-$kind)
        run_clean $kind "$out/sanitize-$kind"
    done
}

# gdb_check [GDB ARGS]: gdb auto-loads goro-gdb.py for hello-pc's libgoro.
gdb_check() {
    command -v gdb >/dev/null || { echo "consumer: no gdb, auto-load not checked"; return; }
    gdb -batch -nx "$@" -ex 'break main' -ex run -ex 'info auto-load python-scripts' \
        -ex 'info goroutines' "$out/hello-pc" >"$out/gdb.log" 2>&1 || true
    grep -q '^Yes .*/libgoro\.so\..*-gdb\.py' "$out/gdb.log" || { cat "$out/gdb.log";
        echo "consumer: gdb did not auto-load libgoro's goro-gdb.py"; exit 1; }
    echo "consumer: gdb auto-loads goro-gdb.py"
}

# soname_check LIBDIR: libgoro.so's soname is libgoro.so.MAJOR.
soname_check() {
    local major soname
    major=$(sed -n 's/^#define GORO_VERSION_MAJOR \([0-9]*\)$/\1/p' include/goro.h)
    soname=$(objdump -p "$1/libgoro.so" | awk '$1 == "SONAME" { print $2 }')
    [ "$soname" = "libgoro.so.$major" ] || { echo "consumer: soname $soname, want libgoro.so.$major"; exit 1; }
    echo "consumer: soname $soname"
}

# cmake_consumer CMAKE ARGS: builds tests/consumer and runs its programs.
cmake_consumer() {
    $CMAKE -S tests/consumer -B "$out/cmake" "$@"
    $CMAKE --build "$out/cmake" -j "${JOBS:-2}"
    "$out/cmake/hello"
    "$out/cmake/hello_static"
    "$out/cmake/hello_hook"
    run_clean tsan "$out/cmake/sanitize_tsan"
    run_clean asan "$out/cmake/sanitize_asan"
}

# cmake_package_consumer CMAKE ARGS: cmake_consumer on the find_package
# path, with hello.cpp (goro.hpp) when a C++ compiler exists.
cmake_package_consumer() {
    if command -v "$CXX" >/dev/null; then
        cmake_consumer -DCONSUMER_CXX=ON -DCMAKE_CXX_COMPILER="$(command -v "$CXX")" "$@"
        "$out/cmake/hello_cpp"
    else
        echo "consumer: no C++ compiler ($CXX), hello.cpp not built"
        cmake_consumer "$@"
    fi
}

case $mode in
install)
    prefix=$out/prefix
    $CMAKE --install build/release --prefix "$prefix"
    PKG_CONFIG_PATH="$(dirname "$(find "$prefix" -name goro.pc)")"
    export PKG_CONFIG_PATH
    pc_builds "$(pkg-config --variable=rpath goro)"
    soname_check "$(pkg-config --variable=libdir goro)"
    gdb_check -iex "set auto-load scripts-directory $prefix/share/gdb/auto-load" \
        -iex "add-auto-load-safe-path $prefix"
    cmake_package_consumer -DCMAKE_PREFIX_PATH="$prefix"
    ;;
subdirectory)
    cmake_consumer -DGORO_SOURCE_DIR="$root" -DGORO_WERROR="${GORO_WERROR:-OFF}"
    # Only the consumer's four programs and goro's libraries: no goro
    # test (C or C++: cpp17_test_*), example, benchmark or soak target
    # exists, none was built.
    if $CMAKE --build "$out/cmake" --target help | grep -E '(^|[ .])(test_|cpp[0-9]+_|example_|bench_|soak|run-examples)'; then
        echo "consumer: goro's tests, examples or benchmarks are targets of the consumer"
        exit 1
    fi
    built=$(find "$out/cmake" -type f -executable -newer "$out" ! -name '*.so*' ! -path '*/CMakeFiles/*' \
            -printf '%f\n' | sort | tr '\n' ' ')
    [ "$built" = "hello hello_hook hello_static sanitize_asan sanitize_tsan " ] || {
        echo "consumer: built $built, want only the consumer's programs"; exit 1; }
    echo "consumer: built only $built"
    ;;
system)
    unset PKG_CONFIG_PATH
    pc_builds ""
    soname_check "$(pkg-config --variable=libdir goro)"
    gdb_check
    cmake_package_consumer
    ;;
*)
    echo "run.sh: unknown mode $mode" >&2
    exit 2
    ;;
esac
echo "consumer ($mode): ok"
