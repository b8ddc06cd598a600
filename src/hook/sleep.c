/* SPDX-License-Identifier: MIT */
/*
 * sleep.c: nanosleep, clock_nanosleep, usleep and sleep. In a goroutine
 * they park in goro_sleep, which no signal interrupts: no EINTR, and a
 * zero remainder. On a plain thread they are libc's, and so is a
 * clock_nanosleep whose timespec libc would reject.
 */
#define _GNU_SOURCE
#include <time.h>
#include <unistd.h>

#include "hook_internal.h"

static bool ts_valid(const struct timespec *ts)
{
    return ts && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

EXPORT int nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (!in_g())
        return REAL(nanosleep)(req, rem);
    if (!ts_valid(req) || req->tv_sec < 0) {
        hook_err_set(EINVAL);
        return -1;
    }
    goro_sleep(ts_ns(req));
    if (rem)
        *rem = (struct timespec){ 0, 0 };
    return 0;
}

EXPORT int clock_nanosleep(clockid_t clk, int flags, const struct timespec *req, struct timespec *rem)
{
    if (!in_g() || !ts_valid(req))
        return REAL(clock_nanosleep)(clk, flags, req, rem);
    int64_t d = ts_ns(req);
    if (flags & TIMER_ABSTIME) {
        struct timespec now;
        if (clock_gettime(clk, &now) < 0)
            return EINVAL;
        d -= ts_ns(&now);
    }
    if (d > 0)
        goro_sleep(d);
    if (rem && !(flags & TIMER_ABSTIME))
        *rem = (struct timespec){ 0, 0 };
    return 0;
}

EXPORT int usleep(useconds_t us)
{
    if (!in_g())
        return REAL(usleep)(us);
    goro_sleep((int64_t)us * GORO_MICROSECOND);
    return 0;
}

EXPORT unsigned sleep(unsigned s)
{
    if (!in_g())
        return REAL(sleep)(s);
    goro_sleep((int64_t)s * GORO_SECOND);
    return 0;
}
