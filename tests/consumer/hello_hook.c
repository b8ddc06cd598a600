// SPDX-License-Identifier: MIT
// hello_hook.c: a consumer of libgoro-hook (pkg-config goro-hook, CMake
// goro::hook): the hook is in effect, and a goroutine's plain read() of a
// pipe parks it until another goroutine writes.
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "goro.h"
#include "goro_hook.h"

static int p[2];

static void writer(void *arg)
{
    (void)arg;
    goro_sleep(10 * GORO_MILLISECOND);
    if (write(p[1], "hook", 4) != 4)
        perror("write");
}

static int ok;

static void reader(void *arg)
{
    char buf[8] = { 0 };
    ok = read(p[0], buf, sizeof buf - 1) == 4 && strcmp(buf, "hook") == 0;
    goro_waitgroup_done(arg);
}

int main(void)
{
    if (!goro_hook_active() || pipe(p) != 0) {
        fprintf(stderr, "hello_hook: the hook is not in effect\n");
        return 1;
    }
    goro_waitgroup wg = GORO_WAITGROUP_INIT;
    goro_waitgroup_add(&wg, 1);
    goro_go(writer, NULL);
    goro_go(reader, &wg);
    goro_waitgroup_wait(&wg);
    printf("hello_hook: %s\n", ok ? "ok" : "FAILED");
    return !ok;
}
