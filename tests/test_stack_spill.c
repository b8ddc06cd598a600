/* SPDX-License-Identifier: MIT */
/*
 * test_stack_spill.c: a P's stack pool that is full when the global pool
 * cannot grow (its array's allocation fails) still drops below its
 * watermark: the older half goes back to the kernel. It used to stay full,
 * and the next stack released was stored one past the pool's array
 * (over the P's stack count).
 *  - 400 goroutines park on a channel; with every allocation failing from
 *    then on, they are released and exit, so each P's pool fills and
 *    spills while the global pool's array cannot be allocated;
 *  - afterwards no default stack is counted in use (the counts are sane),
 *    and 400 new goroutines run.
 */
// ctest-labels: sched
#define GORO_SCHED_INTERNAL   /* white-box: the scheduler's private header */
#include "sched/runtime.h"
#include "testutil.h"

#define N 400

static goro_chan *gate;
static goro_waitgroup done;

static void parked(void *arg)
{
    (void)arg;
    int v;
    CHECK(goro_chan_recv(gate, &v) == GORO_ECLOSED);
    goro_waitgroup_done(&done);
}

static void one_round(bool failing)
{
    gate = goro_chan_make(sizeof(int), 0);
    CHECK(gate);
    goro_waitgroup_add(&done, N);
    for (int i = 0; i < N; i++)
        CHECK(goro_go(parked, NULL) == 0);
    for (;;) {   /* every stack attached: all parked */
        goro_stats_t s;
        goro_stats(&s);
        if (s.waiting_on[GORO_WAIT_CHAN_RECV] >= N)
            break;
        goro_sleep(GORO_MILLISECOND);
    }
    if (failing)
        goro__fault_set(GORO_FAULT_ALLOC, 0, true);
    goro_chan_close(gate);
    goro_waitgroup_wait(&done);
    if (failing)
        goro__fault_off();
    goro_chan_release(gate);
}

int main(void)
{
    one_round(true);
    check_no_stack_in_use();
    one_round(false);
    check_no_stack_in_use();
    TEST_PASS("test_stack_spill");
}
