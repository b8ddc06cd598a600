/* SPDX-License-Identifier: MIT */
/*
 * goro_hook.h: libgoro-hook, which interposes libc's blocking calls (read,
 * write, recv, send, connect, accept, poll, select, epoll_wait, the sleeps,
 * getaddrinfo ...) so that unmodified blocking C libraries park only their
 * goroutine. Link it before libc (pkg-config goro-hook, CMake goro::hook)
 * or LD_PRELOAD it; nothing needs to be called. Outside goroutines every
 * call behaves as libc's. See docs/guide.md, "Using blocking C libraries".
 */
#ifndef GORO_HOOK_H
#define GORO_HOOK_H

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when libgoro-hook's interposed calls are in effect in this process
 * (its read() is the one the program's calls reach), else 0 (for instance
 * when the library was linked after libc). */
int goro_hook_active(void);

#ifdef __cplusplus
}
#endif

#endif
