/* SPDX-License-Identifier: MIT */
/*
 * error.c: goro_strerror, names for goro's codes and for -errno.
 */
#include <errno.h>
#include <string.h>

#include "goro.h"

_Static_assert(GORO_EAGAIN == -EAGAIN, "GORO_EAGAIN mirrors EAGAIN");
_Static_assert(GORO_ENOMEM == -ENOMEM, "GORO_ENOMEM mirrors ENOMEM");
_Static_assert(GORO_EINVAL == -EINVAL, "GORO_EINVAL mirrors EINVAL");
_Static_assert(GORO_ETIMEDOUT == -ETIMEDOUT, "GORO_ETIMEDOUT mirrors ETIMEDOUT");
_Static_assert(GORO_ECANCELED == -ECANCELED, "GORO_ECANCELED mirrors ECANCELED");

const char *goro_strerror(int code)
{
    switch (code) {
    case 0:              return "success";
    case GORO_ECLOSED:   return "channel closed";
    case GORO_ENOHOST:   return "no such host";
    case GORO_EAGAIN:    return "operation would block";
    case GORO_ENOMEM:    return "out of memory";
    case GORO_EINVAL:    return "invalid argument";
    case GORO_ETIMEDOUT: return "deadline exceeded";
    case GORO_ECANCELED: return "context canceled";
    }
    if (code < 0 && code > -4096) {
        /* strerrordesc_np is thread-safe and never formats a buffer. */
        const char *s = strerrordesc_np(-code);
        if (s)
            return s;
    }
    return "unknown error";
}
