/* SPDX-License-Identifier: MIT */
/*
 * threads.c: the records of plain threads that block in goro waits
 * (goro__thr, wait.h): heap memory on an append-only list, never freed (a
 * dump or the deadlock check may read one at any time), made on a
 * thread's first wait and reused once its thread has ended (a pthread key
 * destructor frees it for reuse). Appended under thr_lock, walked
 * lock-free (GORO_FOR_EACH_THR).
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "diag/diag.h"

static goro__lock thr_lock = GORO_LOCK_INIT(THREADS);
static goro__thr *_Atomic thr_head; /* appended under thr_lock, read lock-free */
static goro__thr *thr_tail;         /* (thr_lock) */
static pthread_key_t thr_key;
static pthread_once_t thr_key_once = PTHREAD_ONCE_INIT;
static __thread goro__thr *tls_thr;

goro__thr *goro__thr_first(void)
{
    return atomic_load_explicit(&thr_head, memory_order_acquire);
}

/* pthread key destructor: the thread ends, its record is free for reuse. */
static void thr_release(void *p)
{
    goro__thr *t = p;
    atomic_store_explicit(&t->reason, GORO_WAIT_NONE, memory_order_relaxed);
    atomic_store_explicit(&t->tid, 0, memory_order_release);
    tls_thr = NULL;
}

static void thr_key_make(void)
{
    if (pthread_key_create(&thr_key, thr_release) != 0)
        GORO_FATAL("pthread_key_create failed");
}

goro__thr *goro__thr_self(void)
{
    goro__thr *t = tls_thr;
    if (goro_likely(t))
        return t;
    pthread_once(&thr_key_once, thr_key_make);
    pid_t tid = gettid();
    goro__lock_acquire(&thr_lock);
    GORO_FOR_EACH_THR(x)
        if (atomic_load_explicit(&x->tid, memory_order_relaxed) == 0) {
            t = x;
            break;
        }
    if (!t) {
        /* Not fault-injected: a plain thread's first wait has no way to
         * fail (like a P, the record is kept for good). */
        t = calloc(1, sizeof *t);
        if (!t)
            GORO_FATAL("out of memory allocating a thread record");
        if (thr_tail)
            atomic_store_explicit(&thr_tail->next, t, memory_order_release);
        else
            atomic_store_explicit(&thr_head, t, memory_order_release);
        thr_tail = t;
    }
    t->is_main = tid == getpid();
    atomic_store_explicit(&t->tid, tid, memory_order_release);
    goro__lock_release(&thr_lock);
    pthread_setspecific(thr_key, t);
    tls_thr = t;
    return t;
}
