/* SPDX-License-Identifier: MIT */
/*
 * handoff.c: calls with nothing to poll, which block on the kernel or on
 * a name service: getaddrinfo, getnameinfo, gethostbyname and its _r
 * variants, pread and pwrite. In a goroutine each runs with its P handed
 * off (HANDOFF): the goroutine's thread blocks, the others run on.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <unistd.h>

#include "hook_internal.h"

/* A numeric address (or none) and a numeric port, or none: nothing to
 * look up, so no hand-off (which would cost a thread while it lasts:
 * libpq and hiredis resolve "127.0.0.1" at every connect). */
static bool numeric(const char *s, bool host)
{
    if (!s)
        return true;
    unsigned char a[sizeof(struct in6_addr)];
    if (host)
        return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

EXPORT int getaddrinfo(const char *node, const char *svc, const struct addrinfo *hints,
                       struct addrinfo **res)
{
    int r;
    if (numeric(node, true) && numeric(svc, false))
        return REAL(getaddrinfo)(node, svc, hints, res);
    HANDOFF(r = REAL(getaddrinfo)(node, svc, hints, res));
    return r;
}

EXPORT int getnameinfo(const struct sockaddr *sa, socklen_t salen, char *host, socklen_t hostlen,
                       char *serv, socklen_t servlen, int flags)
{
    int r;
    HANDOFF(r = REAL(getnameinfo)(sa, salen, host, hostlen, serv, servlen, flags));
    return r;
}

EXPORT struct hostent *gethostbyname(const char *name)
{
    struct hostent *h;
    HANDOFF(h = REAL(gethostbyname)(name));
    return h;
}

EXPORT int gethostbyname_r(const char *name, struct hostent *ret, char *buf, size_t len,
                           struct hostent **res, int *herr)
{
    int r;
    HANDOFF(r = REAL(gethostbyname_r)(name, ret, buf, len, res, herr));
    return r;
}

EXPORT int gethostbyname2_r(const char *name, int af, struct hostent *ret, char *buf, size_t len,
                            struct hostent **res, int *herr)
{
    int r;
    HANDOFF(r = REAL(gethostbyname2_r)(name, af, ret, buf, len, res, herr));
    return r;
}

/* pread/pwrite work on files (ESPIPE on sockets and pipes). */
EXPORT ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
    ssize_t r;
    HANDOFF(r = REAL(pread)(fd, buf, len, off));
    return r;
}

EXPORT ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    ssize_t r;
    HANDOFF(r = REAL(pwrite)(fd, buf, len, off));
    return r;
}

EXPORT ssize_t pread64(int fd, void *buf, size_t len, off64_t off)
{
    return pread(fd, buf, len, (off_t)off);
}

EXPORT ssize_t pwrite64(int fd, const void *buf, size_t len, off64_t off)
{
    return pwrite(fd, buf, len, (off_t)off);
}
