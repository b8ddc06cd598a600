/*
 * alloc.c: the runtime's allocation entry point, with a fault-injection
 * switch for tests (goro__alloc_fail_after): after n more successful
 * allocations every allocation fails until the switch is reset with -1.
 * The check costs one relaxed load. goro__alloc_live counts the blocks
 * allocated and not yet freed, for leak tests; goro__malloc_pool is for
 * records the runtime pools for reuse (goroutines), which it leaves out;
 * they are released with free().
 */
#include <stdlib.h>

#include "internal.h"

static _Atomic long fail_after = -1;
static _Atomic long live;

long goro__alloc_live(void)
{
    return atomic_load_explicit(&live, memory_order_relaxed);
}

void goro__alloc_fail_after(long n)
{
    atomic_store_explicit(&fail_after, n, memory_order_relaxed);
}

static bool inject_failure(void)
{
    if (goro_likely(atomic_load_explicit(&fail_after, memory_order_relaxed) < 0))
        return false;
    long left = atomic_load_explicit(&fail_after, memory_order_relaxed);
    while (left > 0 && !atomic_compare_exchange_weak_explicit(&fail_after, &left,
                left - 1, memory_order_relaxed, memory_order_relaxed))
        ;
    return left == 0;
}

void *goro__malloc(size_t n)
{
    if (inject_failure())
        return NULL;
    void *p = malloc(n);
    if (p)
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    return p;
}

void *goro__malloc_pool(size_t n)
{
    return inject_failure() ? NULL : malloc(n);
}

void goro__free(void *p)
{
    if (p)
        atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
    free(p);
}
