/* SPDX-License-Identifier: MIT */
/*
 * 01_say.c: mirrors the Go tour's first goroutine program (section
 * "Goroutines"): say(msg) prints "msg i" three times, sleeping 100 ms after
 * each line; main starts say("background") as a goroutine and then calls
 * say("foreground") itself.
 *
 * As in Go, the two lines of each round may come in either order, and main
 * returning ends the program at once: "background 2" may or may not be
 * printed, because nothing waits for the background goroutine.
 */
#include <goro.h>
#include <stdio.h>

static void say(void *arg)
{
    const char *msg = arg;
    for (int i = 0; i < 3; i++) {
        printf("%s %d\n", msg, i);
        fflush(stdout);
        goro_sleep(100 * GORO_MILLISECOND);
    }
}

int main(void)
{
    goro_go(say, "background");   /* starts a goroutine, returns at once */
    say("foreground");            /* runs on main */
    return 0;
}
