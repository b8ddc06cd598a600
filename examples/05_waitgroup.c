/* SPDX-License-Identifier: MIT */
/*
 * 05_waitgroup.c: mirrors the Go tour's "WaitGroup for fan-out"
 * program: for each of the items 1..5, wg.Add(1) then go processItem(id,
 * &wg), where processItem defers wg.Done(), sleeps 50 ms and prints "item
 * <id> processed"; main's wg.Wait() then prints "all items processed".
 *
 * The five goroutines sleep at the same time, so the whole run takes about
 * 50 ms, not 250. They finish in any order; to keep the output readable
 * each records its id and main prints them sorted after the Wait. As in the
 * Go original, a pointer to main's WaitGroup is passed (it lives on main's
 * stack).
 */
#include <goro.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct item {
    int id;
    goro_waitgroup *wg;
};

static int processed[5];
static atomic_int nprocessed;

static void process_item(void *arg)
{
    struct item *it = arg;
    goro_sleep(50 * GORO_MILLISECOND);
    processed[atomic_fetch_add(&nprocessed, 1)] = it->id;
    goro_waitgroup_done(it->wg);
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int main(void)
{
    goro_waitgroup wg = {0};
    int items[] = {1, 2, 3, 4, 5};
    for (int k = 0; k < 5; k++) {
        goro_waitgroup_add(&wg, 1);   /* before starting the goroutine */
        struct item it = {items[k], &wg};
        goro_go_copy(process_item, &it, sizeof it);
    }
    goro_waitgroup_wait(&wg);         /* until all five called done */

    qsort(processed, 5, sizeof processed[0], cmp_int);
    for (int k = 0; k < 5; k++)
        printf("item %d processed\n", processed[k]);
    printf("all items processed\n");
    return 0;
}
