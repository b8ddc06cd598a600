# Makefile: one-word wrappers around CMake and CTest (`make help` lists them).
# Every configuration has its own directory under build/. GORO_WERROR=ON in
# the environment (CI sets it) turns compiler warnings into errors.

MAKEFLAGS   += --no-print-directory
CMAKE       ?= cmake
CTEST       ?= ctest
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
GORO_WERROR ?= OFF
SAN_CC      ?= clang
CTEST_FLAGS ?= --output-on-failure -j2
INSTALL_TEST = $(CURDIR)/build/install-test

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

.PHONY: all build run test test-asan test-tsan test-valgrind test-ucontext \
        test-aarch64 bench install-test clean help

all: build

build:
	$(call configure_build,build/release,-DCMAKE_BUILD_TYPE=Release)

run: build
	$(CMAKE) --build build/release --target run-examples

test: build
	cd build/release && $(CTEST) $(CTEST_FLAGS)

test-asan:
	$(call configure_build,build/asan,-DCMAKE_C_COMPILER=$(SAN_CC) -DGORO_SANITIZE=address -DGORO_BENCH=OFF)
	cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=print_stacktrace=1 $(CTEST) $(CTEST_FLAGS)

test-tsan:
	$(call configure_build,build/tsan,-DCMAKE_C_COMPILER=$(SAN_CC) -DGORO_SANITIZE=thread -DGORO_BENCH=OFF)
	cd build/tsan && $(TSAN_WRAP) $(CTEST) $(CTEST_FLAGS)

test-valgrind:
	$(call configure_build,build/valgrind,-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_C_FLAGS_DEBUG=-O1 -g" \
	    "-DGORO_TEST_LAUNCHER=$(VALGRIND_LAUNCHER)" -DGORO_BENCH=OFF)
	cd build/valgrind && $(CTEST) $(CTEST_FLAGS)

test-ucontext:
	$(call configure_build,build/ucontext,-DGORO_UCONTEXT=ON -DGORO_BENCH=OFF)
	cd build/ucontext && $(CTEST) $(CTEST_FLAGS)

test-aarch64:
	$(call configure_build,build/aarch64,-DCMAKE_TOOLCHAIN_FILE=$(CURDIR)/cmake/aarch64-linux-gnu.cmake \
	    "-DCMAKE_CROSSCOMPILING_EMULATOR=qemu-aarch64;-L;/usr/aarch64-linux-gnu" -DGORO_BENCH=OFF)
	cd build/aarch64 && $(CTEST) $(CTEST_FLAGS) -L "arch|sched"

bench:
	bash bench/run.sh

# Installs into a scratch prefix, then builds and runs one program against
# it three ways: pkg-config (shared), pkg-config --static, find_package.
install-test: build
	rm -rf $(INSTALL_TEST)
	$(CMAKE) --install build/release --prefix $(INSTALL_TEST)/prefix
	set -e; \
	export PKG_CONFIG_PATH="$$(dirname "$$(find $(INSTALL_TEST)/prefix -name goro.pc)")"; \
	libdir="$$(pkg-config --variable=libdir goro)"; \
	echo "pkg-config --cflags --libs goro: $$(pkg-config --cflags --libs goro)"; \
	$(CC) -o $(INSTALL_TEST)/hello-pc cmake/install-test/hello.c $$(pkg-config --cflags --libs goro); \
	LD_LIBRARY_PATH="$$libdir" $(INSTALL_TEST)/hello-pc; \
	$(CC) -o $(INSTALL_TEST)/hello-static cmake/install-test/hello.c $$(pkg-config --cflags goro) \
	    $$(pkg-config --static --libs goro | sed 's/-lgoro/-l:libgoro.a/'); \
	$(INSTALL_TEST)/hello-static
	$(CMAKE) -S cmake/install-test -B $(INSTALL_TEST)/consumer -DCMAKE_PREFIX_PATH=$(INSTALL_TEST)/prefix
	$(CMAKE) --build $(INSTALL_TEST)/consumer
	$(INSTALL_TEST)/consumer/hello
	@echo "install-test: ok"

clean:
	rm -rf build

help:
	@echo "make / make build   build build/release (Release: -O2 -g)"
	@echo "make run            build and run the tour of examples"
	@echo "make test           build and run all tests (ctest, GOROMAXPROCS=1 and 2)"
	@echo "make test-asan      tests under ASan+UBSan (clang, build/asan)"
	@echo "make test-tsan      tests under TSan (clang, build/tsan)"
	@echo "make test-valgrind  tests under valgrind memcheck (build/valgrind)"
	@echo "make test-ucontext  tests with the ucontext context switch (build/ucontext)"
	@echo "make test-aarch64   cross-build for AArch64, run the arch tests in qemu"
	@echo "make bench          benchmarks, goro against Go (bench/run.sh)"
	@echo "make install-test   install to a scratch prefix, build against it"
	@echo "make clean          remove build/"
