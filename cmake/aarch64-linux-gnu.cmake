# SPDX-License-Identifier: MIT
# aarch64-linux-gnu.cmake: CMake toolchain file for cross-building goro for
# 64-bit Arm Linux with Debian's gcc-aarch64-linux-gnu; tests run under
# qemu-aarch64 (make test-aarch64).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_ASM_COMPILER aarch64-linux-gnu-gcc)
# goro.hpp's tests: skipped when g++-aarch64-linux-gnu is not installed
# (never the host's C++ compiler).
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
endif()

# pkg-config looks only at the target's libraries: the host's .pc files
# (libpq, hiredis, OpenSSL for x86-64) would link the optional hook tests
# and examples against libraries that do not exist for AArch64. Those are
# skipped unless the arm64 packages are installed.
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
