// SPDX-License-Identifier: MIT
// test_redis.c (test_hook_redis): 1,000 goroutines, each with its own
// connection through unmodified hiredis (blocking API) to a real Redis
// (tests/hook/with-server.sh redis; GORO_TEST_REDIS_PORT). Each SETs and
// GETs its own keys and checks the values, then blocks in BLPOP on its own
// list until main, once every client is connected, pushes one value to
// each list: 1,000 blocked calls at once on a few threads, a CPU-bound
// goroutine running meanwhile.
// ctest-labels: hook
#include "../hooktest.h"

#include <hiredis.h>
#include <string.h>

#include "goro_hook.h"

static int port, n;
static ht_barrier barrier;

static redisContext *dial(void)
{
    redisContext *c = redisConnect("127.0.0.1", port);
    if (!c || c->err) {
        fprintf(stderr, "test_hook_redis: connect: %s\n", c ? c->errstr : "no memory");
        CHECK(0);
    }
    return c;
}

static void expect_str(redisReply *r, const char *want)
{
    CHECK(r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS));
    if (strcmp(r->str, want) != 0) {
        fprintf(stderr, "test_hook_redis: got %s, want %s\n", r->str, want);
        CHECK(0);
    }
    freeReplyObject(r);
}

static void client(int i)
{
    redisContext *c = dial();
    char key[32], val[64];
    for (int k = 0; k < 5; k++) {
        snprintf(key, sizeof key, "key:%d:%d", i, k);
        snprintf(val, sizeof val, "value %d %d", i, k * 7919);
        expect_str(redisCommand(c, "SET %s %s", key, val), "OK");
        expect_str(redisCommand(c, "GET %s", key), val);
    }
    ht_arrive(&barrier);
    redisReply *r = redisCommand(c, "BLPOP list:%d 30", i);
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    snprintf(val, sizeof val, "pushed %d", i);
    CHECK(strcmp(r->element[1]->str, val) == 0);
    freeReplyObject(r);
    redisFree(c);
}

static void pusher(void)
{
    ht_release(&barrier);
    redisContext *c = dial();
    for (int i = 0; i < n; i++) {
        redisReply *r = redisCommand(c, "RPUSH list:%d %s%d", i, "pushed ", i);
        CHECK(r && r->type == REDIS_REPLY_INTEGER);
        freeReplyObject(r);
    }
    redisFree(c);
}

static void job(int i)
{
    if (i == n)
        pusher();
    else
        client(i);
}

int main(void)
{
    CHECK(goro_hook_active());
    port = atoi(ht_env("GORO_TEST_REDIS_PORT", "redis"));
    ht_raise_nofile();
    n = ht_scale(1000);
    ht_barrier_init(&barrier, n);
    int64_t t = ht_watched_run(n + 1, job, "test_hook_redis");
    printf("test_hook_redis: %d clients, 10 commands and a BLPOP each, in %.2f s\n", n,
           (double)t / GORO_SECOND);
    printf("test_hook_redis: ok\n");
    return 0;
}
