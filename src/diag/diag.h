/* SPDX-License-Identifier: MIT */
/*
 * diag.h: what the files of diag/ share: the walk over plain-thread
 * records (threads.c), the output of goroutine records (dump.c), and the
 * GORODEBUG switch of the deadlock check.
 */
#ifndef GORO_DIAG_H
#define GORO_DIAG_H

#include <stdio.h>

#include "sched/g.h"
#include "wait/wait.h"

/* threads.c: plain-thread records, walked lock-free (acquire loads). */
goro__thr *goro__thr_first(void);
#define GORO_FOR_EACH_THR(t) \
    for (goro__thr *t = goro__thr_first(); t; \
         t = atomic_load_explicit(&t->next, memory_order_acquire))

/* dump.c: output to a FILE, or to an fd (f NULL) from a signal handler. */
typedef struct diag_out {
    FILE *f;
    int fd;
} diag_out;
__attribute__((format(printf, 2, 3)))
void goro__diag_outf(diag_out *o, const char *fmt, ...);
/* One goroutine as a dump shows it; g (may be NULL) for its frames, self:
 * the calling thread's own goroutine may be unwound. */
void goro__diag_out_g(diag_out *o, const goro_ginfo *gi, G *g, bool self);
/* Every goroutine, then the blocked plain threads. sorted: in id order
 * (allocates); else registry order (signal handlers). */
void goro__diag_dump(diag_out *o, bool sorted);
/* A live goroutine's record and its G (for its frames). */
typedef struct diag_gent {
    goro_ginfo gi;
    G *g;
} diag_gent;
/* Live goroutines sorted by id, malloc'd; -1 when out of memory. */
int goro__diag_collect(diag_gent **out);

/* deadlock.c: GORODEBUG=deadlock=0 (set at init, dump.c). */
extern bool goro__diag_deadlock_off;

#endif
