// SPDX-License-Identifier: MIT
// test_curl.c (test_hook_curl): unmodified libcurl's easy interface
// (curl_easy_perform: connect, poll, send, recv inside libcurl) in 200
// goroutines against a tiny HTTP/1.1 server of this process, itself
// goroutines on blocking sockets through the hook. Every response body
// names its path and is checked; the server answers only after 20 ms, so
// the 200 transfers are in flight at once.
// ctest-labels: hook
#include "../hooktest.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "goro_hook.h"

static int port, n;

static void serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char req[4096];
    size_t got = 0;
    while (got < sizeof req - 1 && !memmem(req, got, "\r\n\r\n", 4)) {
        ssize_t r = read(fd, req + got, sizeof req - 1 - got);
        CHECK(r > 0);
        got += (size_t)r;
    }
    req[got] = 0;
    int i = -1;
    CHECK(sscanf(req, "GET /item/%d HTTP/1.1", &i) == 1);
    usleep(20000);   /* parks: the hook's usleep */
    char body[64], resp[256];
    int bl = snprintf(body, sizeof body, "item %d body %d", i, i * i);
    int rl = snprintf(resp, sizeof resp,
                      "HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", bl, body);
    CHECK(write(fd, resp, (size_t)rl) == rl);
    close(fd);
}

typedef struct {
    char buf[128];
    size_t len;
} sink;

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
    sink *s = arg;
    size_t len = size * nmemb;
    CHECK(s->len + len < sizeof s->buf);
    memcpy(s->buf + s->len, p, len);
    s->len += len;
    return len;
}

static void client(int i)
{
    CURL *c = curl_easy_init();
    CHECK(c);
    char url[128], want[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/item/%d", port, i);
    sink s = { .len = 0 };
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    CURLcode r = curl_easy_perform(c);
    if (r != CURLE_OK) {
        fprintf(stderr, "test_hook_curl: %s: %s\n", url, curl_easy_strerror(r));
        CHECK(0);
    }
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    CHECK(code == 200);
    s.buf[s.len] = 0;
    snprintf(want, sizeof want, "item %d body %d", i, i * i);
    CHECK(strcmp(s.buf, want) == 0);
    curl_easy_cleanup(c);
}

int main(void)
{
    CHECK(goro_hook_active());
    ht_raise_nofile();
    n = ht_scale(200);
    CHECK(curl_global_init(CURL_GLOBAL_DEFAULT) == 0);
    ht_serve(n, serve, &port);
    int64_t t = ht_watched_run(n, client, "test_hook_curl");
    ht_serve_wait();
    printf("test_hook_curl: %d transfers (20 ms server delay each) in %.2f s\n", n,
           (double)t / GORO_SECOND);
    CHECK(t < (int64_t)n * 20 * GORO_MILLISECOND);   /* they overlapped */
    curl_global_cleanup();
    printf("test_hook_curl: ok\n");
    return 0;
}
