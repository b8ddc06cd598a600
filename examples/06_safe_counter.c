/* SPDX-License-Identifier: MIT */
/*
 * 06_safe_counter.c: mirrors the Go tour's "Mutex for shared state"
 * program: a SafeCounter (a sync.Mutex and an int) whose Inc and Get lock
 * the mutex; main starts 1000 goroutines that each call Inc once (wg.Add(1)
 * before each, defer wg.Done() inside), waits for them, and prints Get(),
 * which is always 1000.
 *
 * Go's `defer c.mu.Unlock()` becomes an explicit unlock before each return.
 * The zero value of goro_mutex is ready, as Go's is, so `{0}` initialises
 * the whole counter.
 */
#include <goro.h>
#include <stdio.h>

typedef struct {
    goro_mutex mu;
    int value;
} safe_counter;

static void inc(safe_counter *c)
{
    goro_mutex_lock(&c->mu);
    c->value++;
    goro_mutex_unlock(&c->mu);
}

static int get(safe_counter *c)
{
    goro_mutex_lock(&c->mu);
    int v = c->value;
    goro_mutex_unlock(&c->mu);
    return v;
}

struct job {
    safe_counter *counter;
    goro_waitgroup *wg;
};

static void worker(void *arg)
{
    struct job *j = arg;
    inc(j->counter);
    goro_waitgroup_done(j->wg);   /* defer wg.Done() */
}

int main(void)
{
    safe_counter counter = {0};
    goro_waitgroup wg = {0};
    struct job j = {&counter, &wg};
    for (int i = 0; i < 1000; i++) {
        goro_waitgroup_add(&wg, 1);
        goro_go_copy(worker, &j, sizeof j);
    }
    goro_waitgroup_wait(&wg);
    printf("%d\n", get(&counter));   /* always 1000 */
    return 0;
}
