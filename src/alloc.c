/*
 * alloc.c: the runtime's allocation entry point, with a fault-injection
 * switch for tests (goro__alloc_fail_after): after n more successful
 * allocations every allocation fails until the switch is reset with -1.
 * The check costs one relaxed load.
 */
#include <stdlib.h>

#include "internal.h"

static _Atomic long fail_after = -1;

void goro__alloc_fail_after(long n)
{
    atomic_store_explicit(&fail_after, n, memory_order_relaxed);
}

void *goro__malloc(size_t n)
{
    if (goro_unlikely(atomic_load_explicit(&fail_after, memory_order_relaxed) >= 0)) {
        long left = atomic_load_explicit(&fail_after, memory_order_relaxed);
        while (left > 0 && !atomic_compare_exchange_weak_explicit(&fail_after, &left,
                    left - 1, memory_order_relaxed, memory_order_relaxed))
            ;
        if (left == 0)
            return NULL;
    }
    return malloc(n);
}

void goro__free(void *p)
{
    free(p);
}
