/*
 * wait.c: the blocking primitive (contract in wait.h).
 *
 * Goroutines: waking is goro__ready(g), which either makes a parked g
 * runnable on the waker's P (runnext), or, if g has not parked yet, marks
 * it so its park returns at once. A deadline is a timer on the goroutine's
 * P whose callback competes for the claim like any source.
 * Plain threads: waking sets the futex word to 1 and wakes the sleeper
 * only if it is asleep (word 2), so a wake before the sleep costs no
 * syscall.
 * TSan: the waker releases on w, the woken party acquires on it.
 */
#include "internal.h"
#include "san.h"
#include "timer.h"
#include "wait.h"

void goro__waiter_init(goro__waiter *w)
{
    atomic_store_explicit(&w->claimed, 0, memory_order_relaxed);
    atomic_store_explicit(&w->futex, 0, memory_order_relaxed);
    w->single = false;
    w->g = goro__getg();
    w->source = NULL;
    w->elem = NULL;
    w->result = 0;
}

void goro__waiter_wake(goro__waiter *w)
{
    san_release(w);
    G *g = w->g;
    if (g) {
        goro__ready(g);
        return;
    }
    if (atomic_exchange_explicit(&w->futex, 1, memory_order_release) == 2)
        goro__futex_wake(&w->futex, 1);
}

static void deadline_fire(goro__timer *t)
{
    goro__waiter *w = t->arg;
    if (goro__waiter_claim(w)) {
        w->source = NULL;
        w->result = GORO_ETIMEDOUT;
        goro__waiter_wake(w);
    }
}

static int block_thread(goro__waiter *w, int64_t deadline)
{
    for (;;) {
        uint32_t v = atomic_load_explicit(&w->futex, memory_order_acquire);
        if (v == 1)
            break;
        if (v == 0 && !atomic_compare_exchange_strong_explicit(&w->futex, &v, 2,
                          memory_order_acquire, memory_order_acquire))
            continue;
        goro__futex_wait(&w->futex, 2, deadline);
        if (deadline != GORO_FOREVER &&
            atomic_load_explicit(&w->futex, memory_order_acquire) != 1 &&
            goro__nanotime() >= deadline) {
            if (goro__waiter_claim(w)) {
                w->source = NULL;
                w->result = GORO_ETIMEDOUT;
                return GORO_ETIMEDOUT;
            }
            deadline = GORO_FOREVER;   /* a source won: its wake is coming */
        }
    }
    return w->result;
}

int goro__waiter_block(goro__waiter *w, int64_t deadline)
{
    SAN_RUNTIME_SCOPE;
    if (!w->g) {
        int r = block_thread(w, deadline);
        san_acquire(w);
        return r;
    }
    if (deadline != GORO_FOREVER) {
        if (deadline <= goro__nanotime()) {
            if (goro__waiter_claim(w)) {
                w->result = GORO_ETIMEDOUT;
                return GORO_ETIMEDOUT;
            }
            goro__park();   /* a source won the claim: wait for its wake */
        } else {
            goro__timer t = { .fn = deadline_fire, .arg = w };
            goro__timer_start(&t, deadline);
            goro__park();
            goro__timer_stop(&t);
        }
    } else {
        goro__park();
    }
    san_acquire(w);
    return w->result;
}

int goro__waiter_block_unlock(goro__waiter *w, goro__lock *l)
{
    SAN_RUNTIME_SCOPE;
    if (!w->g) {
        goro__lock_release(l);
        int r = block_thread(w, GORO_FOREVER);
        san_acquire(w);
        return r;
    }
    goro__park_unlock(l);
    san_acquire(w);
    return w->result;
}
