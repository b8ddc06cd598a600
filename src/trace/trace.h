/* SPDX-License-Identifier: MIT */
/*
 * trace.h: the execution tracer's event sites. The scheduler (and io/,
 * diag/) record events with one-line hooks:
 *
 *     GORO_TRACE(ev(GORO_TR_GO_START, p->id, g->id, 0, 0, 0));
 *
 * Off, a hook is one relaxed load of goro__tracer_on and a not-taken
 * branch; its arguments are evaluated only when tracing is on. On, it
 * calls an out-of-line goro__tracer_* function (goro__tracer_ev picks
 * one at compile time from its constant type), which appends an event to
 * the calling thread's buffer (no lock, no system
 * call; a full buffer goes to the writer under its mutex). The format is
 * in trace/format.h.
 *
 * Like the calls up into io/ and diag/ that sched/g.h declares, these are
 * implemented above the scheduler (trace.c uses only sched/g.h) and take
 * plain values, so no layer below needs the tracer's types.
 */
#ifndef GORO_TRACE_TRACE_H
#define GORO_TRACE_TRACE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "trace/format.h"

extern _Atomic uint32_t goro__tracer_on;

#define GORO_TRACE(call) do { \
        if (__builtin_expect(atomic_load_explicit(&goro__tracer_on, memory_order_relaxed), 0)) \
            goro__tracer_##call; \
    } while (0)

void goro__tracer_start_ev(int p, uint64_t g);
void goro__tracer_ready(int p, uint64_t g, uint64_t by);
void goro__tracer_any(int t, int aux, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);

/* An event of type t with P (or other aux) aux and up to four arguments
 * (format.h says how many each type keeps). */
static inline __attribute__((always_inline)) void
goro__tracer_ev(int t, int aux, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
    if (t == GORO_TR_GO_START)
        goro__tracer_start_ev(aux, a0);
    else if (t == GORO_TR_GO_READY)
        goro__tracer_ready(aux, a0, a1);
    else
        goro__tracer_any(t, aux, a0, a1, a2, a3);
}
/* Goroutine g created by parent running ufn, at file:line. */
void goro__tracer_create(uint64_t g, uint64_t parent, void (*ufn)(void),
                         const char *file, int line, int p);
/* Goroutine g stops on P p (why: SW_*, which GORO_TR_STOP_* equals; a
 * park's reason and object are read from its wait record w); next: the
 * goroutine that starts on this thread at once (0: none), whose start
 * hook then writes nothing (one event per switch). */
struct goro__gwait;
void goro__tracer_stop(uint64_t g, int why, const struct goro__gwait *w, int p, uint64_t next);
/* goro_trace_start without goro__init (GORODEBUG=trace, read during it). */
int goro__tracer_start(const char *path);
/* Fatal error, deadlock, crash or SIGQUIT dump: write what the buffers
 * hold without waiting for anything (async-signal-safe, best effort). */
void goro__tracer_flush_fatal(void);

#endif
