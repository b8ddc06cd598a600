/* SPDX-License-Identifier: MIT */
/*
 * alloc.c: the runtime's allocation entry points. Each can be made to fail
 * by the fault-injection switch (fault.c, kind GORO_FAULT_ALLOC); the check
 * costs one relaxed load. goro__alloc_live counts the blocks allocated
 * with goro__malloc and not yet freed, for leak tests; the _pool variants
 * are for records the runtime keeps for reuse or for good (goroutines,
 * threads, poll descriptors, stack pool arrays), which it leaves out; they
 * are released with free().
 */
#include <stdlib.h>

#include "base/base.h"

static _Atomic long live;

long goro__alloc_live(void)
{
    return atomic_load_explicit(&live, memory_order_relaxed);
}

void *goro__malloc(size_t n)
{
    if (goro__fault(GORO_FAULT_ALLOC))
        return NULL;
    void *p = malloc(n);
    if (p)
        atomic_fetch_add_explicit(&live, 1, memory_order_relaxed);
    return p;
}

void *goro__malloc_pool(size_t n)
{
    return goro__fault(GORO_FAULT_ALLOC) ? NULL : malloc(n);
}

void *goro__calloc_pool(size_t n, size_t size)
{
    return goro__fault(GORO_FAULT_ALLOC) ? NULL : calloc(n, size);
}

void *goro__realloc_pool(void *p, size_t n)
{
    return goro__fault(GORO_FAULT_ALLOC) ? NULL : realloc(p, n);
}

void goro__free(void *p)
{
    if (p)
        atomic_fetch_sub_explicit(&live, 1, memory_order_relaxed);
    free(p);
}
