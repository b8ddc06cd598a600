# SPDX-License-Identifier: MIT
# Makefile: one-word wrappers around CMake and CTest (`make help` lists them).
# Every configuration has its own directory under build/. GORO_WERROR=ON in
# the environment (CI sets it) turns compiler warnings into errors.

MAKEFLAGS   += --no-print-directory
CMAKE       ?= cmake
CTEST       ?= ctest
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
GORO_WERROR ?= OFF
SAN_CC      ?= clang
SAN_CXX     ?= clang++
CTEST_FLAGS ?= --output-on-failure -j2

# $(call configure_build,DIR,CMAKE ARGS): configure (cheap when nothing
# changed) and build one configuration.
define configure_build
	$(CMAKE) -S . -B $(1) -DGORO_WERROR=$(GORO_WERROR) $(2)
	$(CMAKE) --build $(1) -j $(JOBS)
endef

# TSan needs the mmap layout of vm.mmap_rnd_bits <= 28; above that, run it
# with address randomisation off.
TSAN_WRAP = $(shell [ "$$(sysctl -n vm.mmap_rnd_bits 2>/dev/null || echo 0)" -gt 28 ] && \
                    echo setarch $$(uname -m) -R)

VALGRIND_LAUNCHER = valgrind;--error-exitcode=99;--leak-check=full;--errors-for-leak-kinds=definite;--show-leak-kinds=definite;--quiet

.PHONY: all build run test test-asan test-tsan test-valgrind test-debug test-ucontext \
        test-aarch64 test-model bench bench-cpp bench-report bench-hook install-test consumer-test package-test header-test clean help

all: build

build:
	$(call configure_build,build/release,-DCMAKE_BUILD_TYPE=Release)

run: build
	$(CMAKE) --build build/release --target run-examples

test: build
	cd build/release && $(CTEST) $(CTEST_FLAGS)

test-asan:
	$(call configure_build,build/asan,-DCMAKE_C_COMPILER=$(SAN_CC) -DCMAKE_CXX_COMPILER=$(SAN_CXX) -DGORO_SANITIZE=address -DGORO_BUILD_BENCH=OFF)
	cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1 $(CTEST) $(CTEST_FLAGS)

test-tsan:
	$(call configure_build,build/tsan,-DCMAKE_C_COMPILER=$(SAN_CC) -DCMAKE_CXX_COMPILER=$(SAN_CXX) -DGORO_SANITIZE=thread -DGORO_BUILD_BENCH=OFF)
	cd build/tsan && $(TSAN_WRAP) $(CTEST) $(CTEST_FLAGS)

test-valgrind:
	$(call configure_build,build/valgrind,-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-O1 -g" "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" \
	    "-DGORO_TEST_LAUNCHER=$(VALGRIND_LAUNCHER)" -DGORO_BUILD_BENCH=OFF -DGORO_SANITIZER_VARIANTS=OFF)
	cd build/valgrind && $(CTEST) $(CTEST_FLAGS)

test-debug:
	$(call configure_build,build/debug,-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-O1 -g" "-DCMAKE_CXX_FLAGS_DEBUG=-O1 -g" \
	    -DGORO_DEBUG=ON -DGORO_BUILD_BENCH=OFF -DGORO_SANITIZER_VARIANTS=OFF)
	cd build/debug && $(CTEST) $(CTEST_FLAGS)

test-ucontext:
	$(call configure_build,build/ucontext,-DGORO_UCONTEXT=ON -DGORO_BUILD_BENCH=OFF -DGORO_SANITIZER_VARIANTS=OFF)
	cd build/ucontext && $(CTEST) $(CTEST_FLAGS)

test-aarch64:
	$(call configure_build,build/aarch64,-DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/aarch64-linux-gnu.cmake \
	    "-DCMAKE_CROSSCOMPILING_EMULATOR=qemu-aarch64;-L;/usr/aarch64-linux-gnu" -DGORO_BUILD_BENCH=OFF \
	    -DGORO_SANITIZER_VARIANTS=OFF)
	cd build/aarch64 && $(CTEST) $(CTEST_FLAGS) -L "arch|sched"

# spin model of the channel/select protocol (verify/model/; needs spin):
# every configuration, the broken variants, the reachability probes.
# See docs/verification.md, "Model checking".
test-model:
	bash verify/model/run.sh

bench:
	bash bench/run.sh

# goro.hpp's overhead: the C++ twins in bench/cpp/ against their C
# programs, alternating, RUNS processes each (bench/cpp/compare.sh).
bench-cpp: build
	bash bench/cpp/compare.sh

# Runs bench/run.sh and writes docs/bench-report.md and docs/bench-report.svg
# (slow, like bench; not part of CI).
bench-report:
	bash bench/report.sh

# libFuzzer harness fuzz/fuzz_chan.c (clang, ASan+UBSan, build/fuzz), via
# fuzz/run.sh: replays fuzz/regressions/ and fuzz/corpus/, then fuzzes for
# FUZZ_SHORT_TIME (CI) or FUZZ_TIME seconds. See docs/verification.md.
FUZZ_TIME       ?= 600
FUZZ_SHORT_TIME ?= 60
.PHONY: fuzz fuzz-short
fuzz-short:
	CC=$(SAN_CC) JOBS=$(JOBS) GORO_WERROR=$(GORO_WERROR) bash fuzz/run.sh short $(FUZZ_SHORT_TIME)

fuzz:
	CC=$(SAN_CC) JOBS=$(JOBS) GORO_WERROR=$(GORO_WERROR) bash fuzz/run.sh long $(FUZZ_TIME)

# Randomized stress run (tests/soak.c, build/release/soak): random
# GOMAXPROCS changes, yields and deadlines for SOAK_TIME seconds (CI:
# soak-short, SOAK_SHORT_TIME); SOAK_SEED repeats a run. See
# docs/verification.md.
SOAK_TIME       ?= 180
SOAK_SHORT_TIME ?= 25
.PHONY: soak soak-short
soak: build
	build/release/soak $(SOAK_TIME) $(SOAK_SEED)

soak-short: build
	build/release/soak $(SOAK_SHORT_TIME) $(SOAK_SEED)

# Programs built against goro the ways its users build them
# (tests/consumer/run.sh): install-test installs build/release into a
# scratch prefix and builds against it with pkg-config (shared, static, the
# sanitizer variants) and find_package (with a C++ compiler, also
# tests/consumer/hello.cpp, goro.hpp's program, both ways); consumer-test
# adds this checkout to a CMake project with add_subdirectory and checks
# that none of goro's tests, examples or benchmarks is built.
CONSUMER_ENV = SAN_CC=$(SAN_CC) JOBS=$(JOBS) GORO_WERROR=$(GORO_WERROR)
# libgoro-hook's benchmarks (bench/hook/run.sh): PostgreSQL and Redis
# clients, goroutines + hooks vs a thread per connection and (PostgreSQL)
# libpq's asynchronous API on one thread. Not in CI.
bench-hook: build
	bash bench/hook/run.sh build/release $(BENCH_HOOK_SECONDS)

install-test: build
	$(CONSUMER_ENV) bash tests/consumer/run.sh install
	@echo "install-test: ok"

consumer-test:
	$(CONSUMER_ENV) bash tests/consumer/run.sh subdirectory
	@echo "consumer-test: ok"

# Debian packages libgoro0, libgoro-hook0 and libgoro-dev (debian/): build, lintian,
# install, build against /usr, remove (tests/package-test.sh; needs root
# or sudo).
package-test:
	SAN_CC=$(SAN_CC) JOBS=$(JOBS) bash tests/package-test.sh

# goro.h at full warnings as C99/C11/C17 (gcc, clang) and C++11/17/20
# (g++, clang++), goro.hpp as C++17/20 (g++, clang++): tests/header-test.sh.
header-test: build
	bash tests/header-test.sh

clean:
	rm -rf build

help:
	@echo "make / make build   build build/release (Release: -O2 -g)"
	@echo "make run            build and run the tour of examples"
	@echo "make test           build and run all tests (ctest, GOROMAXPROCS=1 and 2)"
	@echo "make test-asan      tests under ASan+UBSan (clang, build/asan)"
	@echo "make test-tsan      tests under TSan (clang, build/tsan)"
	@echo "make test-debug     tests with GORO_DEBUG's invariant checks (build/debug)"
	@echo "make test-valgrind  tests under valgrind memcheck (build/valgrind)"
	@echo "make test-ucontext  tests with the ucontext context switch (build/ucontext)"
	@echo "make test-aarch64   cross-build for AArch64, run the arch tests in qemu"
	@echo "make test-model     spin model check of channels and select (verify/model)"
	@echo "make bench          benchmarks, goro against Go (bench/run.sh)"
	@echo "make bench-cpp      goro.hpp against the C API: C++ twins of pingpong, buffered, spawn_join"
	@echo "make bench-report   benchmarks, then docs/bench-report.md and .svg (bench/report.sh)"
	@echo "make fuzz-short     replay fuzz regressions, fuzz for FUZZ_SHORT_TIME s (60; CI)"
	@echo "make fuzz           the same for FUZZ_TIME s (600): fuzz/run.sh long"
	@echo "make soak           randomized stress run for SOAK_TIME s (180; SOAK_SEED repeats one)"
	@echo "make soak-short     the same for SOAK_SHORT_TIME s (25; CI)"
	@echo "make bench-hook     PostgreSQL/Redis clients: goroutines + libgoro-hook vs thread per connection vs libpq async"
	@echo "make install-test   install to a scratch prefix, build against it (pkg-config, CMake; C and C++)"
	@echo "make consumer-test  a CMake project with goro as a subdirectory builds none of goro's tests"
	@echo "make package-test   build the Debian packages, lintian, install, build against them, remove"
	@echo "make header-test    goro.h warning-free as C99/11/17 and C++11/17/20, goro.hpp as C++17/20 (gcc, clang)"
	@echo "make clean          remove build/"
