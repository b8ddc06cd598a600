/* SPDX-License-Identifier: MIT */
/*
 * base.h: what every layer of the runtime uses and nothing else provides:
 * fatal errors (goro__fatal, the call site behind one, the fork check),
 * fault injection and the wrappers of the fallible system calls,
 * allocation, cpu_relax. Nothing here knows of goroutines or threads: the
 * files of src/base/ include this (with config.h and lock.h) and no
 * header of another layer.
 */
#ifndef GORO_BASE_BASE_H
#define GORO_BASE_BASE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <sys/types.h>

#include "goro.h"
#include "base/config.h"
#include "base/lock.h"

/* callsite.c: "fatal error: <message>\n\tat file:line", then abort. */
_Noreturn void goro__fatal(const char *file, int line, const char *fmt, ...);
/* Implemented above (trace/trace.c): fatal reports flush the execution
 * trace first. */
void goro__tracer_flush_fatal(void);
#define goro_likely(x)   __builtin_expect(!!(x), 1)
#define goro_unlikely(x) __builtin_expect(!!(x), 0)
#define GORO_FATAL(...) goro__fatal(__FILE__, __LINE__, __VA_ARGS__)
/* GORO_PARK_FRAME(ra, type, call): `call`'s value, made with rbp pointing
 * at a frame record {the caller's rbp, ra} for its duration. For the park
 * path of a public call in a file built without frame pointers but with
 * rbp reserved (CMakeLists.txt, goro_fp_transparent_sources, which define
 * GORO_FP_TRANSPARENT): such a file never writes rbp, so rbp still holds
 * the program's frame pointer, and with `ra` the public call's return
 * address (GORO_CALLER_PC() there) the record is the one the program's
 * call would have made: a parked goroutine's frame-pointer chain reaches
 * the program's function through it (docs/design.md, the frames of
 * dumps). Only the park path pays for it; the public call itself makes no
 * frame (design.md has the cost). The CFI escape tells unwinders (libgcc's, gdb's) that the caller's rbp is
 * at [rbp] meanwhile. Elsewhere every function keeps a record (or none
 * is wanted), and this is just `call`. */
#define GORO_CALLER_PC() ((uintptr_t)__builtin_return_address(0))
#if defined(GORO_FP_TRANSPARENT) && defined(__x86_64__)
#ifdef __GCC_HAVE_DWARF2_CFI_ASM
#define GORO_CFI_RBP_AT_RBP ".cfi_escape 0x10, 6, 2, 0x76, 0\n\t"  /* DW_CFA_expression rbp: [rbp+0] */
#define GORO_CFI_RBP_SAME   ".cfi_restore 6\n\t"
#else
#define GORO_CFI_RBP_AT_RBP ""
#define GORO_CFI_RBP_SAME   ""
#endif
#define GORO_PARK_FRAME(ra, type, call) __extension__ ({ \
        uintptr_t goro_frame_rec_[2]; \
        goro_frame_rec_[1] = (ra); \
        __asm__ volatile("mov %%rbp, (%1)\n\tmov %1, %%rbp\n\t" GORO_CFI_RBP_AT_RBP \
                         : "=m"(goro_frame_rec_[0]) : "r"(goro_frame_rec_), "m"(goro_frame_rec_[1])); \
        type goro_frame_r_ = (call); \
        __asm__ volatile("mov (%%rbp), %%rbp\n\t" GORO_CFI_RBP_SAME :: "m"(goro_frame_rec_)); \
        goro_frame_r_; })
#else
#define GORO_PARK_FRAME(ra, type, call) ((void)(ra), (type)(call))
#endif

/* GORO_ASSERT(cond, fmt, ...): in a GORO_DEBUG build, a false cond is a
 * fatal error naming file:line, the condition and the message; in a
 * release build it compiles to nothing (cond is not evaluated). */
#if GORO_DEBUG
#define GORO_ASSERT(cond, ...) \
    (goro_likely(cond) ? (void)0 : goro__assert_fail(__FILE__, __LINE__, #cond, __VA_ARGS__))
_Noreturn void goro__assert_fail(const char *file, int line, const char *cond,
                                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#else
#define GORO_ASSERT(cond, ...) ((void)0)
#endif

/* ---- fault.c: fault injection (tests make the Nth fallible call fail) ----
 * Every allocation, mmap, mprotect, madvise, thread creation, epoll and
 * eventfd call of the runtime goes through goro__fault(kind): one relaxed
 * load when nothing is armed. The wrappers keep the wrapped call's
 * contract (goro__thread_create returns an error number like
 * pthread_create; the others -1 or MAP_FAILED with errno set). What each
 * failure yields: docs/verification.md, "Fault injection". */
enum {
    GORO_FAULT_ALLOC    = 1u << 0,   /* alloc.c entry points: NULL */
    GORO_FAULT_MMAP     = 1u << 1,   /* ENOMEM */
    GORO_FAULT_MPROTECT = 1u << 2,   /* ENOMEM */
    GORO_FAULT_MADVISE  = 1u << 3,   /* EAGAIN */
    GORO_FAULT_THREAD   = 1u << 4,   /* EAGAIN */
    GORO_FAULT_EPOLL    = 1u << 5,   /* epoll_create1 EMFILE, epoll_ctl ENOMEM */
    GORO_FAULT_EVENTFD  = 1u << 6,   /* EMFILE */
    GORO_FAULT_POLLWAIT = 1u << 7,   /* epoll_wait: EINTR (no events this time) */
    GORO_FAULT_ALL      = (1u << 8) - 1,
};
extern _Atomic unsigned goro__fault_armed;  /* armed kinds; 0: off */
bool goro__fault_hit(unsigned kind);
static inline bool goro__fault(unsigned kind)
{
    return goro_unlikely(atomic_load_explicit(&goro__fault_armed, memory_order_relaxed) != 0) &&
           goro__fault_hit(kind);
}
/* Tests: let n calls of the given kinds succeed and fail the next one
 * (sticky: and every later one); n < 0 counts calls without failing any. */
void goro__fault_set(unsigned kinds, long n, bool sticky);
void goro__fault_off(void);
long goro__fault_calls(void);             /* matching calls since set */
long goro__fault_fired(void);             /* failures injected since set */
void goro__alloc_fail_after(long n);      /* = goro__fault_set(ALLOC, n, sticky); -1: off */
struct epoll_event;
void *goro__mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int goro__mprotect(void *addr, size_t len, int prot);
int goro__madvise(void *addr, size_t len, int advice);
int goro__thread_create(pthread_t *t, const pthread_attr_t *attr,
                        void *(*fn)(void *), void *arg);
int goro__epoll_create1(int flags);
int goro__epoll_ctl(int ep, int op, int fd, struct epoll_event *ev);
int goro__eventfd(unsigned initval, int flags);

/* ---- callsite.c: the program's call behind a fatal error found deep
 * inside the runtime, for calls that take no call site ---- */
typedef struct goro__caller {
    char entry[64];            /* the public call ("goro_chan_try_send"), or "a goro function"
                                  * (unknown, or left by a tail call) */
    char site[512];            /* where the program made it */
    bool in_handler;           /* made from a signal handler */
} goro__caller;
void goro__caller_find(goro__caller *c);
/* Traces (GORO_TRACE_DEPTH frames at most; docs/api.md): each fills pcs
 * with addresses inside call instructions, innermost first, dropping the
 * runtime's frames above the innermost public call when names show it.
 * _self: the calling thread, from the interrupted code when called in a
 * signal handler; _fp: another stack's frame-pointer chain from fp (pc, if
 * not 0, is the innermost frame's return address); _ctx: a switched-out
 * goroutine's saved context, which keeps the pc and the frame pointer at
 * pc_off and fp_off (equal: unknown, no frames). Allocate nothing, take
 * no runtime lock. */
#define GORO_TRACE_DEPTH 32
int goro__trace_self(uintptr_t *pcs, int max);
int goro__trace_fp(uintptr_t pc, uintptr_t fp, uintptr_t *pcs, int max);
int goro__trace_ctx(const void *ctx, size_t pc_off, size_t fp_off, uintptr_t *pcs, int max);
/* "name+0x1c (object+0x1234)", or "object+0x1234" (addr2line -e object),
 * or the address; returns the length. dladdr: takes the loader's lock. */
size_t goro__symbolize(char *buf, size_t sz, uintptr_t pc);
/* The calling thread's frames, one "\tframe\n" line each, with write(2). */
void goro__trace_write_self(int fd);
/* "fatal error: <message>\n\tat <site>" on stderr with write(2), then abort. */
_Noreturn void goro__fatal_site(const char *site, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- alloc.c: allocation entry points (GORO_FAULT_ALLOC) ---- */
void *goro__malloc(size_t n);
void goro__free(void *p);
void *goro__malloc_pool(size_t n);        /* uncounted; release with free() */
void *goro__calloc_pool(size_t n, size_t size);
void *goro__realloc_pool(void *p, size_t n);
long goro__alloc_live(void);              /* tests: goro__malloc blocks not freed */

static inline void goro__cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield" ::: "memory");
#endif
}

/* ---- a child of fork() may only exec (the flag and the abort: callsite.c;
 * the atfork handler that sets the flag: sched/fork.c) ----
 * goro__fork_check(call, file, line) aborts in such a child, naming call
 * and file:line; a NULL call or file is found by unwinding. One relaxed
 * load otherwise. */
extern _Atomic uint32_t goro__forked;
_Noreturn void goro__fork_fatal(const char *call, const char *file, int line);
static inline void goro__fork_check(const char *call, const char *file, int line)
{
    if (__builtin_expect(atomic_load_explicit(&goro__forked, memory_order_relaxed) != 0, 0))
        goro__fork_fatal(call, file, line);
}

#endif
