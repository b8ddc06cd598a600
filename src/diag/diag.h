/*
 * diag.h: what the files of src/diag/ share: the goroutine records read
 * into an array, and printed.
 */
#ifndef GORO_DIAG_DIAG_H
#define GORO_DIAG_DIAG_H

#include <stdio.h>

#include "goro.h"

/* Every live goroutine's record, sorted by id, in *out (goro__malloc'd;
 * goro__free it). Returns how many, or -1 (out of memory). */
int goro__diag_collect(goro_ginfo **out);
/* The records v[0..n-1] to f, each as goro_dump shows it. */
void goro__diag_print(FILE *f, const goro_ginfo *v, int n);

#endif
