/* SPDX-License-Identifier: MIT */
/*
 * tcp_echo: TCP echo server throughput over loopback, 100 and 1,000
 * concurrent connections, 64-byte messages.
 *
 * Server (this program, no arguments): goro, one goroutine per connection
 * reading up to 4 KiB with goro_read and writing it back with goro_write,
 * on 127.0.0.1. Twin: bench/go/tcp_echo/main.go, the same server on Go's
 * net package.
 *
 * Load (this program with "client PORT CONNS"): plain C, no goro, one
 * thread, level-triggered epoll: CONNS connections, each with one 64-byte
 * request outstanding; when its 64 bytes are back the next one goes out.
 * The same client binary drives both servers (the Go twin runs it too,
 * found through $TCP_ECHO_CLIENT), so only the server differs. It runs a
 * 0.5 s warm-up (cold_rps_N) and 3 passes of 1 s; the figure is the median
 * of the passes' requests per second (higher is better, unlike the
 * ns_per_op figures). The server also prints its own CPU time (user +
 * system, all threads) per request over the whole client run,
 * cpu_us_per_req_N (lower is better): on a machine that is busy
 * with other work it is much steadier than the throughput.
 *
 * Usage: bench_tcp_echo                       run both loads against goro
 *        bench_tcp_echo client PORT CONNS     the load client
 */
#include "bench.h"

#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#define MSG 64

/* ---- the load client ---- */

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct conn {
    int fd;
    int got;
};

static void raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int client(int port, int n)
{
    raise_nofile();
    struct conn *cs = calloc((size_t)n, sizeof *cs);
    int ep = epoll_create1(0);
    char msg[MSG], buf[MSG];
    memset(msg, 'm', sizeof msg);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
            perror("client connect");
            return 1;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        cs[i].fd = fd;
        struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    for (int i = 0; i < n; i++)
        if (write(cs[i].fd, msg, MSG) != MSG) {
            perror("client write");
            return 1;
        }
    double rps[1 + BENCH_PASSES];
    struct epoll_event evs[256];
    for (int pass = 0; pass <= BENCH_PASSES; pass++) {
        int64_t len = pass == 0 ? 500000000 : 1000000000;
        int64_t t0 = now_ns(), end = t0 + len;
        long done = 0;
        while (now_ns() < end) {
            int k = epoll_wait(ep, evs, 256, 100);
            for (int e = 0; e < k; e++) {
                struct conn *c = &cs[evs[e].data.u32];
                ssize_t r = read(c->fd, buf, (size_t)(MSG - c->got));
                if (r <= 0) {
                    if (r < 0 && errno == EAGAIN)
                        continue;
                    fprintf(stderr, "client: connection lost\n");
                    return 1;
                }
                c->got += (int)r;
                if (c->got == MSG) {
                    c->got = 0;
                    done++;
                    if (write(c->fd, msg, MSG) != MSG) {
                        perror("client write");
                        return 1;
                    }
                }
            }
        }
        rps[pass] = (double)done * 1e9 / (double)(now_ns() - t0);
    }
    char metric[32];
    snprintf(metric, sizeof metric, "rps_%d", n);
    printf("# tcp_echo client: %d connections, %d-byte messages\n", n, MSG);
    bench_report("tcp_echo", metric, rps[0], rps + 1, BENCH_PASSES);
    for (int i = 0; i < n; i++)
        close(cs[i].fd);
    free(cs);
    return 0;
}

/* ---- the goro server ---- */

static _Atomic long echoes;   /* writes done by the server */

static void handle(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[4096];
    ssize_t n;
    while ((n = goro_read(fd, buf, sizeof buf)) > 0) {
        if (goro_write(fd, buf, (size_t)n) != n)
            break;
        atomic_fetch_add_explicit(&echoes, 1, memory_order_relaxed);
    }
    goro_close(fd);
}

static void acceptor(void *arg)
{
    int ls = *(int *)arg;
    int c;
    while ((c = goro_accept(ls, NULL, NULL)) >= 0)
        goro_go(handle, (void *)(intptr_t)c);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "client") == 0)
        return client(atoi(argv[2]), atoi(argv[3]));
    raise_nofile();
    bench_header("tcp_echo");
    int ls = goro_listen_tcp("127.0.0.1", 0, 0);
    if (ls < 0)
        bench_die("goro_listen_tcp", ls);
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    getsockname(ls, (struct sockaddr *)&a, &al);
    goro_go(acceptor, &ls);

    char self[4096], port[16];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0)
        bench_die("readlink", -errno);
    self[len] = 0;
    snprintf(port, sizeof port, "%d", ntohs(a.sin_port));
    const char *loads[] = { "100", "1000" };
    for (int i = 0; i < 2; i++) {
        fflush(stdout);
        long e0 = atomic_load(&echoes);
        int64_t c0 = bench_cpu_ns();
        pid_t pid = fork();
        if (pid == 0) {
            execl(self, self, "client", port, loads[i], (char *)NULL);
            _exit(127);
        }
        int st;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
            bench_die("load client", -ECHILD);
        /* Server CPU (user + system, all its threads) per echo over the
         * whole client run: steadier than rps on a busy machine. */
        long e = atomic_load(&echoes) - e0;
        printf("tcp_echo cpu_us_per_req_%s %.4g\n", loads[i],
               e ? (double)(bench_cpu_ns() - c0) / 1e3 / (double)e : 0.0);
        goro_sleep(200 * GORO_MILLISECOND);   /* the server's side closes */
    }
    return 0;
}
