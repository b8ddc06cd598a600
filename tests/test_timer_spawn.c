// SPDX-License-Identifier: MIT
/*
 * test_timer_spawn.c: a due timer is not held back by a goroutine that
 * spawns goroutines in a loop.
 *
 * goro_go itself is no scheduling decision, so a spawn loop could run on
 * past a due timer until its P's run queue filled enough for the spawn
 * backpressure to make it yield: up to a hundred and more spawns, tens of
 * microseconds, in which the timer's goroutine waited (the median
 * sleeper of bench/sleepers.c woke late by that). A spawn now yields as
 * soon as a timer of its P is due.
 *
 * The measure is a count, not a time, so that a loaded machine cannot
 * move it: how many goro_go calls return after a sleeper's deadline
 * before the sleeper runs. With the yield that is at most 2 (the spawn
 * whose check came just before the deadline, and the one that yields),
 * in every round; at most 2 of 21 rounds may go over 3, for a machine so
 * loaded that sysmon takes the spawner's P (the count then follows the
 * OS). Before the yield, 4 to 13 rounds went over 3, the worst to 93-130
 * (the check failed in 2 of 3 runs with this bound). At GOMAXPROCS=1
 * (set here, for both CTest runs): with two Ps the sleeper's timer may
 * sit on the other P, whose M wakes for it at the OS's pace.
 */
// ctest-labels: time
#include <stdatomic.h>
#include "testutil.h"

enum { ROUNDS = 21 };

static _Atomic int64_t deadline;
static _Atomic int woke;

static void child(void *arg)
{
    (void)arg;
}

static void sleeper(void *arg)
{
    (void)arg;
    /* At or before goro_sleep's own deadline: a spawn in between counts
     * as late, which the bound allows for. */
    atomic_store(&deadline, goro_now() + GORO_MILLISECOND);
    goro_sleep(GORO_MILLISECOND);
    atomic_store(&woke, 1);
}

/* Spawns until the sleeper has run; returns the spawns after its
 * deadline. */
static long round_late_spawns(void)
{
    atomic_store(&woke, 0);
    atomic_store(&deadline, INT64_MAX);
    CHECK(goro_go(sleeper, NULL) == 0);
    while (atomic_load(&deadline) == INT64_MAX)
        goro_yield();   /* the sleeper runs (one P) and sets it */
    long late = 0;
    int64_t limit = goro_now() + 10 * GORO_SECOND;
    while (!atomic_load(&woke)) {
        CHECK(goro_go(child, NULL) == 0);
        int64_t now = goro_now();
        if (now >= atomic_load(&deadline))
            late++;
        CHECK(now < limit);
    }
    return late;
}

static void body(void *arg)
{
    (void)arg;
    long worst = 0;
    int over = 0;
    for (int r = 0; r < ROUNDS; r++) {
        long late = round_late_spawns();
        if (late > worst)
            worst = late;
        over += late > 3;
    }
    printf("spawns after a due timer before its goroutine ran: worst of %d rounds %ld, "
           "%d rounds over 3\n", ROUNDS, worst, over);
    CHECK(over <= 2);
}

int main(void)
{
    int old = goro_maxprocs(1);
    run_main(body, NULL);
    goro_maxprocs(old);
    TEST_PASS("test_timer_spawn");
}
