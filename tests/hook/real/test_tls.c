// SPDX-License-Identifier: MIT
// test_tls.c (test_hook_tls): a TLS echo over unmodified OpenSSL on
// blocking sockets (SSL_set_fd: OpenSSL's socket BIO calls read and
// write), server and clients in goroutines of this one process, with the
// self-signed certificate tests/hook/with-server.sh tls makes at test time
// (GORO_TEST_CERT, GORO_TEST_KEY). 200 clients each send messages of 1 byte
// to 64 KiB (more than a socket buffer: partial writes, both sides
// blocking) and check the echo byte for byte.
// ctest-labels: hook
#include "../hooktest.h"

#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "goro_hook.h"

static SSL_CTX *server_ctx, *client_ctx;
static int port, n;

static void ssl_fail(const char *what)
{
    fprintf(stderr, "test_hook_tls: %s\n", what);
    ERR_print_errors_fp(stderr);
    CHECK(0);
}

/* One accepted connection: echo until the client closes. */
static void serve(void *arg)
{
    int fd = (int)(intptr_t)arg;
    SSL *s = SSL_new(server_ctx);
    CHECK(s && SSL_set_fd(s, fd) == 1);
    if (SSL_accept(s) != 1)
        ssl_fail("SSL_accept");
    char buf[16384];
    for (;;) {
        int r = SSL_read(s, buf, sizeof buf);
        if (r <= 0)
            break;
        if (SSL_write(s, buf, r) != r)
            ssl_fail("SSL_write (server)");
    }
    SSL_free(s);
    close(fd);
}

static void client(int i)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0);
    SSL *s = SSL_new(client_ctx);
    CHECK(s && SSL_set_fd(s, fd) == 1);
    SSL_set_tlsext_host_name(s, "localhost");
    if (SSL_connect(s) != 1)
        ssl_fail("SSL_connect");
    enum { MAX = 65536 };
    unsigned char *out = malloc(MAX), *in = malloc(MAX);
    CHECK(out && in);
    for (size_t len = 1; len <= MAX; len *= 4) {
        for (size_t k = 0; k < len; k++)
            out[k] = (unsigned char)(i * 31 + k * 7 + len);
        /* SSL_write of 64 KiB blocks until the server has read part of
         * it, and the server's echo blocks until we read: write in 4 KiB
         * pieces, reading back as we go */
        size_t sent = 0, got = 0;
        while (got < len) {
            if (sent < len) {
                int w = SSL_write(s, out + sent, (int)(len - sent < 4096 ? len - sent : 4096));
                if (w <= 0)
                    ssl_fail("SSL_write (client)");
                sent += (size_t)w;
            }
            while (got < sent) {
                int r = SSL_read(s, in + got, (int)(sent - got));
                if (r <= 0)
                    ssl_fail("SSL_read (client)");
                got += (size_t)r;
            }
        }
        CHECK(memcmp(in, out, len) == 0);
    }
    free(out);
    free(in);
    SSL_shutdown(s);
    SSL_free(s);
    close(fd);
}

int main(void)
{
    CHECK(goro_hook_active());
    const char *cert = ht_env("GORO_TEST_CERT", "tls"), *key = ht_env("GORO_TEST_KEY", "tls");
    ht_raise_nofile();
    n = ht_scale(200);
    server_ctx = SSL_CTX_new(TLS_server_method());
    client_ctx = SSL_CTX_new(TLS_client_method());
    CHECK(server_ctx && client_ctx);
    if (SSL_CTX_use_certificate_file(server_ctx, cert, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(server_ctx, key, SSL_FILETYPE_PEM) != 1)
        ssl_fail("loading the certificate");
    if (SSL_CTX_load_verify_locations(client_ctx, cert, NULL) != 1)
        ssl_fail("loading the CA");
    SSL_CTX_set_verify(client_ctx, SSL_VERIFY_PEER, NULL);

    ht_serve(n, serve, &port);
    int64_t t = ht_watched_run(n, client, "test_hook_tls");
    ht_serve_wait();
    printf("test_hook_tls: %d TLS connections, 87 KiB echoed each, in %.2f s\n", n,
           (double)t / GORO_SECOND);
    SSL_CTX_free(server_ctx);
    SSL_CTX_free(client_ctx);
    printf("test_hook_tls: ok\n");
    return 0;
}
