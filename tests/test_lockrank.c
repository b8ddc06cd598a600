// SPDX-License-Identifier: MIT
// ctest-labels: debug
/*
 * test_lockrank.c: in a GORO_DEBUG build, taking two ranked runtime locks
 * out of the order of src/base/lockrank.h aborts naming both; taking them
 * in order does not; GORO_ASSERT_HELD on a lock not held aborts; a
 * goroutine that switches while holding a runtime lock aborts. Every rank
 * of the table is taken once, in order, in one chain (twice for a rank
 * that may be held several times), and a lock word without a rank field
 * (as inside goro.h's objects) is ranked by goro__lock_acquire_as. Each
 * misuse runs in a child (misuse.h). In a release build there are no
 * checks, and the test exits 77 (SKIP_RETURN_CODE): it is skipped.
 */
#include <stdlib.h>
#include "misuse.h"
#include "base/base.h"

#if GORO_DEBUG
static goro__lock a = GORO_LOCK_INIT(TEST_A);
static goro__lock b = GORO_LOCK_INIT(TEST_B);

static void out_of_order(void)
{
    goro__lock_acquire(&b);
    goro__lock_acquire(&a);   /* line checked below: 25 */
}

static void not_held(void)
{
    GORO_ASSERT_HELD(&a);     /* line checked below: 30 */
}

/* A goro.h object's lock word: 32 bits, the next field is not a rank. */
static struct { uint32_t word, next; } obj = { 0, 0xffffffffu };

static void as_out_of_order(void)
{
    goro__lock_acquire(&b);
    goro__lock_acquire_as((goro__lock *)&obj.word, TEST_A);   /* line 39 */
}

static void hold_across_yield(void *arg)
{
    (void)arg;
    goro__lock_acquire(&a);
    goro_yield();
}

static void across_switch(void)
{
    goro_go(hold_across_yield, NULL);
    /* Blocks for good: the goroutine's yield aborts the process (had it
     * not, the deadlock report would fail the test's message check). */
    goro_chan_recv(goro_chan_make(0, 0), NULL);
}

/* Every rank but NONE and the test's own, in table order: one lock each,
 * and a second one of each rank that may be held several times. */
static const unsigned char rank_self[] = {
#define RANK_SELF(name, self) self,
    GORO_LOCK_RANKS(RANK_SELF)
#undef RANK_SELF
};

static void whole_table(void)
{
    static goro__lock locks[2 * GORO_RANK_COUNT];
    int n = 0;
    for (uint32_t r = GORO_RANK_NONE + 1; r < GORO_RANK_TEST_A; r++)
        for (int k = 0; k < 1 + rank_self[r]; k++) {
            locks[n].rank = GORO_RANK_TAG | r;
            goro__lock_acquire(&locks[n]);
            n++;
        }
    CHECK(n > GORO_RANK_TEST_A);
    while (n > 0)
        goro__lock_release(&locks[--n]);
}
#endif

int main(int argc, char **argv)
{
#if !GORO_DEBUG
    (void)argc, (void)argv;
    return 77;
#else
    if (argc > 1) {
        if (!strcmp(argv[1], "order"))
            out_of_order();
        else if (!strcmp(argv[1], "held"))
            not_held();
        else if (!strcmp(argv[1], "as"))
            as_out_of_order();
        else if (!strcmp(argv[1], "switch"))
            across_switch();
        return 0;
    }
    /* In order, and released out of order: fine. */
    goro__lock_acquire(&a);
    goro__lock_acquire(&b);
    GORO_ASSERT_HELD(&a);
    goro__lock_release(&a);
    goro__lock_release(&b);
    whole_table();
    /* An unranked word taken as TEST_B after TEST_A: in order. */
    goro__lock_acquire(&a);
    goro__lock_acquire_as((goro__lock *)&obj.word, TEST_B);
    goro__lock_release((goro__lock *)&obj.word);
    goro__lock_release(&a);
    expect_fatal("order",
                 "lock rank: lock TEST_A taken while holding lock TEST_B", "test_lockrank.c", 25);
    expect_fatal("order", "test_lockrank.c:24", "test_lockrank.c", 25);
    expect_fatal("held", "lock rank: lock TEST_A", "test_lockrank.c", 30);
    expect_fatal("as",
                 "lock rank: lock TEST_A taken while holding lock TEST_B", "test_lockrank.c", 39);
    expect_fatal("switch",
                 "lock rank: lock TEST_A (taken at", "switch.c", 0);
    printf("ok\n");
    return 0;
#endif
}
