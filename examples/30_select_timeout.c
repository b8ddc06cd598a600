/* SPDX-License-Identifier: MIT */
/*
 * 30_select_timeout.c: mirrors the Go tour's "select with a timeout"
 * program: fetchWithTimeout(url) starts a goroutine that simulates a slow
 * request (sleep, then send "response body" on a channel with capacity 1)
 * and selects between that result and time.After(2 * time.Second),
 * returning an error "request to <url> timed out" when the timer wins.
 *
 * The Go original only defines the function; main here calls it twice, once
 * for a request that answers within the timeout and once for one that does
 * not, and prints what each returned:
 *     fast.example: response body
 *     slow.example: request to slow.example timed out
 * Delays are scaled down tenfold: the timeout is 200 ms, the slow request
 * takes 300 ms (the Go original's 3 s) and the fast one 50 ms.
 *
 * goro_after(d) is time.After(d): a channel that receives the fire time
 * once. In C it is a reference the caller releases; releasing it before it
 * fires is fine (the timer frees itself when it fires). The result channel
 * has capacity 1, as in the Go original, so the slow request's goroutine can
 * send and exit even though nobody receives any more; it holds its own
 * reference, since fetch_with_timeout has released its own by then.
 */
#include <goro.h>
#include <stdio.h>

GORO_CHAN_DEFINE(strch, const char *)        /* chan string */

struct request {
    strch_tx result;
    int64_t latency;                         /* simulated network time */
};

static void do_request(void *arg)
{
    struct request *r = arg;
    goro_sleep(r->latency);                  /* simulate network request */
    strch_send(r->result, "response body");  /* result <- "response body" */
    goro_chan_release(goro_chan_of(r->result));
}

/* func fetchWithTimeout(url string) (string, error): 0 and *body, or
 * GORO_ETIMEDOUT and an error message in err. */
static int fetch_with_timeout(const char *url, int64_t latency,
                              const char **body, char *err, size_t errlen)
{
    strch result = strch_make(1);            /* result := make(chan string, 1) */
    if (!goro_chan_of(result))
        return GORO_ENOMEM;
    struct request r = {result.tx, latency};
    goro_chan_retain(goro_chan_of(result));  /* the goroutine's reference */
    goro_go_copy(do_request, &r, sizeof r);

    goro_chan *timeout = goro_after(200 * GORO_MILLISECOND);
    goro_case cases[] = {
        GORO_CASE_RECV(goro_chan_of(result), body),   /* case body := <-result: */
        GORO_CASE_RECV(timeout, NULL),                /* case <-time.After(2 * time.Second): */
    };
    int rc = 0;
    switch (goro_select(cases, 2)) {
    case 0:
        break;
    case 1:
        snprintf(err, errlen, "request to %s timed out", url);
        rc = GORO_ETIMEDOUT;
        break;
    }
    goro_chan_release(timeout);
    strch_release(result);
    return rc;
}

int main(void)
{
    struct { const char *url; int64_t latency; } reqs[] = {
        {"fast.example", 50 * GORO_MILLISECOND},
        {"slow.example", 300 * GORO_MILLISECOND},
    };
    for (int i = 0; i < 2; i++) {
        const char *body;
        char err[128];
        if (fetch_with_timeout(reqs[i].url, reqs[i].latency, &body, err, sizeof err) == 0)
            printf("%s: %s\n", reqs[i].url, body);
        else
            printf("%s: %s\n", reqs[i].url, err);
    }
    return 0;
}
