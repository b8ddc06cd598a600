/* SPDX-License-Identifier: MIT */
/*
 * allg.c: the scheduler's side of diagnostics: the registry of every G,
 * reading a goroutine's record and frames, the scheduler's counters for
 * goro_stats and its view for the deadlock check (sched/g.h; diag/ builds
 * dumps, the leak check, goro_stats and the deadlock check on these).
 *
 * Records. A G carries its id, name, creation site, the user's function
 * (ufn: for waitgroup_go and errgroup tasks the function their trampoline
 * runs, never the trampoline) and status, and, once parked, its wait
 * record (wait.c writes it with relaxed stores, the time from
 * goro__coarse_ns). Every G struct ever allocated is on the registry
 * (append-only, never freed, like Go's allgs), so walkers take no lock:
 * they read allg_head and each alllink with acquire, and read the fields
 * of live goroutines racily (relaxed), showing what they saw; a G reused
 * meanwhile may show a mix of two goroutines, never a crash.
 */
#include <string.h>

#include "sched/runtime.h"
#include "sched/arch/arch.h"

_Atomic int64_t goro__coarse_ns;

static goro__lock allg_lock = GORO_LOCK_INIT(ALLG);
static G *_Atomic allg_head;        /* appended under allg_lock, read lock-free */
static G *allg_tail;                /* (allg_lock) */
static _Atomic long allg_count;

void goro__allg_add(G *g)
{
    goro__lock_acquire(&allg_lock);
    /* release: a walker that reaches g sees it zeroed */
    if (allg_tail)
        atomic_store_explicit(&allg_tail->alllink, g, memory_order_release);
    else
        atomic_store_explicit(&allg_head, g, memory_order_release);
    allg_tail = g;
    atomic_fetch_add_explicit(&allg_count, 1, memory_order_relaxed);
    goro__lock_release(&allg_lock);
}

G *goro__allg_first(void)
{
    return atomic_load_explicit(&allg_head, memory_order_acquire);
}

G *goro__allg_next(const G *g)
{
    return atomic_load_explicit(&g->alllink, memory_order_acquire);
}

long goro__allg_count(void)
{
    return atomic_load_explicit(&allg_count, memory_order_relaxed);
}

bool goro__g_read(G *g, int64_t now, goro_ginfo *gi)
{
    uint32_t s = atomic_load_explicit(&g->status, memory_order_acquire);
    memset(gi, 0, sizeof *gi);
    switch (s) {
    case G_RUNNABLE:
        gi->state = GORO_G_RUNNABLE;
        break;
    case G_RUNNING:
    case G_WOKEN:
        gi->state = __atomic_load_n(&g->syscall_depth, __ATOMIC_RELAXED) ? GORO_G_SYSCALL
                                                                          : GORO_G_RUNNING;
        break;
    case G_WAITING:
        gi->state = GORO_G_WAITING;
        gi->wait = atomic_load_explicit(&g->wait.reason, memory_order_relaxed);
        if (gi->wait >= GORO_WAIT_COUNT)
            gi->wait = GORO_WAIT_NONE;
        gi->wait_obj = atomic_load_explicit(&g->wait.obj, memory_order_relaxed);
        gi->wait_ns = now - atomic_load_explicit(&g->wait.since, memory_order_relaxed);
        if (gi->wait_ns < 0)
            gi->wait_ns = 0;
        break;
    default:
        return false;
    }
    gi->id = __atomic_load_n(&g->id, __ATOMIC_RELAXED);
    gi->name = __atomic_load_n(&g->name, __ATOMIC_RELAXED);
    gi->file = __atomic_load_n(&g->file, __ATOMIC_RELAXED);
    gi->line = __atomic_load_n(&g->line, __ATOMIC_RELAXED);
    gi->fn = __atomic_load_n(&g->ufn, __ATOMIC_RELAXED);
    return true;
}

int goro__g_frames(G *g, uintptr_t *pcs, int max)
{
    if (atomic_load_explicit(&g->status, memory_order_acquire) != G_WAITING ||
            atomic_load_explicit(&g->on_cpu, memory_order_acquire) != 0)
        return 0;
    /* off its stack: the context is saved (pairs with the release that
     * clears on_cpu after the switch) */
    uint64_t waits = atomic_load_explicit(&g->wait.nwaits, memory_order_acquire);
    int n = goro__trace_ctx(__atomic_load_n(&g->ctx, __ATOMIC_RELAXED), goro__ctx_pc_off,
                            goro__ctx_fp_off, pcs, max);
    atomic_thread_fence(memory_order_acquire);
    if (atomic_load_explicit(&g->status, memory_order_relaxed) != G_WAITING ||
            atomic_load_explicit(&g->wait.nwaits, memory_order_relaxed) != waits)
        return 0;   /* it ran meanwhile */
    return n;
}

void goro__sched_stats(goro_stats_t *st)
{
    GORO_FOR_EACH_G(g)
        st->parks += atomic_load_explicit(&g->wait.nwaits, memory_order_relaxed);
    st->threads = __atomic_load_n(&goro__S.mcount, __ATOMIC_RELAXED);
    st->threads_idle = __atomic_load_n(&goro__S.nmidle, __ATOMIC_RELAXED);
    st->procs = atomic_load_explicit(&goro__S.nprocs, memory_order_relaxed);
    st->procs_idle = atomic_load_explicit(&goro__S.npidle, memory_order_relaxed);
    st->created = (uint64_t)atomic_load_explicit(&goro__S.nthread_created, memory_order_relaxed);
    GORO_FOR_EACH_P(p) {
        st->created += (uint64_t)atomic_load_explicit(&p->ncreated, memory_order_relaxed);
        st->steals += atomic_load_explicit(&p->nsteals, memory_order_relaxed);
        st->timers += __atomic_load_n(&p->ntimers, __ATOMIC_RELAXED);
    }
}

bool goro__sched_quiet_locked(void)
{
    GORO_ASSERT_HELD(&goro__S.lock);
    return goro__S.nmidle == goro__S.mcount &&
           atomic_load_explicit(&goro__S.runq_size, memory_order_relaxed) == 0;
}

bool goro__m_idle_tid_locked(pid_t tid)
{
    GORO_ASSERT_HELD(&goro__S.lock);
    for (M *m = goro__S.midle; m; m = m->schedlink)
        if (m->tid == tid)
            return true;
    return false;
}

void goro__checkdead(void)
{
    if (__atomic_load_n(&goro__S.nmidle, __ATOMIC_SEQ_CST) !=
            __atomic_load_n(&goro__S.mcount, __ATOMIC_SEQ_CST))
        return;
    goro__lock_acquire(&goro__S.lock);
    goro__checkdead_locked();
    goro__lock_release(&goro__S.lock);
}
