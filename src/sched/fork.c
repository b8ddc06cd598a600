/* SPDX-License-Identifier: MIT */
/*
 * fork.c: a child of fork() may only exec (Go's rule; docs/design.md,
 * "fork and signal handlers").
 *
 * The child of a process whose runtime has started has one thread, the
 * one that called fork(); the Ms that ran other goroutines, sysmon and the
 * poller are gone, possibly in the middle of a runtime lock or a switch.
 * So the child keeps nothing it could run on. A child handler registered
 * with pthread_atfork at runtime start sets goro__forked, and the runtime
 * aborts with a message wherever a call in the child would hang or run
 * on that state: starting a goroutine or a thread, blocking or sleeping,
 * making a goroutine ready, waiting for a runtime lock. The check (one
 * relaxed load of a flag that is 0 unless the process forked) sits on
 * slow paths only. A goroutine that forked enters the runtime through
 * the bracket of sched/runtime.h, whose fast path already tests m->pstate: the
 * handler sets that to PS_TAKING, so the child's first runtime entry
 * (park, yield, ready, spawn) takes the slow path, goro__rt_lost, which
 * checks. A process forked before the runtime started has no handler and
 * may start its own runtime: it has nothing to inherit.
 */
#include <pthread.h>
#include <stdio.h>

#include "sched/runtime.h"

static void child(void)
{
    atomic_store_explicit(&goro__forked, 1, memory_order_relaxed);
    goro__lock_me = 0;   /* this thread has a new id */
    M *m = goro__getm();
    if (m)   /* its next goro__rt_enter goes to goro__rt_lost */
        atomic_store_explicit(&m->pstate, PS_TAKING, memory_order_relaxed);
}

void goro__fork_init(void)
{
    if (pthread_atfork(NULL, NULL, child) != 0)
        GORO_FATAL("pthread_atfork failed");
}
