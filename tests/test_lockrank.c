// SPDX-License-Identifier: MIT
// ctest-labels: debug
/*
 * test_lockrank.c: in a GORO_DEBUG build, taking two ranked runtime locks
 * out of the order of src/base/lockrank.h aborts naming both; taking them
 * in order does not; GORO_ASSERT_HELD on a lock not held aborts. Each
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
    goro__lock_acquire(&a);   /* line checked below: 21 */
}

static void not_held(void)
{
    GORO_ASSERT_HELD(&a);     /* line checked below: 26 */
}
#endif

int main(int argc, char **argv)
{
#if !GORO_DEBUG
    (void)argc, (void)argv;
    return 77;
#else
    if (argc > 1) {
        misuse_child_begin();
        if (!strcmp(argv[1], "order"))
            out_of_order();
        else if (!strcmp(argv[1], "held"))
            not_held();
        return 0;
    }
    /* In order, and released out of order: fine. */
    goro__lock_acquire(&a);
    goro__lock_acquire(&b);
    GORO_ASSERT_HELD(&a);
    goro__lock_release(&a);
    goro__lock_release(&b);
    expect_fatal(argv[0], "order",
                 "lock rank: lock TEST_A taken while holding lock TEST_B", "test_lockrank.c", 21);
    expect_fatal(argv[0], "order", "test_lockrank.c:20", "test_lockrank.c", 21);
    expect_fatal(argv[0], "held", "lock rank: lock TEST_A", "test_lockrank.c", 26);
    printf("ok\n");
    return 0;
#endif
}
