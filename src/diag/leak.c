/* SPDX-License-Identifier: MIT */
/*
 * leak.c: the leak check (goro_leakcheck_*): the ids of the goroutines
 * alive at a snapshot, and after a grace period the goroutines alive now
 * that were not, reported as a dump would show them.
 */
#include <stdio.h>

#include "diag/diag.h"
#include "base/san.h"

struct goro_leak_snapshot {
    int n;
    uint64_t ids[];            /* live goroutines at the snapshot, sorted */
};

goro_leak_snapshot *goro_leakcheck_begin(void)
{
    SAN_RUNTIME_SCOPE;
    goro__init();
    diag_gent *v;
    int n = goro__diag_collect(&v);
    if (n < 0)
        return NULL;
    goro_leak_snapshot *s = goro__malloc(sizeof *s + (size_t)n * sizeof s->ids[0]);
    if (s) {
        s->n = n;
        for (int i = 0; i < n; i++)
            s->ids[i] = v[i].gi.id;
    }
    goro__free(v);
    return s;
}

static bool snap_has(const goro_leak_snapshot *s, uint64_t id)
{
    int lo = 0, hi = s->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (s->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->ids[lo] == id;
}

/* Moves the goroutines started since s (not self) to the front of v. */
static int leaked(const goro_leak_snapshot *s, diag_gent *v, int n, uint64_t self)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (v[i].gi.id != self && !snap_has(s, v[i].gi.id))
            v[k++] = v[i];
    return k;
}

int goro_leakcheck_verify(const goro_leak_snapshot *s, int64_t grace, FILE *report)
{
    SAN_RUNTIME_SCOPE;
    if (!s)
        return GORO_EINVAL;
    uint64_t self = goro_id();
    int64_t start = goro_now(), nap = 100 * GORO_MICROSECOND;
    for (;;) {
        diag_gent *v;
        int n = goro__diag_collect(&v);
        if (n < 0)
            return GORO_ENOMEM;
        int k = leaked(s, v, n, self);
        int64_t waited = goro_now() - start;
        if (k == 0 || waited >= grace) {
            if (k && report) {
                diag_out o = { report, -1 };
                goro__diag_outf(&o, "goro: %d goroutine%s leaked (still alive after a %lld ms grace period):\n\n",
                     k, k == 1 ? "" : "s", (long long)(grace / GORO_MILLISECOND));
                for (int i = 0; i < k; i++)
                    goro__diag_out_g(&o, &v[i].gi, v[i].g, true);
                fflush(report);
            }
            goro__free(v);
            return k;
        }
        goro__free(v);
        if (nap > grace - waited)
            nap = grace - waited;
        goro_sleep(nap);
        if (nap < 20 * GORO_MILLISECOND)
            nap *= 2;
    }
}

void goro_leakcheck_free(goro_leak_snapshot *s)
{
    goro__free(s);
}

int goro_leakcheck_end(goro_leak_snapshot *s, int64_t grace, FILE *report)
{
    int k = goro_leakcheck_verify(s, grace, report);
    goro_leakcheck_free(s);
    return k;
}
