/* SPDX-License-Identifier: MIT */
/*
 * format.h: the binary format of goro's execution traces (goro_trace_start,
 * GORODEBUG=trace=FILE), written by src/trace/trace.c and read by
 * tools/goro-trace. This header is the format's one description.
 *
 * A trace is a file header followed by batches, in the order threads
 * handed them to the writer (so batches of different threads interleave;
 * each batch's events are in time order). All integers are little-endian
 * (the writing machine's order; readers check the magic).
 *
 *   file header (16 bytes): "GOROTRC1" (8 bytes), u32 version (1),
 *                           u32 reserved (0)
 *   batch header (24 bytes): u32 GORO_TR_BATCH_MAGIC, u32 size (bytes of
 *                           events that follow), i32 tid (kernel thread
 *                           id), i32 m (M id, -1: not an M), u64 reserved
 *   event: u16 size (bytes, header included, a multiple of 8),
 *          u8 type (GORO_TR_*), u8 flags (1: a GORO_TR_GO_READY whose ts
 *          is its thread's next clock read, up to the readier's next
 *          switch: readers put it no later than the woken goroutine's
 *          start), u32 aux (the P id for
 *          scheduler events, -1 as u32 when none; else per type),
 *          i64 ts (CLOCK_MONOTONIC, ns), then (size - 16) / 8 u64
 *          arguments; the string events keep their text (NUL-terminated,
 *          zero padded) in place of their last arguments.
 *
 * A reader stops at the first incomplete batch header or event: a file
 * truncated anywhere (a program killed while writing) is read up to its
 * last whole event.
 *
 * Strings (function names, creation sites) are interned: GORO_TR_STRING
 * defines key -> text once per thread and trace; other events carry the
 * key. A reader collects every definition before it resolves keys (a
 * definition may come in a later batch than its use).
 *
 * Events (arguments in order; "g" is a goroutine id, 0 for none):
 */
#ifndef GORO_TRACE_FORMAT_H
#define GORO_TRACE_FORMAT_H

#define GORO_TR_MAGIC "GOROTRC1"
#define GORO_TR_VERSION 1
#define GORO_TR_BATCH_MAGIC 0x48435442u   /* "BTCH" */
#define GORO_TR_NONE 0xffffffffu          /* aux: no P */

enum {
    GORO_TR_STRING = 1,     /* aux: length; key, then the text */
    GORO_TR_GO_CREATE,      /* g, parent g (all ones: alive when the trace started),
                               function key, site key, line; aux: P */
    GORO_TR_GO_START,       /* g; aux: P. g starts running on this thread */
    GORO_TR_GO_STOP,        /* g, why (GORO_TR_STOP_*), wait reason, object; aux: P */
    GORO_TR_GO_READY,       /* g readied, by g (0: a plain thread or the runtime); aux: P */
    GORO_TR_SYSCALL_ENTER,  /* g; aux: P left in its syscall state */
    GORO_TR_SYSCALL_EXIT,   /* g, 1 if it got its own P back; aux: P now */
    GORO_TR_HANDOFF,        /* (sysmon) P taken from a blocking call; aux: P */
    GORO_TR_STEAL,          /* victim P, goroutines taken; aux: thief P */
    GORO_TR_PREEMPT,        /* (sysmon) slice over; aux: P */
    GORO_TR_RETAKE,         /* (sysmon) P taken from a CPU hog; aux: P */
    GORO_TR_PROCS,          /* new GOMAXPROCS */
    GORO_TR_TIMER,          /* a timer fires: its address; aux: P */
    GORO_TR_NETPOLL,        /* goroutines the netpoller made runnable */
    GORO_TR_REGION_BEGIN,   /* g, then the name; aux: length */
    GORO_TR_REGION_END,     /* g, then the name; aux: length */
    GORO_TR_LOG,            /* g, category length, then "category\0message" */
    GORO_TR_NTYPES
};

/* GORO_TR_GO_STOP's why. */
enum { GORO_TR_STOP_YIELD = 1, GORO_TR_STOP_PARK, GORO_TR_STOP_EXIT, GORO_TR_STOP_REQUEUE };

#endif
