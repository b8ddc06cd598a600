/* SPDX-License-Identifier: MIT */
/*
 * test_header.c: what goro.h promises to a program at compile time. It
 * includes nothing but goro.h and libc headers and is written in the
 * common subset of C99 and C++11, because `make header-test` also compiles
 * it as C99/C11/C17 and as C++11/17/20 with gcc, g++, clang and clang++ at
 * full warnings (tests/header-test.sh); every macro of goro.h that expands
 * to code is used here once. As a CTest test it checks:
 *  - GORO_VERSION is MAJOR/MINOR/PATCH encoded, and goro_version() (the
 *    library's own) equals it;
 *  - each sync type's GORO_*_INIT gives a ready object (unlocked, empty);
 *  - GORO_CASE_SEND/RECV build cases that select runs, NULL value and NULL
 *    channel included, a const value for a send, an uninitialised
 *    destination for a receive (no -Wuninitialized: clang warned when the
 *    builder took the destination as const void *); GORO_CHAN_DEFINE's
 *    functions and goro_chan_of;
 *  - the time and stack constants have their types and values.
 */
// ctest-labels: api
#include <goro.h>
#include <stdio.h>
#include <stdlib.h>

#define EXPECT(cond) do { \
    if (!(cond)) { \
        fprintf(stderr, "%s:%d: EXPECT failed: %s\n", __FILE__, __LINE__, #cond); \
        exit(1); \
    } } while (0)

GORO_CHAN_DEFINE(intch, int)

/* void * to T *: implicit in C, a static_cast in C++. */
#ifdef __cplusplus
#define FROM_VOID(T, p) static_cast<T>(p)
#else
#define FROM_VOID(T, p) (p)
#endif

static void count(void *arg)
{
    goro_mutex *mu = FROM_VOID(goro_mutex *, arg);
    goro_mutex_lock(mu);
    goro_mutex_unlock(mu);
}

static void once_fn(void *arg)
{
    int *n = FROM_VOID(int *, arg);
    (*n)++;
}

static void sender(void *arg)
{
    intch ch;
    ch.c_ = FROM_VOID(goro_chan *, arg);
    intch_send(ch.tx, 42);
    intch_close(ch.tx);
}

int main(void)
{
    /* Version. */
    EXPECT(GORO_VERSION == GORO_VERSION_MAJOR * 1000000 + GORO_VERSION_MINOR * 1000
                               + GORO_VERSION_PATCH);
    EXPECT(GORO_VERSION_MINOR < 1000 && GORO_VERSION_PATCH < 1000);
    EXPECT(goro_version() == GORO_VERSION);

    /* Zero initializers: each object starts unlocked, empty, not done. */
    goro_waitgroup wg = GORO_WAITGROUP_INIT;
    goro_mutex mu = GORO_MUTEX_INIT;
    goro_rwmutex rw = GORO_RWMUTEX_INIT;
    goro_once once = GORO_ONCE_INIT;
    goro_cond cond = GORO_COND_INIT;
    EXPECT(goro_waitgroup_wait_until(&wg, goro_now()) == 0);
    EXPECT(goro_mutex_trylock(&mu) == 0);
    goro_mutex_unlock(&mu);
    EXPECT(goro_rwmutex_trylock(&rw) == 0);
    goro_rwmutex_unlock(&rw);

    for (int i = 0; i < 4; i++)
        EXPECT(goro_waitgroup_go(&wg, count, &mu) == 0);
    goro_waitgroup_wait(&wg);
    goro_rwmutex_rlock(&rw);
    goro_rwmutex_runlock(&rw);
    goro_rwmutex_lock(&rw);
    goro_rwmutex_unlock(&rw);
    int runs = 0;
    goro_once_do(&once, once_fn, &runs);
    goro_once_do(&once, once_fn, &runs);
    EXPECT(runs == 1);
    goro_mutex_lock(&mu);
    EXPECT(goro_cond_wait_until(&cond, &mu, goro_now() + GORO_MILLISECOND) == GORO_ETIMEDOUT);
    goro_cond_signal(&cond);
    goro_mutex_unlock(&mu);

    /* Case builders and typed channels. */
    intch ch = intch_make(0);
    EXPECT(ch.c_ != NULL);
    EXPECT(goro_go(sender, goro_chan_of(ch)) == 0);
    int v;   /* uninitialised: the compiler must see that select writes it */
    goro_case cs[] = { GORO_CASE_RECV(goro_chan_of(ch), &v), GORO_CASE_RECV(NULL, NULL) };
    EXPECT(goro_select(cs, 2) == 0 && cs[0].result == 0 && v == 42);
    EXPECT(cs[0].dir == GORO_RECV && cs[1].ch == NULL && cs[1].val == NULL);
    EXPECT(goro_select(cs, 1) == 0 && cs[0].result == GORO_ECLOSED);
    const int one = 1;
    goro_chan *buf = goro_chan_make(sizeof(int), 1);
    goro_case send[] = { GORO_CASE_SEND(buf, &one) };
    EXPECT(goro_select_try(send, 1) == 0 && send[0].dir == GORO_SEND);
    EXPECT(goro_select_try(send, 1) == GORO_EAGAIN);
    EXPECT(goro_chan_try_recv(buf, &v) == 0 && v == 1);
    goro_chan_release(buf);
    intch_release(ch);

    /* Constants. */
    int64_t minute = GORO_MINUTE;
    EXPECT(minute == 60 * GORO_SECOND && GORO_SECOND == 1000 * GORO_MILLISECOND);
    EXPECT(GORO_MILLISECOND == 1000 * GORO_MICROSECOND && GORO_MICROSECOND == 1000 * GORO_NANOSECOND);
    EXPECT(sizeof GORO_SECOND == sizeof(int64_t) && sizeof GORO_STACK_DEFAULT == sizeof(size_t));
    EXPECT(GORO_STACK_DEFAULT == 65536 && GORO_FOREVER == INT64_MAX);

    printf("test_header: ok (goro %d.%d.%d)\n", goro_version() / 1000000,
           goro_version() / 1000 % 1000, goro_version() % 1000);
    return 0;
}
