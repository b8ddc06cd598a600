/* SPDX-License-Identifier: MIT */
/*
 * config.h: the one place that tests the platform and the build flavour.
 *
 * GORO_ASAN / GORO_TSAN: sanitizer fiber annotations (TSan builds compile
 * the library itself uninstrumented and define GORO_TSAN=1, see
 * docs/hacking.md). GORO_VALGRIND: Valgrind client requests, available
 * whenever the header is (they cost a few instructions otherwise).
 */
#ifndef GORO_CONFIG_H
#define GORO_CONFIG_H

#if !defined(__linux__)
#error "goro needs Linux (futex, epoll, mmap)"
#endif

#if !defined(__x86_64__) && !defined(__aarch64__) && !GORO_UCONTEXT
#error "no assembly context switch for this architecture: configure with -DGORO_UCONTEXT=ON"
#endif

#ifndef __has_feature
#define __has_feature(x) 0
#endif

#ifndef GORO_ASAN
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define GORO_ASAN 1
#else
#define GORO_ASAN 0
#endif
#endif

#ifndef GORO_TSAN
#if defined(__SANITIZE_THREAD__) || __has_feature(thread_sanitizer)
#define GORO_TSAN 1
#else
#define GORO_TSAN 0
#endif
#endif

#ifndef GORO_VALGRIND
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#define GORO_VALGRIND 1
#endif
#endif
#endif
#ifndef GORO_VALGRIND
#define GORO_VALGRIND 0
#endif

#ifndef GORO_UCONTEXT
#define GORO_UCONTEXT 0
#endif

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102     /* Linux 6.13+: guard pages without a VMA */
#endif

#endif
