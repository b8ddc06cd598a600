/* SPDX-License-Identifier: MIT */
/*
 * 11_chan_results.c: mirrors the Go tour's "Using channels for
 * results" program: fetchURL(url, ch chan<- string) fetches a URL and sends
 * "<url> -> <status>" (or "error: ...") on ch; main starts one goroutine per
 * URL and then receives exactly one result per URL.
 *
 * There is no network here: each fetch is simulated by goro_sleep for a
 * per-URL latency, and the status codes are the ones the real sites
 * return. Go prints the results in the order the requests happen to
 * finish; with the simulated latencies (20, 40 and 60 ms) that order is
 * fixed, so the output is the same every run, and it is not the order in
 * which the goroutines were started. The whole run takes about 60 ms, not
 * 120: the three fetches wait at the same time.
 *
 * A Go string is a value; its C twin here is a struct holding a char
 * array, which the channel copies like any other value.
 */
#include <goro.h>
#include <stdio.h>

typedef struct { char text[96]; } line;    /* a string, passed by value */
GORO_CHAN_DEFINE(linech, line)              /* chan string */

struct site {
    const char *url;
    int status;           /* < 0: the fetch fails */
    int64_t latency;
};

static const struct site sites[] = {
    {"https://example.com",            200, 60 * GORO_MILLISECOND},
    {"https://httpbin.org/get",        200, 20 * GORO_MILLISECOND},
    {"https://httpbin.org/status/404", 404, 40 * GORO_MILLISECOND},
};
#define NSITES (int)(sizeof sites / sizeof sites[0])

struct fetch_args {
    const struct site *site;
    linech_tx ch;         /* chan<- string: this goroutine only sends */
};

/* Stands in for http.Get: waits for the response, returns the status. */
static int http_get(const struct site *s)
{
    goro_sleep(s->latency);
    return s->status;
}

static void fetch_url(void *arg)
{
    struct fetch_args *a = arg;
    line l;
    int status = http_get(a->site);
    if (status < 0) {
        snprintf(l.text, sizeof l.text, "error: fetching %s failed", a->site->url);
        linech_send(a->ch, l);
        return;
    }
    snprintf(l.text, sizeof l.text, "%s -> %d", a->site->url, status);
    linech_send(a->ch, l);
}

int main(void)
{
    linech ch = linech_make(0);    /* ch := make(chan string) */
    if (!goro_chan_of(ch))
        return 1;

    /* Start all requests concurrently */
    for (int i = 0; i < NSITES; i++) {
        struct fetch_args a = {&sites[i], ch.tx};
        goro_go_copy(fetch_url, &a, sizeof a);   /* go fetchURL(url, ch) */
    }

    /* Collect all results (one receive per goroutine) */
    for (int i = 0; i < NSITES; i++) {
        line l;
        linech_recv(ch.rx, &l);
        printf("%s\n", l.text);
    }

    linech_release(ch);            /* every sender has finished its send */
    return 0;
}
