/* SPDX-License-Identifier: MIT */
/*
 * 07_rwmutex_cache.c: mirrors the Go tour's read-heavy Cache (the
 * sync.RWMutex program after "Mutex for shared state"): Get takes the
 * shared read lock (RLock: many readers at once), Set the exclusive write
 * lock (Lock).
 *
 * The Go original shows only the two methods; this program adds a main that
 * fills the cache, runs 100 reader goroutines (each looks every key up 100
 * times) alongside a writer goroutine that keeps updating one key, and
 * prints what the readers saw. C has no map, so the cache is a small
 * fixed table with linear search; the locking is the point.
 */
#include <goro.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#define CAP 8

typedef struct {
    goro_rwmutex mu;
    int n;
    const char *keys[CAP];
    const char *values[CAP];
} cache;

/* Get: shared read lock; multiple goroutines can hold it at once. */
static const char *cache_get(cache *c, const char *key)
{
    const char *v = NULL;
    goro_rwmutex_rlock(&c->mu);
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->keys[i], key) == 0)
            v = c->values[i];
    goro_rwmutex_runlock(&c->mu);
    return v;
}

/* Set: exclusive write lock. */
static void cache_set(cache *c, const char *key, const char *value)
{
    goro_rwmutex_lock(&c->mu);
    int i = 0;
    while (i < c->n && strcmp(c->keys[i], key) != 0)
        i++;
    if (i == c->n && c->n < CAP)
        c->keys[c->n++] = key;
    if (i < CAP)
        c->values[i] = value;
    goro_rwmutex_unlock(&c->mu);
}

static cache c;
static goro_waitgroup wg;
static atomic_int hits, misses, versions[2];
static const char *const version[2] = {"v1", "v2"};

static void reader(void *arg)
{
    (void)arg;
    for (int round = 0; round < 100; round++) {
        if (cache_get(&c, "language"))
            atomic_fetch_add(&hits, 1);
        if (!cache_get(&c, "missing"))
            atomic_fetch_add(&misses, 1);
        const char *v = cache_get(&c, "version");
        atomic_fetch_add(&versions[v == version[1]], 1);
        if (round % 10 == 0)
            goro_yield();
    }
    goro_waitgroup_done(&wg);
}

static void writer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 50; i++) {
        cache_set(&c, "version", version[i % 2]);
        goro_yield();
    }
    goro_waitgroup_done(&wg);
}

int main(void)
{
    cache_set(&c, "language", "Go");
    cache_set(&c, "library", "goro");
    cache_set(&c, "version", version[0]);

    goro_waitgroup_add(&wg, 101);
    goro_go(writer, NULL);
    for (int i = 0; i < 100; i++)
        goro_go(reader, NULL);
    goro_waitgroup_wait(&wg);

    printf("language: %s, library: %s\n", cache_get(&c, "language"), cache_get(&c, "library"));
    printf("lookups of a present key: %d found\n", atomic_load(&hits));
    printf("lookups of a missing key: %d not found\n", atomic_load(&misses));
    printf("lookups of the key being rewritten: %d, each saw v1 or v2\n",
           atomic_load(&versions[0]) + atomic_load(&versions[1]));
    printf("last version written: %s\n", cache_get(&c, "version"));
    return 0;
}
