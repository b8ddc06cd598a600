/* SPDX-License-Identifier: MIT */
/*
 * version.c: goro_version(), the library's own version. It is compiled
 * with the goro.h it was built from, so a program built against another
 * header can tell (goro.h, "Version", for the encoding).
 */
#include "goro.h"

int goro_version(void)
{
    return GORO_VERSION;
}
